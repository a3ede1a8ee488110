import { createHash } from "node:crypto";
import { isIP } from "node:net";
import path from "node:path";
import { isTimeZone } from "@lastbite/shared";

/** Everything the server reads from its environment, parsed and checked once. */
export interface Config {
  port: number;
  host: string;
  /** `postgres://…`, `memory://`, or a directory for the embedded database. */
  databaseUrl: string;
  dataDir: string;
  /** Unset: sandbox mode, with a generated token and the in-process Telegram double. */
  botToken: string | null;
  telegramApiRoot: string;
  botMode: "webhook" | "polling" | "off";
  publicUrl: string | null;
  webhookSecret: string;
  initDataMaxAge: number;
  adminIds: number[];
  orderAcceptTimeout: number;
  /** Seconds after the pickup window closes that an uncollected pickup order expires (a no-show). */
  noShowGrace: number;
  /** Seconds before a confirmed pickup order's window closes that the buyer is reminded; 0: never. */
  pickupReminderBefore: number;
  /** Seconds after completion that a buyer who has not rated is reminded once; 0: never. */
  ratingReminderAfter: number;
  /** SHOP_TIMEZONE: the IANA zone of shops that set none; times are shown in the shop's zone. */
  shopTimezone: string;
  logLevel: string;
  /** Requests per minute per user on /api, and orders placed per minute per user. */
  rateLimit: { perMinute: number; ordersPerMinute: number };
  /**
   * TELEGRAM_MESSAGES_PER_SECOND: messages this instance's outbox worker sends per second at most,
   * overall (besides Telegram's one a second per chat, which always applies).
   */
  telegramMessagesPerSecond: number;
  /**
   * REDIS_URL: when set, rate limits and the per-user cap on event streams are shared by every
   * instance through this Redis; null: each instance counts on its own.
   */
  redisUrl: string | null;
  /** METRICS_TOKEN: when set, `GET /metrics` answers only `Authorization: Bearer <token>`; null: open. */
  metricsToken: string | null;
  /** Fastify's `trustProxy`: false (the socket address is the client), a hop count, or proxy addresses/CIDRs. */
  trustProxy: false | number | string[];
  /** Warnings worth printing at start-up (e.g. plain-http PUBLIC_URL). */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function url(name: string, raw: string, protocols: string[]): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(name, `must be a ${protocols.join(" or ")} URL`);
  return u;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const warnings: string[] = [];
  const port = int(env, "PORT", 8080, 0, 65535);
  const dataDir = path.resolve(env.DATA_DIR?.trim() || "./data");
  const dbRaw = env.DATABASE_URL?.trim() || "";
  let databaseUrl = path.join(dataDir, "pglite");
  if (dbRaw) {
    if (dbRaw === "memory://" || dbRaw.startsWith("memory://")) databaseUrl = "memory://";
    else if (/^postgres(ql)?:\/\//.test(dbRaw))
      databaseUrl = url("DATABASE_URL", dbRaw, ["postgres:", "postgresql:"]).href;
    else throw new ConfigError("DATABASE_URL", "must be a postgres:// URL or memory://");
  }
  const botToken = env.BOT_TOKEN?.trim() || null;
  if (botToken && !/^\d+:[\w-]{20,}$/.test(botToken))
    throw new ConfigError("BOT_TOKEN", "does not look like a Telegram bot token (123456:ABC…)");
  const telegramApiRoot = url(
    "TELEGRAM_API_ROOT",
    env.TELEGRAM_API_ROOT?.trim() || "https://api.telegram.org",
    ["http:", "https:"],
  ).href.replace(/\/$/, "");
  let publicUrl: string | null = null;
  if (env.PUBLIC_URL?.trim()) {
    const u = url("PUBLIC_URL", env.PUBLIC_URL.trim(), ["http:", "https:"]);
    if (u.protocol === "http:")
      warnings.push("PUBLIC_URL is plain http: Telegram needs https for webhooks and Mini Apps");
    publicUrl = u.href.replace(/\/$/, "");
  }
  const modeRaw = env.BOT_MODE?.trim() || (publicUrl ? "webhook" : "polling");
  if (modeRaw !== "webhook" && modeRaw !== "polling" && modeRaw !== "off")
    throw new ConfigError("BOT_MODE", `must be webhook, polling or off, got "${modeRaw}"`);
  if (modeRaw === "webhook" && !publicUrl) throw new ConfigError("BOT_MODE", "webhook mode needs PUBLIC_URL");
  const secretRaw = env.WEBHOOK_SECRET?.trim();
  if (secretRaw && !/^[A-Za-z0-9_-]{1,256}$/.test(secretRaw))
    throw new ConfigError("WEBHOOK_SECRET", "may hold only A-Z, a-z, 0-9, _ and - (1-256 characters)");
  const adminIds = (env.ADMIN_IDS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      if (!/^\d+$/.test(s)) throw new ConfigError("ADMIN_IDS", `"${s}" is not a Telegram user id`);
      return Number(s);
    });
  const logLevel = env.LOG_LEVEL?.trim() || "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel))
    throw new ConfigError("LOG_LEVEL", `unknown level "${logLevel}"`);
  return {
    port,
    host: env.HOST?.trim() || "0.0.0.0",
    databaseUrl,
    dataDir,
    botToken,
    telegramApiRoot,
    botMode: modeRaw,
    publicUrl,
    webhookSecret: secretRaw || deriveWebhookSecret(botToken ?? ""),
    initDataMaxAge: int(env, "INIT_DATA_MAX_AGE", 86400, 1, 365 * 86400),
    adminIds,
    orderAcceptTimeout: int(env, "ORDER_ACCEPT_TIMEOUT", 1800, 1, 30 * 86400),
    noShowGrace: int(env, "NO_SHOW_GRACE", 7200, 0, 30 * 86400),
    pickupReminderBefore: int(env, "PICKUP_REMINDER_BEFORE", 1800, 0, 30 * 86400),
    ratingReminderAfter: int(env, "RATING_REMINDER_AFTER", 7200, 0, 30 * 86400),
    shopTimezone: timeZone(env.SHOP_TIMEZONE),
    logLevel,
    rateLimit: {
      perMinute: int(env, "RATE_LIMIT_PER_MINUTE", 300, 1, 1_000_000),
      ordersPerMinute: int(env, "ORDER_RATE_LIMIT_PER_MINUTE", 30, 1, 1_000_000),
    },
    // Telegram's limit for one bot is about 30; paid broadcasts allow up to 1000.
    telegramMessagesPerSecond: int(env, "TELEGRAM_MESSAGES_PER_SECOND", 30, 1, 1000),
    trustProxy: trustProxy(env.TRUST_PROXY),
    redisUrl: redisUrl(env.REDIS_URL),
    metricsToken: metricsToken(env.METRICS_TOKEN),
    warnings,
  };
}

