import { createHash } from "node:crypto";
import {
  type CreateOrderBody,
  isValidQuantity,
  type OrderFilter,
  type OrderStatus,
  STOCK_RETURNING_STATUSES,
  type Unit,
} from "@lastbite/shared";
import type { Config } from "../config.ts";
import type { Database, Sql } from "../db/database.ts";
import { fail, ok, type Result } from "../http/problem.ts";
import { enqueue, type OutboxRow } from "../notifications/outbox.ts";
import { extractBookingCode, newBookingCode } from "./booking-code.ts";
import { type LoadedOrder, loadOrder, loadOrders } from "./order.repository.ts";
import { type Actor, type OrderAction, transition } from "./order-state-machine.ts";

/** The NOTIFY channel every order change is announced on (after commit), for live updates. */
export const ORDER_EVENTS_CHANNEL = "order_events";

export interface OrderEventNotice {
  /** order_events.id: the SSE event id. */
  id: number;
  order_id: number;
  buyer_id: number;
  owner_id: number;
  status: OrderStatus;
}

/** Thrown inside a transaction to roll it back with a business failure; never escapes the service. */
class Rollback extends Error {
  constructor(readonly failure: ReturnType<typeof fail>) {
    super(failure.detail);
  }
}

async function inTx<T>(db: Database, fn: (tx: Sql) => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await db.transaction(async (tx) => {
      const r = await fn(tx);
      if (!r.ok) throw new Rollback(r);
      return r;
    });
  } catch (err) {
    if (err instanceof Rollback) return err.failure;
    throw err;
  }
}

const FILTER_SQL: Record<OrderFilter, string> = {
  all: "true",
  active: "o.status in ('pending','confirmed','ready','delivering')",
  finished: "o.status in ('completed','rejected','cancelled','expired')",
};

export interface CreatedOrder {
  order: LoadedOrder;
  /** True when an Idempotency-Key replay returned the order made earlier. */
  replayed: boolean;
}

/** When the last pickup window of an order's items closes (`o` is the order). */
const LAST_PICKUP_UNTIL_SQL =
  "select max(f.pickup_until) from order_items i join offers f on f.id = i.offer_id where i.order_id = o.id";

/**
 * The order lifecycle: each call loads, decides with the pure state machine, and saves the order,
 * its event, the stock and the outbox rows in one transaction.
 */
