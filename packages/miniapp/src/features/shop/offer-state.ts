import { isOnSale } from "@lastbite/shared";
import type { Offer } from "../../lib/endpoints.ts";

export type OfferState = "onSale" | "paused" | "soldOut" | "ended";

/** Where an offer stands for its owner: over (its time passed), sold out, paused, or on sale. */
export function offerState(o: Offer, now = Date.now()): OfferState {
  const passed = (t: string | null) => t !== null && Date.parse(t) <= now;
  if (passed(o.expires_at) || passed(o.pickup_until)) return "ended";
  if (o.quantity <= 0) return "soldOut";
  if (!o.active) return "paused";
  return isOnSale(o, now) ? "onSale" : "paused";
}
