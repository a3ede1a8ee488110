/**
 * Orders benchmark: `npm run bench:orders` (or `npx tsx bench/orders.ts`).
 *
 * How fast the server places orders, next to what the database itself can do, all in one run:
 *   0. Ceilings, with pgbench on a scratch database of the same PostgreSQL server (created and
 *      dropped here): (a) single-row UPDATEs of random rows of a 100k-row table, (b) UPDATEs that
 *      all hit the same row. Then the server's own `GET /health` at the orders' concurrency, through
 *      the same HTTP client: what the HTTP stack and this client can do with no database at all.
 *   1. Closed loop: BENCH_BUYERS (200) simulated buyers each place orders back to back
 *      (`POST /api/orders`, Idempotency-Key, one unit of one of 200 offers with plenty of stock,
 *      pickup) for a fixed time after a warm-up: orders/s, latency, errors.
 *   2. Open loop at half the rate measured in 1: requests leave on a timer schedule, whether or not
 *      earlier ones have answered, and latency runs from the scheduled send time (so a stall is
 *      charged to every request it delays: no coordinated omission).
 *   3. Hot offer: the buyers fight over one offer with BENCH_HOT_STOCK (2,000) units, one each,
 *      until it is sold out: sell-out rate, and no oversell (stock exactly 0, as many 201s as
 *      units, every other answer a 409 insufficient_stock / offer_unavailable).
 * Each phase starts with nothing left to write (CHECKPOINT and `sync`: see Monitor.settle).
 * While each phase runs it samples the server's CPU (/proc/<pid>/stat, and its main thread alone),
 * this client's CPU, the machine's, and on PostgreSQL `pg_stat_activity` every 100 ms (backend
 * states and wait events) with the CPU of those backends, to say what limits the rate.
 *
 * On PostgreSQL (BENCH_DATABASE_URL=postgres://…) the server gets a fresh database, dropped at the
 * end. Without it the server runs on the embedded database (PGlite) and the pgbench ceilings are
 * those of the PostgreSQL server at BENCH_PGBENCH_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * or skipped with a note if there is none. Writes bench/results/orders-<database>.json and the
 * "Orders" section of BENCHMARKS.md. BENCH_QUICK=1: a short smoke run (marked as such in the report).
 * BENCH_CPU_PROF=<dir>: the server also writes a V8 CPU profile of the whole run into <dir>.
 * `tsx bench/orders.ts --report` rewrites the section from the JSON files.
 */
import { execSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { InitDataUser } from "../packages/server/src/auth/init-data.ts";
import {
  applyPriority,
  type BenchServer,
  benchUsers,
  cpuPressure,
  cpuSecondsAt,
  machineBusySeconds,
  machine as machineInfo,
  memoryMb,
  now,
  pool,
  runQueueWait,
  type Stats,
  sleep,
  startBenchServer,
  stats,
  writeSection,
} from "./support.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.env.BENCH_QUICK === "1";
const BUYERS = Number(process.env.BENCH_BUYERS ?? 200);
const SHOPS = 50;
const OFFERS_PER_SHOP = 4;
const OFFER_STOCK = 100_000; // the most an offer may hold: "plenty" for any run below a few minutes
const HOT_STOCK = Number(process.env.BENCH_HOT_STOCK ?? (quick ? 500 : 2000));
const WARMUP_S = quick ? 2 : 5;
const CLOSED_S = Number(process.env.BENCH_SECONDS ?? (quick ? 5 : 20));
const OPEN_S = quick ? 5 : 20;
const HEALTH_S = quick ? 3 : 10;
const PGBENCH_S = quick ? 3 : 10;
/** pgbench (a): the clients and threads of the single-row ceiling. */
const PGBENCH_SINGLE = { clients: 16, threads: 2 };
/** pgbench (b): as many clients as the orders test has buyers, if max_connections allows. */
const PGBENCH_HOT_WANTED = 200;
const PGBENCH_ROWS = 100_000;
const TOKEN = "555000111:BENCH-token_for_lastbite_benchmarks";
/** High enough that no simulated buyer is ever rate limited: the limits are not what is measured. */
const NO_LIMIT = "1000000";
const SAMPLE_MS = 100;

// ---------- helpers ----------

function log(msg: string) {
  console.log(`[bench:orders ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

// ---------- the server process ----------

/** The server under test (`bench/server.ts`), with the per-user rate limits out of the way. */
function startServer(databaseUrl: string | null): Promise<BenchServer> {
  return startBenchServer({
    BENCH_BOT_TOKEN: TOKEN,
    BENCH_DATABASE_URL: databaseUrl ?? "",
    RATE_LIMIT_PER_MINUTE: NO_LIMIT,
    ORDER_RATE_LIMIT_PER_MINUTE: NO_LIMIT,
  });
}

// ---------- HTTP: one keep-alive agent with a socket for every simulated buyer and then some ----------

const agent = new http.Agent({ keepAlive: true, maxSockets: 2048, maxFreeSockets: 2048 });
let port = 0;

interface Answer {
  status: number;
  body: string;
}

function request(
  method: string,
  url: string,
  headers: http.OutgoingHttpHeaders,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method,
        path: url,
        headers:
          body === undefined
            ? headers
            : { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const { user, auth, runTag } = benchUsers(TOKEN, 8_000_000_000, 10_000);

// biome-ignore lint/suspicious/noExplicitAny: the benchmark reads arbitrary JSON
async function api(u: InitDataUser, method: string, url: string, body?: unknown): Promise<any> {
  const res = await request(
    method,
    url,
    { authorization: auth(u) },
    body === undefined ? undefined : JSON.stringify(body),
  );
  const json = res.body ? JSON.parse(res.body) : null;
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${res.body}`);
  return json;
}

let keySeq = 0;
/** One order of one unit, pickup, with a fresh Idempotency-Key. */
function placeOrder(buyer: InitDataUser, offerId: number): Promise<Answer> {
  return request(
    "POST",
    "/api/orders",
    { authorization: auth(buyer), "idempotency-key": `bench-${runTag}-${++keySeq}` },
    `{"items":[{"offer_id":${offerId},"quantity":1}],"delivery_type":"pickup"}`,
  );
}

/** "409 insufficient_stock" for problem+json answers, the status alone otherwise. */
function outcome(a: Answer): string {
  try {
    const code = (JSON.parse(a.body) as { code?: string }).code;
    return code ? `${a.status} ${code}` : String(a.status);
  } catch {
    return String(a.status);
  }
}

function count(map: Record<string, number>, key: string) {
  map[key] = (map[key] ?? 0) + 1;
}

// ---------- PostgreSQL: scratch databases, pgbench ----------

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.href;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function dropDatabase(url: string, name: string) {
  await admin(url, (c) => c.query(`drop database if exists ${name} with (force)`)).catch((err) =>
    log(`could not drop ${name}: ${err}`),
  );
}

interface PostgresInfo {
  version: string;
  maxConnections: number;
  reserved: number;
  synchronousCommit: string;
  fsync: string;
  sharedBuffers: string;
}

async function postgresInfo(url: string): Promise<PostgresInfo> {
  return admin(url, async (c) => {
    const show = async (k: string) => String((await c.query(`show ${k}`)).rows[0]?.[k]);
    return {
      version: (await show("server_version")).split(" ")[0] ?? "",
      maxConnections: Number(await show("max_connections")),
      reserved: Number(await show("superuser_reserved_connections")),
      synchronousCommit: await show("synchronous_commit"),
      fsync: await show("fsync"),
      sharedBuffers: await show("shared_buffers"),
    };
  });
}

interface PgbenchResult {
  what: string;
  clients: number;
  threads: number;
  seconds: number;
  protocol: string;
  script: string;
  tps: number;
  latencyMs: number;
  failed: number;
  command: string;
}

/** The pgbench process while one runs: its CPU is the load generator's, sampled by the Monitor. */
let loadGeneratorPid: number | null = null;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    loadGeneratorPid = child.pid ?? null;
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      out += c;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      loadGeneratorPid = null;
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`));
    });
  });
}

async function pgbench(
  url: string,
  dir: string,
  what: string,
  script: string,
  clients: number,
  threads: number,
): Promise<PgbenchResult> {
  const u = new URL(url);
  const file = path.join(dir, `${what}.sql`);
  writeFileSync(file, `${script}\n`);
  const args = [
    "-h",
    u.hostname,
    "-p",
    u.port || "5432",
    "-U",
    decodeURIComponent(u.username || "postgres"),
    "-n",
    "-M",
    "prepared",
    "-f",
    file,
    "-c",
    String(clients),
    "-j",
    String(threads),
    "-T",
    String(PGBENCH_S),
    u.pathname.slice(1),
  ];
  const out = await run("pgbench", args, {
    ...process.env,
    ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}),
  });
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  return {
    what,
    clients,
    threads,
    seconds: PGBENCH_S,
    protocol: "prepared",
    script,
    tps: num(/tps = ([\d.]+)/),
    latencyMs: num(/latency average = ([\d.]+) ms/),
    failed: num(/number of failed transactions: (\d+)/) || 0,
    command: `pgbench -n -M prepared -f ${what}.sql -c ${clients} -j ${threads} -T ${PGBENCH_S}`,
  };
}

// ---------- what the machine does during a phase ----------

export interface PhaseResources {
  seconds: number;
  /** Cores' worth of CPU (CPU seconds per second of the phase). */
  serverCpu: number | null;
  serverMainThread: number | null;
  /** Share of the phase the server's main thread was ready to run but waiting for a CPU. */
  serverMainWaiting: number | null;
  /** The server's event-loop utilisation (0–1: the share of the time its main thread was busy). */
  serverLoop: number | null;
  /** The server's PostgreSQL pool, sampled: connections in use and requests waiting for one (means). */
  pool: { size: number; inUse: number; waiting: number; waitingMax: number; samples: number } | null;
  /** The load generator: this process, plus pgbench in the pgbench phases. */
  clientCpu: number;
  clientMainThread: number | null;
  clientMainWaiting: number | null;
  /** Share of the phase during which some task on the machine waited for a CPU (/proc/pressure/cpu). */
  cpuPressure: number | null;
  /** Backends of the measured database plus PostgreSQL's background processes (WAL writer, …). */
  postgresCpu: number | null;
  machineBusy: number;
  cores: number;
  pg: {
    samples: number;
    /** Mean number of client backends of the measured database in each state. */
    connections: number;
    active: number;
    idle: number;
    idleInTransaction: number;
    /** Mean number of active backends in each wait ("CPU" = running, no wait event). */
    waits: { event: string; mean: number }[];
  } | null;
}

interface ServerStats {
  loop: { activeMs: number; idleMs: number };
  gc?: { count: number; totalMs: number; maxMs: number; long: { at: number; ms: number; kind: number }[] };
  pool: { size: number; total: number; idle: number; waiting: number } | null;
}

async function serverStats(): Promise<ServerStats | null> {
  try {
    const a = await request("GET", "/bench/stats", {});
    return a.status === 200 ? (JSON.parse(a.body) as ServerStats) : null;
  } catch {
    return null;
  }
}

/**
 * Samples, every SAMPLE_MS while a phase runs, pg_stat_activity (with the CPU of the backends it
 * lists) and the server's pool; and takes the CPU of the server, this client and the machine, and
 * the server's event-loop time, between start and stop.
 */
class Monitor {
  private client: pg.Client | null = null;
  private serverPid: number | null = null;
  constructor(private readonly adminUrl: string | null) {}

  async open() {
    if (!this.adminUrl) return;
    this.client = new pg.Client({ connectionString: this.adminUrl });
    await this.client.connect();
  }
  async close() {
    await this.client?.end().catch(() => {});
  }
  setServer(pid: number | null) {
    this.serverPid = pid;
  }

  private async samplePg(
    datname: string,
    first: boolean,
    acc: {
      states: { connections: number; active: number; idle: number; idleInTransaction: number };
      waits: Map<string, number>;
      pgFirst: Map<number, number>;
      pgLast: Map<number, number>;
    },
  ) {
    if (!this.client) return;
    const rows = (
      await this.client.query<{
        pid: number;
        datname: string | null;
        backend_type: string;
        state: string | null;
        wait_event_type: string | null;
        wait_event: string | null;
      }>(
        "select pid, datname, backend_type, state, wait_event_type, wait_event from pg_stat_activity where pid <> pg_backend_pid()",
      )
    ).rows;
    for (const r of rows) {
      const ours = r.datname === datname;
      if (ours && r.backend_type === "client backend") {
        acc.states.connections++;
        if (r.state === "active") {
          acc.states.active++;
          const w = r.wait_event_type ? `${r.wait_event_type}:${r.wait_event}` : "CPU";
          acc.waits.set(w, (acc.waits.get(w) ?? 0) + 1);
        } else if (r.state === "idle") acc.states.idle++;
        else if (r.state?.startsWith("idle in transaction")) acc.states.idleInTransaction++;
      }
      if (ours || (r.datname === null && r.backend_type !== "client backend")) {
        const cpu = cpuSecondsAt(`/proc/${r.pid}/stat`);
        if (cpu === null) continue;
        // A backend first seen after the first sample was born during the phase: it counts from zero.
        if (!acc.pgFirst.has(r.pid)) acc.pgFirst.set(r.pid, first ? cpu : 0);
        acc.pgLast.set(r.pid, cpu);
      }
    }
  }

  /**
   * Leaves nothing to write before a phase: a CHECKPOINT (PostgreSQL's dirty buffers to the files)
   * and `sync` (the kernel's dirty pages to the disk). Otherwise a phase pays for the one before
   * it: the kernel writes a page back 30 s after it was dirtied (vm.dirty_expire_centisecs), and
   * what pgbench's scratch tables and the new database left behind went out as one burst of over
   * 100 MB in the middle of the open loop, slowing every commit's WAL flush for about a second.
   */
  private async settle() {
    await this.client?.query("checkpoint").catch(() => {});
    try {
      execSync("sync");
    } catch {}
  }

  async measure<T>(
    datname: string | null,
    fn: () => Promise<T>,
  ): Promise<{ value: T; resources: PhaseResources }> {
    await this.settle();
    const sPid = this.serverPid;
    const loop0 = sPid ? await serverStats() : null;
    const t0 = now();
    const busy0 = machineBusySeconds();
    const client0 = process.cpuUsage();
    const clientMain0 = cpuSecondsAt(`/proc/self/task/${process.pid}/stat`);
    const server0 = sPid ? cpuSecondsAt(`/proc/${sPid}/stat`) : null;
    const serverMain0 = sPid ? cpuSecondsAt(`/proc/${sPid}/task/${sPid}/stat`) : null;
    const serverWait0 = sPid ? runQueueWait(sPid) : null;
    const clientWait0 = runQueueWait(process.pid);
    const pressure0 = cpuPressure();
    const acc = {
      states: { connections: 0, active: 0, idle: 0, idleInTransaction: 0 },
      waits: new Map<string, number>(),
      pgFirst: new Map<number, number>(),
      pgLast: new Map<number, number>(),
    };
    let pgSamples = 0;
    const poolAcc = { size: 0, inUse: 0, waiting: 0, waitingMax: 0, samples: 0 };
    /** CPU seconds of pgbench (born during the phase), as last seen. */
    const generators = new Map<number, number>();
    let running = true;
    const sampler = (async () => {
      for (let tick = now(); running; ) {
        const g = loadGeneratorPid;
        const gCpu = g === null ? null : cpuSecondsAt(`/proc/${g}/stat`);
        if (g !== null && gCpu !== null) generators.set(g, gCpu);
        await Promise.all([
          this.client && datname
            ? this.samplePg(datname, pgSamples === 0, acc).then(() => {
                pgSamples++;
              })
            : null,
          sPid
            ? serverStats().then((st) => {
                if (!st?.pool) return;
                poolAcc.samples++;
                poolAcc.size = st.pool.size;
                poolAcc.inUse += st.pool.total - st.pool.idle;
                poolAcc.waiting += st.pool.waiting;
                poolAcc.waitingMax = Math.max(poolAcc.waitingMax, st.pool.waiting);
              })
            : null,
        ]);
        tick += SAMPLE_MS;
        await sleep(Math.max(0, tick - now()));
      }
    })();
    let value: T;
    try {
      value = await fn();
    } finally {
      running = false;
      await sampler.catch((err) => log(`sampling failed: ${err}`));
    }
    const seconds = (now() - t0) / 1000;
    const client = process.cpuUsage(client0);
    const clientMain1 = cpuSecondsAt(`/proc/self/task/${process.pid}/stat`);
    const server1 = sPid ? cpuSecondsAt(`/proc/${sPid}/stat`) : null;
    const serverMain1 = sPid ? cpuSecondsAt(`/proc/${sPid}/task/${sPid}/stat`) : null;
    const busy1 = machineBusySeconds();
    const serverWait1 = sPid ? runQueueWait(sPid) : null;
    const clientWait1 = runQueueWait(process.pid);
    const pressure1 = cpuPressure();
    const loop1 = sPid ? await serverStats() : null;
    const per = (v: number | null) => (v === null ? null : v / seconds);
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
    let pgCpu = 0;
    for (const [pid, last] of acc.pgLast) pgCpu += last - (acc.pgFirst.get(pid) ?? last);
    const mean = (v: number) => (pgSamples ? v / pgSamples : 0);
    const loopActive = loop0 && loop1 ? loop1.loop.activeMs - loop0.loop.activeMs : null;
    const loopIdle = loop0 && loop1 ? loop1.loop.idleMs - loop0.loop.idleMs : null;
    return {
      value,
      resources: {
        seconds,
        serverCpu: per(diff(server0, server1)),
        serverMainThread: per(diff(serverMain0, serverMain1)),
        serverMainWaiting: per(diff(serverWait0, serverWait1)),
        serverLoop:
          loopActive !== null && loopIdle !== null && loopActive + loopIdle > 0
            ? loopActive / (loopActive + loopIdle)
            : null,
        pool: poolAcc.samples
          ? {
              size: poolAcc.size,
              inUse: poolAcc.inUse / poolAcc.samples,
              waiting: poolAcc.waiting / poolAcc.samples,
              waitingMax: poolAcc.waitingMax,
              samples: poolAcc.samples,
            }
          : null,
        clientCpu:
          ((client.user + client.system) / 1e6 + [...generators.values()].reduce((a, b) => a + b, 0)) /
          seconds,
        clientMainThread: per(diff(clientMain0, clientMain1)),
        clientMainWaiting: per(diff(clientWait0, clientWait1)),
        cpuPressure: per(diff(pressure0, pressure1)),
        postgresCpu: pgSamples && acc.pgLast.size ? pgCpu / seconds : null,
        machineBusy: (busy1 - busy0) / seconds,
        cores: os.cpus().length,
        pg: pgSamples
          ? {
              samples: pgSamples,
              connections: mean(acc.states.connections),
              active: mean(acc.states.active),
              idle: mean(acc.states.idle),
              idleInTransaction: mean(acc.states.idleInTransaction),
              waits: [...acc.waits]
                .map(([event, n]) => ({ event, mean: n / pgSamples }))
                .sort((a, b) => b.mean - a.mean),
            }
          : null,
      },
    };
  }
}

function describe(name: string, r: PhaseResources): string {
  const c = (v: number | null) => (v === null ? "–" : v.toFixed(2));
  const pc = (v: number | null | undefined) => (v == null ? "–" : `${(v * 100).toFixed(0)}%`);
  const pgPart = r.pg
    ? `; PG backends: ${r.pg.connections.toFixed(1)} connected, ${r.pg.active.toFixed(1)} active, ${r.pg.idle.toFixed(1)} idle, ${r.pg.idleInTransaction.toFixed(1)} idle in tx; active waits: ${
        r.pg.waits
          .slice(0, 4)
          .map((w) => `${w.event} ${w.mean.toFixed(1)}`)
          .join(", ") || "none"
      }`
    : "";
  const poolPart = r.pool
    ? `; server pool: ${r.pool.inUse.toFixed(1)} of ${r.pool.size} connections in use, ${r.pool.waiting.toFixed(1)} requests waiting (max ${r.pool.waitingMax})`
    : "";
  return `${name}: CPU cores — server ${c(r.serverCpu)} (main thread ${c(r.serverMainThread)}, event loop ${pc(r.serverLoop)} busy, waiting for a CPU ${pc(r.serverMainWaiting)}), load generator ${c(r.clientCpu)} (bench main thread ${c(r.clientMainThread)}, waiting for a CPU ${pc(r.clientMainWaiting)}), PostgreSQL ${c(r.postgresCpu)}, machine ${c(r.machineBusy)} of ${r.cores} (some task waiting for a CPU ${pc(r.cpuPressure)} of the time)${poolPart}${pgPart}`;
}

// ---------- load shapes ----------

interface LoopResult {
  seconds: number;
  ok: number;
  rate: number;
  latency: Stats;
  errors: Record<string, number>;
}

/**
 * `workers` loops each calling `fn` back to back; the first `warmup` seconds are not counted, then
 * every call that completes within the next `seconds` is.
 */
async function closedLoop(
  workers: number,
  warmup: number,
  seconds: number,
  okStatus: number,
  fn: (worker: number) => Promise<Answer>,
): Promise<LoopResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  const start = now();
  const t0 = start + warmup * 1000;
  const t1 = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (now() < t1) {
        const s = now();
        let a: Answer | null = null;
        try {
          a = await fn(w);
        } catch (err) {
          if (now() >= t0 && now() <= t1) count(errors, `network: ${(err as Error).message}`);
          continue;
        }
        const e = now();
        if (e < t0 || e > t1) continue;
        if (a.status === okStatus) {
          ok++;
          latencies.push(e - s);
        } else count(errors, outcome(a));
      }
    }),
  );
  return { seconds, ok, rate: ok / seconds, latency: stats(latencies), errors };
}

interface OpenLoopResult extends LoopResult {
  targetRate: number;
  sent: number;
  /** How late this client sent, behind its own schedule (its share of the latency). */
  sendLag: Stats;
  maxInFlight: number;
  /** p99 of the requests scheduled in each second of the run, in order: where the tail comes from. */
  p99BySecond: number[];
  /** Wall-clock time (ms since the epoch) the schedule started and ended. */
  window: { from: number; to: number };
}

/** Sends `rate` requests per second on a fixed schedule for `seconds`; latency from the scheduled time. */
async function openLoop(
  rate: number,
  seconds: number,
  fn: (i: number) => Promise<Answer>,
): Promise<OpenLoopResult> {
  const total = Math.floor(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const bySecond: number[][] = Array.from({ length: Math.ceil(seconds) + 1 }, () => []);
  const lags: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const pending: Promise<void>[] = [];
  const start = now() + 20;
  const wallStart = Date.now() + 20;
  const send = (i: number, scheduled: number) => {
    lags.push(now() - scheduled);
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    return fn(i).then(
      (a) => {
        inFlight--;
        if (a.status === 201) {
          ok++;
          latencies.push(now() - scheduled);
          bySecond[Math.floor((scheduled - start) / 1000)]?.push(now() - scheduled);
        } else count(errors, outcome(a));
      },
      (err: Error) => {
        inFlight--;
        count(errors, `network: ${err.message}`);
      },
    );
  };
  let i = 0;
  while (i < total) {
    const t = now();
    while (i < total && start + i * interval <= t) {
      pending.push(send(i, start + i * interval));
      i++;
    }
    if (i < total) await sleep(Math.max(0, start + i * interval - now()));
  }
  await Promise.all(pending);
  const elapsed = (now() - start) / 1000;
  return {
    seconds,
    ok,
    rate: ok / elapsed,
    latency: stats(latencies),
    errors,
    targetRate: rate,
    sent: total,
    sendLag: stats(lags),
    maxInFlight,
    p99BySecond: bySecond.filter((l) => l.length > 0).map((l) => stats(l).p99),
    window: { from: wallStart, to: wallStart + seconds * 1000 },
  };
}

/** This client's own garbage-collection pauses of 5 ms or more (they delay its timestamps too). */
const clientGc: { at: number; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if (e.duration >= 5 && clientGc.length < 1000)
      clientGc.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
}).observe({ entryTypes: ["gc"] });

// ---------- the run ----------

async function main() {
  applyPriority();
  const machine = machineInfo();

  const benchUrl = process.env.BENCH_DATABASE_URL?.trim() || null;
  if (benchUrl && !/^postgres(ql)?:\/\//.test(benchUrl))
    throw new Error("BENCH_DATABASE_URL must be a postgres:// URL (unset: the embedded database)");
  const pgUrl = benchUrl ?? process.env.BENCH_PGBENCH_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const tag = `${process.pid}_${runTag}`;
  const serverDb = benchUrl ? `lastbite_bench_orders_${tag}` : null;
  const scratchDb = `lastbite_bench_pgbench_${tag}`;

  let info: PostgresInfo | null = null;
  let pgNote: string | null = null;
  try {
    info = await postgresInfo(pgUrl);
  } catch (err) {
    if (benchUrl) throw err;
    pgNote = `no PostgreSQL server at ${new URL(pgUrl).host} (${(err as Error).message}): pgbench ceilings skipped`;
  }
  const monitor = new Monitor(info ? pgUrl : null);
  await monitor.open();
  cleanups.push(() => monitor.close());
  const resources: Record<string, PhaseResources> = {};

  // 0a. The database's own ceilings, before the server exists, on a scratch database.
  let ceilings: { single: PgbenchResult; hot: PgbenchResult; hotClientsWanted: number } | null = null;
  if (info) {
    try {
      execSync("pgbench --version", { stdio: "ignore" });
    } catch {
      pgNote = "pgbench is not installed: ceilings skipped";
    }
  }
  if (info && !pgNote) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lastbite-pgbench-"));
    const scratchUrl = withDatabase(pgUrl, scratchDb);
    const dropScratch = () => dropDatabase(pgUrl, scratchDb);
    try {
      await admin(pgUrl, (c) => c.query(`create database ${scratchDb}`));
      cleanups.unshift(dropScratch);
      await admin(scratchUrl, async (c) => {
        await c.query("create table bench_rows (id int primary key, n bigint not null default 0)");
        await c.query(`insert into bench_rows (id) select g from generate_series(1, ${PGBENCH_ROWS}) g`);
        await c.query("vacuum analyze bench_rows");
      });
      const single = await monitor.measure(scratchDb, () =>
        pgbench(
          scratchUrl,
          dir,
          "single-row",
          `\\set id random(1, ${PGBENCH_ROWS})\nupdate bench_rows set n = n + 1 where id = :id;`,
          PGBENCH_SINGLE.clients,
          PGBENCH_SINGLE.threads,
        ),
      );
      resources.pgbenchSingle = single.resources;
      log(`pgbench single-row: ${single.value.tps.toFixed(0)} tx/s (${single.value.command})`);
      log(describe("  pgbench single-row", single.resources));
      // Every connection the server allows, less the superuser reserve, those already open, and a margin.
      const inUse = await admin(pgUrl, async (c) =>
        Number(
          (await c.query("select count(*) as n from pg_stat_activity where backend_type = 'client backend'"))
            .rows[0]?.n,
        ),
      );
      const hotClients = Math.max(
        2,
        Math.min(PGBENCH_HOT_WANTED, info.maxConnections - info.reserved - inUse - 5),
      );
      const hot = await monitor.measure(scratchDb, () =>
        pgbench(scratchUrl, dir, "hot-row", "update bench_rows set n = n + 1 where id = 1;", hotClients, 2),
      );
      resources.pgbenchHot = hot.resources;
      log(`pgbench hot-row: ${hot.value.tps.toFixed(0)} tx/s (${hot.value.command})`);
      log(describe("  pgbench hot-row", hot.resources));
      ceilings = { single: single.value, hot: hot.value, hotClientsWanted: PGBENCH_HOT_WANTED };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (cleanups.includes(dropScratch)) cleanups.splice(cleanups.indexOf(dropScratch), 1);
    await dropScratch();
  }

  if (serverDb) {
    await admin(pgUrl, (c) => c.query(`create database ${serverDb}`));
    cleanups.unshift(() => dropDatabase(pgUrl, serverDb));
  }
  const server = await startServer(serverDb ? withDatabase(pgUrl, serverDb) : null);
  cleanups.unshift(() => server.stop());
  port = server.port;
  monitor.setServer(server.pid);
  log(
    `server pid ${server.pid} on 127.0.0.1:${port} (${server.database}); ${BUYERS} buyers${quick ? " (quick)" : ""}`,
  );
  try {
    // Shops and their offers, and the buyers.
    const sellers = Array.from({ length: SHOPS }, user);
    const offers = (
      await pool(sellers, 10, async (s, i) => {
        const store = await api(s, "POST", "/api/stores", {
          name: `Bench Bakery ${i + 1}`,
          address: "Tashkent",
          phone: "90 000 00 00",
        });
        const ids: number[] = [];
        for (let k = 0; k < OFFERS_PER_SHOP; k++)
          ids.push(
            (
              await api(s, "POST", `/api/stores/${store.id}/offers`, {
                title: `Non ${k + 1}`,
                price: 3000,
                quantity: OFFER_STOCK,
              })
            ).id as number,
          );
        return ids;
      })
    ).flat();
    const buyers = Array.from({ length: BUYERS }, user);
    const randomOffer = () => offers[Math.floor(Math.random() * offers.length)] as number;
    log(`set up ${SHOPS} shops with ${offers.length} offers of ${OFFER_STOCK} units each`);

    // 0b. The HTTP stack's ceiling: GET /health, same client, same concurrency.
    const health = await monitor.measure(serverDb, () =>
      closedLoop(BUYERS, 1, HEALTH_S, 200, () => request("GET", "/health", {})),
    );
    resources.health = health.resources;
    log(
      `GET /health: ${health.value.rate.toFixed(0)} req/s, p50 ${health.value.latency.p50} ms, p99 ${health.value.latency.p99} ms`,
    );
    log(describe("  /health", health.resources));

    // 1. Closed loop: every buyer orders back to back.
    const closed = await monitor.measure(serverDb, () =>
      closedLoop(BUYERS, WARMUP_S, CLOSED_S, 201, (w) =>
        placeOrder(buyers[w] as InitDataUser, randomOffer()),
      ),
    );
    resources.closed = closed.resources;
    log(
      `closed loop: ${closed.value.rate.toFixed(0)} orders/s, p50 ${closed.value.latency.p50} ms, p99 ${closed.value.latency.p99} ms, errors ${JSON.stringify(closed.value.errors)}`,
    );
    log(describe("  closed loop", closed.resources));

    // 2. Open loop at half the saturation rate just measured.
    const openRate = Math.max(1, Math.round(closed.value.rate / 2));
    const open = await monitor.measure(serverDb, () =>
      openLoop(openRate, OPEN_S, (i) => placeOrder(buyers[i % BUYERS] as InitDataUser, randomOffer())),
    );
    resources.open = open.resources;
    log(
      `open loop at ${openRate}/s: p50 ${open.value.latency.p50} ms, p99 ${open.value.latency.p99} ms, send lag p99 ${open.value.sendLag.p99} ms, errors ${JSON.stringify(open.value.errors)}`,
    );
    log(describe("  open loop", open.resources));
    log(`  open loop p99 by second: ${open.value.p99BySecond.map((v) => v.toFixed(0)).join(" ")} ms`);
    const gcs = (await serverStats())?.gc?.long.filter(
      (g) => g.at >= open.value.window.from && g.at <= open.value.window.to + 1000,
    );
    const mine = clientGc.filter(
      (g) => g.at >= open.value.window.from && g.at <= open.value.window.to + 1000,
    );
    log(
      `  this client's GC pauses ≥ 5 ms in the open loop: ${mine.map((g) => `${((g.at - open.value.window.from) / 1000).toFixed(1)} s: ${g.ms.toFixed(0)} ms`).join(", ") || "none"}`,
    );
    if (gcs)
      log(
        `  server GC pauses ≥ 5 ms in the open loop: ${gcs.map((g) => `${((g.at - open.value.window.from) / 1000).toFixed(1)} s: ${g.ms.toFixed(0)} ms (kind ${g.kind})`).join(", ") || "none"}`,
      );

    // 3. Hot offer: everyone wants the same offer until it is gone.
    const hotOwner = user();
    const hotStore = await api(hotOwner, "POST", "/api/stores", {
      name: "Bench Hot Bakery",
      address: "Tashkent",
      phone: "90 000 00 01",
    });
    const hotOffer = (
      await api(hotOwner, "POST", `/api/stores/${hotStore.id}/offers`, {
        title: "Last samsa",
        price: 5000,
        quantity: HOT_STOCK,
      })
    ).id as number;
    const hotRun = await monitor.measure(serverDb, async () => {
      const rejected: Record<string, number> = {};
      const errors: Record<string, number> = {};
      const latencies: number[] = [];
      let sold = 0;
      let lastSale = 0;
      const start = now();
      await Promise.all(
        buyers.map(async (b) => {
          for (let failures = 0; failures < 5; ) {
            const s = now();
            let a: Answer;
            try {
              a = await placeOrder(b, hotOffer);
            } catch (err) {
              count(errors, `network: ${(err as Error).message}`);
              failures++;
              continue;
            }
            const e = now();
            if (a.status === 201) {
              sold++;
              lastSale = e;
              latencies.push(e - s);
              continue;
            }
            const o = outcome(a);
            if (o === "409 insufficient_stock" || o === "409 offer_unavailable") {
              count(rejected, o);
              return;
            }
            count(errors, o);
            failures++;
          }
        }),
      );
      const seconds = ((lastSale || now()) - start) / 1000;
      return { sold, rejected, errors, latency: stats(latencies), seconds, rate: sold / seconds };
    });
    resources.hot = hotRun.resources;
    const stockAfter = Number((await api(hotOwner, "GET", `/api/offers/${hotOffer}`)).quantity);
    let sqlCheck: { stock: number; orders: number; units: number } | null = null;
    if (serverDb)
      sqlCheck = await admin(withDatabase(pgUrl, serverDb), async (c) => {
        const r = (
          await c.query(
            "select (select quantity from offers where id = $1) as stock, count(*) as orders, coalesce(sum(quantity), 0) as units from order_items where offer_id = $1",
            [hotOffer],
          )
        ).rows[0];
        return { stock: Number(r?.stock), orders: Number(r?.orders), units: Number(r?.units) };
      });
    const hot = {
      stock: HOT_STOCK,
      buyers: BUYERS,
      ...hotRun.value,
      stockAfter,
      sqlCheck,
      exact:
        stockAfter === 0 &&
        hotRun.value.sold === HOT_STOCK &&
        Object.keys(hotRun.value.errors).length === 0 &&
        // every buyer was finally turned away, each exactly once
        Object.values(hotRun.value.rejected).reduce((a, b) => a + b, 0) === BUYERS &&
        (!sqlCheck ||
          (sqlCheck.stock === 0 && sqlCheck.orders === HOT_STOCK && sqlCheck.units === HOT_STOCK)),
    };
    log(
      `hot offer: ${hot.sold} of ${HOT_STOCK} sold in ${hot.seconds.toFixed(2)} s (${hot.rate.toFixed(0)} orders/s), stock after ${stockAfter}, rejected ${JSON.stringify(hot.rejected)}, errors ${JSON.stringify(hot.errors)}${sqlCheck ? `, SQL ${JSON.stringify(sqlCheck)}` : ""} — ${hot.exact ? "exact" : "NOT EXACT"}`,
    );
    log(describe("  hot offer", hotRun.resources));

    const serverRssMb = memoryMb(server.pid).rssMb;
    machine.loadAverage[1] = os.loadavg()[0] ?? 0;
    const result = {
      date: new Date().toISOString(),
      quick,
      machine,
      database: server.database,
      postgres: info,
      pgNote,
      params: {
        buyers: BUYERS,
        shops: SHOPS,
        offers: offers.length,
        offerStock: OFFER_STOCK,
        warmupSeconds: WARMUP_S,
        closedSeconds: CLOSED_S,
        openSeconds: OPEN_S,
        healthSeconds: HEALTH_S,
        hotStock: HOT_STOCK,
        rateLimitPerMinute: Number(NO_LIMIT),
        sampleMs: SAMPLE_MS,
      },
      ceilings,
      health: { concurrency: BUYERS, ...health.value },
      closed: {
        concurrency: BUYERS,
        warmupSeconds: WARMUP_S,
        ...closed.value,
        ratioToSingleRow: ceilings ? closed.value.rate / ceilings.single.tps : null,
      },
      open: open.value,
      hot: { ...hot, ratioToHotRow: ceilings ? hot.rate / ceilings.hot.tps : null },
      serverRssMb,
      resources,
    };
    const dir = path.join(root, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `orders-${server.database}.json`), `${JSON.stringify(result, null, 2)}\n`);
    try {
      execSync(`npx biome format --write bench/results/orders-${server.database}.json`, {
        cwd: root,
        stdio: "ignore",
      });
    } catch {}
    writeReport();
    log("results written to bench/results and BENCHMARKS.md");
  } finally {
    agent.destroy();
    await cleanup();
  }
}

