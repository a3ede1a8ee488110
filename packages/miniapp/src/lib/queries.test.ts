import { sampleOrder } from "@lastbite/shared/testing";
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Me, Order, OrderList } from "./endpoints.ts";
import { applyOrder, keys } from "./queries.ts";

const BUYER = 2;
const SHOP = 1;

function order(over: Partial<Order> = {}): Order {
  return sampleOrder({
    store: {
      id: SHOP,
      name: "S",
      address: "A",
      phone: "+998901234567",
      owner_username: null,
      timezone: "Asia/Tashkent",
    },
    buyer: { id: BUYER, first_name: "B", username: null },
    ...over,
  });
}

function me(userId: number, storeIds: number[]): Me {
  const store = (id: number) => ({
    id,
    name: "S",
    address: "A",
    phone: "+998901234567",
    description: null,
    owner_id: userId,
    owner_username: null,
    status: "active" as const,
    lat: null,
    lng: null,
    category: null,
    timezone: null,
    delivery_enabled: false,
    delivery_fee: 0,
    min_order_amount: 0,
    rating: null,
    ratings_count: 0,
    created_at: "2026-01-01T10:00:00+05:00",
  });
  return {
    user: { id: userId, first_name: "U", username: null, language: "en" },
    stores: storeIds.map(store),
    shop_timezone: "Asia/Tashkent",
  };
}

const ids = (qc: QueryClient, key: readonly unknown[]) =>
  qc.getQueryData<OrderList>(key)?.orders.map((o) => o.id);

describe("applyOrder (live events and mutation answers into the cache)", () => {
  it("updates the order's page and moves it between the buyer's lists", () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.me, me(BUYER, []));
    qc.setQueryData(keys.order(1), order());
    qc.setQueryData(keys.orders("active"), { orders: [order()] });
    qc.setQueryData(keys.orders("finished"), { orders: [] });

    const done = order({ status: "cancelled", updated_at: "2026-01-01T10:05:00+05:00" });
    applyOrder(qc, done);
    expect(qc.getQueryData<Order>(keys.order(1))?.status).toBe("cancelled");
    expect(ids(qc, keys.orders("active"))).toEqual([]);
    expect(ids(qc, keys.orders("finished"))).toEqual([1]);
  });

  it("never goes back to an older version of an order", () => {
    const qc = new QueryClient();
    const confirmed = order({ status: "confirmed", updated_at: "2026-01-01T10:05:00+05:00" });
    qc.setQueryData(keys.order(1), confirmed);
    applyOrder(qc, order());
    expect(qc.getQueryData<Order>(keys.order(1))?.status).toBe("confirmed");
  });

  it("puts a shop's new order in the seller's list, not in their own purchases", () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.me, me(99, [SHOP]));
    qc.setQueryData(keys.sellerOrders("active"), { orders: [] });
    qc.setQueryData(keys.orders("active"), { orders: [] });
    applyOrder(qc, order({ id: 7 }));
    expect(ids(qc, keys.sellerOrders("active"))).toEqual([7]);
    expect(ids(qc, keys.orders("active"))).toEqual([]);
  });

  it("takes a change that keeps updated_at (a rating)", () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.order(1), order({ status: "completed" }));
    applyOrder(qc, order({ status: "completed", rating: { stars: 4, comment: null } }));
    expect(qc.getQueryData<Order>(keys.order(1))?.rating?.stars).toBe(4);
  });

  it("creates nothing for views that were never loaded", () => {
    const qc = new QueryClient();
    applyOrder(qc, order({ id: 5 }));
    expect(qc.getQueryData(keys.order(5))).toBeUndefined();
    expect(qc.getQueryData(keys.orders("active"))).toBeUndefined();
  });
});
