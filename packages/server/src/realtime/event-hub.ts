import type { ServerResponse } from "node:http";
import type { OrderStatus } from "@lastbite/shared";
import { sql } from "kysely";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import type { Metrics } from "../core/metrics.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { type LoadedOrder, loadOrdersById, publicOrder } from "../orders/order.repository.ts";
import type { CommittedChange, OrderEventNotice } from "../orders/order-events.ts";
import type { ChangeFeed } from "./change-feed.ts";
import { orderAsOf } from "./order-snapshot.ts";
import type { SharedStreamCap } from "./shared-stream-cap.ts";
import { SSE_HEARTBEAT, sseFrame } from "./sse.ts";

export interface HubOptions {
  /** Open streams one user may hold (tabs, devices); the next one is refused with 429. */
  maxStreamsPerUser: number;
  /** Open streams this process holds in all; the next one is refused with 503. */
  maxStreams: number;
  heartbeatMs: number;
  /** Bytes a stream may have queued in the kernel and in Node before it counts as stuck and is dropped. */
  maxQueuedBytes: number;
  /** Live events held per stream while its replay runs; more and the stream is dropped. */
  maxPendingEvents: number;
  /** The reconnection delay suggested to EventSource clients (`retry:`). */
  retryMs: number;
  /** Missed events read per query during a replay. */
  replayPageSize: number;
  /** How long ids sent by a replay are remembered, to drop their late-arriving live notices. */
  replayMemoryMs: number;
  /** How often `order_events` is read for changes made elsewhere, whether or not a wake-up came. */
  catchUpMs: number;
  /**
   * With a shared cap (REDIS_URL): how long a stream keeps counting after its instance last
   * refreshed it (every heartbeat), so a crashed instance's streams stop counting within this.
   */
  sharedCapTtlMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  maxStreamsPerUser: 5,
  maxStreams: 20_000,
  heartbeatMs: 15_000,
  maxQueuedBytes: 256 * 1024,
  maxPendingEvents: 1_000,
  retryMs: 3_000,
  replayPageSize: 500,
  replayMemoryMs: 30_000,
  catchUpMs: 1_000,
  sharedCapTtlMs: 45_000,
};

interface Logger {
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** One open `GET /api/events` response. */
interface Stream {
  readonly userId: number;
  readonly res: ServerResponse;
  /** Live frames held while the replay runs; null once the stream is live. */
  pending: { id: number; frame: string }[] | null;
  /** Ids the replay sent: a live notice for one of them, arriving late, is a duplicate. */
  replayed: Set<number> | null;
  /**
   * The Last-Event-ID the client resumed from: it has seen everything up to there, so a late notice
   * of an older event (this instance's LISTEN lagging behind the one that served the old stream) is
   * never sent again.
   */
  readonly floor: number;
  /** Its id in the shared per-user count (REDIS_URL), or null without one. */
  readonly slot: string | null;
  closed: boolean;
}

export type Admission = "ok" | "user_limit" | "process_limit";

/** An admission and, when streams are counted across instances, the stream's place in that count. */
export type Reservation =
  | { admission: "ok"; slot: string | null }
  | { admission: "user_limit" | "process_limit"; slot: null };

/**
 * The per-process fan-out of order events to server-sent event streams. Changes made in this
 * process arrive at once from the change feed, with their orders; changes made by other instances
 * are read from `order_events` past this hub's watermark when the feed says something changed
 * elsewhere, and every second regardless. Each changed order is loaded once and the same frame
 * written to the open streams of its buyer and its shop's owner. Memory per stream is bounded: a
 * stream whose socket stops draining is dropped, and its client resumes with `Last-Event-ID`.
 *
 * The watermark closes the out-of-order-commit gap: event ids are drawn before commit, so on
 * PostgreSQL event 10 may commit after event 11. The hub's watermark W is the id below which every
 * event has been handled or is known never to exist; a missing id stays a gap until every
 * transaction that could still be writing it has ended (the snapshot's xmin has passed the xmax
 * seen when the gap was first noticed). Each frame's SSE id is min(event id, W), so a client that
 * resumes from it replays from a point with nothing missing before it; at worst it sees an event
 * twice, never one less.
 */
export class EventHub {
  private readonly byUser = new Map<number, Set<Stream>>();
  private count = 0;
  private started = false;
  private unsubscribe: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private catchUpTimer: NodeJS.Timeout | null = null;
  private readonly opts: HubOptions;
  /** Every event id ≤ this is handled or will never exist. */
  private watermark = 0;
  /** Handled ids above the watermark. */
  private readonly handled = new Set<number>();
  /** Missing ids above the watermark, with the snapshot xmax when first noticed. */
  private readonly gaps = new Map<number, bigint>();
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;

