import { isFinalStatus, type Order, type OrderStatus } from "@lastbite/shared";

/**
 * The order as it stood right after the change that moved it to `status`: what an event with that
 * status carries, live or replayed, even when the order has moved on since. The lifecycle has no
 * cycles, so each status appears at most once in a timeline and names one moment. Fields that only
 * exist later (the booking code before confirmation, the reason of a final state, the rating) are
 * blanked; everything else (items, shop, buyer) never changes after creation.
 */
export function orderAsOf<T extends Order>(order: T, status: OrderStatus): T {
  if (order.status === status) return order;
  const idx = order.timeline.findIndex((e) => e.status === status);
  const entry = order.timeline[idx];
  if (!entry) return order;
  return {
    ...order,
    status,
    timeline: order.timeline.slice(0, idx + 1),
    updated_at: entry.at,
    code: status === "pending" ? null : order.code,
    reason: isFinalStatus(status) ? order.reason : null,
    reason_code: isFinalStatus(status) ? order.reason_code : null,
    rating: status === "completed" ? order.rating : null,
  };
}
