import {
  ADDRESS_MAX,
  createOrderBody,
  type DeliveryType,
  isOnSale,
  itemsTotal,
  lineSaving,
} from "@lastbite/shared";
import type { z } from "zod";
import type { Cart, CartItem } from "../../lib/cart.ts";
import type { Offer, Store } from "../../lib/endpoints.ts";

/**
 * The checkout's rules, pure (no React, no DOM) so they are unit-tested beside the hook that
 * uses them (use-checkout.ts): the order body and its validation, exactly as the server checks
 * it (the shared createOrderBody), the totals, what is still on sale, and the idempotency key.
 */

export interface CheckoutForm {
  type: DeliveryType;
  address: string;
  phone: string;
  comment: string;
}

/** The fields the buyer types that the server may refuse. */
export type Field = "delivery_address" | "customer_phone";
/** Why a field was refused, as a catalogue text: required, too short or long, not a phone number. */
export type FieldProblem = "required" | "addressTooShort" | "addressTooLong" | "invalidPhone";
export type FieldErrors = Partial<Record<Field, FieldProblem>>;

export type OrderBody = z.output<typeof createOrderBody>;

/** What the form would send: blanks left out, delivery details only for delivery. */
export function orderBody(cart: Cart, form: CheckoutForm): unknown {
  const delivery = form.type === "delivery";
  return {
    items: cart.items.map((i) => ({ offer_id: i.offer_id, quantity: i.quantity })),
    delivery_type: form.type,
    ...(delivery
      ? {
          delivery_address: form.address.trim() || undefined,
          customer_phone: form.phone.trim() || undefined,
        }
      : {}),
    comment: form.comment.trim() || undefined,
  };
}

export type Validation =
  | { ok: true; body: OrderBody }
  | { ok: false; fieldErrors: FieldErrors; otherProblem: boolean };

/** Checks the order as the server will (createOrderBody), naming the fields the buyer must fix. */
export function validateCheckout(cart: Cart, form: CheckoutForm): Validation {
  const parsed = createOrderBody.safeParse(orderBody(cart, form));
  if (parsed.success) return { ok: true, body: parsed.data };
  const fieldErrors: FieldErrors = {};
  let otherProblem = false;
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (field === "delivery_address") {
      const length = form.address.trim().length;
      fieldErrors.delivery_address =
        length === 0 ? "required" : length > ADDRESS_MAX ? "addressTooLong" : "addressTooShort";
    } else if (field === "customer_phone")
      fieldErrors.customer_phone = form.phone.trim() ? "invalidPhone" : "required";
    else otherProblem = true;
  }
  return { ok: false, fieldErrors, otherProblem };
}

/** The fields a refusal from the server names (400 with field errors, or `invalid_phone`). */
export function serverFieldErrors(code: string, errors: readonly { path: string }[]): FieldErrors {
  if (code === "invalid_phone") return { customer_phone: "invalidPhone" };
  const out: FieldErrors = {};
  if (code !== "invalid_request") return out;
  for (const e of errors) {
    if (e.path.includes("delivery_address")) out.delivery_address = "addressTooShort";
    if (e.path.includes("customer_phone")) out.customer_phone = "invalidPhone";
  }
  return out;
}

export interface Totals {
  itemsTotal: number;
  /** What the buyer saves against the original prices. */
  savings: number;
  deliveryCost: number;
  total: number;
  /** How much is missing to the shop's minimum (delivery only, as on the server); ≤ 0 when none. */
  missing: number;
}

/** The cart's totals as the server will compute them, for the chosen way of getting the order. */
export function checkoutTotals(
  items: readonly CartItem[],
  store: Store | undefined,
  type: DeliveryType,
): Totals {
  const sum = itemsTotal(items);
  const delivery = type === "delivery" && !!store;
  const deliveryCost = delivery ? store.delivery_fee : 0;
  return {
    itemsTotal: sum,
    savings: items.reduce((s, i) => s + lineSaving(i), 0),
    deliveryCost,
    total: sum + deliveryCost,
    // The shop's minimum applies to delivery only: pickup of one pastry is fine.
    missing: delivery ? store.min_order_amount - sum : 0,
  };
}

/** A cart line against the shop's current offer: on sale, more than is left, or gone. */
export type LineState = "ok" | "short" | "gone";
export function lineState(item: CartItem, offer: Offer | undefined, now: number): LineState {
  if (!offer || !isOnSale(offer, now)) return "gone";
  return item.quantity > offer.quantity ? "short" : "ok";
}

/** The next moment one of these offers stops being on sale (expiry or end of pickup), or null. */
export function nextExpiry(offers: readonly Offer[], now: number): number | null {
  let next: number | null = null;
  for (const o of offers)
    for (const t of [o.expires_at, o.pickup_until]) {
      const at = t ? Date.parse(t) : Number.NaN;
      if (at > now && (next === null || at < next)) next = at;
    }
  return next;
}

/**
 * One idempotency key per order body: a double tap (or a retry after a lost answer) re-sends the
 * same body with the same key and gets the same order back; a changed body gets a new key.
 */
export interface Attempt {
  key: string;
  body: string;
}
export function attemptFor(previous: Attempt | null, body: OrderBody, newKey: () => string): Attempt {
  const json = JSON.stringify(body);
  return previous && previous.body === json ? previous : { key: newKey(), body: json };
}
