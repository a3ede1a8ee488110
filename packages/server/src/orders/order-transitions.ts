import {
  type Actor,
  type ActorType,
  type OrderAction,
  REASON_CODES,
  type ReasonCode,
  STOCK_RETURNING_STATUSES,
  transition,
} from "@lastbite/shared";
import { sql } from "kysely";
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Clock } from "../core/clock.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { inTransaction } from "../db/result-transaction.ts";
import { enqueue } from "../outbox/outbox.writer.ts";
import { newBookingCode } from "./booking-code.ts";
import { afterChange, type LoadedOrder, loadOrder, selectOrders, toLoadedOrder } from "./order.repository.ts";
import { notificationsFor, type OrderChange, type OrderChanges, outboxRecords } from "./order-events.ts";
import { type JobTimes, jobsFor } from "./order-jobs.ts";

/** Through which door an actor came: a buyer sees only their orders, a seller only their shops'. */
export type Door = "buyer" | "seller" | "system";

/** Why an action was taken: a person's words, or a reason of the catalogue. */
export interface Why {
  reason?: string | null;
  reasonCode?: ReasonCode | null;
}

/** What the transition statement returns: the order's new state and its event. */
const applied = z.object({
  status: z.string(),
  code: z.string().nullable(),
  reason: z.string().nullable(),
  reason_code: z.enum(REASON_CODES).nullable(),
  updated_at: z.union([z.string(), z.date()]),
  event_id: z.coerce.number(),
});

/**
 * Moving orders through the lifecycle in two round trips and no lock held across them: read the
 * order with the facts its guards look at (deadlines, read with the database's clock), decide with
 * the pure `transition()` of the shared lifecycle, then one statement that applies the change only
 * if the order is still as it was read (same status, same facts) and writes the stock return, the
 * event and the outbox rows with it. If something moved meanwhile, nothing is written and the
 * decision is made again on the new state: an accept and an expiry can never both win.
 */
