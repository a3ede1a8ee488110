import type { OrderStatus } from "@lastbite/shared";
import { sql } from "kysely";
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Clock } from "../core/clock.ts";
import type { Metrics } from "../core/metrics.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { OrderChanges } from "../orders/order-events.ts";
import { dueAt, type JobKind, type JobTimes } from "../orders/order-jobs.ts";
import type { OrderTransitions } from "../orders/order-transitions.ts";
import type { OutboxKind } from "../outbox/outbox-messages.ts";

interface Logger {
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface JobRunnerOptions {
  db: Database;
  clock: Clock;
  config: Pick<Config, "orderAcceptTimeout" | "pickupReminderBefore" | "noShowGrace" | "ratingReminderAfter">;
  transitions: OrderTransitions;
  /** Told when reminders were written (wakes the outbox worker); its order changes re-arm the timer. */
  changes: OrderChanges & {
    onLocalChange(fn: () => void): () => void;
    onRemoteChange(fn: () => void): () => void;
  };
  log?: Logger;
  metrics?: Metrics;
  /** The safety-net poll besides the timer armed for the next due job. Default 2000 ms. */
  pollMs?: number;
  /** How long a claim keeps a job from other instances, in seconds of the clock. Default 60. */
  leaseSeconds?: number;
}

const claimed = z.object({
  id: z.coerce.number(),
  kind: z.string(),
  order_id: z.coerce.number(),
  due_at: z.union([z.string(), z.date()]),
});
type Job = { id: number; kind: JobKind; order_id: number; due_at: Date };

/** The reminder each reminder job writes, and the statuses in which it still makes sense. */
const REMINDERS: Partial<
  Record<JobKind, { kind: OutboxKind; to: "buyer" | "seller"; statuses: readonly OrderStatus[] }>
> = {
  accept_reminder: { kind: "seller_accept_reminder", to: "seller", statuses: ["pending"] },
  pickup_reminder: { kind: "buyer_pickup_reminder", to: "buyer", statuses: ["confirmed", "ready"] },
  rating_reminder: { kind: "buyer_rating_reminder", to: "buyer", statuses: ["completed"] },
  delivering_overdue: { kind: "seller_delivering_overdue", to: "seller", statuses: ["delivering"] },
};

/** The transition each expiry job asks for; the transition's guard re-checks it on the order's row. */
const EXPIRIES: Partial<Record<JobKind, "accept_timeout" | "no_show">> = {
  accept_expiry: "accept_timeout",
  no_show: "no_show",
};

/**
 * Runs the `jobs` table: rows written with the order changes that cause them (placement, accept,
 * delivering, completion), each due at a time of the clock. A pass claims due rows with `FOR UPDATE
 * SKIP LOCKED` and a lease, so two instances never take the same row; each job then re-reads its
 * order and acts only if its condition still holds: an expiry goes through the lifecycle's
 * transition (whose guard checks the deadline on the row it writes, so an accept and an expiry never
 * both win), a reminder is one statement that writes its outbox row (unique dedupe key) and marks
 * the job done together. A job run twice after a crash finds its effect already there.
 *
 * Waking: a timer armed for the next due job (re-armed whenever an order change commits here or
 * elsewhere), plus a cheap indexed poll as a safety net, and a pass at start-up for whatever fell
 * due while no instance ran.
 */
export class JobRunner {
  private readonly pollMs: number;
  private readonly leaseSeconds: number;
  private timer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void)[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private armQueued = false;
  /** Jobs handled, for tests and metrics. */
  handled = 0;

  constructor(private readonly opts: JobRunnerOptions) {
    this.pollMs = opts.pollMs ?? 2000;
    this.leaseSeconds = opts.leaseSeconds ?? 60;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const rearm = () => this.queueArm();
    this.unsubscribe = [this.opts.changes.onLocalChange(rearm), this.opts.changes.onRemoteChange(rearm)];
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref?.();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.timer = null;
    this.poll = null;
    await this.running;
  }

  /** Runs a pass soon; concurrent wakes coalesce into one more pass. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.runDue();
          await this.arm();
        } catch (err) {
          this.opts.log?.error({ err }, "job pass failed");
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }

  /** A change committed: a sooner job may exist. Coalesced, so a burst of orders costs one query. */
  private queueArm(): void {
    if (this.armQueued || this.stopped) return;
    this.armQueued = true;
    setTimeout(() => {
      this.armQueued = false;
      this.arm().catch((err) => this.opts.log?.warn({ err }, "could not arm the job timer"));
    }, 20).unref?.();
  }

  /** Sets the timer for the next job due (or free of another's lease), at most one poll away. */
  private async arm(): Promise<void> {
    if (this.stopped) return;
    const r = await kysely(this.opts.db)
      .selectFrom("jobs")
      .select(sql<Date | string | null>`min(greatest(due_at, coalesce(locked_until, due_at)))`.as("next"))
      .where("done_at", "is", null)
      .executeTakeFirst();
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!r?.next) return;
    const inMs = new Date(r.next).getTime() - this.opts.clock.now().getTime();
    if (inMs > this.pollMs) return; // the poll comes first anyway
    this.timer = setTimeout(() => this.wake(), Math.max(0, inMs) + 5);
    this.timer.unref?.();
  }

