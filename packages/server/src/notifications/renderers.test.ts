import type { OrderStatus } from "@lastbite/shared";
import { describe, expect, it } from "vitest";
import type { LoadedOrder } from "../orders/order.repository.ts";
import {
  backCallback,
  orderCallback,
  parseCallbackData,
  rateCallback,
  reasonCallback,
  storeCallback,
} from "./callback-data.ts";
import {
  copyCodeButton,
  reasonKeyboard,
  renderAdminStoreReview,
  renderBuyerStatus,
  renderReminder,
  renderSellerCard,
  renderSellerNotice,
  renderStoreDecision,
  sellerActions,
  windowText,
} from "./renderers.ts";

const order = (over: Partial<LoadedOrder> = {}): LoadedOrder => ({
  id: 42,
  status: "pending",
  delivery_type: "pickup",
  delivery_address: null,
  customer_phone: null,
  delivery_cost: 0,
  comment: null,
  items: [
    { offer_id: 1, title: "Samsa", quantity: 2, unit: "piece", price: 6000, total: 12000 },
    { offer_id: 2, title: "Olma", quantity: 1.5, unit: "kg", price: 10000, total: 15000 },
  ],
  items_total: 27000,
  total: 27000,
  code: null,
  store: {
    id: 1,
    name: "Non Uyi",
    address: "Chilonzor 5",
    phone: "+998901234567",
    owner_username: null,
    timezone: "Asia/Tashkent",
  },
  buyer: { id: 7, first_name: "Aziza", username: null },
  timeline: [],
  reason: null,
  reason_code: null,
  rating: null,
  pickup_from: null,
  pickup_until: null,
  accept_deadline: "2026-01-01T10:30:00.000Z",
  created_at: "2026-01-01T10:00:00.000Z",
  updated_at: "2026-01-01T10:00:00.000Z",
  owner_id: 3,
  buyer_language: "en",
  ...over,
});

describe("seller card", () => {
  it("shows the buttons the state machine allows, ✅ first and ❌ second", () => {
    const cases: [OrderStatus, "pickup" | "delivery", string[]][] = [
      ["pending", "pickup", ["accept", "reject"]],
      ["confirmed", "pickup", ["ready", "complete", "cancel"]],
      ["confirmed", "delivery", ["delivering", "cancel"]],
      ["ready", "pickup", ["complete", "cancel"]],
      ["delivering", "delivery", ["complete"]],
      ["completed", "pickup", []],
      ["rejected", "pickup", []],
      ["cancelled", "delivery", []],
      ["expired", "pickup", []],
    ];
    for (const [status, delivery_type, actions] of cases)
      expect(sellerActions({ status, delivery_type }), `${status}/${delivery_type}`).toEqual(actions);
    const card = renderSellerCard(order({ status: "confirmed", code: "AB12CD" }), "en");
    expect(card.keyboard.flat().map((b) => b.text)).toEqual(["🔔 Ready", "✅ Handed over", "❌ Cancel"]);
    expect(renderSellerCard(order({ status: "completed" }), "en").keyboard).toEqual([]);
  });

  it("lists items with quantity and price, the total, the type, and delivery details", () => {
    const { text } = renderSellerCard(
      order({
        delivery_type: "delivery",
        delivery_address: "Yunusobod 4",
        customer_phone: "+998907654321",
        delivery_cost: 5000,
        total: 32000,
      }),
      "ru",
    );
    expect(text).toContain("Новый заказ №42");
    expect(text).toContain("Samsa — 2 × 6\u00a0000\u00a0сум = 12\u00a0000\u00a0сум");
    expect(text).toContain("Olma — 1,5\u00a0кг × 10\u00a0000\u00a0сум/кг = 15\u00a0000\u00a0сум");
    expect(text).toContain("Итого: 32\u00a0000\u00a0сум");
    expect(text).toContain("Доставка");
    expect(text).toContain("Yunusobod 4");
    expect(text).toContain("+998907654321");
    expect(text).toContain("Aziza");
  });
});

describe("buyer messages", () => {
  it("sends the QR for a confirmed pickup order only, and stars for a completed one", () => {
    const pickup = renderBuyerStatus(order({ status: "confirmed", code: "AB12CD" }), "confirmed", null, "en");
    expect(pickup?.qrCode).toBe("AB12CD");
    expect(pickup?.text).toContain("AB12CD");
    const delivery = renderBuyerStatus(
      order({ status: "confirmed", code: "AB12CD", delivery_type: "delivery", delivery_address: "X 1" }),
      "confirmed",
      null,
      "en",
    );
    expect(delivery?.qrCode).toBeNull();
    // pickup or delivery, the code can be copied with one tap (copy_text, 1-256 characters)
    expect([pickup?.copyCode, delivery?.copyCode]).toEqual(["AB12CD", "AB12CD"]);
    expect(copyCodeButton("AB12CD", "ru")).toEqual({
      text: "📋 Скопировать код AB12CD",
      copy_text: { text: "AB12CD" },
    });
    const done = renderBuyerStatus(order({ status: "completed" }), "completed", null, "uz");
    expect(done?.keyboard.flat().map((b) => b.text)).toEqual(["⭐1", "⭐2", "⭐3", "⭐4", "⭐5"]);
    const rejected = renderBuyerStatus(order({ status: "rejected" }), "rejected", "sold out", "en");
    expect(rejected?.text).toContain("Reason: sold out");
  });

  it("tells the seller about the buyer's cancellation and expiry, nothing else", () => {
    expect(renderSellerNotice(order(), "cancelled", null, "en")).toBe(
      "❌ Order #42 was cancelled by the buyer.",
    );
    expect(renderSellerNotice(order(), "expired", "too late", "en")).toContain("expired");
    expect(renderSellerNotice(order(), "confirmed", null, "en")).toBeNull();
  });
});

