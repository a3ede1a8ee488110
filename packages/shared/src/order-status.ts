/** Every state an order can be in. See CONTRACT.md "Statuses". */
export const ORDER_STATUSES = [
  "pending",
  "confirmed",
  "ready",
  "delivering",
  "completed",
  "rejected",
  "cancelled",
  "expired",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ACTIVE_STATUSES: readonly OrderStatus[] = ["pending", "confirmed", "ready", "delivering"];
export const FINAL_STATUSES: readonly OrderStatus[] = ["completed", "rejected", "cancelled", "expired"];
/** Statuses that hand the reserved stock back to the offer. */
export const STOCK_RETURNING_STATUSES: readonly OrderStatus[] = ["rejected", "cancelled", "expired"];

export const isActiveStatus = (s: OrderStatus): boolean => ACTIVE_STATUSES.includes(s);
export const isFinalStatus = (s: OrderStatus): boolean => FINAL_STATUSES.includes(s);

export const DELIVERY_TYPES = ["pickup", "delivery"] as const;
export type DeliveryType = (typeof DELIVERY_TYPES)[number];

export const UNITS = ["piece", "kg", "l"] as const;
export type Unit = (typeof UNITS)[number];

export const ORDER_FILTERS = ["all", "active", "finished"] as const;
export type OrderFilter = (typeof ORDER_FILTERS)[number];

/** Seller actions, as in `POST /api/seller/orders/:id/{action}`. */
export const SELLER_ACTIONS = ["accept", "reject", "ready", "delivering", "complete", "cancel"] as const;
export type SellerAction = (typeof SELLER_ACTIONS)[number];
