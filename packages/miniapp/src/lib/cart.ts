import { quantityStep, type Unit } from "@lastbite/shared";
import { useSyncExternalStore } from "react";
import { isNative } from "../telegram/bridge.ts";
import { telegramStorage } from "../telegram/storage.ts";
import { getUserId } from "./api.ts";
import type { Offer } from "./endpoints.ts";

/**
 * The cart, one shop per cart, one cart per Telegram user: two people using one phone (or one
 * browser) each see their own. Kept in localStorage under the user's id across reloads, and in
 * Telegram's DeviceStorage or CloudStorage where the client has one, so a cleared WebView cache
 * does not lose it.
 */
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

/** Before carts were per user, one key held whoever's cart it was: it is dropped, not guessed. */
const SHARED_KEY = "lastbite.cart";
/** The key in Telegram's storage, which is per user and bot already. */
const TELEGRAM_KEY = "cart";
const subscribers = new Set<() => void>();
/** undefined: not read yet (the user is known only once the launch parameters are). */
let cart: Cart | null | undefined;

export function cartKey(): string {
  return `lastbite.cart.${getUserId() ?? "anonymous"}`;
}

function parse(raw: string | null): Cart | null {
  try {
    const c = raw ? (JSON.parse(raw) as Cart) : null;
    return c && Array.isArray(c.items) && c.items.length > 0 ? c : null;
  } catch {
    return null;
  }
}

function load(): Cart | null {
  try {
    localStorage.removeItem(SHARED_KEY);
    return parse(localStorage.getItem(cartKey()));
  } catch {
    return null;
  }
}

function current(): Cart | null {
  if (cart === undefined) {
    cart = load();
    if (!cart) void restoreFromTelegram();
  }
  return cart;
}

/** An empty local cart is filled from Telegram's storage, when the client keeps one there. */
async function restoreFromTelegram(): Promise<void> {
  const storage = telegramStorage(isNative());
  if (!storage) return;
  const kept = parse(await storage.get(TELEGRAM_KEY));
  if (kept && !cart) save(kept, false);
}

function save(next: Cart | null, toTelegram = true): void {
  cart = next && next.items.length > 0 ? next : null;
  const json = cart ? JSON.stringify(cart) : "";
  try {
    if (cart) localStorage.setItem(cartKey(), json);
    else localStorage.removeItem(cartKey());
  } catch {
    // storage full or disabled: the cart still lives for this session
  }
  // CloudStorage takes at most 4096 characters a value; a bigger cart stays local.
  if (toTelegram && json.length <= 4096) telegramStorage(isNative())?.set(TELEGRAM_KEY, json);
  for (const fn of subscribers) fn();
}

window.addEventListener("storage", (e) => {
  if (e.key === cartKey()) {
    cart = load();
    for (const fn of subscribers) fn();
  }
});

export function useCart(): Cart | null {
  return useSyncExternalStore((fn) => {
    subscribers.add(fn);
    return () => subscribers.delete(fn);
  }, current);
}

export function getCart(): Cart | null {
  return current();
}

/** Adds (or sets) an offer's quantity; a different shop's cart is replaced. */
export function addToCart(offer: Offer, storeName: string, quantity: number): void {
  const cart = current();
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
  const cart = current();
  if (!cart) return;
  const items =
    quantity <= 0
      ? cart.items.filter((i) => i.offer_id !== offerId)
      : cart.items.map((i) => (i.offer_id === offerId ? { ...i, quantity } : i));
  save({ ...cart, items });
}

/** Refreshes titles and prices from the server's current offers. */
export function refreshFromOffers(offers: Offer[]): void {
  const cart = current();
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

/** What the cart badge says: the pieces in the cart, and one for each weighed line (1.5 kg is one item). */
export function cartCount(c: Cart | null): number {
  return c ? c.items.reduce((n, i) => n + (i.unit === "piece" ? i.quantity : 1), 0) : 0;
}

/**
 * What one tap on + or − adds for the unit: a piece, or half a kilogram (litre) so that 2 kg is
 * four taps, not twenty; finer amounts (0.1 steps, as the server takes them) are typed.
 */
export function tapStep(unit: Unit): number {
  return unit === "piece" ? 1 : 0.5;
}

/** A typed amount ("1,5", "2.25", "3 kg") as the unit takes it, or null when it is no number. */
export function parseQty(text: string, unit: Unit): number | null {
  const m = /^\s*(\d+(?:[.,]\d*)?|[.,]\d+)/.exec(text);
  if (!m?.[1]) return null;
  const q = roundQty(Number(m[1].replace(",", ".")), unit);
  return Number.isFinite(q) && q > 0 ? q : null;
}

/** Rounds a quantity to the unit's step (whole pieces, 0.1 kg or l), as the server checks it. */
export function roundQty(q: number, unit: Unit): number {
  const perUnit = Math.round(1 / quantityStep(unit));
  return Math.round(q * perUnit) / perUnit;
}