  constructor(
    private readonly db: Database,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    opts: Partial<HubOptions> = {},
    private readonly feed?: ChangeFeed,
    /** The per-user cap counted across instances (REDIS_URL); without it, per process. */
    private readonly shared?: SharedStreamCap,
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
    metrics.gauge("lastbite_sse_connections", "Open server-sent event streams", () => this.count);
  }

  /** Open streams in this process. */
  get size(): number {
    return this.count;
  }

  get options(): Readonly<HubOptions> {
    return this.opts;
  }

  /** The id below which every event has been handled (or never existed). */
  get handledUpTo(): number {
    return this.watermark;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const row = await kysely(this.db)
      .selectFrom("order_events")
      .select((eb) => eb.fn.max("id").as("max"))
      .executeTakeFirst();
    this.watermark = Math.max(this.watermark, Number(row?.max ?? 0));
    if (this.feed) {
      this.unsubscribe.push(this.feed.onLocalChange((c) => this.onLocal(c)));
      this.unsubscribe.push(this.feed.onRemoteChange(() => this.catchUp()));
    }
    this.catchUpTimer = setInterval(() => this.catchUp(), this.opts.catchUpMs);
    this.catchUpTimer.unref();
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Ends every stream (clients reconnect elsewhere) and unsubscribes. */
  async stop(): Promise<void> {
    this.endAll();
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.catchUpTimer) clearInterval(this.catchUpTimer);
    this.heartbeat = null;
    this.catchUpTimer = null;
    this.started = false;
    await this.catchingUp;
    // The ended streams' removals from the shared count go out before the Redis client closes.
    await this.shared?.settle();
  }

  /** Ends the open streams, so that an HTTP server closing is not held open by them. */
  endAll(): void {
    for (const set of this.byUser.values()) for (const s of set) s.res.end();
  }

  /** Whether `userId` may open one more stream in this process now. */
  admit(userId: number): Admission {
    if (this.count >= this.opts.maxStreams) return "process_limit";
    if ((this.byUser.get(userId)?.size ?? 0) >= this.opts.maxStreamsPerUser) return "user_limit";
    return "ok";
  }

  /**
   * `admit()`, then, with a shared cap, a place in the user's count across instances (atomic in
   * Redis; if Redis does not answer, this process's count alone decides). The caller passes the
   * slot to `attach()` with no `await` in between, so no other request of the user slips past the
   * second local check.
   */
  async reserve(userId: number): Promise<Reservation> {
    const here = this.admit(userId);
    if (here !== "ok") return { admission: here, slot: null };
    if (!this.shared) return { admission: "ok", slot: null };
    const slot = this.shared.newId();
    if ((await this.shared.acquire(userId, slot)) === "full") return { admission: "user_limit", slot: null };
    // Another request of this user may have been admitted here while Redis answered.
    const again = this.admit(userId);
    if (again === "ok") return { admission: "ok", slot };
    this.shared.release(userId, slot);
    return { admission: again, slot: null };
  }

  /**
   * Registers a response whose SSE headers are written, then replays what the user missed after
   * `lastEventId` (if given). Registration comes first, so events committed during the replay are
   * held, not lost; once the replay is done they are sent, less those the replay already sent.
   */
  async attach(
    userId: number,
    res: ServerResponse,
    lastEventId: number | null,
    slot: string | null = null,
  ): Promise<void> {
    // The client may have gone while the request was being authenticated: its "close" is past.
    if (res.destroyed || res.socket?.destroyed) {
      if (slot) this.shared?.release(userId, slot);
      return;
    }
    const s: Stream = {
      userId,
      res,
      pending: lastEventId === null ? null : [],
      replayed: null,
      floor: lastEventId ?? 0,
      slot,
      closed: false,
    };
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(s);
    this.count++;
    res.on("close", () => this.detach(s));
    res.on("error", () => {});
    if (lastEventId === null) return;
    try {
      s.replayed = await this.replay(s, lastEventId);
    } catch (err) {
      this.log.error({ err }, "SSE replay failed; dropping the stream so the client retries");
      this.drop(s, "replay_failed");
      return;
    }
    const held = s.pending ?? [];
    s.pending = null;
    for (const p of held) if (p.id > s.floor && !s.replayed.has(p.id)) this.write(s, p.frame);
    const timer = setTimeout(() => {
      s.replayed = null;
    }, this.opts.replayMemoryMs);
    timer.unref();
  }