export class OrderTransitions {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "adminIds"> & JobTimes,
    private readonly changes: OrderChanges,
    private readonly clock: Clock,
  ) {}

  async act(
    actor: Actor,
    as: Door,
    orderId: number,
    action: OrderAction,
    why: Why = {},
  ): Promise<Result<LoadedOrder>> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.attempt(actor, as, orderId, action, why);
      if (r !== "moved") return r;
      // Someone else changed the order between the read and the write: decide again. Bounded,
      // because every retry means another change committed, and an order has few to make.
      if (attempt >= 20) throw new Error(`order ${orderId} kept changing under ${action}`);
    }
  }

  private async attempt(
    actor: Actor,
    as: Door,
    orderId: number,
    action: OrderAction,
    why: Why,
  ): Promise<Result<LoadedOrder> | "moved"> {
    const grace = this.config.noShowGrace;
    // One moment for the whole decision: the read's facts and the write's re-check use the same now.
    const now = this.clock.now().toISOString();
    const row = await selectOrders(this.db)
      .select([
        sql<boolean>`coalesce(o.accept_deadline <= ${now}::timestamptz, false)`.as("accept_deadline_passed"),
        sql<boolean>`coalesce(o.pickup_until <= ${now}::timestamptz - make_interval(secs => ${grace}), false)`.as(
          "no_show_due",
        ),
        "o.stock_returned",
      ])
      .where("o.id", "=", orderId)
      .executeTakeFirst();
    const notFound = fail("not_found", `order ${orderId} does not exist`);
    if (!row) return notFound;
    const before = toLoadedOrder(row);
    let actorType: ActorType = actor.type;
    if (as === "buyer" && before.buyer.id !== actor.id) return notFound;
    if (as === "seller") {
      if (before.owner_id === actor.id) actorType = "seller";
      else if (actor.id !== null && this.config.adminIds.includes(actor.id)) actorType = "admin";
      else return notFound;
    }
    const facts = {
      status: before.status,
      delivery_type: before.delivery_type,
      accept_deadline_passed: row.accept_deadline_passed,
      no_show_due: row.no_show_due,
    };
    const decision = transition(facts, action, actorType);
    if (!decision.ok) return fail("invalid_transition", decision.reason);
    const to = decision.to;
    const endsBadly = STOCK_RETURNING_STATUSES.includes(to);
    const change: OrderChange = {
      buyerId: before.buyer.id,
      ownerId: before.owner_id,
      from: before.status,
      to,
      actor: { type: actorType, id: actor.id },
      reason: why.reason ?? null,
      reasonCode: why.reasonCode ?? null,
    };
    const params = {
      id: orderId,
      from: before.status,
      to,
      // A fresh code on confirm; the shop's unique index on live codes is the final word.
      code: to === "confirmed" ? newBookingCode() : null,
      reason: endsBadly ? change.reason : null,
      reasonCode: endsBadly ? change.reasonCode : null,
      returnsStock: endsBadly && !row.stock_returned,
      // Reaching `to` schedules what follows from it (reminders, a no-show), once per kind.
      jobs: JSON.stringify(jobsFor(to, before, this.config, new Date(now))),
    };
    let result: z.infer<typeof applied> | undefined;
    for (let draw = 0; ; draw++) {
      try {
        const res = await sql<unknown>`
          with o as (
            update orders set status = ${params.to}, code = coalesce(${params.code}::text, code),
              reason = coalesce(${params.reason}::text, reason),
              reason_code = coalesce(${params.reasonCode}::text, reason_code),
              stock_returned = stock_returned or ${params.returnsStock}, updated_at = now()
            where id = ${params.id} and status = ${params.from}
              and coalesce(accept_deadline <= ${now}::timestamptz, false) = ${facts.accept_deadline_passed}
              and coalesce(pickup_until <= ${now}::timestamptz - make_interval(secs => ${grace}), false) = ${facts.no_show_due}
            returning id, store_id, buyer_id, status, code, reason, reason_code, updated_at
          ), back as (
            update offers f set quantity = f.quantity + i.quantity, updated_at = now()
            from order_items i, o
            where ${params.returnsStock} and i.order_id = o.id and f.id = i.offer_id
            returning f.id
          ), ev as (
            insert into order_events (order_id, store_id, buyer_id, from_status, to_status, actor_type, actor_id, reason, reason_code)
            select o.id, o.store_id, o.buyer_id, ${params.from}, o.status, ${actorType}, ${actor.id}::bigint,
              ${change.reason}::text, ${change.reasonCode}::text
            from o
            returning id, order_id
          ), ob as (
            insert into outbox (dedupe_key, kind, order_id, event_id, chat_id, payload)
            select replace(replace(r.dedupe_key, '{order}', ev.order_id::text), '{event}', ev.id::text),
              r.kind, ev.order_id, ev.id, r.chat_id, r.payload
            from ev, jsonb_to_recordset(${JSON.stringify(outboxRecords(notificationsFor(change)))}::jsonb)
              as r(dedupe_key text, kind text, chat_id bigint, payload jsonb)
            on conflict (dedupe_key) do nothing
            returning id
          ), jb as (
            insert into jobs (kind, order_id, due_at)
            select j.kind, o.id, j.due_at
            from o, jsonb_to_recordset(${params.jobs}::jsonb) as j(kind text, due_at timestamptz)
            on conflict (kind, order_id) do nothing
            returning id
          )
          select o.status, o.code, o.reason, o.reason_code, o.updated_at, ev.id as event_id
          from o, ev`.execute(kysely(this.db));
        result = res.rows[0] === undefined ? undefined : applied.parse(res.rows[0]);
        break;
      } catch (err) {
        // Two confirms in one shop drew the same booking code: draw again.
        if ((err as { code?: string }).code === "23505" && params.code && draw < 3) {
          params.code = newBookingCode();
          continue;
        }
        throw err;
      }
    }
    if (!result) return "moved";
    const order = afterChange(
      before,
      {
        status: to,
        code: result.code,
        reason: result.reason,
        reason_code: result.reason_code,
        at: result.updated_at,
      },
      { reason: change.reason, reason_code: change.reasonCode },
    );
    this.changes.committed({
      notice: {
        id: result.event_id,
        order_id: orderId,
        buyer_id: before.buyer.id,
        owner_id: before.owner_id,
        status: to,
      },
      order,
    });
    return ok(order);
  }

  async rate(
    buyerId: number,
    orderId: number,
    stars: number,
    comment?: string,
  ): Promise<Result<LoadedOrder>> {
    const r = await inTransaction(this.db, async (tx) => {
      const k = kysely(tx);
      const o = await k
        .selectFrom("orders as o")
        .innerJoin("stores as s", "s.id", "o.store_id")
        .select(["o.status", "o.store_id", "s.owner_id"])
        .where("o.id", "=", orderId)
        .where("o.buyer_id", "=", buyerId)
        .forUpdate("o")
        .executeTakeFirst();
      if (!o) return fail("not_found", `order ${orderId} does not exist`);
      if (o.owner_id === buyerId) return fail("forbidden", "a shop's owner cannot rate their own shop");
      if (o.status !== "completed") return fail("invalid_transition", "only completed orders can be rated");
      const inserted = await k
        .insertInto("ratings")
        .values({
          order_id: orderId,
          store_id: o.store_id,
          buyer_id: buyerId,
          stars,
          comment: comment || null,
        })
        .onConflict((oc) => oc.doNothing())
        .returning("order_id")
        .execute();
      if (inserted.length === 0) return fail("already_rated", "this order has already been rated");
      await k
        .updateTable("stores")
        .set((eb) => ({
          rating_sum: eb("rating_sum", "+", stars),
          ratings_count: eb("ratings_count", "+", 1),
        }))
        .where("id", "=", o.store_id)
        .execute();
      await enqueue(tx, [
        {
          kind: "seller_rating",
          payload: { stars, comment: comment ?? null },
          dedupeKey: `o${orderId}:rating:seller`,
          chatId: o.owner_id,
          orderId,
        },
      ]);
      return ok((await loadOrder(tx, orderId)) as LoadedOrder);
    });
    if (r.ok) this.changes.outboxWritten();
    return r;
  }
}
