/**
 * Catalogue search benchmark: `npm run bench:search` (or `npx tsx bench/search.ts`).
 *
 * 10,000 offers in 500 shops around Tashkent (titles and shop names in Uzbek Latin and Cyrillic,
 * Russian and English) on a fresh PostgreSQL database; the real server (`bench/server.ts`) as a
 * child process; 50 requests in flight from one keep-alive client (autocannon, 50 connections). Measured in the same run:
 * `GET /health` (the HTTP stack alone: the ceiling) and `GET /api/offers?near=…&q=…&sort=distance`
 * with a different point and word each time. Target: the search's p99 under 20 ms.
 * Writes bench/results/search-postgres.json and the "Catalogue search" section of BENCHMARKS.md.
 * Environment: BENCH_SHOPS (500; 20 offers each, in the same area), BENCH_DATABASE_URL (a PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres:
 * the script makes its own database there and drops it), BENCH_SECONDS (10), BENCH_IN_FLIGHT (50).
 */
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { signInitData } from "../packages/server/src/auth/init-data.ts";
import { openDatabase } from "../packages/server/src/db/database.ts";
import { migrate } from "../packages/server/src/db/migrations.ts";
import {
  closedLoop,
  cpuSeconds,
  type Latency,
  machine,
  machineBusySeconds,
  postgresCpuSeconds,
  root,
  log as say,
  startBenchServer,
  writeSection,
} from "./support.ts";

const TOKEN = "555000333:BENCH-search_token_for_lastbite";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 50);
const SHOPS = Number(process.env.BENCH_SHOPS ?? 500);
const PER_SHOP = 20;
const log = (m: string) => say("bench:search", m);

const FOODS = [
  "Patir non",
  "Tandir non",
  "Samsa",
  "Somsa",
  "Lavash",
  "Croissant",
  "Tort",
  "Salat",
  "Plov",
  "Manti",
  "Lag'mon",
  "Chak-chak",
  "Napoleon",
  "Medovik",
  "Хлеб",
  "Нон",
  "Самса",
  "Торт",
  "Пирожок",
  "Булочка",
  "Milk",
  "Kefir",
  "Apples",
  "Olma",
  "Banana",
  "Pizza",
  "Burger",
  "Shashlik",
  "Chuchvara",
  "Qatiq",
];
const SHOP_WORDS = ["Non", "Нон", "Bakery", "Kafe", "Кафе", "Market", "Oshxona", "Sweets", "Ширин", "Fresh"];
const QUERIES = [
  "non",
  "нон",
  "samsa",
  "самса",
  "tort",
  "торт",
  "salat",
  "milk",
  "plov",
  "bakery",
  "kafe",
  "olma",
];

