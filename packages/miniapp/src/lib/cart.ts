import { quantityStep, type Unit } from "@lastbite/shared";
import { useSyncExternalStore } from "react";
import type { Offer } from "./endpoints.ts";

/** The cart, kept in localStorage across reloads. One shop per cart. */
export interface CartItem {
  offer_id: number;
  title: string;
  price: number;
  original_price: number | null;
  unit: Unit;
  photo_url: string | null;
  quantity: number;
}
export interface Cart {
  store_id: number;
  store_name: string;
  items: CartItem[];
}

const KEY = "lastbite.cart";
const subscribers = new Set<() => void>();
let cart: Cart | null = load();

function load(): Cart | null {
  try {
    const raw = localStorage.getItem(KEY);
    const c = raw ? (JSON.parse(raw) as Cart) : null;
    return c && Array.isArray(c.items) && c.items.length > 0 ? c : null;
  } catch {
    return null;
  }
}

function save(next: Cart | null): void {
  cart = next && next.items.length > 0 ? next : null;
  try {
    if (cart) localStorage.setItem(KEY, JSON.stringify(cart));
    else localStorage.removeItem(KEY);
  } catch {
    // storage full or disabled: the cart still lives for this session
  }
  for (const fn of subscribers) fn();
}

window.addEventListener("storage", (e) => {
  if (e.key === KEY) {
    cart = load();
    for (const fn of subscribers) fn();
  }
});

export function useCart(): Cart | null {
  return useSyncExternalStore(
    (fn) => {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    () => cart,
  );
}

export function getCart(): Cart | null {
  return cart;
}

/** Adds (or sets) an offer's quantity; a different shop's cart is replaced. */
export function addToCart(offer: Offer, storeName: string, quantity: number): void {
  const base: Cart =
    cart && cart.store_id === offer.store_id
      ? cart
      : { store_id: offer.store_id, store_name: storeName, items: [] };
  const item: CartItem = {
    offer_id: offer.id,
    title: offer.title,
    price: offer.price,
    original_price: offer.original_price,
    unit: offer.unit,
    photo_url: offer.photo_url,
    quantity,
  };
  const others = base.items.filter((i) => i.offer_id !== offer.id);
  save({ ...base, items: [...others, item] });
}

export function setQuantity(offerId: number, quantity: number): void {
  if (!cart) return;
  const items =
    quantity <= 0
      ? cart.items.filter((i) => i.offer_id !== offerId)
      : cart.items.map((i) => (i.offer_id === offerId ? { ...i, quantity } : i));
  save({ ...cart, items });
}

/** Refreshes titles and prices from the server's current offers. */
export function refreshFromOffers(offers: Offer[]): void {
  if (!cart) return;
  const byId = new Map(offers.map((o) => [o.id, o]));
  let changed = false;
  const items = cart.items.map((i) => {
    const o = byId.get(i.offer_id);
    if (!o || (o.price === i.price && o.title === i.title && o.original_price === i.original_price)) return i;
    changed = true;
    return { ...i, price: o.price, title: o.title, original_price: o.original_price };
  });
  if (changed) save({ ...cart, items });
}

export function clearCart(): void {
  save(null);
}

export function cartCount(c: Cart | null): number {
  return c ? c.items.length : 0;
}

/** Rounds a quantity to the unit's step (whole pieces, 0.1 kg or l), as the server checks it. */
export function roundQty(q: number, unit: Unit): number {
  const perUnit = Math.round(1 / quantityStep(unit));
  return Math.round(q * perUnit) / perUnit;
}
