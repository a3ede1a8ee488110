import type { DeliveryType, OrderStatus } from "@lastbite/shared";

/** Who acts on an order. `system` is the expiry job; `admin` is anyone in ADMIN_IDS. */
export type ActorType = "buyer" | "seller" | "system" | "admin";
export interface Actor {
  type: ActorType;
  id: number | null;
}

export type OrderAction = "accept" | "reject" | "ready" | "delivering" | "complete" | "cancel" | "expire";

/** The facts about an order that guards may look at. */
export interface OrderFacts {
  status: OrderStatus;
  delivery_type: DeliveryType;
  /**
   * The accept deadline of the order has passed. Read from the locked row at the moment of the
   * decision, never from an earlier scan: an accept that got the lock first must stand.
   */
  accept_deadline_passed?: boolean;
  /** The pickup window closed more than NO_SHOW_GRACE ago (a no-show), read from the locked row. */
  no_show_due?: boolean;
}

interface Transition {
  action: OrderAction;
  from: readonly OrderStatus[];
  to: OrderStatus;
  by: readonly ActorType[];
  /** Returns why the transition is not allowed, or null. Never throws. */
  guard?: (o: OrderFacts) => string | null;
}

/**
 * The order lifecycle, as data. Who may do what in which state; anything not listed is refused.
 * See CONTRACT.md "Statuses".
 */
export const TRANSITIONS: readonly Transition[] = [
  {
    action: "accept",
    from: ["pending"],
    to: "confirmed",
    by: ["seller", "admin"],
    guard: (o) => (o.accept_deadline_passed ? "the order was not accepted in time and has expired" : null),
  },
  { action: "reject", from: ["pending"], to: "rejected", by: ["seller", "admin"] },
  {
    action: "ready",
    from: ["confirmed"],
    to: "ready",
    by: ["seller", "admin"],
    guard: (o) =>
      o.delivery_type === "pickup" ? null : "a delivery order goes out for delivery, not to pickup",
  },
  {
    action: "delivering",
    from: ["confirmed"],
    to: "delivering",
    by: ["seller", "admin"],
    guard: (o) => (o.delivery_type === "delivery" ? null : "a pickup order is not delivered"),
  },
  {
    action: "complete",
    from: ["confirmed", "ready", "delivering"],
    to: "completed",
    by: ["seller", "admin"],
  },
  { action: "cancel", from: ["pending"], to: "cancelled", by: ["buyer"] },
  { action: "cancel", from: ["confirmed", "ready"], to: "cancelled", by: ["seller", "admin"] },
  // Expiry acts only while its condition holds on the locked row, so it can never undo a fresh accept.
  {
    action: "expire",
    from: ["pending"],
    to: "expired",
    by: ["system"],
    guard: (o) => (o.accept_deadline_passed ? null : "the accept deadline has not passed"),
  },
  {
    action: "expire",
    from: ["confirmed", "ready"],
    to: "expired",
    by: ["system"],
    guard: (o) =>
      o.delivery_type === "pickup" && o.no_show_due
        ? null
        : "the pickup window and its grace have not passed",
  },
];

export type TransitionResult = { ok: true; to: OrderStatus } | { ok: false; reason: string };

/** Decides whether `actor` may apply `action` to an order in its current state. Pure. */
export function transition(order: OrderFacts, action: OrderAction, actor: ActorType): TransitionResult {
  const candidates = TRANSITIONS.filter((t) => t.action === action && t.by.includes(actor));
  if (candidates.length === 0) return { ok: false, reason: `a ${actor} cannot ${action} an order` };
  const t = candidates.find((c) => c.from.includes(order.status));
  if (!t) return { ok: false, reason: `cannot ${action} an order that is ${order.status}` };
  const refused = t.guard?.(order);
  if (refused) return { ok: false, reason: refused };
  return { ok: true, to: t.to };
}

/** The actions `actor` could take now: what buttons to show. */
export function availableActions(order: OrderFacts, actor: ActorType): OrderAction[] {
  const actions = [...new Set(TRANSITIONS.map((t) => t.action))];
  return actions.filter((a) => transition(order, a, actor).ok);
}