describe("times in the shop's zone", () => {
  // 12:00 UTC on 15 January 2026: 17:00 in Tashkent (UTC+5), 15:00 in Moscow (UTC+3)
  const now = Date.parse("2026-01-15T12:00:00Z");
  const windowed = (over: Partial<LoadedOrder> = {}) =>
    order({
      status: "confirmed",
      code: "AB12CD",
      pickup_from: "2026-01-15T13:00:00.000Z",
      pickup_until: "2026-01-15T16:00:00.000Z",
      accept_deadline: "2026-01-15T12:30:00.000Z",
      ...over,
    });

  it("writes the window 24-hour in the shop's zone, the same in every language", () => {
    for (const lang of ["en", "ru", "uz"] as const)
      expect(windowText(windowed(), lang, now)).toBe("18:00–21:00");
    const moscow = windowed();
    moscow.store = { ...moscow.store, timezone: "Europe/Moscow" };
    expect(windowText(moscow, "en", now)).toBe("16:00–19:00");
    // ending tomorrow there: the date is given
    expect(windowText(windowed({ pickup_until: "2026-01-15T20:00:00.000Z" }), "en", now)).toBe(
      "18:00–16.01 01:00",
    );
    expect(windowText(windowed({ pickup_from: null }), "ru", now)).toBe("до 21:00");
    expect(windowText(windowed({ pickup_from: null, pickup_until: null }), "en", now)).toBeNull();
  });

  it("the accepted and ready messages say when to pick up; delivery orders do not", () => {
    const accepted = renderBuyerStatus(windowed(), "confirmed", null, "en", now);
    expect(accepted?.text).toContain("🕒 Pick up: 18:00–21:00");
    const ready = renderBuyerStatus(windowed({ status: "ready" }), "ready", null, "ru", now);
    expect(ready?.text).toContain("🕒 Забрать: 18:00–21:00");
    const delivery = renderBuyerStatus(
      windowed({ delivery_type: "delivery", delivery_address: "X 1" }),
      "confirmed",
      null,
      "en",
      now,
    );
    expect(delivery?.text).not.toContain("🕒");
  });

  it("the seller's card shows the window, and while pending the accept deadline", () => {
    const card = renderSellerCard(windowed({ status: "pending", code: null }), "uz", now).text;
    expect(card).toContain("🕒 Olib ketish: 18:00–21:00");
    expect(card).toContain("⏳ 17:30 gacha qabul qiling");
    expect(renderSellerCard(windowed(), "en", now).text).not.toContain("⏳");
  });
});

describe("reminders", () => {
  const now = Date.parse("2026-01-15T12:00:00Z");
  const o = (over: Partial<LoadedOrder>) =>
    order({
      pickup_until: "2026-01-15T12:30:00.000Z",
      accept_deadline: "2026-01-15T12:15:00.000Z",
      code: "AB12CD",
      ...over,
    });

  it("reminds of what still holds, with its time in the shop's zone and the buttons to act", () => {
    const accept = renderReminder("seller_accept_reminder", o({ status: "pending" }), "en", now);
    expect(accept?.text).toContain("Accept it by 17:15");
    expect(accept?.keyboard.flat().map((b) => b.text)).toEqual(["✅ Accept", "❌ Reject"]);
    const pickup = renderReminder("buyer_pickup_reminder", o({ status: "confirmed" }), "ru", now);
    expect(pickup?.text).toContain("заканчивается в 17:30");
    expect(pickup?.text).toContain("AB12CD");
    const rate = renderReminder("buyer_rating_reminder", o({ status: "completed" }), "en", now);
    expect(rate?.keyboard.flat().map((b) => b.text)).toEqual(["⭐1", "⭐2", "⭐3", "⭐4", "⭐5"]);
    const overdue = renderReminder(
      "seller_delivering_overdue",
      o({ status: "delivering", delivery_type: "delivery" }),
      "en",
      now,
    );
    expect(overdue?.keyboard.flat().map((b) => [b.text, "callback_data" in b && b.callback_data])).toEqual([
      ["✅ Handed over", orderCallback("complete", 42)],
    ]);
  });

  it("says nothing once the order has moved on or the moment has passed", () => {
    expect(renderReminder("seller_accept_reminder", o({ status: "confirmed" }), "en", now)).toBeNull();
    expect(renderReminder("buyer_pickup_reminder", o({ status: "expired" }), "en", now)).toBeNull();
    expect(
      renderReminder(
        "buyer_pickup_reminder",
        o({ status: "ready" }),
        "en",
        Date.parse("2026-01-15T12:30:00Z"),
      ),
    ).toBeNull();
    expect(
      renderReminder(
        "buyer_rating_reminder",
        o({ status: "completed", rating: { stars: 4, comment: null } }),
        "en",
        now,
      ),
    ).toBeNull();
    expect(renderReminder("seller_delivering_overdue", o({ status: "completed" }), "en", now)).toBeNull();
  });
});

