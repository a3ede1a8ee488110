import type { SellerAction, ShopReasonCode } from "@lastbite/shared";
import {
  infiniteQueryOptions,
  type QueryClient,
  queryOptions,
  replaceEqualDeep,
  useMutation,
  useQueryClient,
} from "@tanstack/react-query";
import {
  cancelOrder,
  fetchFavourites,
  fetchImpact,
  fetchMe,
  fetchOffer,
  fetchOffers,
  fetchOrder,
  fetchOrders,
  fetchSellerOrder,
  fetchSellerOrders,
  fetchStore,
  fetchStores,
  type ListFilter,
  type Me,
  type OfferFilter,
  type Order,
  type OrderList,
  rateOrder,
  sellerAct,
  verifyCode,
} from "./endpoints.ts";
import { upsert } from "./order-logic.ts";

/**
 * Query keys and options for everything the Mini App reads, and the mutations that change orders.
 * Keys are hierarchical so one prefix refreshes a family: `["orders"]` is every buyer list and order.
 */
export const keys = {
  me: ["me"] as const,
  stores: ["stores", "list"] as const,
  store: (id: number) => ["stores", "detail", id] as const,
  offers: (storeId?: number) => ["offers", "list", storeId ?? "all"] as const,
  catalog: (filter: OfferFilter) => ["offers", "catalog", filter] as const,
  offer: (id: number) => ["offers", "detail", id] as const,
  orderLists: ["orders", "list"] as const,
  orders: (filter: ListFilter) => ["orders", "list", filter] as const,
  /** Pages of a buyer's list after the first, which the live cache keeps. */
  olderOrders: (filter: ListFilter, after: string) => ["orders", "older", filter, after] as const,
  favourites: ["favourites"] as const,
  impact: ["impact"] as const,
  order: (id: number) => ["orders", "detail", id] as const,
  sellerOrders: (filter: ListFilter) => ["seller-orders", "list", filter] as const,
  sellerOrder: (id: number) => ["seller-orders", "detail", id] as const,
};

const LIST_FILTERS: readonly ListFilter[] = ["active", "finished"];

/** How often a page showing orders asks again, in case the event stream stalled unnoticed. */
export const ORDER_POLL_MS = 25_000;
export const SELLER_POLL_MS = 20_000;

/**
 * `next` unless it is older than `current`: a late answer must not undo a live event. Equal times
 * take `next`, as some changes (a rating) do not move `updated_at`.
 */
export function newer(current: Order, next: Order): Order {
  return next.updated_at >= current.updated_at ? next : current;
}

// Who the user is changes only when they share their phone (which refetches it on purpose).
export const meQuery = () => queryOptions({ queryKey: keys.me, queryFn: fetchMe, staleTime: Infinity });
export const storesQuery = () => queryOptions({ queryKey: keys.stores, queryFn: fetchStores });
export const storeQuery = (id: number) =>
  queryOptions({ queryKey: keys.store(id), queryFn: () => fetchStore(id) });
/** What one shop (or everyone) has on sale: the first 100, which is every offer a shop has. */
export const offersQuery = (storeId?: number) =>
  queryOptions({
    queryKey: keys.offers(storeId),
    queryFn: () => fetchOffers(storeId === undefined ? { limit: 100 } : { storeId, limit: 100 }),
  });
