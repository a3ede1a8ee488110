import {
  type CreateOfferBody,
  type CreateStoreBody,
  type createOrderBody,
  favouritesSchema,
  impactSchema,
  meSchema,
  type OfferSort,
  type OrderFilter,
  offerListSchema,
  offerSchema,
  orderListSchema,
  orderSchema,
  type PatchOfferBody,
  type PatchStoreBody,
  preparedShareSchema,
  type RepostOfferBody,
  type ratingBody,
  type SellerAction,
  type ShopReasonCode,
  type StoreCategory,
  sellerStatsSchema,
  storeSchema,
} from "@lastbite/shared";
import { z } from "zod";
import { api } from "./api.ts";

/**
 * Every API call the Mini App makes, each parsed with the shared zod schema of its answer. The
 * types the pages use are derived from those schemas, so what the code expects and what is checked
 * at the door cannot drift apart.
 */

const storeList = z.object({ stores: z.array(storeSchema) });
const orderList = orderListSchema;

export type Store = z.output<typeof storeSchema>;
export type Offer = z.output<typeof offerSchema>;
export type Order = z.output<typeof orderSchema>;
/** `user.phone` arrives once the user shared it with the bot; absent until then. */
export type Me = z.output<typeof meSchema>;
export type OrderList = z.output<typeof orderList>;
export type OfferList = z.output<typeof offerListSchema>;
export type Impact = z.output<typeof impactSchema>;
export type ListFilter = Exclude<OrderFilter, "all">;

export const fetchMe = () => api(meSchema, "GET", "/me");

export const fetchStores = () => api(storeList, "GET", "/stores");
export const fetchStore = (id: number) => api(storeSchema, "GET", `/stores/${id}`);
/** What the catalogue asks for: words, an order, a place, and where the previous page ended. */
export interface OfferFilter {
  storeId?: number;
  q?: string;
  sort?: OfferSort;
  category?: StoreCategory;
  near?: { lat: number; lng: number };
  limit?: number;
}

/** The query string of a catalogue page (no `?`); empty values are left out. */
export function offerParams(f: OfferFilter, cursor?: string | null): string {
  const p = new URLSearchParams();
  if (f.storeId !== undefined) p.set("store_id", String(f.storeId));
  if (f.q?.trim()) p.set("q", f.q.trim());
  if (f.sort) p.set("sort", f.sort);
  if (f.category) p.set("category", f.category);
  if (f.near) p.set("near", `${f.near.lat.toFixed(5)},${f.near.lng.toFixed(5)}`);
  if (f.limit) p.set("limit", String(f.limit));
  if (cursor) p.set("cursor", cursor);
  return p.toString();
}

/** One page of what is on sale now, from every shop or from one. */
export const fetchOffers = (f: OfferFilter = {}, cursor?: string | null) => {
  const qs = offerParams(f, cursor);
  return api(offerListSchema, "GET", qs ? `/offers?${qs}` : "/offers");
};
export const fetchOffer = (id: number) => api(offerSchema, "GET", `/offers/${id}`);

export const fetchOrders = (filter: ListFilter, cursor?: string | null) =>
  api(orderList, "GET", `/orders?filter=${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
export const fetchOrder = (id: number) => api(orderSchema, "GET", `/orders/${id}`);
export const placeOrder = (body: z.output<typeof createOrderBody>, idempotencyKey: string) =>
  api(orderSchema, "POST", "/orders", body, { "Idempotency-Key": idempotencyKey });
export const cancelOrder = (id: number) => api(orderSchema, "POST", `/orders/${id}/cancel`);
export const rateOrder = (id: number, body: z.output<typeof ratingBody>) =>
  api(orderSchema, "POST", `/orders/${id}/rating`, body);

export const fetchSellerOrders = (filter: ListFilter) =>
  api(orderList, "GET", `/seller/orders?filter=${filter}`);
export const fetchSellerOrder = (id: number) => api(orderSchema, "GET", `/seller/orders/${id}`);
export const sellerAct = (id: number, action: SellerAction, reason?: string, reasonCode?: ShopReasonCode) =>
  api(orderSchema, "POST", `/seller/orders/${id}/${action}`, {
    ...(reason ? { reason } : {}),
    ...(reasonCode ? { reason_code: reasonCode } : {}),
  });

export type SellerStats = z.output<typeof sellerStatsSchema>;
export const createStore = (body: CreateStoreBody) => api(storeSchema, "POST", "/stores", body);
export const updateStore = (id: number, body: PatchStoreBody) =>
  api(storeSchema, "PATCH", `/stores/${id}`, body);
/** Every offer of the owner's shop, in any state. */
export const fetchOwnOffers = (storeId: number) =>
  api(offerListSchema, "GET", `/offers?store_id=${storeId}&all=1&limit=100`);
export const createOffer = (storeId: number, body: CreateOfferBody) =>
  api(offerSchema, "POST", `/stores/${storeId}/offers`, body);
export const updateOffer = (id: number, body: PatchOfferBody) =>
  api(offerSchema, "PATCH", `/offers/${id}`, body);
export const repostOffer = (id: number, body: RepostOfferBody = {}) =>
  api(offerSchema, "POST", `/offers/${id}/repost`, body);
/** A message Telegram keeps for this user to share the offer with (`shareMessage`). */
export const prepareShare = (offerId: number) => api(preparedShareSchema, "POST", `/offers/${offerId}/share`);
/** The photo as the phone took it; the server resizes it. */
export const uploadOfferPhoto = (id: number, file: Blob) =>
  api(offerSchema, "PUT", `/offers/${id}/photo`, file);
export const fetchSellerStats = (storeId: number, days = 30) =>
  api(sellerStatsSchema, "GET", `/seller/stats?store_id=${storeId}&days=${days}`);
export const verifyCode = (code: string) => api(orderSchema, "POST", "/seller/orders/verify", { code });

export const fetchFavourites = () => api(favouritesSchema, "GET", "/me/favourites");
export const setFavourite = (storeId: number, on: boolean) =>
  api(z.unknown(), on ? "PUT" : "DELETE", `/stores/${storeId}/favourite`);
export const fetchImpact = () => api(impactSchema, "GET", "/me/impact");
export const setOfferAlerts = (on: boolean) => api(meSchema, "PATCH", "/me", { offer_alerts: on });

/** An order event from the live stream, checked like any answer; null when it does not parse. */
export function parseOrderEvent(data: string): Order | null {
  try {
    const parsed = orderSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