  /** Claims and runs every job due now, batch after batch; returns how many it handled. */
  async runDue(batch = 50): Promise<number> {
    let n = 0;
    for (;;) {
      const jobs = await this.claim(batch);
      for (const job of jobs) {
        const kind = job.kind;
        this.opts.metrics?.jobDelay.observe(
          { kind },
          Math.max(0, (this.opts.clock.now().getTime() - job.due_at.getTime()) / 1000),
        );
        try {
          await this.run(job);
          this.opts.metrics?.jobsRun.inc({ kind, outcome: "done" });
        } catch (err) {
          this.opts.metrics?.jobsRun.inc({ kind, outcome: "failed" });
          // Left claimed: it runs again when its lease ends; its effect's guard keeps it once.
          this.opts.log?.error({ err, job: job.id, kind: job.kind }, "job failed; will retry");
          await kysely(this.opts.db)
            .updateTable("jobs")
            .set({ last_error: String((err as Error)?.message ?? err).slice(0, 500) })
            .where("id", "=", job.id)
            .execute()
            .catch(() => {});
        }
        n++;
      }
      this.handled += jobs.length;
      if (jobs.length < batch) return n;
    }
  }

  private async claim(batch: number): Promise<Job[]> {
    const now = this.opts.clock.now().toISOString();
    const res = await sql<unknown>`
      update jobs set locked_until = ${now}::timestamptz + make_interval(secs => ${this.leaseSeconds}),
        attempts = attempts + 1
      where id in (
        select id from jobs
        where done_at is null and due_at <= ${now}::timestamptz
          and (locked_until is null or locked_until <= ${now}::timestamptz)
        order by due_at
        limit ${batch}
        for update skip locked)
      returning id, kind, order_id, due_at`.execute(kysely(this.opts.db));
    return res.rows.map((r) => {
      const j = claimed.parse(r);
      return { ...j, kind: j.kind as JobKind, due_at: new Date(j.due_at) };
    });
  }

  private async run(job: Job): Promise<void> {
    const { db, clock, config } = this.opts;
    const o = await kysely(db)
      .selectFrom("orders as o")
      .innerJoin("stores as s", "s.id", "o.store_id")
      .select([
        "o.status",
        "o.delivery_type",
        "o.accept_deadline",
        "o.pickup_until",
        "o.buyer_id",
        "s.owner_id",
      ])
      .where("o.id", "=", job.order_id)
      .executeTakeFirst();
    if (!o) return this.done(job);
    // When the job is really due under the settings as they are now (for the kinds that follow the
    // order's own times): a job that came early waits for that moment rather than act too soon.
    const times: JobTimes = { ...config };
    const relative = job.kind === "rating_reminder" || job.kind === "delivering_overdue";
    const due = relative
      ? job.kind === "rating_reminder" && config.ratingReminderAfter === 0
        ? null
        : job.due_at
      : dueAt(job.kind, o, times);
    if (!due) return this.done(job);
    if (due.getTime() > clock.now().getTime()) return this.reschedule(job, due);

    const expiry = EXPIRIES[job.kind];
    if (expiry) {
      // Refused (accepted, collected, cancelled meanwhile) is an answer too: nothing to do.
      await this.opts.transitions.act({ type: "system", id: null }, "system", job.order_id, "expire", {
        reasonCode: expiry,
      });
      return this.done(job);
    }
    const reminder = REMINDERS[job.kind];
    if (!reminder) return this.done(job);
    // A reminder about a moment that has passed (the deadline, the window's end) is not worth sending.
    const about =
      job.kind === "accept_reminder"
        ? o.accept_deadline
        : job.kind === "pickup_reminder"
          ? o.pickup_until
          : null;
    if (about && new Date(about).getTime() <= clock.now().getTime()) return this.done(job);
    const chatId = reminder.to === "buyer" ? o.buyer_id : o.owner_id;
    const now = clock.now().toISOString();
    // One statement: the reminder's outbox row (if the order is still where the reminder makes
    // sense, and not yet written) and the job marked done, together.
    const res = await sql<{ id: number }>`
      with d as (
        update jobs set done_at = ${now}::timestamptz, locked_until = null
        where id = ${job.id} and done_at is null
        returning id
      )
      insert into outbox (dedupe_key, kind, order_id, chat_id, payload)
      select ${`o${job.order_id}:remind:${job.kind}`}, ${reminder.kind}, o.id, ${chatId}::bigint, '{}'::jsonb
      from orders o, d
      where o.id = ${job.order_id} and o.status = any(${[...reminder.statuses]}::text[])
        and (${job.kind !== "rating_reminder"} or not exists (select 1 from ratings r where r.order_id = o.id))
      on conflict (dedupe_key) do nothing
      returning id`.execute(kysely(db));
    if (res.rows.length > 0) this.opts.changes.outboxWritten();
  }

  private async done(job: Job): Promise<void> {
    await kysely(this.opts.db)
      .updateTable("jobs")
      .set({ done_at: this.opts.clock.now(), locked_until: null })
      .where("id", "=", job.id)
      .execute();
  }

  private async reschedule(job: Job, due: Date): Promise<void> {
    await kysely(this.opts.db)
      .updateTable("jobs")
      .set({ due_at: due, locked_until: null })
      .where("id", "=", job.id)
      .execute();
  }
}
