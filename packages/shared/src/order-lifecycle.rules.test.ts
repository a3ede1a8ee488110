import { describe, expect, it } from "vitest";
import { availableActions, transition } from "./order-lifecycle.ts";
import type { ORDER_STATUSES } from "./order-status.ts";

const pickup = (status: (typeof ORDER_STATUSES)[number]) => ({ status, delivery_type: "pickup" as const });
const delivery = (status: (typeof ORDER_STATUSES)[number]) => ({
  status,
  delivery_type: "delivery" as const,
});

describe("order state machine", () => {
  it("walks the seed's flow: pending → confirmed → completed", () => {
    expect(transition(pickup("pending"), "accept", "seller")).toEqual({ ok: true, to: "confirmed" });
    expect(transition(pickup("confirmed"), "complete", "seller")).toEqual({ ok: true, to: "completed" });
  });

  it("sends pickup orders through ready and delivery orders through delivering", () => {
    expect(transition(pickup("confirmed"), "ready", "seller")).toEqual({ ok: true, to: "ready" });
    expect(transition(delivery("confirmed"), "ready", "seller").ok).toBe(false);
    expect(transition(delivery("confirmed"), "delivering", "seller")).toEqual({ ok: true, to: "delivering" });
    expect(transition(pickup("confirmed"), "delivering", "seller").ok).toBe(false);
    expect(transition(delivery("delivering"), "complete", "seller").ok).toBe(true);
    expect(transition(delivery("delivering"), "cancel", "seller").ok).toBe(false);
  });

  it("lets the buyer cancel only while pending, and never accept", () => {
    expect(transition(pickup("pending"), "cancel", "buyer")).toEqual({ ok: true, to: "cancelled" });
    expect(transition(pickup("confirmed"), "cancel", "buyer").ok).toBe(false);
    expect(transition(pickup("pending"), "accept", "buyer")).toEqual({
      ok: false,
      refusal: "actor_cannot",
      reason: "a buyer cannot accept an order",
    });
  });

  it("refuses every action on final states", () => {
    for (const s of ["completed", "rejected", "cancelled", "expired"] as const)
      for (const actor of ["buyer", "seller", "system", "admin"] as const)
        expect(availableActions(pickup(s), actor)).toEqual([]);
  });

  it("lets only the system expire", () => {
    expect(transition({ ...pickup("pending"), accept_deadline_passed: true }, "expire", "system")).toEqual({
      ok: true,
      to: "expired",
    });
    expect(transition(pickup("pending"), "expire", "seller").ok).toBe(false);
    expect(transition(delivery("delivering"), "expire", "system").ok).toBe(false);
  });

  it("expires only while the expiry's condition holds, so a fresh accept stands", () => {
    expect(transition(pickup("pending"), "expire", "system").ok).toBe(false);
    expect(transition(pickup("confirmed"), "expire", "system").ok).toBe(false);
    expect(transition({ ...pickup("confirmed"), accept_deadline_passed: true }, "expire", "system").ok).toBe(
      false,
    );
    expect(transition({ ...pickup("confirmed"), no_show_due: true }, "expire", "system")).toEqual({
      ok: true,
      to: "expired",
    });
    expect(transition({ ...pickup("ready"), no_show_due: true }, "expire", "system").ok).toBe(true);
    expect(transition({ ...delivery("confirmed"), no_show_due: true }, "expire", "system").ok).toBe(false);
  });

  it("refuses an accept once the accept deadline has passed", () => {
    expect(transition({ ...pickup("pending"), accept_deadline_passed: true }, "accept", "seller").ok).toBe(
      false,
    );
    expect(transition({ ...pickup("pending"), accept_deadline_passed: false }, "accept", "seller").ok).toBe(
      true,
    );
  });

  it("lists the seller's buttons per state", () => {
    expect(availableActions(pickup("pending"), "seller")).toEqual(["accept", "reject"]);
    expect(availableActions(pickup("confirmed"), "seller")).toEqual(["ready", "complete", "cancel"]);
    expect(availableActions(delivery("confirmed"), "seller")).toEqual(["delivering", "complete", "cancel"]);
    expect(availableActions(pickup("ready"), "seller")).toEqual(["complete", "cancel"]);
  });
});
