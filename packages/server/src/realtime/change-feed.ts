import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { CommittedChange, OrderChanges } from "../orders/order-events.ts";

/** The NOTIFY channel on which instances tell each other that something committed. */
export const CHANGES_CHANNEL = "lastbite_changes";

export interface ChangeFeedOptions {
  /** At most one announcement to other instances per this many milliseconds. Default 5. */
  batchMs?: number;
}

interface Logger {
  warn(obj: unknown, msg?: string): void;
}

/**
 * How committed changes travel, with nothing but data in the transactions that make them:
 * - in this process, at once: the change (with the order as it now stands) goes to the live
 *   streams, and the outbox worker is woken;
 * - to other instances, after commit and in batches: at most one `pg_notify` every few
 *   milliseconds, outside any transaction, saying only "something changed". They read what changed
 *   from the tables (`order_events` past their watermark, due outbox rows), and they also read
 *   every second anyway, so a lost wake-up costs at most a second.
 * A `pg_notify` inside the order transaction would serialise every commit on PostgreSQL's one
 * notify-queue lock (measured: it halves pgbench's rate). PGlite is one process: nothing to announce.
 */
export class ChangeFeed implements OrderChanges {
  private readonly local = new Set<(c: CommittedChange) => void>();
  private readonly outboxWakes = new Set<() => void>();
  private readonly remote = new Set<() => void>();
  private readonly instance = randomBytes(6).toString("hex");
  private readonly batchMs: number;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  /** Announcements made, for the benchmarks and tests. */
  announcements = 0;

  constructor(
    private readonly db: Database,
    private readonly log?: Logger,
    opts: ChangeFeedOptions = {},
  ) {
    this.batchMs = opts.batchMs ?? 5;
  }

  /** Listens for other instances' announcements (PostgreSQL only). */
  async start(): Promise<void> {
    if (this.db.kind !== "postgres" || this.unlisten) return;
    this.unlisten = await this.db.listen(
      CHANGES_CHANNEL,
      (payload) => {
        if (payload !== this.instance) this.wakeRemote();
      },
      // Announcements may have been lost while the connection was down: read the tables now.
      () => this.wakeRemote(),
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  /** An order change committed in this process. */
  committed(change: CommittedChange): void {
    for (const fn of this.local) fn(change);
    for (const fn of this.outboxWakes) fn();
    this.announce();
  }

  /** Outbox rows were written without an order change (a rating): wake the senders. */
  outboxWritten(): void {
    for (const fn of this.outboxWakes) fn();
    this.announce();
  }

  /** Changes made by this process, with their orders, at once. Returns the unsubscribe function. */
  onLocalChange(fn: (c: CommittedChange) => void): () => void {
    this.local.add(fn);
    return () => this.local.delete(fn);
  }

  /** New outbox rows here or anywhere (the outbox worker). */
  onOutbox(fn: () => void): () => void {
    this.outboxWakes.add(fn);
    this.remote.add(fn);
    return () => {
      this.outboxWakes.delete(fn);
      this.remote.delete(fn);
    };
  }

  /** Another instance committed something: read the tables. */
  onRemoteChange(fn: () => void): () => void {
    this.remote.add(fn);
    return () => this.remote.delete(fn);
  }

  private wakeRemote(): void {
    for (const fn of this.remote) fn();
  }

  private announce(): void {
    if (this.db.kind !== "postgres" || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.announcements++;
      sql`select pg_notify(${CHANGES_CHANNEL}, ${this.instance})`
        .execute(kysely(this.db))
        .catch((err) => this.log?.warn({ err: String(err) }, "could not announce changes; others poll"));
    }, this.batchMs);
    this.timer.unref?.();
  }
}
