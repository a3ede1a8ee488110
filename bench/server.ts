/**
 * The server under benchmark, as its own process so its memory and CPU are measured alone: the real
 * app (`buildApp`, the same routes, hub and database layer as `npm start`) on 127.0.0.1, without the
 * bot and the background jobs. Prints one JSON line `{ port, pid, database }` once it listens.
 */
import { buildApp } from "../packages/server/src/app.ts";
import { loadConfig } from "../packages/server/src/config.ts";
import { openDatabase } from "../packages/server/src/db/database.ts";
import { migrate } from "../packages/server/src/db/migrations.ts";

const token = process.env.BENCH_BOT_TOKEN ?? "";
const config = loadConfig({
  BOT_TOKEN: token,
  BOT_MODE: "off",
  DATABASE_URL: process.env.BENCH_DATABASE_URL || "memory://",
  LOG_LEVEL: "silent",
});
const db = await openDatabase(config.databaseUrl);
await migrate(db);
const app = await buildApp({ config, db, botToken: token });
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
