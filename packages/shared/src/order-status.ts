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

// The groups of statuses (active, final, stock-returning…) are derived from the transition table in
// order-lifecycle.ts; never list them here.

export const DELIVERY_TYPES = ["pickup", "delivery"] as const;
export type DeliveryType = (typeof DELIVERY_TYPES)[number];

export const UNITS = ["piece", "kg", "l"] as const;
export type Unit = (typeof UNITS)[number];

export const ORDER_FILTERS = ["all", "active", "finished"] as const;
export type OrderFilter = (typeof ORDER_FILTERS)[number];

/** A shop's standing: with admins (ADMIN_IDS) a new shop waits `pending` until one approves it. */
export const STORE_STATUSES = ["pending", "active", "rejected", "suspended"] as const;
export type StoreStatus = (typeof STORE_STATUSES)[number];

export const STORE_CATEGORIES = [
  "bakery",
  "cafe",
  "restaurant",
  "grocery",
  "confectionery",
  "other",
] as const;
export type StoreCategory = (typeof STORE_CATEGORIES)[number];
