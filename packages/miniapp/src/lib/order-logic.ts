import {
  CODE_STATUSES,
  happyPath,
  isActiveStatus,
  isFailedStatus,
  isFinalStatus,
  type MessageKey,
  type OrderAction,
  type OrderStatus,
  offeredActions,
  SELLER_ACTIONS,
  type SellerAction,
  type TimelineEntry,
} from "@lastbite/shared";
import type { Order } from "./endpoints.ts";

/**
 * Pure order logic shared by the buyer and seller pages (unit-tested without a DOM). Every rule of
 * what is possible comes from the shared lifecycle (`@lastbite/shared`'s order-lifecycle); this
 * module only shapes it for the screen.
 */

export interface Step {
  status: OrderStatus;
  at: string | null;
  state: "done" | "current" | "todo" | "bad";
}

/** The timeline: what happened, then (for a live order) what is still to come on its happy path. */
export function timelineSteps(order: Order): Step[] {
  const happy = happyPath(order.delivery_type);
  const seen = new Map<OrderStatus, string>();
  for (const e of order.timeline) seen.set(e.status, e.at);
  const first = happy[0];
  if (first && !seen.has(first)) seen.set(first, order.created_at);
  if (!seen.has(order.status)) seen.set(order.status, order.updated_at);
  const reached = [...seen.entries()]
    .sort((a, b) => a[1].localeCompare(b[1]))
    .map(([status, at]) => ({ status, at }));
  const steps: Step[] = reached.map((r) => ({
    status: r.status,
    at: r.at,
    state:
      r.status === order.status
        ? isFailedStatus(r.status)
          ? "bad"
          : isFinalStatus(r.status)
            ? "done"
            : "current"
        : "done",
  }));
  if (!isFinalStatus(order.status)) {
    const from = happy.indexOf(order.status);
    for (const s of happy.slice(from + 1))
      if (!seen.has(s)) steps.push({ status: s, at: null, state: "todo" });
  }
  return steps;
}

/** A new order: still in the status every order starts in (waiting for the shop). */
export function isNewOrder(order: Order): boolean {
  return order.status === happyPath(order.delivery_type)[0];
}

const isSellerAction = (a: OrderAction): a is SellerAction =>
  (SELLER_ACTIONS as readonly string[]).includes(a);

/** The seller's buttons for this order: what the lifecycle offers a seller now, in its order. */
export function sellerActions(order: Order): SellerAction[] {
  return offeredActions(order, "seller").filter(isSellerAction);
}

/** Whether the buyer may cancel the order now (the lifecycle offers it). */
export function buyerCanCancel(order: Order): boolean {
  return offeredActions(order, "buyer").includes("cancel");
}

/** The booking code is live (shown, scannable): the order was accepted and is not over yet. */
export function hasLiveCode(order: Order): boolean {
  return order.code !== null && CODE_STATUSES.includes(order.status);
}

/** Still waiting for the booking code: active, but not yet in a status that carries one. */
export function awaitsCode(order: Order): boolean {
  return isActiveStatus(order.status) && !CODE_STATUSES.includes(order.status);
}

/**
 * Why an order (or a timeline entry) ended, for this reader: the system's reasons come as
 * `reason_code` and read from the catalogue in the reader's language; a person's reason as typed.
 */
export function reasonText(
  t: (key: MessageKey) => string,
  o: Pick<TimelineEntry, "reason" | "reason_code">,
): string | null {
  if (o.reason_code) return t(`reason.${o.reason_code}`);
  return o.reason || null;
}

export function newestFirst(orders: Order[]): Order[] {
  return [...orders].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
}

/** Replaces or inserts `order` when it belongs in a list with this filter, and drops it otherwise. */
export function upsert(orders: Order[], order: Order, tab: "active" | "finished" | "all"): Order[] {
  const belongs =
    tab === "all" || (tab === "active" ? isActiveStatus(order.status) : !isActiveStatus(order.status));
  const rest = orders.filter((o) => o.id !== order.id);
  return belongs ? newestFirst([order, ...rest]) : rest;
}

/** Where the order's pickup window stands at `now`: how long until it opens or closes, or closed. */
export type WindowState =
  | { state: "opens"; inMs: number }
  | { state: "closes"; inMs: number }
  | { state: "closed" }
  | { state: "none" };

export function pickupWindowState(
  order: Pick<Order, "pickup_from" | "pickup_until" | "delivery_type">,
  now: number,
): WindowState {
  if (order.delivery_type !== "pickup" || (!order.pickup_from && !order.pickup_until))
    return { state: "none" };
  const from = order.pickup_from ? Date.parse(order.pickup_from) : null;
  const until = order.pickup_until ? Date.parse(order.pickup_until) : null;
  if (from !== null && now < from) return { state: "opens", inMs: from - now };
  if (until === null) return { state: "none" };
  return now < until ? { state: "closes", inMs: until - now } : { state: "closed" };
}
