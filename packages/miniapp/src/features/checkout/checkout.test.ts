import { describe, expect, it } from "vitest";
import type { Cart, CartItem } from "../../lib/cart.ts";
import type { Offer, Store } from "../../lib/endpoints.ts";
import {
  attemptFor,
  type CheckoutForm,
  checkoutTotals,
  lineState,
  nextExpiry,
  serverFieldErrors,
  validateCheckout,
} from "./checkout.ts";

const NOW = Date.parse("2026-01-01T12:00:00+05:00");
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

function item(over: Partial<CartItem> = {}): CartItem {
  return {
    offer_id: 1,
    title: "Non",
    price: 8000,
    original_price: 14000,
    unit: "piece",
    photo_url: null,
    quantity: 2,
    ...over,
  };
}

function offer(over: Partial<Offer> = {}): Offer {
  return {
    id: 1,
    store_id: 1,
    title: "Non",
    description: null,
    price: 8000,
    original_price: 14000,
    quantity: 10,
    unit: "piece",
    photo_url: null,
    pickup_from: null,
    pickup_until: null,
    expires_at: null,
    active: true,
    created_at: at(-60),
    updated_at: at(-60),
    ...over,
  };
}

const store: Store = {
  id: 1,
  name: "Non Bakery",
  address: "Tashkent",
  phone: "+998901112233",
  description: null,
  owner_id: 9,
  owner_username: null,
  status: "active",
  lat: null,
  lng: null,
  category: null,
  timezone: null,
  delivery_enabled: true,
  delivery_fee: 12000,
  min_order_amount: 30000,
  rating: null,
  ratings_count: 0,
  created_at: at(-600),
};

const cart = (items: CartItem[] = [item()]): Cart => ({ store_id: 1, store_name: "Non Bakery", items });
const form = (over: Partial<CheckoutForm> = {}): CheckoutForm => ({
  type: "pickup",
  address: "",
  phone: "",
  comment: "",
  ...over,
});

describe("validateCheckout (the shared createOrderBody, as the server checks it)", () => {
  it("accepts a pickup order and leaves blanks and delivery details out", () => {
    const v = validateCheckout(cart(), form({ address: "kept for later", comment: "  " }));
    expect(v).toEqual({
      ok: true,
      body: { items: [{ offer_id: 1, quantity: 2 }], delivery_type: "pickup" },
    });
  });

  it("asks for the address and phone of a delivery order", () => {
    const v = validateCheckout(cart(), form({ type: "delivery" }));
    expect(v).toEqual({
      ok: false,
      fieldErrors: { delivery_address: "required", customer_phone: "required" },
      otherProblem: false,
    });
  });

  it("tells a short address and a wrong phone from missing ones", () => {
    const v = validateCheckout(cart(), form({ type: "delivery", address: "Chi", phone: "12" }));
    expect(v.ok ? null : v.fieldErrors).toEqual({
      delivery_address: "addressTooShort",
      customer_phone: "invalidPhone",
    });
  });

  it("says an address over the limit is too long, not too short", () => {
    const v = validateCheckout(
      cart(),
      form({ type: "delivery", address: "Chilonzor 9, ".repeat(30), phone: "(90) 123-45-67" }),
    );
    expect(v.ok ? null : v.fieldErrors).toEqual({ delivery_address: "addressTooLong" });
  });

  it("normalises the phone the way the server stores it", () => {
    const v = validateCheckout(
      cart(),
      form({ type: "delivery", address: "Chilonzor 9, house 14", phone: "90 123 45 67", comment: " ring " }),
    );
    expect(v.ok && v.body).toMatchObject({ customer_phone: "+998901234567", comment: "ring" });
  });

  it("refuses what no field explains (an empty cart) without blaming a field", () => {
    expect(validateCheckout(cart([]), form())).toEqual({ ok: false, fieldErrors: {}, otherProblem: true });
  });
});

describe("serverFieldErrors", () => {
  it("maps the server's field errors and invalid_phone onto the form", () => {
    expect(serverFieldErrors("invalid_phone", [])).toEqual({ customer_phone: "invalidPhone" });
    expect(
      serverFieldErrors("invalid_request", [{ path: "delivery_address" }, { path: "customer_phone" }]),
    ).toEqual({ delivery_address: "addressTooShort", customer_phone: "invalidPhone" });
    expect(serverFieldErrors("insufficient_stock", [{ path: "items" }])).toEqual({});
  });
});

describe("checkoutTotals", () => {
  it("sums lines as the server rounds them, with savings", () => {
    const t = checkoutTotals(
      [item(), item({ offer_id: 2, price: 5333, original_price: null, unit: "kg", quantity: 1.5 })],
      store,
      "pickup",
    );
    expect(t).toEqual({
      itemsTotal: 16000 + 8000,
      savings: 12000,
      deliveryCost: 0,
      total: 24000,
      missing: 0,
    });
  });

  it("adds the delivery fee and applies the shop's minimum to delivery only", () => {
    const t = checkoutTotals([item()], store, "delivery");
    expect(t).toMatchObject({ deliveryCost: 12000, total: 28000, missing: 14000 });
    expect(checkoutTotals([item()], store, "pickup").missing).toBe(0);
  });
});

describe("what is still on sale", () => {
  it("marks a line gone when its offer is missing, paused, sold out or expired, and short when too few are left", () => {
    expect(lineState(item(), offer(), NOW)).toBe("ok");
    expect(lineState(item(), undefined, NOW)).toBe("gone");
    expect(lineState(item(), offer({ active: false }), NOW)).toBe("gone");
    expect(lineState(item(), offer({ quantity: 0 }), NOW)).toBe("gone");
    expect(lineState(item(), offer({ expires_at: at(-1) }), NOW)).toBe("gone");
    expect(lineState(item(), offer({ pickup_until: at(-1) }), NOW)).toBe("gone");
    expect(lineState(item({ quantity: 3 }), offer({ quantity: 2 }), NOW)).toBe("short");
  });

  it("knows when the next offer stops being on sale", () => {
    const offers = [
      offer({ expires_at: at(30) }),
      offer({ id: 2, pickup_until: at(10), expires_at: at(-5) }),
    ];
    expect(nextExpiry(offers, NOW)).toBe(NOW + 10 * 60_000);
    expect(nextExpiry([offer()], NOW)).toBeNull();
  });
});

describe("attemptFor (one idempotency key per order body)", () => {
  it("keeps the key for the same body and makes a new one when the body changes", () => {
    let n = 0;
    const key = () => `k${++n}`;
    const body = { items: [{ offer_id: 1, quantity: 2 }], delivery_type: "pickup" as const };
    const first = attemptFor(null, body, key);
    expect(attemptFor(first, { ...body }, key)).toBe(first);
    const changed = attemptFor(first, { ...body, comment: "ring" }, key);
    expect(changed.key).toBe("k2");
  });
});