async function timedJson<T>(port: number, url: string): Promise<T | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${url}`);
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

/** The server's GC pauses so far (`GET /bench/stats`, bench/server.ts). */
async function serverGc(port: number) {
  type Gc = { count: number; totalMs: number; long: { at: number; ms: number; kind: number }[] };
  return (await timedJson<{ gc: Gc }>(port, "/bench/stats"))?.gc;
}

async function seed(url: string) {
  const db = await openDatabase(url);
  await migrate(db);
  await db.query(
    `insert into users (id, first_name, language)
       select 9000000000 + g, 'Owner ' || g, 'uz' from generate_series(1, ${SHOPS}) g`,
  );
  await db.query(
    `insert into stores (owner_id, name, address, phone, lat, lng, category)
       select 9000000000 + g,
              ($1::text[])[1 + g % array_length($1::text[], 1)] || ' ' || ($1::text[])[1 + (g / 7) % array_length($1::text[], 1)] || ' ' || g,
              'Tashkent, ' || g, '+998901234567',
              41.20 + random() * 0.2, 69.10 + random() * 0.3,
              (array['bakery','cafe','restaurant','grocery','confectionery','other'])[1 + g % 6]
         from generate_series(1, ${SHOPS}) g`,
    [SHOP_WORDS],
  );
  await db.query(
    `insert into offers (store_id, title, description, price, original_price, quantity, pickup_from, pickup_until)
       select s.id,
              ($1::text[])[1 + (s.id * ${PER_SHOP} + k) % array_length($1::text[], 1)] || ' #' || k,
              case when k % 3 = 0 then 'Fresh today' end,
              5000 + (k * 1000) % 40000, 10000 + (k * 1000) % 40000 + 5000, 1 + k % 20,
              now() - interval '1 hour', now() + (1 + k % 10) * interval '1 hour'
         from stores s, generate_series(1, ${PER_SHOP}) k`,
    [FOODS],
  );
  // What autovacuum does to a table some time after it was loaded (this machine's PostgreSQL runs with
  // it off): statistics, and the visibility map that lets a shop's offers be judged from the index.
  await db.query("vacuum analyze");
  const [n] = await db.query<{ n: number }>("select count(*)::int as n from offers");
  await db.close();
  return n?.n ?? 0;
}

async function main() {
  const base = process.env.BENCH_DATABASE_URL?.trim() || "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `lastbite_bench_search_${process.pid}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const m = machine();
  try {
    const offers = await seed(u.href);
    log(`${offers} offers in ${SHOPS} shops`);
    const server = await startBenchServer({
      BENCH_BOT_TOKEN: TOKEN,
      BENCH_DATABASE_URL: u.href,
      RATE_LIMIT_PER_MINUTE: "1000000",
    });
    const users = Array.from(
      { length: 200 },
      (_, i) => `tma ${signInitData(TOKEN, { user: { id: 7_000_000_000 + i, first_name: `B${i}` } })}`,
    );
    let i = 0;
    const measure = async (label: string, next: () => { path: string; headers?: Record<string, string> }) => {
      const gc0 = await serverGc(server.port);
      const t0 = performance.now();
      const cpu0 = cpuSeconds(server.pid);
      const client0 = process.cpuUsage();
      const pg0 = postgresCpuSeconds();
      const busy0 = machineBusySeconds();
      const r = await closedLoop(server.port, IN_FLIGHT, SECONDS, 2, next);
      const s = (performance.now() - t0) / 1000;
      const client = process.cpuUsage(client0);
      const cpu = {
        serverCpu: (cpuSeconds(server.pid) - cpu0) / s,
        clientCpu: (client.user + client.system) / 1e6 / s,
        postgresCpu: (postgresCpuSeconds() - pg0) / s,
        machineCpu: (machineBusySeconds() - busy0) / s,
      };
      log(
        `${label}: ${r.rate.toFixed(0)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}; CPU cores: server ${cpu.serverCpu.toFixed(2)}, load generator ${cpu.clientCpu.toFixed(2)}, PostgreSQL ${cpu.postgresCpu.toFixed(2)}, machine ${cpu.machineCpu.toFixed(2)} of ${os.cpus().length}`,
      );
      log(`  p99 by second: ${r.p99BySecond.map((v) => v.toFixed(0)).join(" ")} ms`);
      const gc = await serverGc(server.port);
      if (gc) {
        const from = performance.timeOrigin + t0 + 2000;
        const long = gc.long.filter((g) => g.at >= from);
        log(
          `  server GC: ${gc.count - (gc0?.count ?? 0)} pauses, ${(gc.totalMs - (gc0?.totalMs ?? 0)).toFixed(0)} ms in all; ≥ 5 ms in the measured window: ${long.map((g) => `${((g.at - from) / 1000).toFixed(1)} s: ${g.ms.toFixed(0)} ms (kind ${g.kind})`).join(", ") || "none"}`,
        );
      }
      return { ...r, ...cpu };
    };
    const health = await measure("GET /health", () => ({ path: "/health" }));
    const search = await measure("GET /api/offers?near&q", () => {
      const k = i++;
      const lat = (41.2 + ((k * 7919) % 2000) / 10_000).toFixed(4);
      const lng = (69.1 + ((k * 104_729) % 3000) / 10_000).toFixed(4);
      const q = encodeURIComponent(QUERIES[k % QUERIES.length] as string);
      return {
        path: `/api/offers?near=${lat},${lng}&q=${q}&sort=distance&limit=20`,
        headers: { authorization: users[k % users.length] as string },
      };
    });
    await server.stop();
    m.loadAverage[1] = os.loadavg()[0] ?? 0;
    const result = {
      date: new Date().toISOString(),
      machine: m,
      offers,
      shops: SHOPS,
      inFlight: IN_FLIGHT,
      seconds: SECONDS,
      health,
      search,
    };
    const dir = path.join(root, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "search-postgres.json"), `${JSON.stringify(result, null, 2)}\n`);
    try {
      execSync("npx biome format --write bench/results/search-postgres.json", { cwd: root, stdio: "ignore" });
    } catch {}
    report(result);
    log("results written to bench/results/search-postgres.json and BENCHMARKS.md");
  } finally {
    await admin(`drop database if exists ${name} with (force)`);
  }
}

