import { ApiError } from "./api-error.ts";

/**
 * Telegram's flood control, as the double plays it (off unless asked for). Telegram documents
 * "about 30 messages per second" for a bot overall and "one message per second" in one chat, with
 * short bursts allowed; beyond that it answers `429 Too Many Requests: retry after N`.
 */
export interface RateLimitOptions {
  /** Messages a second for the whole bot. Default 30. */
  perSecond?: number;
  /** Messages a second in one chat. Default 1. */
  perChatPerSecond?: number;
  /** Messages that may come at once overall before the steady rate applies. Default: one second's worth (`perSecond`). */
  burst?: number;
  /** Messages that may come at once in one chat ("short bursts"). Default 3. */
  perChatBurst?: number;
}

/** What the rate limit let through and refused so far. */
export interface RateLimitStats {
  allowed: number;
  /** Requests answered 429 (each counted once, under the limit that refused it; the chat's first). */
  refused: number;
  refusedPerChat: number;
  refusedOverall: number;
}

/** The methods Telegram's limits count: everything that sends or changes a message. */
export const RATE_LIMITED_METHODS: ReadonlySet<string> = new Set(
  [
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendAudio",
    "sendVideo",
    "sendAnimation",
    "sendVoice",
    "sendVideoNote",
    "sendSticker",
    "sendMediaGroup",
    "sendLocation",
    "sendVenue",
    "sendContact",
    "sendPoll",
    "sendDice",
    "sendInvoice",
    "copyMessage",
    "copyMessages",
    "forwardMessage",
    "forwardMessages",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
    "editMessageLiveLocation",
  ].map((m) => m.toLowerCase()),
);

/**
 * One token bucket, kept as GCRA: `tat` is when the bucket would be full again. A request at `now`
 * fits while `tat - now` stays within the burst; a refused request takes nothing.
 */
class Bucket {
  private tat = Number.NEGATIVE_INFINITY;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;

  constructor(perSecond: number, burst: number) {
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (Math.max(1, burst) - 1) * this.intervalMs;
  }

  /** 0 if a request fits now, else the milliseconds until one would. */
  waitMs(now: number): number {
    const wait = Math.max(this.tat, now) - this.toleranceMs - now;
    return wait > 1e-6 ? wait : 0; // floating point: n intervals later is "now", not a hair after
  }

  take(now: number): void {
    this.tat = Math.max(this.tat, now) + this.intervalMs;
  }

  /** Full again: nothing to remember. */
  idle(now: number): boolean {
    return this.tat <= now;
  }
}

/** Both limits, checked before a counted method runs. */
export class RateLimiter {
  private readonly overall: Bucket;
  private readonly chats = new Map<string, Bucket>();
  private readonly perChatPerSecond: number;
  private readonly perChatBurst: number;
  private readonly stats: RateLimitStats = { allowed: 0, refused: 0, refusedPerChat: 0, refusedOverall: 0 };

  constructor(
    opts: RateLimitOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    const perSecond = positive(opts.perSecond ?? 30, "perSecond");
    this.perChatPerSecond = positive(opts.perChatPerSecond ?? 1, "perChatPerSecond");
    this.overall = new Bucket(perSecond, opts.burst ?? perSecond);
    this.perChatBurst = opts.perChatBurst ?? 3;
  }

  /**
   * Lets a call of `method` (lower-cased) to `chatId` through, or throws Telegram's 429 with
   * `retry_after` in whole seconds (at least 1), as the Bot API does.
   */
  check(method: string, chatId: unknown): void {
    if (!RATE_LIMITED_METHODS.has(method)) return;
    const now = this.now();
    const key = chatId === undefined || chatId === null || chatId === "" ? null : String(chatId);
    const chat = key === null ? undefined : this.chat(key, now);
    const chatWait = chat?.waitMs(now) ?? 0;
    const overallWait = this.overall.waitMs(now);
    if (chatWait > 0 || overallWait > 0) {
      this.stats.refused += 1;
      if (chatWait > 0) this.stats.refusedPerChat += 1;
      else this.stats.refusedOverall += 1;
      const retryAfter = Math.max(1, Math.ceil(Math.max(chatWait, overallWait) / 1000));
      throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
    }
    chat?.take(now);
    this.overall.take(now);
    this.stats.allowed += 1;
  }

  snapshot(): RateLimitStats {
    return { ...this.stats };
  }

  private chat(key: string, now: number): Bucket {
    let b = this.chats.get(key);
    if (!b) {
      // Forget chats whose buckets are full again, so a long run does not keep every chat forever.
      if (this.chats.size >= 10_000) for (const [k, v] of this.chats) if (v.idle(now)) this.chats.delete(k);
      b = new Bucket(this.perChatPerSecond, this.perChatBurst);
      this.chats.set(key, b);
    }
    return b;
  }
}

function positive(n: number, name: string): number {
  if (!(n > 0)) throw new Error(`TelegramDouble rateLimit.${name} must be positive, got ${n}`);
  return n;
}
