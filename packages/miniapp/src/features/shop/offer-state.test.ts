import { describe, expect, it } from "vitest";
import type { Offer } from "../../lib/endpoints.ts";
import { offerState } from "./offer-state.ts";

const base: Offer = {
  id: 1,
  store_id: 1,
  title: "Non",
  description: null,
  price: 3000,
  original_price: null,
  quantity: 5,
  unit: "piece",
  photo_url: null,
  pickup_from: null,
  pickup_until: null,
  expires_at: null,
  active: true,
  created_at: "2026-12-07T08:00:00Z",
  updated_at: "2026-12-07T08:00:00Z",
};
const now = Date.parse("2026-12-07T12:00:00Z");

describe("where an offer stands for its owner", () => {
  it("on sale, paused, sold out, ended — the passing of time first", () => {
    expect(offerState(base, now)).toBe("onSale");
    expect(offerState({ ...base, active: false }, now)).toBe("paused");
    expect(offerState({ ...base, quantity: 0 }, now)).toBe("soldOut");
    expect(offerState({ ...base, pickup_until: "2026-12-07T11:00:00Z", active: false }, now)).toBe("ended");
    expect(offerState({ ...base, expires_at: "2026-12-07T11:59:00Z", quantity: 0 }, now)).toBe("ended");
  });
});