/** SHOP_TIMEZONE: an IANA zone name this runtime knows (checked with Intl), default Asia/Tashkent. */
function timeZone(raw: string | undefined): string {
  const v = raw?.trim() || "Asia/Tashkent";
  if (!isTimeZone(v))
    throw new ConfigError("SHOP_TIMEZONE", `"${v}" is not an IANA time zone (e.g. Asia/Tashkent)`);
  return v;
}

/** TRUST_PROXY: unset = trust no proxy; a hop count; or a comma-separated list of addresses/CIDRs. */
function trustProxy(raw: string | undefined): false | number | string[] {
  const v = raw?.trim() ?? "";
  if (v === "") return false;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 100) throw new ConfigError("TRUST_PROXY", `a hop count must be at most 100, got ${n}`);
    return n === 0 ? false : n;
  }
  const entries = v.split(",").map((s) => s.trim());
  for (const e of entries) {
    const [addr, prefix, extra] = e.split("/");
    const family = addr ? isIP(addr) : 0;
    const prefixOk =
      prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!family || !prefixOk || extra !== undefined)
      throw new ConfigError(
        "TRUST_PROXY",
        `"${e}" is not an IP address or CIDR; use a hop count or a comma-separated list of addresses/CIDRs`,
      );
  }
  return entries;
}

/**
 * REDIS_URL: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Error messages
 * never repeat the value: it may hold a password.
 */
function redisUrl(raw: string | undefined): string | null {
  const v = raw?.trim() ?? "";
  if (v === "") return null;
  const form = "use redis://[:password@]host[:port][/db] (or rediss:// for TLS)";
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError("REDIS_URL", `is not a valid URL; ${form}`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new ConfigError("REDIS_URL", `must be a redis:// or rediss:// URL, got ${u.protocol}//…; ${form}`);
  if (!u.hostname) throw new ConfigError("REDIS_URL", `has no host; ${form}`);
  if (u.pathname !== "" && u.pathname !== "/" && !/^\/\d{1,5}$/.test(u.pathname))
    throw new ConfigError("REDIS_URL", `the path may only be a database number (e.g. /0); ${form}`);
  return u.href;
}

/** The default webhook secret: a hash of the token, so it is stable across restarts and never the token itself. */
export function deriveWebhookSecret(botToken: string): string {
  return createHash("sha256").update(`lastbite-webhook:${botToken}`).digest("hex").slice(0, 48);
}

/** METRICS_TOKEN: a bearer token for `/metrics`, long enough not to be guessed. */
function metricsToken(raw: string | undefined): string | null {
  const t = raw?.trim();
  if (!t) return null;
  if (t.length < 16 || /\s/.test(t))
    throw new ConfigError("METRICS_TOKEN", "must be at least 16 characters without spaces");
  return t;
}
