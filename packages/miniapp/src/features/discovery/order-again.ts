import { isOnSale } from "@lastbite/shared";
import { addToCart, roundQty } from "../../lib/cart.ts";
import type { Offer, Order } from "../../lib/endpoints.ts";

export interface Refilled {
  /** Lines put in the cart (at most what is left of each). */
  added: string[];
  /** Lines not on sale now (sold out, ended, paused, or gone). */
  missing: string[];
}

/**
 * "Order again": fills the cart with the finished order's items that are on sale now, each at the
 * quantity ordered then or what is left, and says which are not.
 */
export async function orderAgain(
  order: Order,
  fetchOffer: (id: number) => Promise<Offer>,
): Promise<Refilled> {
  const offers = await Promise.all(order.items.map((i) => fetchOffer(i.offer_id).catch(() => null)));
  const result: Refilled = { added: [], missing: [] };
  order.items.forEach((item, n) => {
    const offer = offers[n];
    if (!offer || !isOnSale(offer)) {
      result.missing.push(item.title);
      return;
    }
    addToCart(offer, order.store.name, roundQty(Math.min(item.quantity, offer.quantity), offer.unit));
    result.added.push(offer.title);
  });
  return result;
}
