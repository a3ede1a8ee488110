import { autoRetry } from "@grammyjs/auto-retry";
import { LANGS, type Lang, t } from "@lastbite/shared";
import type { FastifyInstance } from "fastify";
import { Api, Bot, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import type { Config } from "../config.ts";
import { makeRedactor, redactingLogger, secretMatches } from "../core/redact.ts";
import { problem } from "../http/problem.ts";
import { miniAppLinks } from "../notifications/links.ts";
import { OutboxWorker, type OutboxWorkerOptions, type WorkerLogger } from "../notifications/outbox-worker.ts";
import type { Services } from "../services.ts";
import { installHandlers } from "./bot.handlers.ts";
import { ProcessedUpdates } from "./processed-updates.ts";

export const WEBHOOK_PATH = "/telegram/webhook";

export interface TelegramOptions {
  services: Services;
  config: Config;
  /** The bot token: BOT_TOKEN, or the sandbox double's. */
  token: string;
  /** Bot API root: TELEGRAM_API_ROOT, or the sandbox double's. */
  apiRoot: string;
  /** Where buttons open the Mini App; defaults to config.publicUrl (main.ts passes localhost in sandbox mode). */
  publicUrl?: string | null;
  /** How updates arrive; defaults to config.botMode. `off` still runs the outbox worker. */
  mode?: Config["botMode"];
  log?: WorkerLogger & { debug?(obj: unknown, msg?: string): void };
  /** Worker tuning (tests inject fast backoff). */
  worker?: Partial<Omit<OutboxWorkerOptions, "db" | "api" | "links">>;
  /** How long the webhook waits for the update to be handled before answering 200 anyway. */
  webhookWaitMs?: number;
  /** Seconds a long-polling getUpdates waits for an update (Telegram holds it open that long); default 10. */
  pollTimeoutSeconds?: number;
}

export interface Telegram {
  bot: Bot;
  worker: OutboxWorker;
  /** Registers `POST /telegram/webhook` (pass to `AppDeps.plugins`). */
  webhookPlugin: (app: FastifyInstance) => Promise<void>;
  /** Starts the worker and, by mode, long polling or the webhook registration. Never throws on a Telegram outage. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Telegram side of the server: the grammY bot (webhook or long polling), and the outbox worker
 * that is the only thing that sends notifications.
 */
export function createTelegram(opts: TelegramOptions): Telegram {
  const { services, config } = opts;
  // grammY's errors carry the request URL, token included: every log line here goes through this.
  const redact = makeRedactor([opts.token, config.webhookSecret]);
  const log = redactingLogger(opts.log ?? silent, redact);
  const mode = opts.mode ?? config.botMode;
  const publicUrl = opts.publicUrl === undefined ? config.publicUrl : opts.publicUrl;
  const client = { apiRoot: opts.apiRoot, timeoutSeconds: 30 };
  // 10 s, not the usual 30: a process killed in the middle of a long poll leaves it open at Telegram
  // until it times out, and the next process's getUpdates is refused (409) until then, so this bounds
  // how long a hard restart keeps the bot deaf. Six idle requests a minute instead of two.
  const pollTimeout = opts.pollTimeoutSeconds ?? 10;

  // The bot's client must wait longer than a long poll is held open: were the two equal, every idle
  // getUpdates would be cut off by our own timer just before Telegram's empty answer, and grammY
  // pauses 3 s after a failed getUpdates, so a press in that pause was answered up to 3 s late.
  const bot = new Bot(opts.token, {
    client: { ...client, timeoutSeconds: Math.max(client.timeoutSeconds, pollTimeout + 10) },
  });
  // Replies from handlers may ride out a short flood wait; long outages are the outbox's business.
  bot.api.config.use(autoRetry({ maxRetryAttempts: 2, maxDelaySeconds: 5 }));
  bot.catch((err) => log.error({ err: err.error, update: err.ctx.update.update_id }, "bot handler failed"));

  let username: string | null = null;
  const botUsername = async () => {
    if (!username) username = bot.isInited() ? bot.botInfo.username : (await bot.api.getMe()).username;
    return username;
  };
  const links = miniAppLinks(publicUrl, botUsername);
  // The HTTP side's own client (prepared messages for sharing): no retries, a user is waiting.
  services.bot.api = new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: 10 });
  installHandlers(bot, {
    updates: new ProcessedUpdates(services.db),
    users: services.users,
    orders: services.orders,
    buyers: services.buyers,
    catalog: services.catalog,
    auth: services.auth,
    links,
  });

  const worker = new OutboxWorker({
    db: services.db,
    api: new Api(opts.token, client),
    links,
    metrics: services.metrics,
    log,
    wakeOn: (wake) => services.changes.onOutbox(wake),
    secrets: [config.webhookSecret],
    messagesPerSecond: config.telegramMessagesPerSecond,
    timeZone: config.shopTimezone,
    ...opts.worker,
  });

  let stopped = false;
  let polling: Promise<void> | null = null;

  const initBot = async () => {
    for (let delay = 1000; !stopped; delay = Math.min(delay * 2, 60_000)) {
      try {
        await bot.init();
        username = bot.botInfo.username;
        services.bot.username = username;
        return true;
      } catch (err) {
        log.warn({ err: String(err) }, `Telegram unreachable (getMe); retrying in ${delay / 1000} s`);
        await sleep(delay);
      }
    }
    return false;
  };

  const setupChat = async () => {
    try {
      const commands = (lang: Lang) => [
        { command: "start", description: t(lang, "bot.command.start") },
        { command: "alerts", description: t(lang, "bot.command.alerts") },
      ];
      await bot.api.setMyCommands(commands("en"));
      for (const lang of LANGS) await bot.api.setMyCommands(commands(lang), { language_code: lang });
      if (publicUrl)
        await bot.api.setChatMenuButton({
          menu_button: {
            type: "web_app",
            text: t("en", "bot.menuButton"),
            web_app: { url: `${publicUrl}/` },
          },
        });
    } catch (err) {
      log.warn({ err: String(err) }, "could not set the bot's commands or menu button");
    }
  };

  const webhookPlugin = async (app: FastifyInstance) => {
    app.post(WEBHOOK_PATH, { schema: { hide: true } }, async (req, reply) => {
      if (!secretMatches(req.headers["x-telegram-bot-api-secret-token"], config.webhookSecret)) {
        const p = problem("unauthorized", "missing or wrong X-Telegram-Bot-Api-Secret-Token");
        return reply.status(p.status).type("application/problem+json").send(p);
      }
      const update = req.body as Update | undefined;
      if (!update || typeof update !== "object" || typeof update.update_id !== "number") {
        const p = problem("invalid_request", "the body is not a Telegram update");
        return reply.status(p.status).type("application/problem+json").send(p);
      }
      if (!bot.isInited()) await bot.init();
      // Answer fast so Telegram never retries: handle in the background, waiting only briefly.
      const handled = bot.handleUpdate(update).catch((err) => {
        log.error({ err, update: update.update_id }, "webhook update failed");
      });
      await Promise.race([handled, sleep(opts.webhookWaitMs ?? 2000)]);
      return reply.status(200).send({ ok: true });
    });
  };

  const startPolling = () => {
    polling = (async () => {
      while (!stopped) {
        try {
          await bot.start({
            drop_pending_updates: false,
            timeout: pollTimeout,
            allowed_updates: ["message", "callback_query"],
            onStart: (me) => log.info({ bot: me.username }, "bot: long polling started"),
          });
          return;
        } catch (err) {
          if (stopped) return;
          // 409: another getUpdates is open. Right after a hard restart that is the killed process's,
          // which Telegram holds until its timeout: try again each second, so polling resumes as soon
          // as Telegram lets go (5 s a time made a press wait up to 5 s longer).
          if (err instanceof GrammyError && err.error_code === 409) {
            log.warn(
              { err: String(err) },
              "bot: another getUpdates is open (a process just killed, or a second instance); retrying in 1 s",
            );
            await sleep(1000);
            continue;
          }
          log.error({ err: String(err) }, "bot: long polling stopped; restarting in 5 s");
          await sleep(5000);
        }
      }
    })();
  };

  return {
    bot,
    worker,
    webhookPlugin,
    async start() {
      stopped = false;
      await worker.start();
      if (mode === "off") return;
      // Do the rest in the background: a Telegram outage at start-up must not hold the server.
      void (async () => {
        if (!(await initBot())) return;
        await setupChat();
        if (stopped) return;
        if (mode === "polling") return startPolling();
        if (!publicUrl) return;
        try {
          await bot.api.setWebhook(`${publicUrl}${WEBHOOK_PATH}`, {
            secret_token: config.webhookSecret,
            allowed_updates: ["message", "callback_query"],
          });
          log.info({ url: `${publicUrl}${WEBHOOK_PATH}` }, "bot: webhook set");
        } catch (err) {
          log.error({ err: String(err) }, "bot: setWebhook failed; updates will not arrive until it is set");
        }
      })();
    },
    async stop() {
      stopped = true;
      if (bot.isRunning()) await bot.stop().catch(() => {});
      await polling;
      await worker.stop();
    },
  };
}
