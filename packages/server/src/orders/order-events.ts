import type { Actor, OrderStatus, ReasonCode } from "@lastbite/shared";
import type { Sql } from "../db/database.ts";
import type { OutboxRow } from "../outbox/outbox-messages.ts";

/** The NOTIFY channel every order change is announced on (after commit), for live updates. */
export const ORDER_EVENTS_CHANNEL = "order_events";

/** What other instances hear about a committed change: enough to route it to the right streams. */
export interface OrderEventNotice {
  /** order_events.id: the SSE event id. */
  id: number;
  order_id: number;
  buyer_id: number;
  owner_id: number;
  status: OrderStatus;
}

/** One change of an order's status, as recorded in `order_events`. */
export interface OrderEvent {
  orderId: number;
  storeId: number;
  buyerId: number;
  ownerId: number;
  /** null when the order was just placed. */
  from: OrderStatus | null;
  to: OrderStatus;
  actor: Actor;
  reason: string | null;
  reasonCode: ReasonCode | null;
}

/** Records the event in the caller's transaction and announces it on commit; returns its id. */
export async function recordEvent(tx: Sql, e: OrderEvent): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into order_events (order_id, store_id, buyer_id, from_status, to_status, actor_type, actor_id, reason, reason_code)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9) returning id`,
    [e.orderId, e.storeId, e.buyerId, e.from, e.to, e.actor.type, e.actor.id, e.reason, e.reasonCode],
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
 * Which bot messages an event causes. Pure: the seller's card always follows the order; the buyer
 * hears of everything they did not do themselves; the seller gets a separate message for what the
 * buyer or the clock did, so it is noticed.
 */
export function notificationsFor(e: OrderEvent, eventId: number): OutboxRow[] {
  const o = e.orderId;
  if (e.from === null)
    return [
      {
        kind: "seller_new_order",
        payload: {},
        dedupeKey: `o${o}:new:seller`,
        chatId: e.ownerId,
        orderId: o,
        eventId,
      },
    ];
  const change = { status: e.to, reason: e.reason, reason_code: e.reasonCode };
  const rows: OutboxRow[] = [
    {
      kind: "seller_card",
      payload: {},
      dedupeKey: `o${o}:e${eventId}:seller_card`,
      chatId: e.ownerId,
      orderId: o,
      eventId,
    },
  ];
  if (e.actor.type !== "buyer")
    rows.push({
      kind: "buyer_status",
      payload: change,
      dedupeKey: `o${o}:e${eventId}:buyer`,
      chatId: e.buyerId,
      orderId: o,
      eventId,
    });
  if (e.actor.type === "buyer" || e.actor.type === "system")
    rows.push({
      kind: "seller_notice",
      payload: change,
      dedupeKey: `o${o}:e${eventId}:seller_notice`,
      chatId: e.ownerId,
      orderId: o,
      eventId,
    });
  return rows;
}
