import type { DeliveryType, OrderStatus, StoreStatus, Unit } from "./order-status.ts";
import { ORDER_STATUSES } from "./order-status.ts";

/**
 * The order lifecycle, in one place: who may do what in which status, and every list derived from
 * it (final and active statuses, statuses that give stock back or hold a booking code, the seller's
 * buttons). The server's services and SQL, the bot's buttons and callback parser and the Mini App
 * all read this module; nothing else keeps a list of "what is possible". Modelled on Vendure's
 * `default-order-process.ts`: a declarative table plus a pure `transition()` whose guards never throw.
 */

/** Who acts on an order. `system` is the clock (expiry jobs); `admin` is anyone in ADMIN_IDS. */
export const ACTOR_TYPES = ["buyer", "seller", "system", "admin"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];
export interface Actor {
  type: ActorType;
  id: number | null;
}

export const ORDER_ACTIONS = [
  "accept",
  "reject",
  "ready",
  "delivering",
  "complete",
  "cancel",
  "expire",
] as const;
export type OrderAction = (typeof ORDER_ACTIONS)[number];

/** The facts about an order that guards may look at. */
export interface OrderFacts {
  status: OrderStatus;
  delivery_type: DeliveryType;
  /**
   * The accept deadline has passed. Read from the locked row at the moment of the decision, never
   * from an earlier scan: an accept that got the lock first must stand.
   */
  accept_deadline_passed?: boolean;
  /** The pickup window closed more than NO_SHOW_GRACE ago (a no-show), read from the locked row. */
  no_show_due?: boolean;
}

/** Why a transition was refused, as a stable code (the API's `detail` and the bot's texts derive from it). */
export type Refusal =
  | "actor_cannot" // this kind of actor never takes this action
  | "wrong_status" // not from the order's current status
  | "accept_deadline_passed"
  | "not_pickup"
  | "not_delivery"
  | "not_due";

interface Transition {
  action: OrderAction;
  from: readonly OrderStatus[];
  to: OrderStatus;
  by: readonly ActorType[];
  /** Returns why the transition is not allowed now, or null. Never throws. */
  guard?: (o: OrderFacts) => Refusal | null;
  /** Allowed, but not offered as a button (a shortcut the API still accepts). */
  hidden?: (o: OrderFacts) => boolean;
  /** The person acting is asked for a reason first (reject, cancel by the shop). */
  asksReason?: boolean;
  /** Reaching `to` this way hands the order's stock back to its offers. */
  releasesStock?: boolean;
  /** Reaching `to` this way issues the booking code. */
  issuesCode?: boolean;
}

const SHOP: readonly ActorType[] = ["seller", "admin"];
const pickupOnly = (o: OrderFacts): Refusal | null => (o.delivery_type === "pickup" ? null : "not_pickup");
const deliveryOnly = (o: OrderFacts): Refusal | null =>
  o.delivery_type === "delivery" ? null : "not_delivery";

/** The order lifecycle, as data. Anything not listed is refused. See CONTRACT.md "Statuses". */
export const TRANSITIONS: readonly Transition[] = [
  {
    action: "accept",
    from: ["pending"],
    to: "confirmed",
    by: SHOP,
    issuesCode: true,
    guard: (o) => (o.accept_deadline_passed ? "accept_deadline_passed" : null),
  },
  { action: "reject", from: ["pending"], to: "rejected", by: SHOP, asksReason: true, releasesStock: true },
  { action: "ready", from: ["confirmed"], to: "ready", by: SHOP, guard: pickupOnly },
  { action: "delivering", from: ["confirmed"], to: "delivering", by: SHOP, guard: deliveryOnly },
  {
    action: "complete",
    from: ["confirmed", "ready", "delivering"],
    to: "completed",
    by: SHOP,
    // A delivery order goes out for delivery first; handing it over straight away stays possible.
    hidden: (o) => o.status === "confirmed" && o.delivery_type === "delivery",
  },
  { action: "cancel", from: ["pending"], to: "cancelled", by: ["buyer"], releasesStock: true },
  {
    action: "cancel",
    from: ["confirmed", "ready"],
    to: "cancelled",
    by: SHOP,
    asksReason: true,
    releasesStock: true,
  },
  // Expiry acts only while its condition holds on the locked row, so it can never undo a fresh accept.
  {
    action: "expire",
    from: ["pending"],
    to: "expired",
    by: ["system"],
    releasesStock: true,
    guard: (o) => (o.accept_deadline_passed ? null : "not_due"),
  },
  {
    action: "expire",
    from: ["confirmed", "ready"],
    to: "expired",
    by: ["system"],
    releasesStock: true,
    guard: (o) => (o.delivery_type === "pickup" && o.no_show_due ? null : "not_due"),
  },
];