describe("callback data", () => {
  it("round-trips and stays within Telegram's 64 bytes", () => {
    for (const a of ["accept", "reject", "ready", "delivering", "complete", "cancel"] as const) {
      const data = orderCallback(a, 123456789012);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(parseCallbackData(data)).toEqual({ type: "order", action: a, orderId: 123456789012 });
    }
    expect(parseCallbackData(rateCallback(42, 5))).toEqual({ type: "rate", orderId: 42, stars: 5 });
    for (const bad of ["r:42:6", "r:42:0", "o:expire:1", "o:accept:", "order_accept:1", "", undefined])
      expect(parseCallbackData(bad)).toBeNull();
  });

  it("round-trips reasons, back and shop decisions, within 64 bytes; refuses unknown reasons", () => {
    const longest = reasonCallback("cancel", 123456789012345, "cannot_deliver");
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(64);
    expect(parseCallbackData(longest)).toEqual({
      type: "reason",
      action: "cancel",
      orderId: 123456789012345,
      reason: "cannot_deliver",
    });
    expect(parseCallbackData(backCallback(9))).toEqual({ type: "back", orderId: 9 });
    expect(parseCallbackData(storeCallback("reject", 5))).toEqual({
      type: "store",
      decision: "reject",
      storeId: 5,
    });
    for (const bad of [
      "x:reject:1:no_show",
      "x:reject:1:",
      "x:expire:1:other",
      "s:suspend:1",
      "b:",
      "s:approve:x",
    ])
      expect(parseCallbackData(bad)).toBeNull();
  });
});

describe("the reason buttons", () => {
  it("offer the quick reasons that fit (no cannot-deliver for pickup) and ↩️ back, in the seller's language", () => {
    const texts = (k: ReturnType<typeof reasonKeyboard>) => k.flat().map((b) => b.text);
    expect(texts(reasonKeyboard(order(), "reject", "en"))).toEqual([
      "Sold out",
      "Closing soon",
      "Other",
      "↩️ Back",
    ]);
    expect(texts(reasonKeyboard(order({ delivery_type: "delivery" }), "cancel", "ru"))).toEqual([
      "Всё распродано",
      "Скоро закрываемся",
      "Не можем доставить",
      "Другое",
      "↩️ Назад",
    ]);
    const datas = reasonKeyboard(order(), "reject", "en")
      .flat()
      .map((b) => ("callback_data" in b ? b.callback_data : ""));
    expect(datas).toEqual(["x:reject:42:sold_out", "x:reject:42:closing_soon", "x:reject:42:other", "b:42"]);
  });

  it("tell the buyer the chosen reason in the buyer's language", () => {
    const m = renderBuyerStatus(
      order({ status: "rejected", reason_code: "sold_out" }),
      "rejected",
      "всё распродано",
      "ru",
    );
    expect(m?.text).toContain("всё распродано");
  });
});

describe("shop moderation messages", () => {
  const shop = {
    id: 12,
    name: "Non Uyi",
    address: "Chilonzor 5",
    phone: "+998901234567",
    description: "Tandir non",
    category: "bakery" as const,
    status: "pending" as const,
    owner_first_name: "Rustam",
    owner_username: "rustam",
  };
  it("an admin's card: the shop, its owner and ✅/❌ while pending; no buttons once decided", () => {
    const card = renderAdminStoreReview(shop, "en");
    expect(card.text).toContain("Non Uyi");
    expect(card.text).toContain("Bakery");
    expect(card.text).toContain("Rustam (@rustam)");
    expect(card.keyboard.flat().map((b) => ("callback_data" in b ? b.callback_data : ""))).toEqual([
      "s:approve:12",
      "s:reject:12",
    ]);
    const decided = renderAdminStoreReview({ ...shop, status: "active" }, "ru");
    expect(decided.keyboard).toEqual([]);
    expect(decided.text).toContain("Работает");
  });
  it("the owner hears the decision in their language", () => {
    expect(renderStoreDecision(shop, "active", "en")).toContain("approved");
    expect(renderStoreDecision(shop, "rejected", "uz")).toContain("tasdiqlanmadi");
    expect(renderStoreDecision(shop, "suspended", "en", "suspend")).toContain("suspended");
    expect(renderStoreDecision(shop, "active", "ru", "reinstate")).toContain("снова открыт");
    expect(renderStoreDecision(shop, "active", "en", "approve")).toContain("approved");
  });
});
