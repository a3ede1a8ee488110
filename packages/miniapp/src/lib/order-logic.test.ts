import { extractBookingCode } from "@lastbite/shared";
import { sampleOrder } from "@lastbite/shared/testing";
import { describe, expect, it } from "vitest";
import { makeI18n } from "./i18n.tsx";
import {
  awaitsCode,
  buyerCanCancel,
  hasLiveCode,
  newestFirst,
  pickupWindowState,
  reasonText,
  sellerActions,
  timelineSteps,
  upsert,
} from "./order-logic.ts";

const order = sampleOrder;

describe("timelineSteps", () => {
  it("shows what is still to come for a live pickup order", () => {
    const steps = timelineSteps(order());
    expect(steps.map((s) => [s.status, s.state])).toEqual([
      ["pending", "current"],
      ["confirmed", "todo"],
      ["ready", "todo"],
      ["completed", "todo"],
    ]);
  });
  it("goes through delivering for delivery orders", () => {
    const steps = timelineSteps(
      order({
        delivery_type: "delivery",
        status: "confirmed",
        timeline: [
          { status: "pending", at: "2026-01-01T10:00:00+05:00" },
          { status: "confirmed", at: "2026-01-01T10:05:00+05:00" },
        ],
      }),
    );
    expect(steps.map((s) => s.status)).toEqual(["pending", "confirmed", "delivering", "completed"]);
    expect(steps[1]?.state).toBe("current");
  });
  it("ends on the negative final status, with nothing to come", () => {
    const steps = timelineSteps(
      order({
        status: "rejected",
        timeline: [
          { status: "pending", at: "2026-01-01T10:00:00+05:00" },
          { status: "rejected", at: "2026-01-01T10:02:00+05:00" },
        ],
      }),
    );
    expect(steps.map((s) => [s.status, s.state])).toEqual([
      ["pending", "done"],
      ["rejected", "bad"],
    ]);
  });
});

describe("sellerActions", () => {
  it("follows the state machine", () => {
    expect(sellerActions(order())).toEqual(["accept", "reject"]);
    expect(sellerActions(order({ status: "confirmed" }))).toEqual(["ready", "complete", "cancel"]);
    // A delivery order goes out for delivery first: handing it over straight away stays possible
    // through the API, but the lifecycle does not offer it as a button (nor does the bot).
    expect(sellerActions(order({ status: "confirmed", delivery_type: "delivery" }))).toEqual([
      "delivering",
      "cancel",
    ]);
    expect(sellerActions(order({ status: "delivering" }))).toEqual(["complete"]);
    expect(sellerActions(order({ status: "completed" }))).toEqual([]);
  });
});

describe("scanned codes (extractBookingCode, as the hand-over form uses it)", () => {
  it("reads a bare code, a code in a link, or a code in text", () => {
    expect(extractBookingCode(" k8neur ")).toBe("K8NEUR");
    expect(extractBookingCode("https://t.me/bot?startapp=x&code=AB23CD")).toBe("AB23CD");
    expect(extractBookingCode("Lastbite booking AB23CD for order 5")).toBe("AB23CD");
  });
});

describe("buyer's view of the lifecycle", () => {
  it("offers cancel only while pending", () => {
    expect(buyerCanCancel(order())).toBe(true);
    expect(buyerCanCancel(order({ status: "confirmed" }))).toBe(false);
  });
  it("shows the booking code while it is live, and says it is coming before", () => {
    expect(awaitsCode(order())).toBe(true);
    expect(hasLiveCode(order({ status: "confirmed", code: "K7QX2M" }))).toBe(true);
    expect(hasLiveCode(order({ status: "delivering", delivery_type: "delivery", code: "K7QX2M" }))).toBe(
      true,
    );
    expect(hasLiveCode(order({ status: "completed", code: "K7QX2M" }))).toBe(false);
    expect(awaitsCode(order({ status: "cancelled" }))).toBe(false);
  });
  it("reads the system's reasons from the catalogue and a person's as written", () => {
    const t = (key: string) => `<${key}>`;
    expect(reasonText(t, { reason: "did not answer in time", reason_code: "accept_timeout" })).toBe(
      "<reason.accept_timeout>",
    );
    expect(reasonText(t, { reason: "sold out", reason_code: null })).toBe("sold out");
    expect(reasonText(t, { reason: null })).toBeNull();
  });
});

describe("order lists", () => {
  it("sorts newest first and moves orders between tabs", () => {
    const a = order({ id: 1, created_at: "2026-01-01T10:00:00+05:00" });
    const b = order({ id: 2, created_at: "2026-01-01T11:00:00+05:00" });
    expect(newestFirst([a, b]).map((o) => o.id)).toEqual([2, 1]);
    expect(upsert([a], b, "active").map((o) => o.id)).toEqual([2, 1]);
    expect(upsert([a, b], { ...a, status: "completed" }, "active").map((o) => o.id)).toEqual([2]);
    expect(upsert([], { ...a, status: "completed" }, "finished").map((o) => o.id)).toEqual([1]);
  });
});

describe("the pickup window's countdown", () => {
  const order = sampleOrder({
    pickup_from: "2026-01-15T13:00:00.000Z",
    pickup_until: "2026-01-15T16:00:00.000Z",
  });
  const at = (iso: string) => Date.parse(iso);

  it("opens, closes in…, then closed; nothing for delivery or without a window", () => {
    expect(pickupWindowState(order, at("2026-01-15T12:00:00Z"))).toEqual({ state: "opens", inMs: 3600_000 });
    expect(pickupWindowState(order, at("2026-01-15T15:18:00Z"))).toEqual({
      state: "closes",
      inMs: 42 * 60_000,
    });
    expect(pickupWindowState(order, at("2026-01-15T16:00:00Z"))).toEqual({ state: "closed" });
    expect(pickupWindowState({ ...order, delivery_type: "delivery" }, 0)).toEqual({ state: "none" });
    expect(pickupWindowState({ ...order, pickup_from: null, pickup_until: null }, 0)).toEqual({
      state: "none",
    });
  });

  it("says it in words: 42 min, 1 h 5 min, 45 s", () => {
    const en = makeI18n("en");
    expect(en.t("app.order.closesIn", { time: en.duration(42 * 60_000) })).toBe("closes in 42 min");
    expect(en.duration(65 * 60_000)).toBe("1 h 5 min");
    expect(en.duration(44_200)).toBe("45 s");
    expect(makeI18n("ru").duration(42 * 60_000)).toBe("42 мин");
  });

  it("shows times in the shop's zone, whatever the device's", () => {
    const now = at("2026-01-15T12:00:00Z");
    const en = makeI18n("en");
    expect(en.timeIn("2026-01-15T13:00:00Z", "Asia/Tashkent")).toBe("18:00");
    expect(en.timeIn("2026-01-15T13:00:00Z", "Europe/Moscow")).toBe("16:00");
    expect(en.dateTimeIn("2026-01-15T13:00:00Z", "Asia/Tashkent", now)).toBe("today 18:00");
    // 20:00 UTC is tomorrow in Tashkent, still today in Moscow
    expect(en.dateTimeIn("2026-01-15T20:00:00Z", "Asia/Tashkent", now)).toBe("tomorrow 01:00");
    expect(en.dateTimeIn("2026-01-15T20:00:00Z", "Europe/Moscow", now)).toBe("today 23:00");
    expect(makeI18n("ru").dateTimeIn("2026-01-15T13:00:00Z", "Asia/Tashkent", now)).toBe("сегодня 18:00");
  });
});