export type TransitionResult =
  | { ok: true; to: OrderStatus }
  | { ok: false; refusal: Refusal; reason: string };

const REFUSAL_TEXT: Record<Refusal, (action: OrderAction, o: OrderFacts, actor: ActorType) => string> = {
  actor_cannot: (a, _o, actor) => `a ${actor} cannot ${a} an order`,
  wrong_status: (a, o) => `cannot ${a} an order that is ${o.status}`,
  accept_deadline_passed: () => "the order was not accepted in time and has expired",
  not_pickup: () => "a delivery order goes out for delivery, not to pickup",
  not_delivery: () => "a pickup order is not delivered",
  not_due: () => "its time has not come",
};

function find(o: OrderFacts, action: OrderAction, actor: ActorType): Transition | Refusal {
  const candidates = TRANSITIONS.filter((t) => t.action === action && t.by.includes(actor));
  if (candidates.length === 0) return "actor_cannot";
  const t = candidates.find((c) => c.from.includes(o.status));
  if (!t) return "wrong_status";
  return t.guard?.(o) ?? t;
}

/** Decides whether `actor` may apply `action` to an order in its current state. Pure, never throws. */
export function transition(o: OrderFacts, action: OrderAction, actor: ActorType): TransitionResult {
  const t = find(o, action, actor);
  if (typeof t === "string") return { ok: false, refusal: t, reason: REFUSAL_TEXT[t](action, o, actor) };
  return { ok: true, to: t.to };
}

/** Every action `actor` could take now, hidden shortcuts included, in table order. */
export function availableActions(o: OrderFacts, actor: ActorType): OrderAction[] {
  return ORDER_ACTIONS.filter((a) => transition(o, a, actor).ok);
}

/** The actions to show as buttons (bot card, Mini App): available and not a hidden shortcut. */
export function offeredActions(o: OrderFacts, actor: ActorType): OrderAction[] {
  return ORDER_ACTIONS.filter((a) => {
    const t = find(o, a, actor);
    return typeof t !== "string" && !t.hidden?.(o);
  });
}

/** Whether the person taking `action` from `status` is asked for a reason first. */
export function asksReason(action: OrderAction, status: OrderStatus): boolean {
  return TRANSITIONS.some((t) => t.action === action && t.from.includes(status) && t.asksReason === true);
}

/** Actions a person can take (everything but what only the clock does). */
export const PERSON_ACTIONS: readonly OrderAction[] = ORDER_ACTIONS.filter((a) =>
  TRANSITIONS.some((t) => t.action === a && t.by.some((b) => b !== "system")),
);
/** Actions the shop takes: `POST /api/seller/orders/:id/{action}`, the bot card's buttons. */
export const SELLER_ACTIONS = ORDER_ACTIONS.filter((a) =>
  TRANSITIONS.some((t) => t.action === a && t.by.includes("seller")),
) as unknown as readonly [SellerAction, ...SellerAction[]];
export type SellerAction = Exclude<OrderAction, "expire">;

// ---- status groups, derived from the table ----------------------------------------------------

/** Statuses with no way out: the order is over. */
export const FINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter(
  (s) => !TRANSITIONS.some((t) => t.from.includes(s)),
);
/** Statuses an order can still move on from. */
export const ACTIVE_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter(
  (s) => !FINAL_STATUSES.includes(s),
);
/** Statuses that hand the reserved stock back to the offers. */
export const STOCK_RETURNING_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) =>
  TRANSITIONS.some((t) => t.to === s && t.releasesStock === true),
);
/** Final statuses reached by the order failing (shown as "bad"): every final status that gives stock back. */
export const FAILED_STATUSES: readonly OrderStatus[] = FINAL_STATUSES.filter((s) =>
  STOCK_RETURNING_STATUSES.includes(s),
);
/**
 * Statuses in which the order's booking code is live (a scan finds it; unique within the shop): the
 * code-issuing status and every active status reachable from it.
 */
export const CODE_STATUSES: readonly OrderStatus[] = (() => {
  const seen = new Set<OrderStatus>(TRANSITIONS.filter((t) => t.issuesCode).map((t) => t.to));
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of TRANSITIONS)
      if (t.from.some((f) => seen.has(f)) && ACTIVE_STATUSES.includes(t.to) && !seen.has(t.to)) {
        seen.add(t.to);
        grew = true;
      }
  }
  return ORDER_STATUSES.filter((s) => seen.has(s));
})();
/** Statuses whose order has (or had) a booking code worth showing. */
export const CODE_SHOWN_STATUSES: readonly OrderStatus[] = [...CODE_STATUSES, "completed"];