  private detach(s: Stream): void {
    if (s.closed) return;
    s.closed = true;
    s.pending = null;
    this.count--;
    const set = this.byUser.get(s.userId);
    set?.delete(s);
    if (set?.size === 0) this.byUser.delete(s.userId);
    if (s.slot) this.shared?.release(s.userId, s.slot);
  }

  /** Sends the user's events after `after`, oldest first, page by page; returns the ids sent. */
  private async replay(s: Stream, after: number): Promise<Set<number>> {
    const sent = new Set<number>();
    const limit = this.opts.replayPageSize;
    for (let cursor = after; !s.closed; ) {
      // Two index range scans (buyer_id, id) and (store_id, id); UNION drops the double of an
      // order someone placed in their own shop.
      const k = kysely(this.db);
      const rows = await k
        .selectFrom("order_events")
        .select(["id", "order_id", "to_status"])
        .where("buyer_id", "=", s.userId)
        .where("id", ">", cursor)
        .union(
          k
            .selectFrom("order_events")
            .select(["id", "order_id", "to_status"])
            .where("store_id", "in", k.selectFrom("stores").select("id").where("owner_id", "=", s.userId))
            .where("id", ">", cursor),
        )
        .orderBy("id")
        .limit(limit)
        .execute();
      if (rows.length === 0) break;
      const orderIds = [...new Set(rows.map((r) => r.order_id))];
      const orders = new Map((await loadOrdersById(this.db, orderIds)).map((o) => [o.id, o]));
      for (const r of rows) {
        cursor = r.id;
        const order = orders.get(r.order_id);
        if (!order || s.closed) continue;
        sent.add(r.id);
        this.metrics.sseReplayedEvents.inc();
        if (!s.res.write(frameOf(this.sseId(r.id), order, r.to_status))) await drained(s.res);
      }
      if (rows.length < limit) break;
    }
    return sent;
  }

  /** A change this process just committed: fan it out at once, with the order it came with. */
  onLocal(c: CommittedChange): void {
    if (c.notice.id <= this.watermark || this.handled.has(c.notice.id)) return;
    this.handled.add(c.notice.id);
    this.advance(null);
    if (this.listensFor(c.notice))
      this.fanOut(c.notice, frameOf(this.sseId(c.notice.id), c.order, c.notice.status));
  }

