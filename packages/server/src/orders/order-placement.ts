import { createHash } from "node:crypto";
import { type CreateOrderBody, isValidQuantity, lineTotal } from "@lastbite/shared";
import { offerOpen } from "../catalog/offer-rules.sql.ts";
import type { Config } from "../config.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database, Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { inTransaction } from "../db/result-transaction.ts";
import { enqueue } from "../outbox/outbox.writer.ts";
import { type LoadedOrder, loadOrder } from "./order.repository.ts";
import { notificationsFor, type OrderEvent, recordEvent } from "./order-events.ts";

export interface CreatedOrder {
  order: LoadedOrder;
  /** True when an Idempotency-Key replay returned the order made earlier. */
  replayed: boolean;
}

/**
 * Placing an order: one transaction that checks the offers, takes the stock of every item (or of
 * none), writes the order, its first event and the seller's card to the outbox.
 */
export class OrderPlacement {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "orderAcceptTimeout">,
  ) {}

  async create(
    buyerId: number,
    body: CreateOrderBody,
    idempotencyKey?: string,
  ): Promise<Result<CreatedOrder>> {
    const requestHash = createHash("sha256").update(JSON.stringify(body)).digest("hex");
    return inTransaction<CreatedOrder>(this.db, async (tx) => {
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
    const offers = await kysely(tx)
      .selectFrom("offers")
      .select((eb) => [
        "id",
        "store_id",
        "title",
        "price",
        "unit",
        "quantity",
        // "On sale" ignoring stock: running out is insufficient_stock, not offer_unavailable.
        offerOpen(eb).as("on_sale"),
      ])
      .where("id", "=", (eb) => eb.fn.any(eb.val(items.map((i) => i.offer_id))))
      .execute();
    const byId = new Map(offers.map((o) => [o.id, o]));
    for (const i of items) {
      const o = byId.get(i.offer_id);
      if (!o) return fail("not_found", `offer ${i.offer_id} does not exist`);
      if (!o.on_sale) return fail("offer_unavailable", `"${o.title}" is no longer on sale`);
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
      return { ...i, title: o.title, unit: o.unit, price: o.price, total: lineTotal(o.price, i.quantity) };
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
    const event: OrderEvent = {
      orderId,
      storeId,
      buyerId,
      ownerId: store.owner_id,
      from: null,
      to: "pending",
      actor: { type: "buyer", id: buyerId },
      reason: null,
      reasonCode: null,
    };
    const eventId = await recordEvent(tx, event);
    await enqueue(tx, notificationsFor(event, eventId));
    return ok((await loadOrder(tx, orderId)) as LoadedOrder);
  }
}
