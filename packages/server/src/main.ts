import { TelegramDouble } from "@lastbite/telegram-double";
import { buildApp } from "./app.ts";
import { signInitData } from "./auth/init-data.ts";
import { createTelegram, type Telegram } from "./bot/telegram.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { Metrics } from "./core/metrics.ts";
import { redactSecretsInLogs } from "./core/redact.ts";
import { openDatabase } from "./db/database.ts";
import { migrate } from "./db/migrations.ts";
import { pruneOldRows } from "./db/retention.ts";
import { DEMO_USERS, refreshDemoOffers, seedIfEmpty } from "./db/seed.ts";
import { every } from "./jobs/scheduler.ts";
import { sandboxRoutes } from "./sandbox/sandbox.routes.ts";
import { keepSandboxChats, loadSandboxChats } from "./sandbox/sandbox-chats.ts";
import { sandboxToken } from "./sandbox/sandbox-token.ts";

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

const db = await openDatabase(config.databaseUrl).catch((err: Error) => {
  const where = config.databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  console.error(`DATABASE_URL: cannot open the database at ${where}: ${err.message}`);
  process.exit(1);
});
await migrate(db);
const seeded = await seedIfEmpty(db);

// No BOT_TOKEN: the built-in sandbox, an in-process fake Bot API that the real bot talks to over HTTP.
// Its token and chats are kept in DATA_DIR (unless nothing is kept), so that after a restart it
// carries on as Telegram would: open Mini Apps stay signed in, message and update ids go on.
const keepSandbox = !config.botToken && config.databaseUrl !== "memory://";
const keptChats = keepSandbox ? loadSandboxChats(config.dataDir) : {};
const sandbox = config.botToken
  ? null
  : await TelegramDouble.start({
      token: sandboxToken(config.dataDir, keepSandbox),
      ...(keptChats.snapshot ? { restore: keptChats.snapshot } : {}),
    });
const sandboxChats = sandbox && keepSandbox ? keepSandboxChats(sandbox, config.dataDir) : null;
const botToken = config.botToken ?? (sandbox as TelegramDouble).token;
// Nothing secret in a log line: grammY's network errors carry the request URL, token included.
const logger = redactSecretsInLogs({ level: config.logLevel }, [
  botToken,
  config.webhookSecret,
  config.metricsToken,
]);
if (sandbox) await refreshDemoOffers(db);
let telegram: Telegram | undefined;
const SANDBOX_LABELS: Record<number, string> = {
  700000001: "Aziza (buyer)",
  700000002: "Rustam (owner of Non Bakery)",
  700000003: "Dilnoza (owner of Chorsu Fresh Market and Plov Center)",
  700000004: "John (buyer)",
};
const app = await buildApp({
  config,
  db,
  botToken,
  logger,
  metrics: new Metrics({ processMetrics: true }),
  plugins: [
    async (instance, services) => {
      telegram = createTelegram({
        services,
        config,
        token: botToken,
        apiRoot: sandbox?.apiRoot ?? config.telegramApiRoot,
        // The sandbox page re-signs web_app buttons, so they may point at plain-http localhost.
        publicUrl: config.publicUrl ?? (sandbox ? `http://localhost:${config.port}` : null),
        mode: sandbox && config.botMode === "webhook" ? "polling" : config.botMode,
        log: instance.log,
      });
      await telegram.webhookPlugin(instance);
    },
    async (instance) => {
      if (!sandbox) return;
      // /sandbox: each demo user's chat with the bot, and the Mini App opened as them.
      await sandboxRoutes(instance, {
        double: sandbox,
        users: DEMO_USERS.map((u) => ({ ...u, label: SANDBOX_LABELS[u.id] })),
        signInitData: (u, startParam) =>
          signInitData(botToken, {
            user: {
              id: u.id,
              first_name: u.first_name,
              ...(u.last_name ? { last_name: u.last_name } : {}),
              ...(u.username ? { username: u.username } : {}),
              ...(u.language_code ? { language_code: u.language_code } : {}),
            },
            ...(startParam ? { startParam } : {}),
          }),
        publicUrl: config.publicUrl ?? "",
      });
    },
  ],
});
for (const w of config.warnings) app.log.warn(w);
if (keptChats.problem) app.log.warn(keptChats.problem);
if (seeded) app.log.info("empty database: seeded demo shops and offers");

const stopJobs: (() => void)[] = [];
let closing = false;
async function shutdown(signal: string, exitCode = 0) {
  if (closing) return;
  closing = true;
  app.log.info(`${signal}: shutting down`);
  for (const stop of stopJobs) stop();
  await telegram?.stop();
  await app.close();
  sandboxChats?.stop();
  await sandbox?.close();
  await db.close();
  process.exit(exitCode);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

// Workers first, then listen: /health answers only once everything is running.
// Scheduled jobs (expiries, no-shows, reminders): due rows of the jobs table, at once for whatever
// fell due while no instance ran, then on a timer for the next one.
app.services.jobs.start();
stopJobs.push(() => void app.services.jobs.stop());
// Old outbox rows, idempotency keys and processed updates are deleted hourly (and once at start).
stopJobs.push(every("prune-old-rows", 3_600_000, () => pruneOldRows(db), app.log, { runAtStart: true }));
// The outbox worker runs in every mode; BOT_MODE only decides how updates arrive (or that they don't).
await telegram?.start();
await app.listen({ port: config.port, host: config.host }).catch(async (err: NodeJS.ErrnoException) => {
  console.error(
    err.code === "EADDRINUSE"
      ? `PORT: ${config.port} is already in use`
      : `cannot listen on ${config.host}:${config.port}: ${err.message}`,
  );
  await shutdown("listen failed", 1).catch(() => {});
  process.exit(1);
});
app.log.info(`Lastbite on http://localhost:${config.port} (database: ${db.kind})`);
if (sandbox)
  app.log.warn(
    `SANDBOX MODE: no BOT_TOKEN, so the bot talks to the built-in fake Telegram at ${sandbox.apiRoot} (long polling). Chats: http://localhost:${config.port}/sandbox`,
  );
else app.log.info(`bot: ${config.botMode} mode, Bot API at ${config.telegramApiRoot}`);