export const isActiveStatus = (s: OrderStatus): boolean => ACTIVE_STATUSES.includes(s);
export const isFinalStatus = (s: OrderStatus): boolean => FINAL_STATUSES.includes(s);
export const isFailedStatus = (s: OrderStatus): boolean => FAILED_STATUSES.includes(s);

/** The happy path of an order of this type, for the tracking page's timeline. */
export function happyPath(delivery: DeliveryType): OrderStatus[] {
  const path: OrderStatus[] = ["pending"];
  for (;;) {
    const at = path[path.length - 1] as OrderStatus;
    const next = TRANSITIONS.find(
      (t) =>
        t.from.includes(at) &&
        !t.releasesStock &&
        !t.guard?.({ status: at, delivery_type: delivery }) &&
        !t.hidden?.({ status: at, delivery_type: delivery }) &&
        !path.includes(t.to),
    );
    if (!next) return path;
    path.push(next.to);
  }
}

/**
 * Reasons the system gives in words of the catalogue (`reason.<code>`), so every user reads them in
 * their own language; a person's typed reason is stored as they wrote it.
 */
export const REASON_CODES = [
  "accept_timeout",
  "no_show",
  "sold_out",
  "closing_soon",
  "cannot_deliver",
  "other",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
/** The quick choices a shop is offered when it rejects or cancels (the bot's reason buttons, the Mini App). */
export const SHOP_REASON_CODES = [
  "sold_out",
  "closing_soon",
  "cannot_deliver",
  "other",
] as const satisfies readonly ReasonCode[];
export type ShopReasonCode = (typeof SHOP_REASON_CODES)[number];

// ---- lines, totals and what is on sale ----------------------------------------------------------

/** A line's total: price × quantity, rounded to whole so'm. The server stores it; the cart shows it. */
export function lineTotal(price: number, quantity: number): number {
  return Math.round(price * quantity);
}

/** The items' total of an order or a cart. */
export function itemsTotal(lines: readonly { price: number; quantity: number }[]): number {
  return lines.reduce((sum, l) => sum + lineTotal(l.price, l.quantity), 0);
}

/** What the buyer saves on a line against the original price (0 without one). */
export function lineSaving(line: { price: number; original_price: number | null; quantity: number }): number {
  return line.original_price && line.original_price > line.price
    ? lineTotal(line.original_price - line.price, line.quantity)
    : 0;
}

/**
 * Whether an offer can be ordered at `now`: active, in stock, and before both its expiry and the end
 * of its pickup window. `onSale()` in the server's catalog/offer-rules.sql.ts states the same rule for the database.
 */
export function isOnSale(
  o: {
    active?: boolean;
    quantity: number;
    expires_at: string | null;
    pickup_until: string | null;
    /** The shop's status when known: only an `active` shop's offers are on sale. */
    store_status?: StoreStatus;
  },
  now: number = Date.now(),
): boolean {
  const before = (t: string | null) => t === null || Date.parse(t) > now;
  return (
    o.active !== false &&
    (o.store_status ?? "active") === "active" &&
    o.quantity > 0 &&
    before(o.expires_at) &&
    before(o.pickup_until)
  );
}

/** How much an offer's stock moves by per tap: whole pieces, 0.1 of a kg or l. */
export const quantityStep = (unit: Unit): number => (unit === "piece" ? 1 : 0.1);

// ---- booking codes ------------------------------------------------------------------------------

/** Booking codes: 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L). */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 6;
const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/**
 * Pulls a booking code out of what the seller typed or the QR scanner read: the code itself (any
 * case, spaces or dashes inside), a `code=` parameter, or the last code-shaped word of a text such
 * as the QR's `lastbite:42:K7QX2M`. Null when there is none.
 */
export function extractBookingCode(input: string): string | null {
  const s = input.trim().toUpperCase();
  const compact = s.replace(/[\s-]/g, "");
  if (CODE_RE.test(compact)) return compact;
  const param = /[?&#](?:CODE|C)=([A-Z0-9]+)/.exec(s);
  if (param?.[1] && CODE_RE.test(param[1])) return param[1];
  const words = s.split(/[^A-Z0-9]+/).filter((w) => CODE_RE.test(w));
  return words[words.length - 1] ?? null;
}
