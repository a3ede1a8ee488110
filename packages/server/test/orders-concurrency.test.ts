import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idsOf, makeShop, stockOf } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

describe.each(DATABASES)("orders under concurrency on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, {
      config: { ORDER_RATE_LIMIT_PER_MINUTE: "10000", RATE_LIMIT_PER_MINUTE: "100000" },
    });
  });
  afterAll(async () => t?.close());

  it("60 buyers racing for 20 items: exactly 20 win, no oversell", async () => {
    const shop = await makeShop(t, { offers: [{ title: "Last croissants", price: 5000, quantity: 20 }] });
    const offerId = shop.offers[0].id;
    const buyers = Array.from({ length: 60 }, () => newUser());
    const results = await Promise.all(
      buyers.map((b) => t.as(b).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] })),
    );
    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status !== 201);
    expect(won).toHaveLength(20);
    expect(lost.every((r) => r.status === 409 && r.problem.code === "insufficient_stock")).toBe(true);
    expect(await stockOf(t, offerId)).toBe(0);
    const [sum] = await t.db.query<{ q: number }>(
      "select coalesce(sum(quantity), 0) as q from order_items where offer_id = $1",
      [offerId],
    );
    expect(sum?.q).toBe(20);
  });

  it("multi-item orders take all or nothing under contention", async () => {
    const shop = await makeShop(t, {
      offers: [
        { title: "A", price: 1000, quantity: 10 },
        { title: "B", price: 1000, quantity: 10 },
      ],
    });
    const [a, b] = idsOf(shop.offers);
    // half the buyers list the items in one order, half in the other: no deadlock, no partial take
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.as(newUser()).post("/api/orders", {
          items:
            i % 2
              ? [
                  { offer_id: a, quantity: 1 },
                  { offer_id: b, quantity: 2 },
                ]
              : [
                  { offer_id: b, quantity: 2 },
                  { offer_id: a, quantity: 1 },
                ],
        }),
      ),
    );
    const won = results.filter((r) => r.status === 201).length;
    expect(won).toBe(5);
    expect(await stockOf(t, a)).toBe(10 - won);
    expect(await stockOf(t, b)).toBe(10 - 2 * won);
  });

  it("accept racing cancel 100 times: exactly one wins each time, stock returns exactly once", async () => {
    const shop = await makeShop(t, { offers: [{ title: "Plov", price: 20000, quantity: 1000 }] });
    const offerId = shop.offers[0].id;
    const buyer = newUser();
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      const order = (
        await t.as(buyer).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] }, api.order)
      ).body;
      const [acc, can] = await Promise.all([
        t.as(shop.owner).post(`/api/seller/orders/${order.id}/accept`),
        t.as(buyer).post(`/api/orders/${order.id}/cancel`),
      ]);
      expect([acc.status, can.status].sort()).toEqual([200, 409]);
      const loser = acc.status === 409 ? acc : can;
      expect(loser.problem.code).toBe("invalid_transition");
      if (acc.status === 200) accepted++;
      const final = (await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.status;
      expect(final).toBe(acc.status === 200 ? "confirmed" : "cancelled");
    }
    expect(await stockOf(t, offerId)).toBe(1000 - accepted);
    const [ev] = await t.db.query<{ n: number }>(
      "select count(*)::int as n from order_events e join orders o on o.id = e.order_id join order_items i on i.order_id = o.id where i.offer_id = $1 and e.from_status = 'pending'",
      [offerId],
    );
    expect(ev?.n).toBe(100);
  });

  it("reject racing cancel and a double reject: stock comes back exactly once", async () => {
    const shop = await makeShop(t, { offers: [{ title: "Manti", price: 15000, quantity: 30 }] });
    const offerId = shop.offers[0].id;
    const buyer = newUser();
    for (let i = 0; i < 30; i++) {
      const order = (
        await t.as(buyer).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] }, api.order)
      ).body;
      const results = await Promise.all([
        t.as(shop.owner).post(`/api/seller/orders/${order.id}/reject`, { reason: "closing" }),
        t.as(buyer).post(`/api/orders/${order.id}/cancel`),
        t.as(shop.owner).post(`/api/seller/orders/${order.id}/reject`),
      ]);
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    }
    expect(await stockOf(t, offerId)).toBe(30);
  });
});
