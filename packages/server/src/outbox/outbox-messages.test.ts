import { describe, expect, it } from "vitest";
import { assertNever, OUTBOX_KINDS, type OutboxKind, parseOutboxMessage } from "./outbox-messages.ts";

/** A stored payload of every kind, as the writer stores it (a kind added without one fails to compile). */
const STORED: Record<OutboxKind, unknown> = {
  seller_new_order: {},
  seller_card: {},
  seller_notice: { status: "cancelled", reason: "changed my mind", reason_code: null },
  seller_rating: { stars: 4, comment: null },
  buyer_status: { status: "expired", reason: null, reason_code: "accept_timeout" },
  favourite_offer: { offer_id: 7, store_id: 3 },
  seller_accept_reminder: {},
  buyer_pickup_reminder: {},
  buyer_rating_reminder: {},
  seller_delivering_overdue: {},
  admin_store_review: { store_id: 7 },
  admin_store_decided: { store_id: 7 },
  store_decision: { store_id: 7, status: "active" },
};

describe("parseOutboxMessage", () => {
  it.each(OUTBOX_KINDS)("reads a stored %s row back into a message of that kind", (kind) => {
    expect(parseOutboxMessage(kind, STORED[kind])).toEqual({ kind, payload: STORED[kind] });
  });

  it("fills what older rows lack: no reason_code is null; no payload at all is an empty one", () => {
    expect(parseOutboxMessage("buyer_status", { status: "rejected", reason: "sold out" })).toEqual({
      kind: "buyer_status",
      payload: { status: "rejected", reason: "sold out", reason_code: null },
    });
    expect(parseOutboxMessage("seller_card", null)).toEqual({ kind: "seller_card", payload: {} });
  });

  it.each([
    "seller_new_orders",
    "",
    "SELLER_CARD",
    // Names every object has: a kind must be one of the table's own keys, not something inherited.
    "constructor",
    "toString",
    "__proto__",
    "hasOwnProperty",
  ])("refuses the unknown kind %j with an error naming it", (kind) => {
    expect(parseOutboxMessage(kind, {})).toEqual({ error: `unknown outbox kind ${JSON.stringify(kind)}` });
  });

  it.each<[OutboxKind, unknown]>([
    ["buyer_status", { status: "teleported", reason: null }],
    ["buyer_status", { reason: null }],
    ["buyer_status", null],
    ["seller_notice", { status: "cancelled", reason: 42 }],
    ["seller_notice", { status: "expired", reason: null, reason_code: "bored" }],
    ["seller_rating", { stars: 6, comment: null }],
    ["seller_rating", { stars: 2.5, comment: null }],
    ["seller_rating", { stars: "5", comment: null }],
    ["seller_new_order", []],
    ["seller_card", "{}"],
  ])("refuses a %s row whose payload is %j, naming the kind", (kind, payload) => {
    const r = parseOutboxMessage(kind, payload);
    expect(r).toEqual({ error: expect.stringMatching(new RegExp(`^bad ${kind} payload: .+`)) });
  });
});

describe("assertNever", () => {
  it("throws, naming what was not handled", () => {
    expect(() => assertNever({ kind: "carrier_pigeon" } as never)).toThrow(/carrier_pigeon/);
  });
});