  /**
   * Reads the events past the watermark that this process has not handled (made by other
   * instances), loads their orders once, and fans them out in id order. Calls that come while one
   * runs coalesce into one more pass.
   */
  catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      do {
        this.catchUpAgain = false;
        try {
          await this.catchUpOnce();
        } catch (err) {
          // Its clients still get these on their next resume; the next pass tries again.
          this.log.error({ err }, "could not read order events for live streams");
        }
      } while (this.catchUpAgain && this.started);
    })().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  private async catchUpOnce(): Promise<void> {
    const after = this.watermark;
    const row = await kysely(this.db)
      .selectNoFrom((eb) => [
        sql<string>`pg_snapshot_xmin(pg_current_snapshot())::text`.as("xmin"),
        sql<string>`pg_snapshot_xmax(pg_current_snapshot())::text`.as("xmax"),
        jsonArrayFrom(
          eb
            .selectFrom("order_events as e")
            .innerJoin("stores as s", "s.id", "e.store_id")
            .select(["e.id", "e.order_id", "e.buyer_id", "s.owner_id", "e.to_status as status"])
            .where("e.id", ">", after)
            .orderBy("e.id")
            .limit(1000),
        ).as("events"),
      ])
      .executeTakeFirst();
    if (!row) return;
    const fresh = row.events.filter((e) => !this.handled.has(e.id) && e.id > this.watermark);
    for (const e of fresh) this.handled.add(e.id);
    this.advance({ xmin: BigInt(row.xmin), xmax: BigInt(row.xmax) });
    const wanted = fresh.filter((e) => this.listensFor(e));
    if (wanted.length > 0) {
      const orders = new Map(
        (await loadOrdersById(this.db, [...new Set(wanted.map((e) => e.order_id))])).map((o) => [o.id, o]),
      );
      for (const e of wanted) {
        const order = orders.get(e.order_id);
        if (order) this.fanOut(e, frameOf(this.sseId(e.id), order, e.status));
      }
    }
    if (row.events.length === 1000) this.catchUpAgain = true;
  }

  /**
   * Moves the watermark over handled ids, and over missing ones once no transaction that could
   * still write them is running (`snapshot` from a read; without one, gaps stay).
   */
  private advance(snapshot: { xmin: bigint; xmax: bigint } | null): void {
    let top = this.watermark;
    for (const id of this.handled) if (id > top) top = id;
    for (let next = this.watermark + 1; next <= top; next++) {
      if (this.handled.delete(next)) {
        this.watermark = next;
        continue;
      }
      if (!snapshot) break;
      const seen = this.gaps.get(next);
      if (seen === undefined) {
        this.gaps.set(next, snapshot.xmax);
        break;
      }
      if (snapshot.xmin < seen) break;
      this.gaps.delete(next);
      this.watermark = next;
    }
    for (const id of this.gaps.keys()) if (id <= this.watermark) this.gaps.delete(id);
  }

  /** The SSE id of an event: resuming from it never skips an event that was still in flight. */
  private sseId(eventId: number): number {
    return Math.min(eventId, Math.max(this.watermark, 0));
  }

  private listensFor(n: { buyer_id: number; owner_id: number }): boolean {
    return this.byUser.has(n.buyer_id) || this.byUser.has(n.owner_id);
  }

  private fanOut(n: OrderEventNotice, frame: string): void {
    const buyer = this.byUser.get(n.buyer_id);
    const owner = n.owner_id === n.buyer_id ? undefined : this.byUser.get(n.owner_id);
    for (const set of [buyer, owner]) {
      if (!set) continue;
      for (const s of set) {
        if (s.pending) {
          if (s.pending.length >= this.opts.maxPendingEvents) this.drop(s, "pending_overflow");
          else s.pending.push({ id: n.id, frame });
        } else if (n.id > s.floor && !s.replayed?.has(n.id)) {
          this.write(s, frame);
        }
      }
    }
  }

  /** Writes unless the stream's queue is over its bound; a stuck consumer is dropped, never waited for. */
  private write(s: Stream, chunk: string): void {
    if (s.closed) return;
    const queued = s.res.writableLength + (s.res.socket?.writableLength ?? 0);
    if (queued > this.opts.maxQueuedBytes) {
      this.drop(s, "slow_consumer");
      return;
    }
    s.res.write(chunk);
    if (chunk !== SSE_HEARTBEAT) this.metrics.sseEvents.inc();
  }

  private drop(s: Stream, reason: string): void {
    this.metrics.sseDropped.inc({ reason });
    s.res.destroy();
    this.detach(s);
  }

  /**
   * Heartbeats every stream, a slice per turn of the event loop: 10,000 writes in one go would stall
   * live events for tens of milliseconds; and keeps this process's streams counted in the shared cap.
   */
  private beat(): void {
    const all: Stream[] = [];
    for (const set of this.byUser.values()) for (const s of set) all.push(s);
    this.shared?.refresh(all.filter((s): s is Stream & { slot: string } => s.slot !== null));
    const slice = (from: number) => {
      for (let i = from; i < Math.min(from + 200, all.length); i++)
        this.write(all[i] as Stream, SSE_HEARTBEAT);
      if (from + 200 < all.length) setImmediate(slice, from + 200);
    };
    slice(0);
  }
}

function frameOf(id: number, order: LoadedOrder, status: OrderStatus): string {
  return sseFrame(id, "order", JSON.stringify(publicOrder(orderAsOf(order, status))));
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
