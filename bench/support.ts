/**
 * What the benchmarks share: the server under test as a child process, a closed loop of requests,
 * a bounded pool of tasks, latency statistics, CPU and memory readings from /proc, and writing a
 * section of BENCHMARKS.md. (bench/orders.ts keeps its own open loop and HTTP client: it measures
 * from each request's scheduled send time.)
 */
import { execSync, type StdioOptions, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { type InitDataUser, signInitData } from "../packages/server/src/auth/init-data.ts";
import { SERVER_NODE_ARGS } from "../scripts/server-node-args.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();
export function log(tag: string, msg: string) {
  console.log(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** Runs `fn` over `items` with at most `limit` at a time; its results in the items' order. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
    }),
  );
  return out;
}

export interface Stats {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}
/** Percentiles (nearest rank), mean and extremes of some measurements, rounded to 0.01. */
export function stats(xs: number[]): Stats {
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? Number.NaN;
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    n: s.length,
    min: r(s[0] ?? Number.NaN),
    p50: r(q(0.5)),
    p90: r(q(0.9)),
    p99: r(q(0.99)),
    max: r(s[s.length - 1] ?? Number.NaN),
    mean: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

// What the machine does during a run, from /proc: one reader each, for every benchmark.

const CLK_TCK = Number(execSync("getconf CLK_TCK").toString().trim()) || 100;
/** The CPU time (user + system) in seconds of a /proc/<pid>/stat line. */
function cpuOfStat(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds (user + system) of a process or one of its threads, by its stat file; null if it is gone. */
export function cpuSecondsAt(statPath: string): number | null {
  try {
    return cpuOfStat(readFileSync(statPath, "utf8"));
  } catch {
    return null;
  }
}

/** A process's CPU time (user + system) in seconds. */
export function cpuSeconds(pid: number): number {
  return cpuSecondsAt(`/proc/${pid}/stat`) ?? Number.NaN;
}

/** Seconds a thread has spent runnable but waiting for a CPU (from its schedstat). */
export function runQueueWait(pid: number, tid: number = pid): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(" ");
    return Number(f[1]) / 1e9;
  } catch {
    return null;
  }
}

/** Seconds during which at least one task was waiting for a CPU (pressure stall information). */
export function cpuPressure(): number | null {
  try {
    const some = readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0] ?? "";
    return Number(/total=(\d+)/.exec(some)?.[1]) / 1e6;
  } catch {
    return null;
  }
}

/** A process's resident memory now and at its peak, in MB (NaN if it is gone). */
export function memoryMb(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return { rssMb: Number.NaN, peakMb: Number.NaN };
  }
}

/** CPU seconds of every PostgreSQL process on this machine (its backends and background workers). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).startsWith("postgres"))
        total += cpuOfStat(stat);
    } catch {}
  }
  return total;
}

/** CPU seconds the whole machine has been busy (all cores, everything but idle and I/O wait). */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (v[3] ?? 0) - (v[4] ?? 0)) / CLK_TCK;
}

/**
 * BENCH_PRIORITY (a nice value, e.g. -10; needs root) keeps other work on a shared machine from
 * skewing the tail; server children inherit it.
 */
export function applyPriority(): void {
  const priority = process.env.BENCH_PRIORITY ? Number(process.env.BENCH_PRIORITY) : null;
  if (priority !== null) os.setPriority(priority);
}

/** The machine a run ran on; other work skews everything: the 1-minute load average at the start (and, filled in later, the end). */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown"}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: [os.loadavg()[0] ?? 0, 0],
    nice: os.getPriority(),
  };
}

export interface BenchServer {
  port: number;
  pid: number;
  database: string;
  stop: () => Promise<void>;
}

/**
 * A server script (`bench/server.ts`, or `npm start`'s main.ts) as a child process, run the way
 * `npm start` runs it: the same Node flags (scripts/server-node-args.mjs), and in a session of its
 * own, as a service runs (systemd, a container). This kernel schedules with autogroups, one per
 * session, sharing the CPU fairly between groups: in the load generator's session the server shared
 * one group's share with it and was preempted by its wake-ups (the search's p99 was 1.5-2.5 ms
 * higher in three paired runs, the orders' open-loop p99 7-9 ms; BENCHMARKS.md).
 * BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops.
 */
