import { randomBytes } from "node:crypto";
import type { Redis, Result } from "ioredis";

declare module "ioredis" {
  interface RedisCommander<Context> {
    sseAcquire(key: string, max: number, ttlMs: number, id: string): Result<number, Context>;
    sseRefresh(key: string, ttlMs: number, ...ids: string[]): Result<number, Context>;
  }
}

// Times come from Redis's clock (TIME), so instances whose clocks disagree still agree on expiry.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] user's set; ARGV max, ttl, id. Prunes expired entries, then adds the id unless at the cap. */
const ACQUIRE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS[1] user's set; ARGV ttl, ids…. Pushes the ids' expiry back (re-adding any Redis lost). */
const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return #ARGV - 1`;

interface Logger {
  warn(obj: unknown, msg?: string): void;
}

export interface SharedStreamCapOptions {
  /** Open streams one user may hold across all instances. */
  maxPerUser: number;
  /** How long a stream keeps counting after its instance last refreshed it; several heartbeats. */
  ttlMs: number;
}

/**
 * The per-user cap on open event streams, counted across instances in Redis: one sorted set per
 * user (`sse:<user id>`, under the client's key prefix) of stream ids scored by the moment they stop
 * counting. A stream is added when it opens (atomically refused at the cap), re-scored on every hub
 * heartbeat, and removed when it closes; expired entries are pruned at every admission, so the
 * streams of an instance that crashed stop counting within `ttlMs`.
 *
 * Redis being away never refuses a stream: `acquire` says "unavailable" and the hub falls back to
 * its own per-instance count; the next heartbeat after Redis returns adds every open stream again.
 */
export class SharedStreamCap {
  private readonly instance = randomBytes(6).toString("hex");
  private seq = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private lastWarning = 0;

  constructor(
    private readonly redis: Redis,
    readonly options: SharedStreamCapOptions,
    private readonly log: Logger,
  ) {
    if (typeof redis.sseAcquire !== "function") {
      redis.defineCommand("sseAcquire", { numberOfKeys: 1, lua: ACQUIRE });
      redis.defineCommand("sseRefresh", { numberOfKeys: 1, lua: REFRESH });
    }
  }

  /** A stream id unique across instances. */
  newId(): string {
    return `${this.instance}:${++this.seq}`;
  }

  /** Counts stream `id` for `userId` unless the user is at the cap. */
  async acquire(userId: number, id: string): Promise<"ok" | "full" | "unavailable"> {
    try {
      const added = await this.redis.sseAcquire(key(userId), this.options.maxPerUser, this.options.ttlMs, id);
      return added === 1 ? "ok" : "full";
    } catch (err) {
      this.warn(err, "Redis did not answer: event stream admitted on this instance's count alone");
      return "unavailable";
    }
  }

  /** Pushes back the expiry of these open streams (one script call per user, pipelined). */
  refresh(streams: Iterable<{ userId: number; slot: string }>): void {
    const byUser = new Map<number, string[]>();
    for (const s of streams) {
      const ids = byUser.get(s.userId);
      if (ids) ids.push(s.slot);
      else byUser.set(s.userId, [s.slot]);
    }
    const users = [...byUser];
    for (let i = 0; i < users.length; i += 500) {
      const pipeline = this.redis.pipeline();
      for (const [userId, ids] of users.slice(i, i + 500))
        pipeline.sseRefresh(key(userId), this.options.ttlMs, ...ids);
      this.track(pipeline.exec(), "could not refresh the shared count of event streams");
    }
  }

  /** Stops counting stream `id`; if Redis is away, it stops counting when it expires. */
  release(userId: number, id: string): void {
    this.track(
      this.redis.zrem(key(userId), id),
      "could not remove a closed event stream from the shared count",
    );
  }

  /** Waits for the refreshes and releases already sent (before the client is closed). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<unknown>, what: string): void {
    const tracked = p.then(
      () => {},
      (err: unknown) => this.warn(err, what),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** At most one warning a minute: an outage is already reported by the client once. */
  private warn(err: unknown, msg: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
  }
}

const key = (userId: number) => `sse:${userId}`;