/** What to undo however the run ends (server stopped, databases dropped), newest first. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanup() {
  for (let f = cleanups.shift(); f; f = cleanups.shift()) await f().catch((err) => log(`cleanup: ${err}`));
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });

// ---------- the report ----------

const START = "<!-- orders:start (written by bench/orders.ts; edit the script, not this section) -->";
const END = "<!-- orders:end -->";
/** Hand-written reading of a run, kept across reruns (the script rewrites everything else). */
const NOTES_START = "<!-- orders-notes:start (hand-written; bench/orders.ts keeps it across reruns) -->";
const NOTES_END = "<!-- orders-notes:end -->";

// biome-ignore lint/suspicious/noExplicitAny: results written by this script
type Run = any;

function writeReport() {
  const dir = path.join(root, "bench/results");
  const runs: Run[] = readdirSync(dir)
    .filter((f) => /^orders-.*\.json$/.test(f))
    .sort()
    .reverse() // postgres first
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")));
  const f0 = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? v.toFixed(0) : "–");
  const f1 = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? v.toFixed(1) : "–");
  const f2 = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? v.toFixed(2) : "–");
  const pct = (v: number | null | undefined) =>
    v != null && Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : "–";
  const ms = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? `${v.toFixed(1)} ms` : "–");
  const errs = (e: Record<string, number>) => {
    const list = Object.entries(e ?? {});
    return list.length ? list.map(([k, n]) => `${n} × ${k}`).join(", ") : "0";
  };
  const out: string[] = [
    START,
    "## Orders: placing orders under load",
    "",
    "`npm run bench:orders` (`bench/orders.ts`) starts the real server (`bench/server.ts`, a child process,",
    "per-user rate limits raised out of the way) and drives it over HTTP from one keep-alive `node:http`",
    "agent with a socket per simulated buyer. Each order is `POST /api/orders` with signed Mini App init",
    "data and an Idempotency-Key, one unit of one of 200 offers (50 shops) with plenty of stock, pickup.",
    "In the same run and against the same PostgreSQL server, the ceilings: pgbench on a scratch database",
    "(100,000-row table; `-M prepared`, one `UPDATE … SET n = n + 1 WHERE id = …` per transaction,",
    "autocommit), and the server's `GET /health` (no database) through the same client at the same",
    "concurrency. The closed loop counts orders completed in the measured window after a warm-up; the open",
    "loop sends at half that rate on a timer schedule and measures from each request's scheduled send",
    "time (no coordinated omission); the hot offer is sold out by all buyers at once, one unit each.",
    "",
  ];
  const bottleneck: string[] = [];
  /** CPU (cores) used by none of the server, the load generator and the measured PostgreSQL backends. */
  const otherOf = (x: PhaseResources) =>
    Math.max(0, x.machineBusy - (x.serverCpu ?? 0) - x.clientCpu - (x.postgresCpu ?? 0));
  const other = (r: Run) => {
    const xs = Object.values(r.resources ?? {}) as PhaseResources[];
    return xs.length ? xs.reduce((a, x) => a + otherOf(x), 0) / xs.length : 0;
  };
  for (const r of runs) {
    const c = r.ceilings;
    const isPg = r.database === "postgres";
    out.push(
      `### ${isPg ? "PostgreSQL" : "Embedded database (PGlite)"} — ${r.date.slice(0, 16).replace("T", " ")} UTC${r.quick ? " — quick smoke run (BENCH_QUICK=1: short phases, not a measurement)" : ""}`,
      "",
      `Machine: ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, ${r.machine.os}, Node ${r.machine.node}, nice ${r.machine.nice ?? 0}; 1-minute load average ${r.machine.loadAverage.map(f1).join(" → ")}; the benchmark client, the server and PostgreSQL share its cores${other(r) > 0.1 ? `, and other work on the machine used ${f2(other(r))} cores on average during the measured phases (see Bottleneck)` : ""}.`,
    );
    if (r.postgres)
      out.push(
        `PostgreSQL ${r.postgres.version} on the same machine: max_connections ${r.postgres.maxConnections}, shared_buffers ${r.postgres.sharedBuffers}, synchronous_commit ${r.postgres.synchronousCommit}, fsync ${r.postgres.fsync}.${isPg ? ` The server talks to it through its pool of ${r.resources?.closed?.pool?.size ?? "–"} connections.` : " The server does not use it: it runs on PGlite (one connection, in its own process); the pgbench ceilings are those of this PostgreSQL server, for scale."}`,
      );
    if (r.pgNote) out.push(`Ceilings: ${r.pgNote}.`);
    out.push("");
    const t = (ok: boolean) => (ok ? "met" : "**not met**");
    const targets: string[] = [];
    if (c) {
      targets.push(
        `orders/s ≥ 20% of pgbench's single-row UPDATE rate — ${t(r.closed.ratioToSingleRow >= 0.2)} (${pct(r.closed.ratioToSingleRow)})`,
      );
    }
    targets.push(`open-loop p99 < 25 ms — ${t(r.open.latency.p99 < 25)} (${ms(r.open.latency.p99)})`);
    if (c)
      targets.push(
        `hot-offer sell-out ≥ 45% of pgbench's hot-row UPDATE rate — ${t(r.hot.ratioToHotRow >= 0.45)} (${pct(r.hot.ratioToHotRow)})`,
      );
    targets.push(`no oversell — ${t(r.hot.exact)}`);
    out.push(`Targets: ${targets.join("; ")}.`, "");
    out.push(
      "| scenario | concurrency | rate | p50 | p99 | errors | of the ceiling |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    if (c) {
      out.push(
        `| ceiling: pgbench single-row UPDATE, random row of 100k | ${c.single.clients} clients, -j ${c.single.threads}, ${c.single.seconds} s | ${f0(c.single.tps)} tx/s | mean ${ms(c.single.latencyMs)} | – | ${c.single.failed} | – |`,
        `| ceiling: pgbench hot-row UPDATE, every client the same row | ${c.hot.clients} clients${c.hot.clients < c.hotClientsWanted ? ` (${c.hotClientsWanted} wanted; max_connections ${r.postgres.maxConnections})` : ""}, -j ${c.hot.threads}, ${c.hot.seconds} s | ${f0(c.hot.tps)} tx/s | mean ${ms(c.hot.latencyMs)} | – | ${c.hot.failed} | – |`,
      );
    }
    out.push(
      `| ceiling: \`GET /health\` (HTTP stack and client, no database) | ${r.health.concurrency} | ${f0(r.health.rate)} req/s | ${ms(r.health.latency.p50)} | ${ms(r.health.latency.p99)} | ${errs(r.health.errors)} | – |`,
      `| orders, closed loop (${r.closed.seconds} s after ${r.closed.warmupSeconds} s warm-up) | ${r.closed.concurrency} buyers | **${f0(r.closed.rate)} orders/s** | ${ms(r.closed.latency.p50)} | ${ms(r.closed.latency.p99)} | ${errs(r.closed.errors)} | ${pct(r.closed.ratioToSingleRow)} of single-row UPDATE |`,
      `| orders, open loop at half that rate (${r.open.seconds} s) | ${f0(r.open.targetRate)}/s offered, ≤ ${r.open.maxInFlight} in flight | ${f0(r.open.rate)} orders/s | ${ms(r.open.latency.p50)} | **${ms(r.open.latency.p99)}** | ${errs(r.open.errors)} | – |`,
      `| hot offer: ${r.hot.stock} units, 1 each, until sold out | ${r.hot.buyers} buyers | **${f0(r.hot.rate)} orders/s** (${f2(r.hot.seconds)} s) | ${ms(r.hot.latency.p50)} | ${ms(r.hot.latency.p99)} | ${errs(r.hot.errors)} | ${pct(r.hot.ratioToHotRow)} of hot-row UPDATE |`,
      "",
    );
    const rej = Object.entries(r.hot.rejected ?? {})
      .map(([k, n]) => `${n} × ${k}`)
      .join(", ");
    out.push(
      `- Hot offer: ${r.hot.sold} orders answered 201 for ${r.hot.stock} units; stock afterwards ${r.hot.stockAfter} (\`GET /api/offers/:id\`)${r.hot.sqlCheck ? `, and in the database ${r.hot.sqlCheck.stock} left with ${r.hot.sqlCheck.orders} order lines for ${r.hot.sqlCheck.units} units` : ""}; the other buyers were turned away with ${rej || "nothing"}. ${r.hot.exact ? "No oversell, no undersell." : "**Not exact.**"}`,
      `- Open loop: ${r.open.sent} requests scheduled at ${f0(r.open.targetRate)}/s; this client sent them ${ms(r.open.sendLag.p50)} (p50) / ${ms(r.open.sendLag.p99)} (p99) behind schedule, which is counted in the latency. Closed-loop p90 ${ms(r.closed.latency.p90)}, max ${ms(r.closed.latency.max)}; open-loop p90 ${ms(r.open.latency.p90)}, max ${ms(r.open.latency.max)}.`,
      `- /health at ${r.health.concurrency} concurrent connections runs ${r.closed.rate > 0 ? f1(r.health.rate / r.closed.rate) : "–"} × the closed-loop order rate${r.health.rate >= 3 * r.closed.rate ? ", so neither the HTTP stack nor this client caps the order rate by itself (but they share the machine's cores with the server and PostgreSQL: see below)" : ": **close to it**, so the HTTP stack or this client may be what caps the order rate"}.`,
      "",
    );
    bottleneck.push(`**${isPg ? "PostgreSQL" : "PGlite"}${r.quick ? " (quick run)" : ""}**`, "");
    bottleneck.push(
      "| phase | server CPU (main thread) | server event loop busy / main thread waiting for a CPU | server pool: in use / requests waiting | load generator CPU | PostgreSQL CPU | machine busy (other work); CPU pressure | PG backends: connected / active / idle / idle in tx | what active backends wait on (mean count) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    );
    const names: [string, string][] = [
      ["pgbenchSingle", "pgbench single-row"],
      ["pgbenchHot", "pgbench hot-row"],
      ["health", "`GET /health`"],
      ["closed", "orders, closed loop"],
      ["open", "orders, open loop"],
      ["hot", "hot offer"],
    ];
    for (const [key, label] of names) {
      const x: PhaseResources | undefined = r.resources?.[key];
      if (!x) continue;
      const pgPart = x.pg
        ? `${f1(x.pg.connections)} / ${f1(x.pg.active)} / ${f1(x.pg.idle)} / ${f1(x.pg.idleInTransaction)}`
        : "–";
      const waits = x.pg
        ? x.pg.waits
            .filter((w) => w.mean >= 0.05)
            .slice(0, 4)
            .map((w) => `${w.event} ${f1(w.mean)}`)
            .join(", ") || "–"
        : "–";
      bottleneck.push(
        `| ${label} | ${x.serverCpu == null ? "–" : `${f2(x.serverCpu)} (${f2(x.serverMainThread)})`} | ${x.serverLoop == null ? "–" : `${pct(x.serverLoop)} / ${pct(x.serverMainWaiting)}`} | ${x.pool ? `${f1(x.pool.inUse)} of ${x.pool.size} / ${f1(x.pool.waiting)} (max ${x.pool.waitingMax})` : "–"} | ${f2(x.clientCpu)} | ${f2(x.postgresCpu)} | ${f2(x.machineBusy)} of ${x.cores} (${f2(otherOf(x))}); ${pct(x.cpuPressure)} | ${pgPart} | ${waits} |`,
      );
    }
    bottleneck.push("");
    // CPU per operation: CPU time, unlike wall time, is much the same on a busy machine as on a quiet one.
    const cl: PhaseResources | undefined = r.resources?.closed;
    const hl: PhaseResources | undefined = r.resources?.health;
    const pb: PhaseResources | undefined = r.resources?.pgbenchSingle;
    if (cl && r.closed.rate > 0) {
      const per = (cores: number | null | undefined, rate: number) =>
        cores != null && rate > 0 ? (cores / rate) * 1000 : null;
      const server = per(cl.serverCpu, r.closed.rate);
      const main = per(cl.serverMainThread, r.closed.rate);
      const db = isPg ? per(cl.postgresCpu, r.closed.rate) : null;
      const client = per(cl.clientCpu, r.closed.rate);
      const bound = server != null ? cl.cores / ((server + (db ?? 0)) / 1000) : null;
      bottleneck.push(
        `CPU per order (closed loop): server ${f2(server)} ms (main thread ${f2(main)} ms)${isPg ? `, PostgreSQL ${f2(db)} ms` : " (the embedded database included)"}, load generator ${f2(client)} ms; per \`GET /health\`: server ${f2(per(hl?.serverCpu, r.health.rate))} ms${pb && c ? `; per pgbench UPDATE: PostgreSQL ${f2(per(pb.postgresCpu, c.single.tps))} ms` : ""}. At these costs the ${cl.cores} cores would carry at most about ${f0(bound)} orders/s with nothing else running (the load generator aside)${c && bound != null ? ` — ${pct(bound / c.single.tps)} of the pgbench single-row rate` : ""}.`,
        "",
      );
    }
  }
  out.push(
    "### Bottleneck",
    "",
    "CPU in cores (CPU seconds per second of the phase, from `/proc/<pid>/stat`): the server process and",
    "its main thread (1.00 is one core saturated), the load generator (this client, plus pgbench in the",
    "pgbench phases), PostgreSQL (the measured database's backends and the shared background processes:",
    "WAL writer, checkpointer, …), and the whole machine, with what none of those used (other work on the",
    'machine). "Waiting for a CPU" is the share of the phase the server\'s main thread was ready to run but',
    "not scheduled (`/proc/<pid>/task/<pid>/schedstat`); CPU pressure, the share during which any task on",
    "the machine was (`/proc/pressure/cpu`, some). The event loop's utilisation comes from the server itself",
    "(`performance.eventLoopUtilization()`, through `GET /bench/stats`, which `bench/server.ts` adds), as do",
    `its pool's connections in use and requests waiting for one, sampled every ${runs[0]?.params?.sampleMs ?? SAMPLE_MS} ms like \`pg_stat_activity\``,
    '(backend states and, for active backends, wait events: "CPU" is an active backend with no wait',
    "event); all as means over the phase.",
    "",
    ...bottleneck,
  );
  writeSection(START, END, out.slice(1), {
    start: NOTES_START,
    end: NOTES_END,
    placeholder: "_No reading of a run written yet._",
  });
}

if (process.argv.includes("--report")) writeReport();
else
  await main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
