import { randomBytes } from "node:crypto";
import { buildApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { migrate } from "./db/migrations.ts";
import { seedIfEmpty } from "./db/seed.ts";
import { every } from "./jobs/scheduler.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const logger = { level: config.logLevel };
const db = await openDatabase(config.databaseUrl);
await migrate(db);
const seeded = await seedIfEmpty(db);

const botToken =
  config.botToken ??
  `${700000000 + Math.floor(Math.random() * 1e6)}:SANDBOX${randomBytes(16).toString("hex")}`;
const app = await buildApp({ config, db, botToken, logger });
for (const w of config.warnings) app.log.warn(w);
if (seeded) app.log.info("empty database: seeded demo shops and offers");

const stopJobs: (() => void)[] = [];
let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info(`${signal}: shutting down`);
  for (const stop of stopJobs) stop();
  await app.close();
  await db.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

await app.listen({ port: config.port, host: config.host });
// Pending orders the seller never answered expire (and give their stock back).
stopJobs.push(
  every(
    "expire-pending-orders",
    Math.min(15_000, config.orderAcceptTimeout * 250),
    () => app.services.orders.expireDue(),
    app.log,
  ),
);
app.log.info(`Lastbite on http://localhost:${config.port} (database: ${db.kind})`);
