/**
 * The server under benchmark, as its own process so its memory and CPU are measured alone: the real
 * app (`buildApp`, the same routes, hub and database layer as `npm start`) on 127.0.0.1, without the
 * bot and the background jobs. Prints one JSON line `{ port, pid, database }` once it listens.
 * The server settings a benchmark may need to change (e.g. the per-user rate limits, which a load
 * test from a few hundred simulated buyers would hit at once) are passed through from the
 * environment; everything else is fixed here. `GET /bench/stats` answers what only a benchmark asks:
 * the event loop's busy and idle time so far, and the PostgreSQL pool's connections.
 */
import { performance } from "node:perf_hooks";
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
