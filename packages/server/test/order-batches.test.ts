import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeOrders } from "../src/orders/order-placement.ts";
import { makeShop, stockOf } from "./fixtures.ts";
import { createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

/**
 * Orders placed in batches (issue 12): `place_orders()` decides each order of a batch as
 * `place_order()` decides one, and under load the server puts concurrent orders into shared batches.
 */
describe.each(DATABASES)("orders placed in batches on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, {
      config: { ORDER_RATE_LIMIT_PER_MINUTE: "10000", RATE_LIMIT_PER_MINUTE: "100000" },
    });
  });
  afterAll(async () => t?.close());

  /** A registered buyer's id (the first request makes the users row). */
  async function buyer(): Promise<number> {
    const u = newUser();
    expect((await t.as(u).get("/api/me")).status).toBe(200);
    return u.id;
  }
  const deadline = () => new Date(Date.now() + 600_000).toISOString();
  function input(
    storeId: number,
    buyerId: number,
    key: string | null,
    lines: { offer_id: number; quantity: number }[],
    over: Record<string, unknown> = {},
  ) {
    const ls = lines.map((l) => ({
      ...l,
      title: `offer ${l.offer_id}`,
      unit: "piece",
      price: 1000,
      total: 1000 * l.quantity,
    }));
    const total = ls.reduce((s, l) => s + l.total, 0);
    return {
      buyer_id: buyerId,
      store_id: storeId,
      delivery_type: "pickup",
      delivery_address: null,
      customer_phone: null,
      delivery_cost: 0,
      items_total: total,
      total,
      comment: null,
      accept_deadline: deadline(),
      pickup_from: null,
      pickup_until: null,
      timezone: "Asia/Tashkent",
      jobs: [{ kind: "accept_expiry", due_at: deadline() }],
      idempotency_key: key,
      request_hash: `hash-${key}`,
      lines: ls,
      outbox: [],
      ...over,
    };
  }

  it("gives each order of a batch its own answer: placed, short, key taken, all lines or none", async () => {
    const shop = await makeShop(t, {
      offers: [
        { title: "A", price: 1000, quantity: 3 },
        { title: "B", price: 1000, quantity: 1 },
      ],
    });
    const [a, b] = [shop.offers[0].id, shop.offers[1].id];
    const [b1, b2, b3] = [await buyer(), await buyer(), await buyer()];
    const s = shop.store.id;
    const verdicts = await placeOrders(t.db, [
      input(s, b1, "k1", [{ offer_id: a, quantity: 2 }]),
      input(s, b2, "k2", [{ offer_id: a, quantity: 2 }]), // only 1 of A left
      input(s, b1, "k1", [{ offer_id: a, quantity: 1 }]), // the same key again in the batch
      input(s, b3, null, [
        { offer_id: a, quantity: 1 },
        { offer_id: b, quantity: 2 }, // B has 1: nothing of this order is taken
      ]),
      input(s, b3, null, [
        { offer_id: a, quantity: 1 },
        { offer_id: b, quantity: 1 },
      ]),
    ]);
    expect(verdicts.map((v) => Object.keys(v).sort()[0])).toEqual([
      "accept_deadline",
      "insufficient_stock",
      "idempotency_key_taken",
      "insufficient_stock",
      "accept_deadline",
    ]);
    expect(verdicts[1]).toEqual({ insufficient_stock: a });
    expect(verdicts[3]).toEqual({ insufficient_stock: b });
    expect(await stockOf(t, a)).toBe(0);
    expect(await stockOf(t, b)).toBe(0);
    const placed = verdicts.flatMap((v) => ("order_id" in v ? [v] : []));
    const rows = await t.db.query<{
      id: number;
      buyer_id: number;
      status: string;
      items: number;
      events: number;
      jobs: number;
    }>(
      `select o.id, o.buyer_id, o.status,
         (select count(*)::int from order_items i where i.order_id = o.id) as items,
         (select count(*)::int from order_events e where e.order_id = o.id and e.to_status = 'pending') as events,
         (select count(*)::int from jobs j where j.order_id = o.id) as jobs
       from orders o where o.store_id = $1 order by o.id`,
      [s],
    );
    expect(rows).toEqual([
      { id: placed[0]?.order_id, buyer_id: b1, status: "pending", items: 1, events: 1, jobs: 1 },
      { id: placed[1]?.order_id, buyer_id: b3, status: "pending", items: 2, events: 1, jobs: 1 },
    ]);
    // The first event of each order is the one the answer names.
    const events = await t.db.query<{ id: number; order_id: number }>(
      "select id, order_id from order_events where store_id = $1 order by id",
      [s],
    );
    expect(events).toEqual(placed.map((p) => ({ id: p.event_id, order_id: p.order_id })));
    // k1 holds its order; k2's order could not be served, so k2 is free again, as after a failed single placement.
    const keys = await t.db.query<{ user_id: number; key: string; order_id: number | null }>(
      "select user_id, key, order_id from idempotency_keys where user_id = any($1::bigint[]) order by key",
      [[b1, b2]],
    );
    expect(keys).toEqual([{ user_id: b1, key: "k1", order_id: placed[0]?.order_id }]);
  });

  it("when a batch fails as a whole, places each of its orders alone: one order's fault is its own answer", async () => {
    const shop = await makeShop(t, { offers: [{ title: "C", price: 1000, quantity: 10 }] });
    const c = shop.offers[0].id;
    const [b1, b2, b3] = [await buyer(), await buyer(), await buyer()];
    const s = shop.store.id;
    const verdicts = await placeOrders(t.db, [
      input(s, b1, null, [{ offer_id: c, quantity: 1 }]),
      input(s, b2, null, [{ offer_id: c, quantity: 1 }], { delivery_type: "teleport" }), // breaks a CHECK
      input(s, b3, null, [{ offer_id: c, quantity: 1 }]),
    ]);
    expect("order_id" in (verdicts[0] ?? {})).toBe(true);
    expect("failed" in (verdicts[1] ?? {})).toBe(true);
    expect("order_id" in (verdicts[2] ?? {})).toBe(true);
    expect(await stockOf(t, c)).toBe(8);
  });

  it("under load, concurrent orders share statements and every one is answered right", async () => {
    const shop = await makeShop(t, { offers: [{ title: "D", price: 1000, quantity: 30 }] });
    const d = shop.offers[0].id;
    const buyers = Array.from({ length: 40 }, () => newUser());
    for (const u of buyers) await t.as(u).get("/api/me");
    let writes = 0;
    const query = t.db.query.bind(t.db);
    t.db.query = ((text: string, params?: readonly unknown[]) => {
      if (/place_orders?\(/.test(text)) writes++;
      return query(text, params);
    }) as typeof t.db.query;
    try {
      const results = await Promise.all(
        buyers.map((u, i) =>
          t.as(u).post("/api/orders", { items: [{ offer_id: d, quantity: 1 }] }, undefined as never, {
            "Idempotency-Key": `load-${i}`,
          }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(30);
      expect(
        results.filter((r) => r.status === 409).every((r) => r.problem.code === "insufficient_stock"),
      ).toBe(true);
      expect(results.filter((r) => r.status === 409)).toHaveLength(10);
    } finally {
      t.db.query = query;
    }
    expect(await stockOf(t, d)).toBe(0);
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(40);
  });
});