type Measured = Latency & { serverCpu: number; clientCpu: number; postgresCpu: number; machineCpu: number };

function report(r: {
  date: string;
  machine: ReturnType<typeof machine>;
  offers: number;
  shops: number;
  inFlight: number;
  seconds: number;
  health: Measured;
  search: Measured;
}) {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const met = r.search.p99 < 20 && r.search.errors === 0;
  const row = (what: string, x: Measured) =>
    `| ${what} | ${x.rate.toFixed(0)}/s | ${ms(x.p50)} | ${ms(x.p90)} | ${ms(x.p99)} | ${ms(x.max)} | ${x.errors} | ${x.serverCpu.toFixed(2)} | ${x.clientCpu.toFixed(2)} | ${x.postgresCpu.toFixed(2)} | ${x.machineCpu.toFixed(2)} |`;
  const perSearch = (cores: number) => `${((cores / r.search.rate) * 1000).toFixed(2)} ms`;
  writeSection(
    "<!-- search:start (written by bench/search.ts; edit the script, not this section) -->",
    "<!-- search:end -->",
    [
      "## Catalogue search",
      "",
      `\`npm run bench:search\` (\`bench/search.ts\`): ${r.offers.toLocaleString("en-US")} offers in ${r.shops.toLocaleString("en-US")} shops around Tashkent on PostgreSQL, the`,
      `real server as a child process, ${r.inFlight} requests in flight (autocannon, ${r.inFlight} keep-alive connections) for ${r.seconds} s after 2 s of warm-up.`,
      "Each search asks from a different point for a different word (Latin or Cyrillic), nearest first, 20 a page;",
      "`GET /health` in the same run is the HTTP stack alone.",
      "",
      `### PostgreSQL — ${r.date.slice(0, 16).replace("T", " ")} UTC`,
      "",
      `Machine: ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, Node ${r.machine.node}; 1-minute load average ${r.machine.loadAverage.map((x) => x.toFixed(1)).join(" → ")}. ${r.offers} offers.`,
      "",
      `Target: search p99 under 20 ms at ${r.inFlight} in flight — ${met ? "met" : "**not met**"} (${ms(r.search.p99)}).`,
      "",
      `CPU in cores of the ${r.machine.cpu.split(" ")[0]} this machine has; the load generator, the server and PostgreSQL share them.`,
      "",
      "| request | rate | p50 | p90 | p99 | max | errors | server | load generator | PostgreSQL | machine |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      row("`GET /health` (ceiling)", r.health),
      row("`GET /api/offers?near=…&q=…&sort=distance&limit=20`", r.search),
      "",
      `Per search: ${perSearch(r.search.serverCpu)} of server CPU, ${perSearch(r.search.postgresCpu)} of PostgreSQL, ${perSearch(r.search.clientCpu)} of load generator. The search's p99 second by second: ${r.search.p99BySecond.map((v) => v.toFixed(0)).join(", ")} ms.`,
      "",
    ],
  );
}

await main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
process.exit();
