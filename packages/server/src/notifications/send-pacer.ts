/**
 * Client-side pacing of Telegram sends, so the outbox stays under Telegram's limits instead of
 * learning them from 429s: a token bucket overall (`perSecond`, with a small burst) and, per chat,
 * at least `1 / perChatPerSecond` seconds between two sends.
 *
 * Waits are reservations: callers are served in the order they asked, and a chat's next send is
 * timed from the moment its previous one was let through (after any wait for the overall bucket),
 * so two sends to one chat are never closer than the chat's interval.
 */
export interface SendPacerOptions {
  /** Sends a second overall. `Infinity`: no overall pacing. */
  perSecond: number;
  /** Sends a second to one chat. Default 1 (Telegram's limit). `Infinity`: no per-chat pacing. */
  perChatPerSecond?: number;
  /**
   * Sends that may go at once overall after a quiet spell. Default a tenth of a second's worth (at
   * least 1): enough to bridge the worker's pause between two batches, far below the second's worth
   * Telegram tolerates.
   */
  burst?: number;
  now?: () => number;
}

/** Thrown by {@link SendPacer.take} when its signal aborts (the worker is stopping). */
export class PacingAborted extends Error {
  constructor() {
    super("pacing aborted");
  }
}

export class SendPacer {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly chatIntervalMs: number;
  private readonly now: () => number;
  /** When the overall bucket would be full again (GCRA's theoretical arrival time). */
  private tat = Number.NEGATIVE_INFINITY;
  /** Per chat: the earliest moment of its next send. Entries in the past are dropped by {@link busyChats}. */
  private readonly chatNext = new Map<number, number>();
  /** Per chat: the tail of the callers waiting for it, so they go one after another. */
  private readonly chatQueue = new Map<number, Promise<void>>();

  constructor(opts: SendPacerOptions) {
    if (!(opts.perSecond > 0)) throw new Error(`perSecond must be positive, got ${opts.perSecond}`);
    const perChat = opts.perChatPerSecond ?? 1;
    if (!(perChat > 0)) throw new Error(`perChatPerSecond must be positive, got ${perChat}`);
    this.intervalMs = 1000 / opts.perSecond; // 0 for Infinity
    const burst = opts.burst ?? Math.max(1, Math.floor(opts.perSecond / 10));
    this.toleranceMs = this.intervalMs > 0 ? (Math.max(1, burst) - 1) * this.intervalMs : 0;
    this.chatIntervalMs = 1000 / perChat;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Resolves when a send to `chatId` may go now; rejects with {@link PacingAborted} if `signal` aborts first. */
  take(chatId: number, signal?: AbortSignal): Promise<void> {
    const before = this.chatQueue.get(chatId) ?? Promise.resolve();
    const mine = before.then(() => this.takeInTurn(chatId, signal));
    const tail = mine.catch(() => {});
    this.chatQueue.set(chatId, tail);
    void tail.then(() => {
      if (this.chatQueue.get(chatId) === tail) this.chatQueue.delete(chatId);
    });
    return mine;
  }

  /**
   * The send to `chatId` that {@link take} let through is leaving now: the chat's next one is timed
   * from here (the caller may have had a little work between the two).
   */
  sending(chatId: number): void {
    if (this.chatIntervalMs > 0)
      this.chatNext.set(chatId, Math.max(this.chatNext.get(chatId) ?? 0, this.now() + this.chatIntervalMs));
  }

  /**
   * Telegram answered 429: no send before `ms` from now, and then none in a burst, one at a time at
   * the steady rate, so that a second 429 is seen before much else has gone out after the first.
   */
  pause(ms: number): void {
    this.tat = Math.max(this.tat, this.now() + ms + this.toleranceMs);
  }

  /**
   * Chats that may not be sent to within `withinMs`, and how long until the first of them may: the
   * worker leaves their rows to later claims instead of holding them while they wait. (A chat free
   * within `withinMs` is not busy: its row is better claimed a little early and sent the moment the
   * chat is free than claimed only then.)
   */
  busyChats(withinMs = 0): { chats: number[]; freeInMs: number } {
    const now = this.now();
    const chats: number[] = [];
    let freeAt = Number.POSITIVE_INFINITY;
    for (const [chat, next] of this.chatNext) {
      if (next <= now) this.chatNext.delete(chat);
      else if (next > now + withinMs) {
        chats.push(chat);
        freeAt = Math.min(freeAt, next);
      }
    }
    return { chats, freeInMs: chats.length ? Math.max(0, freeAt - now - withinMs) : 0 };
  }

  private chatWait(chatId: number): number {
    return (this.chatNext.get(chatId) ?? 0) - this.now();
  }

  private async takeInTurn(chatId: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw new PacingAborted();
    // (a loop: the previous send may have moved the chat's next moment while this one slept)
    for (let wait = this.chatWait(chatId); wait > 0; wait = this.chatWait(chatId)) await sleep(wait, signal);
    // The overall bucket: reserve the next slot (a wait only when the burst is used up).
    const now = this.now();
    const tat = Math.max(this.tat, now);
    this.tat = tat + this.intervalMs;
    const overallWait = tat - this.toleranceMs - now;
    if (overallWait > 1e-6) await sleep(overallWait, signal);
    if (this.chatIntervalMs > 0) this.chatNext.set(chatId, this.now() + this.chatIntervalMs);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PacingAborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PacingAborted());
    };
    // whole milliseconds, rounded up: timers round fractions down, and a send must not go early
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.ceil(ms - 1e-6),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
