import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/**
 * The Redis for the suites that share limits across instances: TEST_REDIS_URL, else the local
 * default. Like TEST_DATABASE_URL, a Redis named explicitly must answer (the suites fail if it does
 * not); the default may be missing, and then those suites are skipped and say so loudly.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const required = Boolean(process.env.TEST_REDIS_URL);

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export const REDIS_AVAILABLE = await answers(TEST_REDIS_URL);
if (!REDIS_AVAILABLE) {
  if (required) throw new Error(`TEST_REDIS_URL=${TEST_REDIS_URL} is set but no Redis answers there`);
  console.warn(
    `\n${"!".repeat(72)}\n!! SKIPPED: Redis-backed suites (nothing answers at ${TEST_REDIS_URL}; start redis-server or set TEST_REDIS_URL)\n${"!".repeat(72)}\n`,
  );
}

/** A key prefix of its own for each run, so test files running in parallel never share counts. */
export function uniqueRedisPrefix(): string {
  return `lastbite-test:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** A client whose keys live under `prefix`. */
export function testRedis(prefix: string): Redis {
  return new Redis(TEST_REDIS_URL, { keyPrefix: prefix, maxRetriesPerRequest: 1 });
}

/** Deletes every key under `prefix`. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
