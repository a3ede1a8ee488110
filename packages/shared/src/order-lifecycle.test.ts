import { describe, expect, it } from "vitest";
import {
  ACTIVE_STATUSES,
  ACTOR_TYPES,
  asksReason,
  availableActions,
  CODE_STATUSES,
  extractBookingCode,
  FAILED_STATUSES,
  FINAL_STATUSES,
  happyPath,
  isOnSale,
  itemsTotal,
  lineSaving,
  lineTotal,
  ORDER_ACTIONS,
  offeredActions,
  SELLER_ACTIONS,
  STOCK_RETURNING_STATUSES,
  transition,
} from "./order-lifecycle.ts";
import { DELIVERY_TYPES, ORDER_STATUSES } from "./order-status.ts";

/** The time facts a guard can see, in every combination. */
const CLOCKS = [
  { label: "", facts: {} },
  { label: " deadline-passed", facts: { accept_deadline_passed: true } },
  { label: " no-show-due", facts: { no_show_due: true } },
] as const;

describe("the order lifecycle", () => {
  it("matches the golden walk of every status × delivery type × actor × action × clock", async () => {
    const lines: string[] = [];
    for (const status of ORDER_STATUSES)
      for (const delivery_type of DELIVERY_TYPES)
        for (const clock of CLOCKS)
          for (const actor of ACTOR_TYPES) {
            const o = { status, delivery_type, ...clock.facts };
            const cells = ORDER_ACTIONS.map((a) => {
              const r = transition(o, a, actor);
              return r.ok ? `${a}→${r.to}` : `${a}✗${r.refusal}`;
            });
            const offered = offeredActions(o, actor).join(",") || "-";
            lines.push(
              `${status}/${delivery_type}${clock.label} ${actor}: ${cells.join(" ")} | offered ${offered}`,
            );
          }
    await expect(`${lines.join("\n")}\n`).toMatchFileSnapshot("./__golden__/order-lifecycle.txt");
  });

  it("derives the status groups from the table", () => {
    expect(FINAL_STATUSES).toEqual(["completed", "rejected", "cancelled", "expired"]);
    expect(ACTIVE_STATUSES).toEqual(["pending", "confirmed", "ready", "delivering"]);
    expect(STOCK_RETURNING_STATUSES).toEqual(["rejected", "cancelled", "expired"]);
    expect(FAILED_STATUSES).toEqual(["rejected", "cancelled", "expired"]);
    expect(CODE_STATUSES).toEqual(["confirmed", "ready", "delivering"]);
    expect(SELLER_ACTIONS).toEqual(["accept", "reject", "ready", "delivering", "complete", "cancel"]);
  });

  it("walks the happy path of each delivery type", () => {
    expect(happyPath("pickup")).toEqual(["pending", "confirmed", "ready", "completed"]);
    expect(happyPath("delivery")).toEqual(["pending", "confirmed", "delivering", "completed"]);
  });

  it("offers the seller the next step, hiding the shortcut past delivery", () => {
    const o = { status: "confirmed", delivery_type: "delivery" } as const;
    expect(availableActions(o, "seller")).toEqual(["delivering", "complete", "cancel"]);
    expect(offeredActions(o, "seller")).toEqual(["delivering", "cancel"]);
    expect(offeredActions({ status: "confirmed", delivery_type: "pickup" }, "seller")).toEqual([
      "ready",
      "complete",
      "cancel",
    ]);
  });

  it("asks a reason for the shop's reject and cancel, not for the buyer's cancel", () => {
    expect(asksReason("reject", "pending")).toBe(true);
    expect(asksReason("cancel", "confirmed")).toBe(true);
    expect(asksReason("cancel", "pending")).toBe(false);
    expect(asksReason("accept", "pending")).toBe(false);
  });

  it("refuses with a reason and a code, e.g. a buyer accepting", () => {
    expect(transition({ status: "pending", delivery_type: "pickup" }, "accept", "buyer")).toEqual({
      ok: false,
      refusal: "actor_cannot",
      reason: "a buyer cannot accept an order",
    });
  });
});

describe("lines and totals", () => {
  it("rounds each line to whole so'm and sums the lines", () => {
    expect(lineTotal(12_500, 1.5)).toBe(18_750);
    expect(lineTotal(3333, 0.3)).toBe(1000);
    expect(
      itemsTotal([
        { price: 3333, quantity: 0.3 },
        { price: 5000, quantity: 2 },
      ]),
    ).toBe(11_000);
    expect(lineSaving({ price: 5000, original_price: 8000, quantity: 2 })).toBe(6000);
    expect(lineSaving({ price: 5000, original_price: null, quantity: 2 })).toBe(0);
  });
});

describe("on sale", () => {
  const now = Date.parse("2026-12-07T12:00:00Z");
  const offer = { active: true, quantity: 3, expires_at: null, pickup_until: null };
  it("needs active, stock, and neither expiry nor pickup end passed", () => {
    expect(isOnSale(offer, now)).toBe(true);
    expect(isOnSale({ ...offer, active: false }, now)).toBe(false);
    expect(isOnSale({ ...offer, quantity: 0 }, now)).toBe(false);
    expect(isOnSale({ ...offer, expires_at: "2026-12-07T11:59:59Z" }, now)).toBe(false);
    expect(isOnSale({ ...offer, pickup_until: "2026-12-07T12:00:00Z" }, now)).toBe(false);
    expect(isOnSale({ ...offer, pickup_until: "2026-12-07T12:00:01Z" }, now)).toBe(true);
  });
});

describe("booking codes", () => {
  it("are read back from typed or scanned text", () => {
    expect(extractBookingCode("k7qx2m")).toBe("K7QX2M");
    expect(extractBookingCode(" K7Q-X2M ")).toBe("K7QX2M");
    expect(extractBookingCode("lastbite:42:K7QX2M")).toBe("K7QX2M");
    expect(extractBookingCode("https://t.me/bot?startapp=x&code=AB23CD")).toBe("AB23CD");
    expect(extractBookingCode("Lastbite booking AB23CD for order 5")).toBe("AB23CD");
    expect(extractBookingCode("K7QX2")).toBeNull();
    expect(extractBookingCode("K7QX2O")).toBeNull();
    expect(extractBookingCode("")).toBeNull();
  });
});
