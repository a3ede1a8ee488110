import type { Actor, OrderStatus, ReasonCode } from "@lastbite/shared";
import type { OutboxMessage } from "../outbox/outbox-messages.ts";
import type { LoadedOrder } from "./order.repository.ts";

/** What other instances and the live streams learn of a committed change: enough to route it. */
export interface OrderEventNotice {
  /** order_events.id: the SSE event id. */
  id: number;
  order_id: number;
  buyer_id: number;
  owner_id: number;
  status: OrderStatus;
}

/** A change that has committed, with the order as it stands after it: what `OrderChanges` hears. */
export interface CommittedChange {
  notice: OrderEventNotice;
  order: LoadedOrder;
}

/**
 * Told of every committed order change, right after its commit, by the process that made it: the
 * live streams of this process, the outbox worker, and the batched announcement to other instances
 * hang off it (realtime/change-feed.ts). A port of the orders context, so orders/ imports nothing above it.
 */
export interface OrderChanges {
  committed(change: CommittedChange): void;
  /** Outbox rows were written without a change of status (a rating). */
  outboxWritten(): void;
}

/** One change of an order's status, before its ids are known. */
export interface OrderChange {
  buyerId: number;
  ownerId: number;
  /** null when the order was just placed. */
  from: OrderStatus | null;
  to: OrderStatus;
  actor: Actor;
  reason: string | null;
  reasonCode: ReasonCode | null;
}

/**
 * An outbox row written with the change; its dedupe key may hold `{order}` and `{event}`, which the
 * writing statement fills with the ids it draws (the ids do not exist before it runs).
 */
export type OutboxTemplate = OutboxMessage & { dedupeKey: string; chatId: number };

/**
 * Which bot messages a change causes. Pure: the seller's card always follows the order; the buyer
 * hears of everything they did not do themselves; the seller gets a separate message for what the
 * buyer or the clock did, so it is noticed.
 */
export function notificationsFor(e: OrderChange): OutboxTemplate[] {
  if (e.from === null)
    return [{ kind: "seller_new_order", payload: {}, dedupeKey: "o{order}:new:seller", chatId: e.ownerId }];
  const change = { status: e.to, reason: e.reason, reason_code: e.reasonCode };
  const rows: OutboxTemplate[] = [
    { kind: "seller_card", payload: {}, dedupeKey: "o{order}:e{event}:seller_card", chatId: e.ownerId },
  ];
  if (e.actor.type !== "buyer")
    rows.push({
      kind: "buyer_status",
      payload: change,
      dedupeKey: "o{order}:e{event}:buyer",
      chatId: e.buyerId,
    });
  if (e.actor.type === "buyer" || e.actor.type === "system")
    rows.push({
      kind: "seller_notice",
      payload: change,
      dedupeKey: "o{order}:e{event}:seller_notice",
      chatId: e.ownerId,
    });
  return rows;
}

/** The templates as the records the writing statement reads (`jsonb_to_recordset`). */
export const outboxRecords = (rows: readonly OutboxTemplate[]) =>
  rows.map((r) => ({ dedupe_key: r.dedupeKey, kind: r.kind, chat_id: r.chatId, payload: r.payload }));
