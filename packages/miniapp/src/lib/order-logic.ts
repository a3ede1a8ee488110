import {
  isActiveStatus,
  isFinalStatus,
  type Order,
  type OrderStatus,
  type SellerAction,
} from "@lastbite/shared";

/** Pure order logic shared by the buyer and seller pages (unit-tested without a DOM). */

export interface Step {
  status: OrderStatus;
  at: string | null;
  state: "done" | "current" | "todo" | "bad";
}

/** The timeline: what happened, then (for a live order) what is still to come. */
export function timelineSteps(order: Order): Step[] {
  const happy: OrderStatus[] =
    order.delivery_type === "delivery"
      ? ["pending", "confirmed", "delivering", "completed"]
      : ["pending", "confirmed", "ready", "completed"];
  const seen = new Map<OrderStatus, string>();
  for (const e of order.timeline) seen.set(e.status, e.at);
  if (!seen.has("pending")) seen.set("pending", order.created_at);
  if (!seen.has(order.status)) seen.set(order.status, order.updated_at);
  const reached = [...seen.entries()]
    .sort((a, b) => a[1].localeCompare(b[1]))
    .map(([status, at]) => ({ status, at }));
  const steps: Step[] = reached.map((r) => ({
    status: r.status,
    at: r.at,
    state:
      r.status === order.status
        ? ["rejected", "cancelled", "expired"].includes(r.status)
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

/** What a seller may do next, following the order state machine. */
export function sellerActions(order: Order): SellerAction[] {
  switch (order.status) {
    case "pending":
      return ["accept", "reject"];
    case "confirmed":
      return order.delivery_type === "delivery"
        ? ["delivering", "complete", "cancel"]
        : ["ready", "complete", "cancel"];
    case "ready":
      return ["complete", "cancel"];
    case "delivering":
      return ["complete"];
    default:
      return [];
  }
}

/** Pulls a booking code out of a scanned QR text (the code itself, or a text/link containing it). */
export function codeFromScan(text: string): string {
  const s = text.trim();
  if (/^[A-Za-z0-9]{4,12}$/.test(s)) return s.toUpperCase();
  const param = /[?&#](?:code|c)=([A-Za-z0-9]{4,12})/.exec(s);
  if (param?.[1]) return param[1].toUpperCase();
  const tokens = s.match(/\b[A-Z0-9]{6}\b/g);
  return (tokens?.[tokens.length - 1] ?? s).toUpperCase();
}

export function newestFirst(orders: Order[]): Order[] {
  return [...orders].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
}

/** Replaces or inserts `order` when it belongs in a list with this filter, and drops it otherwise. */
export function upsert(orders: Order[], order: Order, tab: "active" | "finished"): Order[] {
  const belongs = tab === "active" ? isActiveStatus(order.status) : !isActiveStatus(order.status);
  const rest = orders.filter((o) => o.id !== order.id);
  return belongs ? newestFirst([order, ...rest]) : rest;
}