export class OrderService {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "orderAcceptTimeout" | "adminIds" | "noShowGrace">,
  ) {}

  async create(
    buyerId: number,
    body: CreateOrderBody,
    idempotencyKey?: string,
  ): Promise<Result<CreatedOrder>> {
    const requestHash = createHash("sha256").update(JSON.stringify(body)).digest("hex");
    return inTx<CreatedOrder>(this.db, async (tx) => {
      if (idempotencyKey) {
        const inserted = await tx.query(
          `insert into idempotency_keys (user_id, key, request_hash) values ($1,$2,$3) on conflict do nothing returning key`,
          [buyerId, idempotencyKey, requestHash],
        );
        if (inserted.length === 0) {
          const [prev] = await tx.query<{ request_hash: string; order_id: number | null }>(
            "select request_hash, order_id from idempotency_keys where user_id = $1 and key = $2",
            [buyerId, idempotencyKey],
          );
          if (prev && prev.request_hash !== requestHash)
            return fail("idempotency_conflict", "this Idempotency-Key was used with a different request");
          const order = prev?.order_id ? await loadOrder(tx, prev.order_id) : null;
          if (order) return ok({ order, replayed: true });
        }
      }
      const created = await this.insertOrder(tx, buyerId, body);
      if (!created.ok) return created;
      if (idempotencyKey)
        await tx.query("update idempotency_keys set order_id = $3 where user_id = $1 and key = $2", [
          buyerId,
          idempotencyKey,
          created.value.id,
        ]);
      return ok({ order: created.value, replayed: false });
    });
  }

  private async insertOrder(tx: Sql, buyerId: number, body: CreateOrderBody): Promise<Result<LoadedOrder>> {
    const items = [...body.items].sort((a, b) => a.offer_id - b.offer_id);
    const offers = await tx.query<{
      id: number;
      store_id: number;
      title: string;
      price: number;
      unit: Unit;
      quantity: number;
      active: boolean;
      expired: boolean;
    }>(
      `select id, store_id, title, price, unit, quantity, active,
         coalesce(expires_at <= now(), false) or coalesce(pickup_until <= now(), false) as expired
       from offers where id = any($1)`,
      [items.map((i) => i.offer_id)],
    );
    const byId = new Map(offers.map((o) => [o.id, o]));
    for (const i of items) {
      const o = byId.get(i.offer_id);
      if (!o) return fail("not_found", `offer ${i.offer_id} does not exist`);
      if (!o.active || o.expired) return fail("offer_unavailable", `"${o.title}" is no longer on sale`);
      if (!isValidQuantity(i.quantity, o.unit))
        return fail(
          "invalid_quantity",
          `"${o.title}" is sold ${o.unit === "piece" ? "in whole pieces" : `in steps of 0.1 ${o.unit}`}`,
        );
    }
    const storeIds = new Set(offers.map((o) => o.store_id));
    if (storeIds.size !== 1) return fail("mixed_stores", "all items of an order must come from one shop");
    const storeId = offers[0]?.store_id as number;
    const [store] = await tx.query<{
      owner_id: number;
      delivery_enabled: boolean;
      delivery_fee: number;
      min_order_amount: number;
      name: string;
    }>("select owner_id, delivery_enabled, delivery_fee, min_order_amount, name from stores where id = $1", [
      storeId,
    ]);
    if (!store) return fail("not_found", "the shop does not exist");
    const lines = items.map((i) => {
      const o = byId.get(i.offer_id) as (typeof offers)[number];
      return { ...i, title: o.title, unit: o.unit, price: o.price, total: Math.round(o.price * i.quantity) };
    });
    const itemsTotal = lines.reduce((s, l) => s + l.total, 0);
    let deliveryCost = 0;
    if (body.delivery_type === "delivery") {
      if (!store.delivery_enabled)
        return fail("delivery_unavailable", `${store.name} does not deliver; choose pickup`);
      if (itemsTotal < store.min_order_amount)
        return fail(
          "below_min_order",
          `delivery from ${store.name} needs an order of at least ${store.min_order_amount} so'm; this one is ${itemsTotal}`,
        );
      deliveryCost = store.delivery_fee;
    }
    // Take the stock: a conditional update per item, in offer-id order so concurrent orders never deadlock.
    for (const l of lines) {
      const taken = await tx.query(
        "update offers set quantity = quantity - $2, updated_at = now() where id = $1 and quantity >= $2 returning id",
        [l.offer_id, l.quantity],
      );
      if (taken.length === 0) {
        const left = byId.get(l.offer_id)?.quantity ?? 0;
        return fail("insufficient_stock", `only ${left} left of "${l.title}"`);
      }
    }
    const [row] = await tx.query<{ id: number }>(
      `insert into orders (store_id, buyer_id, status, delivery_type, delivery_address, customer_phone, delivery_cost,
         items_total, total, comment, accept_deadline)
       values ($1,$2,'pending',$3,$4,$5,$6,$7,$8,$9, now() + make_interval(secs => $10)) returning id`,
      [
        storeId,
        buyerId,
        body.delivery_type ?? "pickup",
        body.delivery_type === "delivery" ? (body.delivery_address ?? null) : null,
        body.customer_phone ?? null,
        deliveryCost,
        itemsTotal,
        itemsTotal + deliveryCost,
        body.comment ?? null,
        this.config.orderAcceptTimeout,
      ],
    );
    const orderId = (row as { id: number }).id;
    for (const l of lines)
      await tx.query(
        "insert into order_items (order_id, offer_id, title, unit, quantity, price, total) values ($1,$2,$3,$4,$5,$6,$7)",
        [orderId, l.offer_id, l.title, l.unit, l.quantity, l.price, l.total],
      );
    const eventId = await this.recordEvent(tx, {
      orderId,
      storeId,
      buyerId,
      ownerId: store.owner_id,
      from: null,
      to: "pending",
      actor: { type: "buyer", id: buyerId },
      reason: null,
    });
    await enqueue(tx, [
      {
        kind: "seller_new_order",
        dedupeKey: `o${orderId}:new:seller`,
        chatId: store.owner_id,
        orderId,
        eventId,
      },
    ]);
    return ok((await loadOrder(tx, orderId)) as LoadedOrder);
  }

  private async recordEvent(
    tx: Sql,
    e: {
      orderId: number;
      storeId: number;
      buyerId: number;
      ownerId: number;
      from: OrderStatus | null;
      to: OrderStatus;
      actor: Actor;
      reason: string | null;
    },
  ): Promise<number> {
    const [row] = await tx.query<{ id: number }>(
      `insert into order_events (order_id, store_id, buyer_id, from_status, to_status, actor_type, actor_id, reason)
       values ($1,$2,$3,$4,$5,$6,$7,$8) returning id`,
      [e.orderId, e.storeId, e.buyerId, e.from, e.to, e.actor.type, e.actor.id, e.reason],
    );
    const id = (row as { id: number }).id;
    const notice: OrderEventNotice = {
      id,
      order_id: e.orderId,
      buyer_id: e.buyerId,
      owner_id: e.ownerId,
      status: e.to,
    };
    // NOTIFY inside the transaction is delivered on commit, and never if it rolls back.
    await tx.query("select pg_notify($1, $2)", [ORDER_EVENTS_CHANNEL, JSON.stringify(notice)]);
    return id;
  }

  /**
   * Applies an action as `actor`. `as` says through which door they came: a buyer sees only their
   * own orders, a seller only their shops' (or any, for admins); anything else is not found.
   */
  async act(
    actor: Actor,
    as: "buyer" | "seller" | "system",
    orderId: number,
    action: OrderAction,
    reason?: string | null,
  ): Promise<Result<LoadedOrder>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await inTx(this.db, (tx) => this.actIn(tx, actor, as, orderId, action, reason ?? null));
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
    as: "buyer" | "seller" | "system",
    orderId: number,
    action: OrderAction,
    reason: string | null,
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
    const returnsStock = STOCK_RETURNING_STATUSES.includes(to) && !o.stock_returned;
    await tx.query(
      `update orders set status = $2, code = coalesce($3, code), reason = coalesce($4, reason),
         stock_returned = stock_returned or $5, updated_at = now() where id = $1`,
      [orderId, to, code, STOCK_RETURNING_STATUSES.includes(to) ? reason : null, returnsStock],
    );
    if (returnsStock)
      await tx.query(
        `update offers f set quantity = f.quantity + i.quantity, updated_at = now()
         from order_items i where i.order_id = $1 and f.id = i.offer_id`,
        [orderId],
      );
    const eventId = await this.recordEvent(tx, {
      orderId,
      storeId: o.store_id,
      buyerId: o.buyer_id,
      ownerId: o.owner_id,
      from: o.status,
      to,
      actor: { type: actorType, id: actor.id },
      reason,
    });
    const rows: OutboxRow[] = [
      {
        kind: "seller_card",
        dedupeKey: `o${orderId}:e${eventId}:seller_card`,
        chatId: o.owner_id,
        orderId,
        eventId,
      },
    ];
    if (actorType !== "buyer")
      rows.push({
        kind: "buyer_status",
        dedupeKey: `o${orderId}:e${eventId}:buyer`,
        chatId: o.buyer_id,
        orderId,
        eventId,
        payload: { status: to, reason },
      });
    if (actorType === "buyer" || actorType === "system")
      rows.push({
        kind: "seller_notice",
        dedupeKey: `o${orderId}:e${eventId}:seller_notice`,
        chatId: o.owner_id,
        orderId,
        eventId,
        payload: { status: to, reason },
      });
    await enqueue(tx, rows);
    return ok((await loadOrder(tx, orderId)) as LoadedOrder);
  }

  /** A code not used by the shop's active orders; the unique index is the final word under races. */
  private async freshCode(tx: Sql, storeId: number): Promise<string> {
    const taken = new Set(
      (
        await tx.query<{ code: string }>(
          "select code from orders where store_id = $1 and code is not null and status in ('confirmed','ready','delivering')",
          [storeId],
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
    return inTx(this.db, async (tx) => {
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
          dedupeKey: `o${orderId}:rating:seller`,
          chatId: o.owner_id,
          orderId,
          payload: { stars, comment: comment ?? null },
        },
      ]);
      return ok((await loadOrder(tx, orderId)) as LoadedOrder);
    });
  }

  async forBuyer(buyerId: number, orderId: number): Promise<Result<LoadedOrder>> {
    const [o] = await loadOrders(this.db, "o.id = $1 and o.buyer_id = $2", [orderId, buyerId], 1);
    return o ? ok(o) : fail("not_found", `order ${orderId} does not exist`);
  }

  async forSeller(userId: number, orderId: number): Promise<Result<LoadedOrder>> {
    const [o] = await loadOrders(this.db, "o.id = $1", [orderId], 1);
    if (!o || (o.owner_id !== userId && !this.config.adminIds.includes(userId)))
      return fail("not_found", `order ${orderId} does not exist`);
    return ok(o);
  }

  listForBuyer(buyerId: number, filter: OrderFilter, limit = 100): Promise<LoadedOrder[]> {
    return loadOrders(this.db, `o.buyer_id = $1 and ${FILTER_SQL[filter]}`, [buyerId], limit);
  }

  listForSeller(ownerId: number, filter: OrderFilter, limit = 200): Promise<LoadedOrder[]> {
    return loadOrders(this.db, `s.owner_id = $1 and ${FILTER_SQL[filter]}`, [ownerId], limit);
  }

  /** What a QR scan calls: the seller's active, confirmed order with this booking code. */
  async verifyCode(ownerId: number, input: string): Promise<Result<LoadedOrder>> {
    const code = extractBookingCode(input);
    if (!code) return fail("invalid_request", "a booking code has 6 letters and digits");
    const [o] = await loadOrders(
      this.db,
      "s.owner_id = $1 and o.code = $2 and o.status in ('confirmed','ready','delivering')",
      [ownerId, code],
      1,
    );
    return o ? ok(o) : fail("code_not_found", `no active order of your shops has the code ${code}`);
  }

  /**
   * Expires pending orders past their accept deadline, and pickup orders nobody collected by
   * NO_SHOW_GRACE after the last pickup window of their items closed (no-shows). The scan only
   * nominates: `act` re-checks each condition on the locked row. Returns how many it expired.
   */
  async expireDue(limit = 100): Promise<number> {
    const due = await this.db.query<{ id: number; status: OrderStatus }>(
      `select id, status from orders where status = 'pending' and accept_deadline <= now()
       union all
       select o.id, o.status from orders o
        where o.status in ('confirmed','ready') and o.delivery_type = 'pickup'
          and (${LAST_PICKUP_UNTIL_SQL}) <= now() - make_interval(secs => $2)
       limit $1`,
      [limit, this.config.noShowGrace],
    );
    let n = 0;
    for (const { id, status } of due) {
      const reason =
        status === "pending" ? "the shop did not answer in time" : "the order was not picked up in time";
      const r = await this.act({ type: "system", id: null }, "system", id, "expire", reason);
      if (r.ok) n++;
    }
    return n;
  }
}