/** The catalogue, a page at a time (`useInfiniteQuery`): each page asks from the previous one's cursor. */
export const catalogQuery = (filter: OfferFilter) =>
  infiniteQueryOptions({
    queryKey: keys.catalog(filter),
    queryFn: ({ pageParam }) => fetchOffers(filter, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
export const olderOrdersQuery = (filter: ListFilter, after: string) =>
  infiniteQueryOptions({
    queryKey: keys.olderOrders(filter, after),
    queryFn: ({ pageParam }) => fetchOrders(filter, pageParam),
    initialPageParam: after as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
export const favouritesQuery = () => queryOptions({ queryKey: keys.favourites, queryFn: fetchFavourites });
export const impactQuery = () => queryOptions({ queryKey: keys.impact, queryFn: fetchImpact });
export const offerQuery = (id: number) =>
  queryOptions({ queryKey: keys.offer(id), queryFn: () => fetchOffer(id) });

const live = { refetchOnWindowFocus: true, refetchInterval: ORDER_POLL_MS } as const;
// An answer that left before a live event arrived must not undo it (and equal data keeps its identity).
const keepNewer = (old: unknown, next: unknown) =>
  old ? replaceEqualDeep(old, newer(old as Order, next as Order)) : next;

export const ordersQuery = (filter: ListFilter) =>
  queryOptions({ queryKey: keys.orders(filter), queryFn: () => fetchOrders(filter), ...live });
export const orderQuery = (id: number) =>
  queryOptions({
    queryKey: keys.order(id),
    queryFn: () => fetchOrder(id),
    structuralSharing: keepNewer,
    ...live,
    // Not the user's order (a seller opening their shop's order from the bot): it will not appear.
    refetchInterval: (query) => (query.state.error?.code === "not_found" ? false : ORDER_POLL_MS),
  });
export const sellerOrdersQuery = (filter: ListFilter) =>
  queryOptions({
    queryKey: keys.sellerOrders(filter),
    queryFn: () => fetchSellerOrders(filter),
    ...live,
    refetchInterval: SELLER_POLL_MS,
  });
export const sellerOrderQuery = (id: number) =>
  queryOptions({
    queryKey: keys.sellerOrder(id),
    queryFn: () => fetchSellerOrder(id),
    structuralSharing: keepNewer,
    ...live,
  });

/**
 * Writes a fresh version of an order (a live event, or a mutation's answer) into every cached view
 * of it: its page, as buyer or seller, and the lists it belongs in (and out of those it left).
 * Only views that exist are touched; an order the user neither bought nor sells stays out.
 */
export function applyOrder(qc: QueryClient, order: Order): void {
  const me = qc.getQueryData<Me>(keys.me);
  const asBuyer = me ? order.buyer.id === me.user.id : true;
  const asSeller = me ? me.stores.some((s) => s.id === order.store.id) : false;
  const detail = (prev: Order | undefined) => (prev ? newer(prev, order) : undefined);
  qc.setQueryData<Order>(keys.order(order.id), detail);
  qc.setQueryData<Order>(keys.sellerOrder(order.id), detail);
  for (const filter of LIST_FILTERS) {
    const list = (prev: OrderList | undefined) =>
      prev ? { ...prev, orders: upsert(prev.orders, order, filter) } : undefined;
    if (asBuyer) qc.setQueryData<OrderList>(keys.orders(filter), list);
    if (asSeller) qc.setQueryData<OrderList>(keys.sellerOrders(filter), list);
  }
}

// ---- mutations ----------------------------------------------------------------------------------

/** Cancels a pending order as its buyer. */
export function useCancelOrder(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => cancelOrder(id),
    onSuccess: (order) => applyOrder(qc, order),
    // Refused (it moved on meanwhile): show what it is now.
    onError: () => void qc.invalidateQueries({ queryKey: keys.order(id) }),
  });
}

/** Rates a completed order; the answer is the order with its rating. */
export function useRateOrder(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (rating: { stars: number; comment?: string }) => rateOrder(id, rating),
    onSuccess: (order) => applyOrder(qc, order),
  });
}

/** A seller's button: accept, reject, ready, … as the lifecycle offers them. */
export function useSellerAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; action: SellerAction; reason?: string; reasonCode?: ShopReasonCode }) =>
      sellerAct(v.id, v.action, v.reason, v.reasonCode),
    onSuccess: (order) => applyOrder(qc, order),
  });
}

/** Finds the shop's confirmed order with a booking code (typed, or read from the buyer's QR). */
export function useVerifyCode() {
  return useMutation({ mutationFn: (code: string) => verifyCode(code) });
}
