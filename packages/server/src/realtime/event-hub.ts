import type { ServerResponse } from "node:http";
import type { OrderStatus } from "@lastbite/shared";
import type { Metrics } from "../core/metrics.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { type LoadedOrder, loadOrders, publicOrder } from "../orders/order.repository.ts";
import { ORDER_EVENTS_CHANNEL, type OrderEventNotice } from "../orders/order-events.ts";
import { orderAsOf } from "./order-snapshot.ts";
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
  closed: boolean;
}

export type Admission = "ok" | "user_limit" | "process_limit";

/**
 * The per-process fan-out of order events to server-sent event streams. It subscribes once to the
 * `order_events` NOTIFY channel (so every instance sees every change, whichever instance made it),
 * loads each changed order once, and writes the same frame to the open streams of its buyer and its
 * shop's owner. Memory per stream is bounded: a stream whose socket stops draining is dropped, and
 * its client resumes with `Last-Event-ID`.
 */
export class EventHub {
  private readonly byUser = new Map<number, Set<Stream>>();
  /** Notices whose orders are still to be loaded, in arrival order. */
  private waiting: OrderEventNotice[] = [];
  private loading = false;
  private count = 0;
  private unlisten: (() => Promise<void>) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly opts: HubOptions;

  constructor(
    private readonly db: Database,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    opts: Partial<HubOptions> = {},
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

  async start(): Promise<void> {
    if (this.unlisten) return;
    // If the LISTEN connection dropped, notices were lost: end the streams so every client resumes
    // with Last-Event-ID and gets what it missed from the order_events table.
    this.unlisten = await this.db.listen(
      ORDER_EVENTS_CHANNEL,
      (p) => this.onNotice(p),
      () => {
        this.log.warn({}, "order_events LISTEN reconnected; ending streams so clients resume");
        this.endAll();
      },
    );
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Ends every stream (clients reconnect elsewhere) and unsubscribes. */
  async stop(): Promise<void> {
    this.endAll();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.().catch(() => {});
  }

  /** Ends the open streams, so that an HTTP server closing is not held open by them. */
  endAll(): void {
    for (const set of this.byUser.values()) for (const s of set) s.res.end();
  }

  /** Whether `userId` may open one more stream now. */
  admit(userId: number): Admission {
    if (this.count >= this.opts.maxStreams) return "process_limit";
    if ((this.byUser.get(userId)?.size ?? 0) >= this.opts.maxStreamsPerUser) return "user_limit";
    return "ok";
  }

  /**
   * Registers a response whose SSE headers are written, then replays what the user missed after
   * `lastEventId` (if given). Registration comes first, so events committed during the replay are
   * held, not lost; once the replay is done they are sent, less those the replay already sent.
   */
  async attach(userId: number, res: ServerResponse, lastEventId: number | null): Promise<void> {
    // The client may have gone while the request was being authenticated: its "close" is past.
    if (res.destroyed || res.socket?.destroyed) return;
    const s: Stream = {
      userId,
      res,
      pending: lastEventId === null ? null : [],
      replayed: null,
      floor: lastEventId ?? 0,
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
      const orders = new Map(
        (await loadOrders(this.db, "o.id = any($1)", [orderIds], orderIds.length)).map((o) => [o.id, o]),
      );
      for (const r of rows) {
        cursor = r.id;
        const order = orders.get(r.order_id);
        if (!order || s.closed) continue;
        sent.add(r.id);
        this.metrics.sseReplayedEvents.inc();
        if (!s.res.write(frameOf(r.id, order, r.to_status))) await drained(s.res);
      }
      if (rows.length < limit) break;
    }
    return sent;
  }

  private onNotice(payload: string): void {
    let notice: OrderEventNotice;
    try {
      notice = JSON.parse(payload) as OrderEventNotice;
    } catch {
      this.log.warn({ payload }, "ignoring a malformed order_events notice");
      return;
    }
    // Nobody here listens for this order: another instance (or nobody) serves its users.
    if (!this.byUser.has(notice.buyer_id) && !this.byUser.has(notice.owner_id)) return;
    this.waiting.push(notice);
    void this.pump();
  }

  /**
   * Loads the orders of waiting notices and fans them out, one batch at a time: a quiet system loads
   * each order as its notice comes in, a busy one loads all that arrived meanwhile in one query (so
   * the database work per event falls as load rises). Batches go out in arrival order, so a stream
   * never sees an order's states reversed.
   */
  private async pump(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, 500);
        const ids = [...new Set(batch.map((n) => n.order_id))];
        let orders: Map<number, LoadedOrder>;
        try {
          orders = new Map(
            (await loadOrders(this.db, "o.id = any($1)", [ids], ids.length)).map((o) => [o.id, o]),
          );
        } catch (err) {
          // Its clients still get these on their next resume; the tracking page also polls slowly.
          this.log.error({ err, count: batch.length }, "could not load orders for live events");
          continue;
        }
        for (const n of batch) {
          const order = orders.get(n.order_id);
          if (order) this.fanOut(n, frameOf(n.id, order, n.status));
        }
      }
    } finally {
      this.loading = false;
    }
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
   * live events for tens of milliseconds.
   */
  private beat(): void {
    const all: Stream[] = [];
    for (const set of this.byUser.values()) for (const s of set) all.push(s);
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