export function spawnServer(script: string, options: { env: NodeJS.ProcessEnv; stdio: StdioOptions }) {
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`]
    : [];
  const args = [...SERVER_NODE_ARGS, ...profile, "--import", "tsx", path.join(root, script)];
  const child = spawn(process.execPath, args, { cwd: root, ...options, detached: true });
  // A detached child outlives its parent: stop it if this process ends without stopping it.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  child.once("exit", () => process.off("exit", orphan));
  return child;
}

/** `bench/server.ts` (the real app, no bot, no jobs) as a child process; resolves once it listens. */
export async function startBenchServer(env: NodeJS.ProcessEnv): Promise<BenchServer> {
  const child = spawnServer("bench/server.ts", {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (!child.stdout) throw new Error("the server's stdout is not piped");
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const info = JSON.parse(first) as { port: number; pid: number; database: string };
  return {
    ...info,
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

export interface Latency {
  n: number;
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  /** The p99 of each second of the measured window: a steady tail, or a few bad seconds. */
  p99BySecond: number[];
}

/**
 * A closed loop driven by autocannon: `inFlight` keep-alive connections, each sending its
 * next request (`next()`: path and headers) as soon as the last one is answered. The load generator
 * shares the machine's two cores with the server and the database; autocannon's HTTP client costs
 * less CPU a request than Node's http module (measured: about 45 against 55-70 µs for a catalogue
 * page), which is left to what is measured. Latencies are taken from each response at full
 * precision (autocannon's own histogram keeps whole milliseconds).
 */
export async function closedLoop(
  port: number,
  inFlight: number,
  seconds: number,
  warmupSeconds: number,
  next: () => { path: string; headers?: Record<string, string> },
): Promise<Latency> {
  const times: number[] = [];
  const bySecond: number[][] = Array.from({ length: seconds + 1 }, () => []);
  let errors = 0;
  const t0 = now();
  const measureFrom = t0 + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  let finished: (r: autocannon.Result) => void = () => {};
  let failed: (err: unknown) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${port}`,
      connections: inFlight,
      pipelining: 1,
      duration: warmupSeconds + seconds,
      requests: [{ setupRequest: (req) => ({ ...req, method: "GET", ...next() }) }],
    },
    (err, result) => (err ? failed(err) : finished(result)),
  );
  instance.on("response", (_client, status, _bytes, ms) => {
    const at = now();
    const started = at - ms;
    if (started < measureFrom || at > end) return;
    if (status !== 200) errors++;
    else {
      times.push(ms);
      bySecond[Math.floor((started - measureFrom) / 1000)]?.push(ms);
    }
  });
  const result = await done;
  errors += result.errors + result.timeouts;
  return latencyOf(times, bySecond, seconds, errors);
}

function latencyOf(times: number[], bySecond: number[][], seconds: number, errors: number): Latency {
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? Number.NaN;
  return {
    n: times.length,
    rate: times.length / seconds,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: times[times.length - 1] ?? Number.NaN,
    errors,
    p99BySecond: bySecond
      .filter((l) => l.length > 0)
      .map((l) => l.sort((a, b) => a - b)[Math.floor(0.99 * l.length)] ?? Number.NaN),
  };
}

/**
 * Replaces (or appends) the section between `start` and `end` markers in BENCHMARKS.md. `keep`: a
 * hand-written block inside the section (between its own markers) that a rerun carries over, or
 * `placeholder` where there is none yet; it goes last, before `end`.
 */
export function writeSection(
  start: string,
  end: string,
  lines: string[],
  keep?: { start: string; end: string; placeholder: string },
) {
  const file = path.join(root, "BENCHMARKS.md");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    text = "# Benchmarks\n\nEach section is written by its own script; rerun the script to refresh it.\n\n";
  }
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const kept: string[] = [];
  if (keep) {
    const old = i >= 0 && j > i ? text.slice(i, j) : "";
    const ki = old.indexOf(keep.start);
    const kj = old.indexOf(keep.end);
    kept.push(
      ki >= 0 && kj > ki
        ? old.slice(ki, kj + keep.end.length)
        : `${keep.start}\n${keep.placeholder}\n${keep.end}`,
      "",
    );
  }
  const section = [start, ...lines, ...kept, end].join("\n");
  text =
    i >= 0 && j > i
      ? text.slice(0, i) + section + text.slice(j + end.length)
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
  try {
    execSync("npx biome format --write BENCHMARKS.md", { cwd: root, stdio: "ignore" });
  } catch {}
}

/**
 * Simulated Mini App users for one run: ids from `idBase` plus a per-run tag (so reruns on one
 * database never collide), and their signed init data, made once per user.
 */
export function benchUsers(token: string, idBase: number, perRun = 100_000) {
  let seq = 0;
  const runTag = Date.now() % 1_000_000;
  const auths = new Map<number, string>();
  return {
    runTag,
    user(): InitDataUser {
      seq++;
      return { id: idBase + runTag * perRun + seq, first_name: `Bench${seq}`, language_code: "en" };
    },
    auth(u: InitDataUser): string {
      let a = auths.get(u.id);
      if (!a) {
        a = `tma ${signInitData(token, { user: u })}`;
        auths.set(u.id, a);
      }
      return a;
    },
  };
}
