/**
 * Live order updates benchmark: `npm run bench` (or `npx tsx bench/run.ts`).
 *
 * Starts the real server as a child process on 127.0.0.1 (so its memory is measured alone) and
 * drives it from this process over HTTP, as the Mini App and the sellers would:
 *   A. 1,000 buyers (+ their sellers) hold open streams; sellers accept one order per buyer at a
 *      steady rate; latency = seller's accept request sent → the buyer's `event: order` received.
 *   B. The seed's design, measured in the same run: the same 1,000 buyers poll their order every 30 s
 *      (random phase), sellers accept at random moments; latency = accept sent → the first poll
 *      that shows it. Also the request load and server CPU that polling costs.
 *   C. 10,000 idle streams held by one process: its RSS, and CPU while idle (heartbeats), then
 *      phase A's measurement again with all 10,000 open.
 * Writes bench/results/live-updates-<database>.json and the "Live order updates" section of
 * BENCHMARKS.md. Environment: BENCH_DATABASE_URL (postgres://…; default the embedded database),
 * BENCH_STREAMS (1000), BENCH_IDLE_STREAMS (10000), BENCH_POLL_SECONDS (30), BENCH_RATE (25 accepts/s),
 * BENCH_QUICK=1 (small).
 */
import { execSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { InitDataUser } from "../packages/server/src/auth/init-data.ts";
import { openSse, type SseConnection } from "../packages/server/src/realtime/sse-client.ts";
import {
  applyPriority,
  benchUsers,
  cpuSeconds,
  machine as machineInfo,
  memoryMb,
  now,
  pool,
  sleep,
  startBenchServer,
  stats,
  writeSection,
} from "./support.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.env.BENCH_QUICK === "1";
const N = Number(process.env.BENCH_STREAMS ?? (quick ? 100 : 1000));
const IDLE = Number(process.env.BENCH_IDLE_STREAMS ?? (quick ? 1000 : 10_000));
const POLL_MS = Number(process.env.BENCH_POLL_SECONDS ?? (quick ? 6 : 30)) * 1000;
const SELLERS = quick ? 5 : 25;
/** Sellers' accepts per second while latency is measured: busy for one city, well below saturation. */
const ACCEPTS_PER_SECOND = Number(process.env.BENCH_RATE ?? 25);
const WARMUP = quick ? 20 : 100;
const TOKEN = "555000111:BENCH-token_for_lastbite_benchmarks";

// ---------- the server process ----------

/** The server's CPU time (user + system) in seconds, and its resident memory in MB. */
function usage(pid: number): { cpu: number; rssMb: number; peakMb: number } {
  return { cpu: cpuSeconds(pid), ...memoryMb(pid) };
}

// ---------- helpers ----------

const { user, auth } = benchUsers(TOKEN, 7_000_000_000);

let base = "";
// biome-ignore lint/suspicious/noExplicitAny: the benchmark reads arbitrary JSON
async function api(u: InitDataUser, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(base + url, {
    method,
    headers: {
      authorization: auth(u),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function log(msg: string) {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

// ---------- the scenario ----------

interface Buyer {
  user: InitDataUser;
  seller: InitDataUser;
  orders: number[];
}

/** Arrival time of `event: order` by "orderId:status", filled by every stream's onEvent. */
const arrivals = new Map<string, number>();
function listen(c: SseConnection) {
  c.onEvent = (e, at) => {
    const o = JSON.parse(e.data) as { id: number; status: string };
    const key = `${o.id}:${o.status}`;
    if (!arrivals.has(key)) arrivals.set(key, at);
  };
}

async function openStreams(users: InitDataUser[], concurrency = 100): Promise<SseConnection[]> {
  return pool(users, concurrency, async (u) => {
    const c = await openSse(`${base}/api/events`, { headers: { authorization: auth(u) }, keep: false });
    if (c.status !== 200) throw new Error(`stream refused: ${c.status} ${c.body}`);
    listen(c);
    return c;
  });
}

async function closeStreams(cs: SseConnection[]) {
  for (const c of cs) c.close();
  await Promise.all(cs.map((c) => c.ended));
}

/** Sellers accept order `k` of every buyer at ACCEPTS_PER_SECOND; returns tap→event latencies. */
async function pushLatency(buyers: Buyer[], k: number) {
  const taps: { key: string; t0: number; t1: number }[] = [];
  const gap = 1000 / ACCEPTS_PER_SECOND;
  const start = now();
  await Promise.all(
    buyers.map(async (b, i) => {
      await sleep(Math.max(0, start + i * gap - now()));
      const id = b.orders[k] as number;
      const t0 = now();
      await api(b.seller, "POST", `/api/seller/orders/${id}/accept`, {});
      taps.push({ key: `${id}:confirmed`, t0, t1: now() });
    }),
  );
  const deadline = now() + 10_000;
  while (taps.some((t) => !arrivals.has(t.key)) && now() < deadline) await sleep(20);
  const missing = taps.filter((t) => !arrivals.has(t.key)).length;
  const seen = taps.filter((t) => arrivals.has(t.key));
  const latency = seen.map((t) => (arrivals.get(t.key) as number) - t.t0);
  // The push path alone: from the accept's response to the event (negative: the event came first).
  const afterResponse = seen.map((t) => (arrivals.get(t.key) as number) - t.t1);
  const request = taps.map((t) => t.t1 - t.t0);
  return {
    latency: stats(latency),
    acceptRequest: stats(request),
    afterResponse: stats(afterResponse),
    missing,
  };
}

async function main() {
  applyPriority();
  const machine = {
    ...machineInfo(),
    fdLimit: execSync("ulimit -n", { shell: "/bin/bash" }).toString().trim(),
  };
  const server = await startBenchServer({ BENCH_BOT_TOKEN: TOKEN });
  base = `http://127.0.0.1:${server.port}`;
  log(
    `server pid ${server.pid} on ${base} (${server.database}); ${N} streams, ${IDLE} idle, poll ${POLL_MS} ms`,
  );
  try {
    // Shops, and buyers each with three pending orders (one per phase).
    const sellers = Array.from({ length: SELLERS }, user);
    const offers = await pool(sellers, 10, async (s) => {
      const store = await api(s, "POST", "/api/stores", {
        name: "Bench Bakery",
        address: "Tashkent",
        phone: "90 000 00 00",
      });
      return (
        await api(s, "POST", `/api/stores/${store.id}/offers`, {
          title: "Non",
          price: 3000,
          quantity: 100_000,
        })
      ).id as number;
    });
    const buyers: Buyer[] = Array.from({ length: N }, (_, i) => ({
      user: user(),
      seller: sellers[i % SELLERS] as InitDataUser,
      orders: [],
    }));
    await pool(buyers, 20, async (b, i) => {
      for (let k = 0; k < 3; k++)
        b.orders.push(
          (
            await api(b.user, "POST", "/api/orders", {
              items: [{ offer_id: offers[i % SELLERS], quantity: 1 }],
              delivery_type: "pickup",
            })
          ).id,
        );
    });
    // Warm-up (not measured): JIT, query plans and the database's caches, as a server that has run a while.
    const warm: Buyer[] = Array.from({ length: WARMUP }, (_, i) => ({
      user: user(),
      seller: sellers[i % SELLERS] as InitDataUser,
      orders: [],
    }));
    await pool(warm, 20, async (b, i) => {
      b.orders.push(
        (
          await api(b.user, "POST", "/api/orders", {
            items: [{ offer_id: offers[i % SELLERS], quantity: 1 }],
            delivery_type: "pickup",
          })
        ).id,
      );
    });
    const warmStreams = await openStreams(warm.map((b) => b.user));
    await pushLatency(warm, 0);
    await closeStreams(warmStreams);
    const afterSetup = usage(server.pid);
    log(
      `set up ${SELLERS} shops, ${N} buyers, ${3 * N} orders; server RSS ${afterSetup.rssMb.toFixed(0)} MB`,
    );

    // A. Push latency with N buyer streams (+ the sellers' own streams).
    let streams = await openStreams([...buyers.map((b) => b.user), ...sellers]);
    const withActive = usage(server.pid);
    const cpuA0 = usage(server.pid).cpu;
    const tA = now();
    const push = await pushLatency(buyers, 0);
    const pushCpu = usage(server.pid).cpu - cpuA0;
    const pushSeconds = (now() - tA) / 1000;
    log(`A: ${streams.length} streams, tap→event p50 ${push.latency.p50} ms, p99 ${push.latency.p99} ms`);
    await closeStreams(streams);

    // B. The seed's 30-second poll, same buyers, same server.
    let polls = 0;
    const pollLatency: number[] = [];
    const acceptAt = new Map<number, number>();
    const cpuB0 = usage(server.pid).cpu;
    const tB = now();
    const acceptWindow = POLL_MS;
    await Promise.all([
      ...buyers.map(async (b) => {
        await sleep(Math.random() * acceptWindow);
        const id = b.orders[1] as number;
        acceptAt.set(id, now());
        await api(b.seller, "POST", `/api/seller/orders/${id}/accept`, {});
      }),
      ...buyers.map(async (b) => {
        const id = b.orders[1] as number;
        await sleep(Math.random() * POLL_MS);
        for (let tick = now(); ; ) {
          polls++;
          const o = await api(b.user, "GET", `/api/orders/${id}`);
          if (o.status === "confirmed") {
            pollLatency.push(now() - (acceptAt.get(id) as number));
            return;
          }
          tick += POLL_MS;
          await sleep(tick - now());
        }
      }),
    ]);
    const pollSeconds = (now() - tB) / 1000;
    const pollCpu = usage(server.pid).cpu - cpuB0;
    const poll = stats(pollLatency);
    log(`B: poll every ${POLL_MS / 1000} s: p50 ${poll.p50} ms, p99 ${poll.p99} ms, ${polls} requests`);

    // C. IDLE streams in one process: the N buyers plus idle users.
    const idleUsers = Array.from({ length: Math.max(0, IDLE - N) }, user);
    const beforeIdle = usage(server.pid);
    const tOpen = now();
    streams = await openStreams([...buyers.map((b) => b.user), ...idleUsers], 200);
    const openSeconds = (now() - tOpen) / 1000;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const gauge = Number(/lastbite_sse_connections (\d+)/.exec(metrics)?.[1]);
    await sleep(2_000);
    const opened = usage(server.pid);
    const idleWindow = 20_000; // covers at least one 15 s heartbeat round
    await sleep(idleWindow);
    const idle = usage(server.pid);
    log(
      `C: ${gauge} streams open; server RSS ${idle.rssMb.toFixed(0)} MB (before ${beforeIdle.rssMb.toFixed(0)})`,
    );
    const cpuC0 = usage(server.pid).cpu;
    const pushIdle = await pushLatency(buyers, 2);
    const pushIdleCpu = usage(server.pid).cpu - cpuC0;
    log(`C: with ${gauge} streams, tap→event p50 ${pushIdle.latency.p50} ms, p99 ${pushIdle.latency.p99} ms`);
    await closeStreams(streams);
    await sleep(1_000);
    const closed = usage(server.pid);

    machine.loadAverage[1] = os.loadavg()[0] ?? 0;
    const result = {
      date: new Date().toISOString(),
      machine,
      database: server.database,
      params: {
        warmup: WARMUP,
        streams: N,
        sellers: SELLERS,
        idleStreams: IDLE,
        pollSeconds: POLL_MS / 1000,
        acceptsPerSecond: ACCEPTS_PER_SECOND,
      },
      setupRssMb: afterSetup.rssMb,
      push: {
        streams: N + SELLERS,
        ...push,
        rssMb: withActive.rssMb,
        serverCpuSeconds: pushCpu,
        seconds: pushSeconds,
      },
      poll: {
        latency: poll,
        requests: polls,
        seconds: pollSeconds,
        requestsPerSecond: polls / pollSeconds,
        steadyRequestsPerSecond: (N * 1000) / POLL_MS,
        serverCpuSeconds: pollCpu,
      },
      idle: {
        streams: gauge,
        openSeconds,
        rssBeforeMb: beforeIdle.rssMb,
        rssMb: opened.rssMb,
        rssAfterIdleMb: idle.rssMb,
        peakRssMb: idle.peakMb,
        perStreamKb: ((opened.rssMb - beforeIdle.rssMb) * 1024) / (gauge || 1),
        idleCpuSecondsPerMinute: ((idle.cpu - opened.cpu) / idleWindow) * 60_000,
        rssAfterCloseMb: closed.rssMb,
        push: { ...pushIdle, serverCpuSeconds: pushIdleCpu },
      },
    };
    const dir = path.join(root, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, `live-updates-${server.database}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    // Formatted the way the linter wants, so a rerun leaves `biome check` clean.
    try {
      execSync(`npx biome format --write bench/results/live-updates-${server.database}.json`, {
        cwd: root,
        stdio: "ignore",
      });
    } catch {}
    writeReport();
    log("results written to bench/results and BENCHMARKS.md");
  } finally {
    await server.stop();
  }
}

// ---------- the report ----------

const START = "<!-- live-updates:start (written by bench/run.ts; edit the script, not this section) -->";
const END = "<!-- live-updates:end -->";

function writeReport() {
  const dir = path.join(root, "bench/results");
  const runs = readdirSync(dir)
    .filter((f) => /^live-updates-.*\.json$/.test(f))
    .sort()
    // biome-ignore lint/suspicious/noExplicitAny: results written by this script
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as any);
  const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "–");
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
  const s = (v: number) => (v / 1000).toFixed(1);
  const out: string[] = [
    START,
    "## Live order updates (server-sent events)",
    "",
    "`npm run bench` (`bench/run.ts`) starts the real server (`bench/server.ts`: `buildApp` on 127.0.0.1, no bot)",
    "as a child process, so its memory and CPU are measured alone, and drives it over HTTP from the",
    "benchmark process. Latency is measured from the moment a seller's `POST /api/seller/orders/:id/accept`",
    "is sent to the moment the buyer's stream delivers the `event: order` with status `confirmed`",
    "(the seller's request included).",
    "The poll baseline is the seed's design measured in the same run against the same server: each buyer",
    "fetches `GET /api/orders/:id` every 30 s from a random phase, sellers accept at random moments, and",
    "latency runs to the first poll that shows the change.",
    "",
  ];
  for (const r of runs) {
    out.push(
      `### ${r.database === "postgres" ? "PostgreSQL" : "Embedded database (PGlite)"} — ${r.date.slice(0, 16).replace("T", " ")} UTC`,
      "",
      `Machine: ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, ${r.machine.os}, Node ${r.machine.node}, open files ${r.machine.fdLimit}, nice ${r.machine.nice ?? 0}; 1-minute load average ${r.machine.loadAverage.map(f1).join(" → ")} (the machine is shared with other work: browser tests, test suites).`,
      `Sellers accept ${r.params.acceptsPerSecond} orders a second across ${r.params.sellers} shops, after ${r.params.warmup} warm-up accepts.`,
      "",
      `Targets: p99 under 50 ms with 1,000 streams — ${r.push.latency.p99 < 50 && r.push.missing === 0 ? "met" : "**not met**"} (${f1(r.push.latency.p99)} ms with ${r.push.streams}); 10,000 idle streams under 1 GB RSS — ${r.idle.streams >= 10_000 && r.idle.peakRssMb < 1024 ? "met" : "**not met**"} (${f0(r.idle.rssAfterIdleMb)} MB, peak ${f0(r.idle.peakRssMb)} MB over the whole run, with ${r.idle.streams} streams).`,
      "",
      "| scenario | streams | p50 | p90 | p99 | max | lost | server CPU (whole phase) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      `| push, seller tap → buyer event | ${r.params.streams} buyers + ${r.params.sellers} sellers | ${f1(r.push.latency.p50)} ms | ${f1(r.push.latency.p90)} ms | ${f1(r.push.latency.p99)} ms | ${f1(r.push.latency.max)} ms | ${r.push.missing} of ${r.push.latency.n + r.push.missing} | ${f1(r.push.serverCpuSeconds)} s for ${r.push.latency.n} accepts |`,
      `| push, with ${r.idle.streams} streams open | ${r.idle.streams} | ${f1(r.idle.push.latency.p50)} ms | ${f1(r.idle.push.latency.p90)} ms | ${f1(r.idle.push.latency.p99)} ms | ${f1(r.idle.push.latency.max)} ms | ${r.idle.push.missing} of ${r.idle.push.latency.n + r.idle.push.missing} | ${f1(r.idle.push.serverCpuSeconds)} s |`,
      `| poll every ${r.params.pollSeconds} s (seed) | ${r.params.streams} clients | ${s(r.poll.latency.p50)} s | ${s(r.poll.latency.p90)} s | ${s(r.poll.latency.p99)} s | ${s(r.poll.latency.max)} s | 0 | ${f1(r.poll.serverCpuSeconds)} s over ${f0(r.poll.seconds)} s, accepts included |`,
      "",
      `- The seller's accept request alone: p50 ${f1(r.push.acceptRequest.p50)} ms, p99 ${f1(r.push.acceptRequest.p99)} ms (${f1(r.idle.push.acceptRequest.p50)} / ${f1(r.idle.push.acceptRequest.p99)} ms with ${r.idle.streams} streams); the event reaches the buyer ${f1(r.push.afterResponse.p50)} ms (p50) / ${f1(r.push.afterResponse.p99)} ms (p99) after the seller's response (${f1(r.idle.push.afterResponse.p50)} / ${f1(r.idle.push.afterResponse.p99)} ms with ${r.idle.streams} streams). So the tap-to-screen time is mostly the accept's own database transaction.`,
      `- Polling load: ${r.poll.requests} requests in ${f0(r.poll.seconds)} s (${f1(r.poll.requestsPerSecond)} req/s; steady state ${f1(r.poll.steadyRequestsPerSecond)} req/s per ${r.params.streams} open order pages, whether anything changed or not). Push sends one frame per change and a 3-byte heartbeat per stream every 15 s.`,
      `- Idle streams: ${r.idle.streams} open in ${f1(r.idle.openSeconds)} s; server RSS ${f0(r.idle.rssBeforeMb)} MB before → ${f0(r.idle.rssMb)} MB with them open (${f0(r.idle.rssAfterIdleMb)} MB after 20 s idle, peak ${f0(r.idle.peakRssMb)} MB), about ${f1(r.idle.perStreamKb)} KB per stream; ${f1(r.idle.rssAfterCloseMb)} MB after they closed. CPU while idle: ${f1(r.idle.idleCpuSecondsPerMinute)} s per minute.`,
      "",
    );
  }
  writeSection(START, END, out.slice(1));
}

if (process.argv.includes("--report")) writeReport();
else
  await main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
