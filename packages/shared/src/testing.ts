import type { Order } from "./api.ts";

/**
 * A plain pending pickup order for unit tests (`@lastbite/shared/testing`), so each suite states only
 * what its case is about: `sampleOrder({ status: "confirmed", code: "AB23CD" })`.
 */
export function sampleOrder(over: Partial<Order> = {}): Order {
  return {
    id: 1,
    status: "pending",
    delivery_type: "pickup",
    delivery_address: null,
    customer_phone: null,
    delivery_cost: 0,
    comment: null,
    items: [],
    items_total: 10000,
    total: 10000,
    code: null,
    store: {
      id: 1,
      name: "S",
      address: "A",
      phone: "+998901234567",
      owner_username: null,
      timezone: "Asia/Tashkent",
    },
    buyer: { id: 2, first_name: "B", username: null },
    timeline: [{ status: "pending", at: "2026-01-01T10:00:00+05:00" }],
    reason: null,
    reason_code: null,
    rating: null,
    pickup_from: null,
    pickup_until: null,
    accept_deadline: "2026-01-01T10:30:00+05:00",
    created_at: "2026-01-01T10:00:00+05:00",
    updated_at: "2026-01-01T10:00:00+05:00",
    ...over,
  };
}
