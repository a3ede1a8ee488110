import {
  type Actor,
  CODE_STATUSES,
  type OrderAction,
  type OrderStatus,
  type ReasonCode,
  STOCK_RETURNING_STATUSES,
  transition,
} from "@lastbite/shared";
import type { Config } from "../config.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database, Sql } from "../db/database.ts";
import { inTransaction } from "../db/result-transaction.ts";
import { enqueue } from "../outbox/outbox.writer.ts";
import { newBookingCode } from "./booking-code.ts";
import { LAST_PICKUP_UNTIL_SQL, type LoadedOrder, loadOrder } from "./order.repository.ts";
import { notificationsFor, type OrderEvent, recordEvent } from "./order-events.ts";

/** Through which door an actor came: a buyer sees only their orders, a seller only their shops'. */
export type Door = "buyer" | "seller" | "system";

/** Why an action was taken: a person's words, or a reason of the catalogue. */
export interface Why {
  reason?: string | null;
  reasonCode?: ReasonCode | null;
}

/**
 * Moving orders through the lifecycle: each call locks the order, decides with the pure
 * `transition()` of the shared lifecycle, and saves the status, the stock return, the event and the
 * outbox rows in one transaction. Rating a completed order lives here too.
 */
export class OrderTransitions {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "adminIds" | "noShowGrace">,
  ) {}

  async act(
    actor: Actor,
    as: Door,
    orderId: number,
    action: OrderAction,
    why: Why = {},
  ): Promise<Result<LoadedOrder>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await inTransaction(this.db, (tx) => this.actIn(tx, actor, as, orderId, action, why));
      } catch (err) {
        // Two confirms in one shop drew the same booking code: draw again.
        if ((err as { code?: string }).code === "23505" && attempt < 3) continue;
        throw err;
      }
    }
  }

  private async actIn(
    tx: Sql,
    actor: Actor,
    as: Door,
    orderId: number,
    action: OrderAction,
    why: Why,
  ): Promise<Result<LoadedOrder>> {
    const [o] = await tx.query<{
      id: number;
      status: OrderStatus;
      delivery_type: "pickup" | "delivery";
      store_id: number;
      buyer_id: number;
      owner_id: number;
      stock_returned: boolean;
      accept_deadline_passed: boolean;
      no_show_due: boolean;
    }>(
      // The time conditions are read on the locked row: an expiry decided on an earlier scan must
      // not undo an accept that committed in between.
      `select o.id, o.status, o.delivery_type, o.store_id, o.buyer_id, s.owner_id, o.stock_returned,
         coalesce(o.accept_deadline <= now(), false) as accept_deadline_passed,
         coalesce((${LAST_PICKUP_UNTIL_SQL}) <= now() - make_interval(secs => $2), false) as no_show_due
       from orders o join stores s on s.id = o.store_id where o.id = $1 for update of o`,
      [orderId, this.config.noShowGrace],
    );
    const notFound = fail("not_found", `order ${orderId} does not exist`);
    if (!o) return notFound;
    let actorType = actor.type;
    if (as === "buyer" && o.buyer_id !== actor.id) return notFound;
    if (as === "seller") {
      if (o.owner_id === actor.id) actorType = "seller";
      else if (actor.id !== null && this.config.adminIds.includes(actor.id)) actorType = "admin";
      else return notFound;
    }
    const decision = transition(o, action, actorType);
    if (!decision.ok) return fail("invalid_transition", decision.reason);
    const to = decision.to;
    const code = to === "confirmed" ? await this.freshCode(tx, o.store_id) : null;
    const endsBadly = STOCK_RETURNING_STATUSES.includes(to);
    const returnsStock = endsBadly && !o.stock_returned;
    const reason = endsBadly ? (why.reason ?? null) : null;
    const reasonCode = endsBadly ? (why.reasonCode ?? null) : null;
    await tx.query(
      `update orders set status = $2, code = coalesce($3, code), reason = coalesce($4, reason),
         reason_code = coalesce($6, reason_code), stock_returned = stock_returned or $5, updated_at = now()
       where id = $1`,
      [orderId, to, code, reason, returnsStock, reasonCode],
    );
    if (returnsStock)
      await tx.query(
        `update offers f set quantity = f.quantity + i.quantity, updated_at = now()
         from order_items i where i.order_id = $1 and f.id = i.offer_id`,
        [orderId],
      );
    const event: OrderEvent = {
      orderId,
      storeId: o.store_id,
      buyerId: o.buyer_id,
      ownerId: o.owner_id,
      from: o.status,
      to,
      actor: { type: actorType, id: actor.id },
      reason: why.reason ?? null,
      reasonCode: why.reasonCode ?? null,
    };
    const eventId = await recordEvent(tx, event);
    await enqueue(tx, notificationsFor(event, eventId));
    return ok((await loadOrder(tx, orderId)) as LoadedOrder);
  }

  /** A code not used by the shop's live orders; the unique index is the final word under races. */
  private async freshCode(tx: Sql, storeId: number): Promise<string> {
    const taken = new Set(
      (
        await tx.query<{ code: string }>(
          "select code from orders where store_id = $1 and code is not null and status = any($2)",
          [storeId, CODE_STATUSES],
        )
      ).map((r) => r.code),
    );
    for (;;) {
      const code = newBookingCode();
      if (!taken.has(code)) return code;
    }
  }

  async rate(
    buyerId: number,
    orderId: number,
    stars: number,
    comment?: string,
  ): Promise<Result<LoadedOrder>> {
    return inTransaction(this.db, async (tx) => {
      const [o] = await tx.query<{ status: OrderStatus; store_id: number; owner_id: number }>(
        "select o.status, o.store_id, s.owner_id from orders o join stores s on s.id = o.store_id where o.id = $1 and o.buyer_id = $2 for update of o",
        [orderId, buyerId],
      );
      if (!o) return fail("not_found", `order ${orderId} does not exist`);
      if (o.owner_id === buyerId) return fail("forbidden", "a shop's owner cannot rate their own shop");
      if (o.status !== "completed") return fail("invalid_transition", "only completed orders can be rated");
      const inserted = await tx.query(
        "insert into ratings (order_id, store_id, buyer_id, stars, comment) values ($1,$2,$3,$4,$5) on conflict do nothing returning order_id",
        [orderId, o.store_id, buyerId, stars, comment || null],
      );
      if (inserted.length === 0) return fail("already_rated", "this order has already been rated");
      await tx.query(
        "update stores set rating_sum = rating_sum + $2, ratings_count = ratings_count + 1 where id = $1",
        [o.store_id, stars],
      );
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
  }
}
