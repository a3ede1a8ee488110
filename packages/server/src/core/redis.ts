import { Redis } from "ioredis";

interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

/** Where a Redis is, for log lines: host, port and database, never the password. */
export function redisLabel(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
}

/**
 * Opens the optional Redis (REDIS_URL) that shares rate limits and the stream cap across instances.
 * It is never a reason for the API to fail: while it is away, commands fail at once (no offline
 * queue) or within a second (`commandTimeout`), callers fall back (rate limits are skipped, the
 * stream cap counts per instance), one warning is logged per outage, and the client keeps
 * reconnecting by itself. Resolves once connected, or at the first failure: start-up never waits on
 * Redis for more than a few seconds.
 */
export async function openRedis(url: string, opts: { keyPrefix: string; log: Logger }): Promise<Redis> {
  const where = redisLabel(url);
  const redis = new Redis(url, {
    keyPrefix: opts.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    connectTimeout: 3_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    connectionName: "lastbite",
  });
  let down = false;
  redis.on("error", (err: Error) => {
    if (down) return;
    down = true;
    opts.log.warn(
      { err: err.message },
      `Redis at ${where} is unreachable: rate limits are not enforced and the per-user stream cap counts per instance until it is back`,
    );
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    opts.log.info(`Redis at ${where} is reachable again: limits are shared across instances`);
  });
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      redis.off("error", done);
      resolve();
    };
    const timer = setTimeout(done, 3_000);
    redis.once("ready", done);
    redis.once("error", done);
  });
  return redis;
}

/** Closes the client and stops its reconnecting, whether or not Redis is there. */
export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
