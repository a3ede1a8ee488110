/**
 * The server under benchmark, as its own process so its memory and CPU are measured alone: the real
 * app (`buildApp`, the same routes, hub and database layer as `npm start`) on 127.0.0.1, without the
 * bot and the background jobs. Prints one JSON line `{ port, pid, database }` once it listens.
 * The server settings a benchmark may need to change (e.g. the per-user rate limits, which a load
 * test from a few hundred simulated buyers would hit at once) are passed through from the
 * environment; everything else is fixed here. `GET /bench/stats` answers what only a benchmark asks:
 * the event loop's busy and idle time so far, and the PostgreSQL pool's connections.
 */
import { PerformanceObserver, performance } from "node:perf_hooks";
import type pg from "pg";
import { buildApp } from "../packages/server/src/app.ts";
import { loadConfig } from "../packages/server/src/config.ts";
import { openDatabase } from "../packages/server/src/db/database.ts";
import { migrate } from "../packages/server/src/db/migrations.ts";

const PASSED_THROUGH = ["RATE_LIMIT_PER_MINUTE", "ORDER_RATE_LIMIT_PER_MINUTE"] as const;

const token = process.env.BENCH_BOT_TOKEN ?? "";
const config = loadConfig({
  ...Object.fromEntries(PASSED_THROUGH.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))),
  BOT_TOKEN: token,
  BOT_MODE: "off",
  DATABASE_URL: process.env.BENCH_DATABASE_URL || "memory://",
  LOG_LEVEL: "silent",
});
// Garbage-collection pauses of the server's main thread, for a benchmark to set its latency tail against.
const gc = { count: 0, totalMs: 0, maxMs: 0, long: [] as { at: number; ms: number; kind: number }[] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
    if (e.duration >= 5 && gc.long.length < 1000)
      gc.long.push({ at: performance.timeOrigin + e.startTime, ms: e.duration, kind });
  }
}).observe({ entryTypes: ["gc"] });
const db = await openDatabase(config.databaseUrl);
await migrate(db);
// The pool is the database layer's own business; a benchmark looks inside to see whether requests
// queue for a connection.
const pool = (db as unknown as { pool?: pg.Pool }).pool;
const app = await buildApp({
  config,
  db,
  botToken: token,
  plugins: [
    async (app) => {
      app.get("/bench/stats", { schema: { hide: true } }, async () => {
        const elu = performance.eventLoopUtilization();
        return {
          loop: { activeMs: elu.active, idleMs: elu.idle },
          gc,
          pool: pool
            ? {
                size: pool.options.max,
                total: pool.totalCount,
                idle: pool.idleCount,
                waiting: pool.waitingCount,
              }
            : null,
        };
      });
    },
  ],
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ port, pid: process.pid, database: db.kind })}\n`);

async function shutdown() {
  await app.close();
  await db.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
