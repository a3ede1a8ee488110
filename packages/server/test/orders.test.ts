import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../src/core/clock.ts";
import { makeShop, type Shop, stockOf } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

describe.each(DATABASES)("order lifecycle on %s", (kind) => {
  // each database's suite has its own clock: moving one must not move the other
  const clock = new FakeClock();
  let t: TestApp;
  let shop: Shop;
  const buyer = newUser({ first_name: "Aziza", username: "aziza" });
  const stranger = newUser();

  beforeAll(async () => {
    t = await createTestApp(kind, { deps: { clock } });
    shop = await makeShop(t, { min: 20000 });
  });
  afterAll(async () => t?.close());

  const samsa = () => shop.offers[0].id;
  const tomatoes = () => shop.offers[1].id;

  it("places a pickup order with prices from the database and takes the stock", async () => {
    const res = await t.as(buyer).post(
      "/api/orders",
      {
        items: [
          { offer_id: samsa(), quantity: 2 },
          { offer_id: tomatoes(), quantity: 1.5 },
        ],
        delivery_type: "pickup",
      },
      api.order,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "pending",
      delivery_type: "pickup",
      delivery_cost: 0,
      items_total: 2 * 6000 + 12000,
      total: 24000,
      code: null,
      store: { id: shop.store.id, name: "Test Bakery" },
      buyer: { id: buyer.id, first_name: "Aziza", username: "aziza" },
    });
    expect(res.body.items).toEqual([
      { offer_id: samsa(), title: "Samsa", quantity: 2, unit: "piece", price: 6000, total: 12000 },
      { offer_id: tomatoes(), title: "Tomatoes", quantity: 1.5, unit: "kg", price: 8000, total: 12000 },
    ]);
    expect(res.body.timeline).toEqual([expect.objectContaining({ status: "pending" })]);
    expect(await stockOf(t, samsa())).toBe(98);
    expect(await stockOf(t, tomatoes())).toBe(4);
  });

  it("walks pending → confirmed → ready → completed, with a booking code and events", async () => {
    const order = (
      await t
        .as(buyer)
        .post(
          "/api/orders",
          { items: [{ offer_id: samsa(), quantity: 1 }], delivery_type: "pickup" },
          api.order,
        )
    ).body;
    const accepted = await t.as(shop.owner).post(`/api/seller/orders/${order.id}/accept`, {}, api.order);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe("confirmed");
    expect(accepted.body.code).toMatch(/^[2-9A-HJKMNP-Z]{6}$/);
    const code = accepted.body.code as string;
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.code).toBe(code);
    const verified = await t
      .as(shop.owner)
      .post("/api/seller/orders/verify", { code: code.toLowerCase() }, api.order);
    expect(verified.status).toBe(200);
    expect(verified.body.id).toBe(order.id);
    expect((await t.as(stranger).post("/api/seller/orders/verify", { code })).status).toBe(404);
    expect(
      (await t.as(shop.owner).post(`/api/seller/orders/${order.id}/ready`, undefined, api.order)).body.status,
    ).toBe("ready");
    const done = await t.as(shop.owner).post(`/api/seller/orders/${order.id}/complete`, undefined, api.order);
    expect(done.body.status).toBe("completed");
    expect(done.body.timeline.map((e) => e.status)).toEqual(["pending", "confirmed", "ready", "completed"]);
    const events = await t.db.query<{
      from_status: string | null;
      to_status: string;
      actor_type: string;
      actor_id: number | null;
    }>(
      "select from_status, to_status, actor_type, actor_id from order_events where order_id = $1 order by id",
      [order.id],
    );
    expect(events).toEqual([
      { from_status: null, to_status: "pending", actor_type: "buyer", actor_id: buyer.id },
      { from_status: "pending", to_status: "confirmed", actor_type: "seller", actor_id: shop.owner.id },
      { from_status: "confirmed", to_status: "ready", actor_type: "seller", actor_id: shop.owner.id },
      { from_status: "ready", to_status: "completed", actor_type: "seller", actor_id: shop.owner.id },
    ]);
    const outbox = await t.db.query<{ kind: string; chat_id: number }>(
      "select kind, chat_id from outbox where order_id = $1 order by id",
      [order.id],
    );
    expect(outbox.filter((r) => r.kind === "buyer_status")).toHaveLength(3);
    expect(outbox.filter((r) => r.kind === "seller_new_order")).toEqual([
      { kind: "seller_new_order", chat_id: shop.owner.id },
    ]);
    // a completed order no longer verifies, and the seller is told it was handed over, and when
    const used = await t.as(shop.owner).post("/api/seller/orders/verify", { code });
    expect(used.status).toBe(404);
    const completedAt = (await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.timeline.find(
      (s) => s.status === "completed",
    )?.at;
    expect(used.body).toMatchObject({
      code: "code_already_used",
      at: new Date(completedAt ?? "").toISOString(),
    });
    // someone else's shop learns nothing about it
    const other = await t.as(newUser()).post("/api/seller/orders/verify", { code });
    expect(other.body).toMatchObject({ code: "code_not_found" });
    expect(other.body).not.toHaveProperty("at");

    const rated = await t
      .as(buyer)
      .post(`/api/orders/${order.id}/rating`, { stars: 4, comment: "Tasty" }, api.order);
    expect(rated.status).toBe(201);
    expect(rated.body.rating).toEqual({ stars: 4, comment: "Tasty" });
    const again = await t.as(buyer).post(`/api/orders/${order.id}/rating`, { stars: 5 });
    expect(again.status).toBe(409);
    expect(again.problem.code).toBe("already_rated");
    const store = (await t.as(buyer).get(`/api/stores/${shop.store.id}`, api.store)).body;
    expect(store).toMatchObject({ rating: 4, ratings_count: 1 });
  });

  it("delivery: address and phone required, fee from the shop, min order enforced, out for delivery", async () => {
    const missing = await t
      .as(buyer)
      .post("/api/orders", { items: [{ offer_id: samsa(), quantity: 4 }], delivery_type: "delivery" });
    expect(missing.status).toBe(400);
    expect(missing.problem.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["body.delivery_address", "body.customer_phone"]),
    );
    const small = await t.as(buyer).post("/api/orders", {
      items: [{ offer_id: samsa(), quantity: 1 }],
      delivery_type: "delivery",
      delivery_address: "Chilonzor 9, kv 12",
      customer_phone: "+998 90 765 43 21",
    });
    expect(small.status).toBe(422);
    expect(small.problem.code).toBe("below_min_order");
    const stockBefore = await stockOf(t, samsa());
    const res = await t.as(buyer).post("/api/orders", {
      items: [{ offer_id: samsa(), quantity: 4 }],
      delivery_type: "delivery",
      delivery_address: "Chilonzor 9, kv 12",
      customer_phone: "90 765 43 21",
      delivery_cost: 0,
    });
    expect(res.status).toBe(400); // delivery_cost comes from the shop, never the client
    expect(await stockOf(t, samsa())).toBe(stockBefore);
    const ok = await t.as(buyer).post(
      "/api/orders",
      {
        items: [{ offer_id: samsa(), quantity: 4 }],
        delivery_type: "delivery",
        delivery_address: "Chilonzor 9, kv 12",
        customer_phone: "90 765 43 21",
      },
      api.order,
    );
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      delivery_cost: 12000,
      items_total: 24000,
      total: 36000,
      customer_phone: "+998907654321",
    });
    const id = ok.body.id;
    await t.as(shop.owner).post(`/api/seller/orders/${id}/accept`);
    expect((await t.as(shop.owner).post(`/api/seller/orders/${id}/ready`)).status).toBe(409);
    expect(
      (await t.as(shop.owner).post(`/api/seller/orders/${id}/delivering`, undefined, api.order)).body.status,
    ).toBe("delivering");
    expect((await t.as(shop.owner).post(`/api/seller/orders/${id}/cancel`)).problem.code).toBe(
      "invalid_transition",
    );
    expect(
      (await t.as(shop.owner).post(`/api/seller/orders/${id}/complete`, undefined, api.order)).body.status,
    ).toBe("completed");
  });

  it("refuses delivery from a shop that does not deliver", async () => {
    const pickupOnly = await makeShop(t, { delivery: false });
    const res = await t.as(buyer).post("/api/orders", {
      items: [{ offer_id: pickupOnly.offers[0].id, quantity: 1 }],
      delivery_type: "delivery",
      delivery_address: "Chilonzor 9",
      customer_phone: "+998901234567",
    });
    expect(res.status).toBe(422);
    expect(res.problem.code).toBe("delivery_unavailable");
  });

  it("rejects with a reason and returns the stock exactly once", async () => {
    const before = await stockOf(t, samsa());
    const order = (
      await t.as(buyer).post("/api/orders", { items: [{ offer_id: samsa(), quantity: 3 }] }, api.order)
    ).body;
    expect(await stockOf(t, samsa())).toBe(before - 3);
    const rejected = await t
      .as(shop.owner)
      .post(`/api/seller/orders/${order.id}/reject`, { reason: "Sold out at the counter" }, api.order);
    expect(rejected.body).toMatchObject({ status: "rejected", reason: "Sold out at the counter" });
    expect(await stockOf(t, samsa())).toBe(before);
    expect((await t.as(shop.owner).post(`/api/seller/orders/${order.id}/reject`)).status).toBe(409);
    expect((await t.as(buyer).post(`/api/orders/${order.id}/cancel`)).status).toBe(409);
    expect(await stockOf(t, samsa())).toBe(before);
    expect((await t.as(buyer).post(`/api/orders/${order.id}/rating`, { stars: 5 })).problem.code).toBe(
      "invalid_transition",
    );
  });

  it("lets the buyer cancel while pending only", async () => {
    const before = await stockOf(t, samsa());
    const a = (
      await t.as(buyer).post("/api/orders", { items: [{ offer_id: samsa(), quantity: 1 }] }, api.order)
    ).body;
    const cancelled = await t
      .as(buyer)
      .post(`/api/orders/${a.id}/cancel`, { reason: "Changed my mind" }, api.order);
    expect(cancelled.body.status).toBe("cancelled");
    expect(await stockOf(t, samsa())).toBe(before);
    const b = (
      await t.as(buyer).post("/api/orders", { items: [{ offer_id: samsa(), quantity: 1 }] }, api.order)
    ).body;
    await t.as(shop.owner).post(`/api/seller/orders/${b.id}/accept`);
    const late = await t.as(buyer).post(`/api/orders/${b.id}/cancel`);
    expect(late.status).toBe(409);
    expect(late.problem.code).toBe("invalid_transition");
    expect(
      (await t.as(shop.owner).post(`/api/seller/orders/${b.id}/cancel`, { reason: "Oven broke" }, api.order))
        .body.status,
    ).toBe("cancelled");
    expect(await stockOf(t, samsa())).toBe(before);
  });

  it("hides other people's orders: 404 for buyers and sellers alike", async () => {
    const order = (
      await t.as(buyer).post("/api/orders", { items: [{ offer_id: samsa(), quantity: 1 }] }, api.order)
    ).body;
    expect((await t.as(stranger).get(`/api/orders/${order.id}`)).status).toBe(404);
    expect((await t.as(stranger).post(`/api/orders/${order.id}/cancel`)).status).toBe(404);
    expect((await t.as(stranger).post(`/api/seller/orders/${order.id}/accept`)).status).toBe(404);
    expect((await t.as(buyer).post(`/api/seller/orders/${order.id}/accept`)).status).toBe(404);
    expect((await t.as(shop.owner).get(`/api/orders/${order.id}`)).status).toBe(404);
    expect((await t.as(stranger).get("/api/orders", api.orders)).body.orders).toEqual([]);
    expect((await t.as(stranger).get("/api/seller/orders", api.orders)).body.orders).toEqual([]);
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.status).toBe("pending");
  });

  it("lists orders newest first, filtered", async () => {
    const all = (await t.as(buyer).get("/api/orders?filter=all", api.orders)).body.orders;
    const ids = all.map((o) => o.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const active = (await t.as(buyer).get("/api/orders?filter=active", api.orders)).body.orders;
    const finished = (await t.as(buyer).get("/api/orders?filter=finished", api.orders)).body.orders;
    expect(active.length + finished.length).toBe(all.length);
    expect(active.every((o) => ["pending", "confirmed", "ready", "delivering"].includes(o.status))).toBe(
      true,
    );
    const seller = (await t.as(shop.owner).get("/api/seller/orders?filter=active", api.orders)).body.orders;
    expect(seller.length).toBe(active.length);
    expect((await t.as(buyer).get("/api/orders?filter=bogus")).status).toBe(400);
  });

  it.each([
    ["no items", { items: [] }],
    ["zero quantity", { items: [{ offer_id: 1, quantity: 0 }] }],
    ["negative quantity", { items: [{ offer_id: 1, quantity: -2 }] }],
    ["string quantity", { items: [{ offer_id: 1, quantity: "2" }] }],
    ["client price", { items: [{ offer_id: 1, quantity: 1, price: 1 }] }],
    ["bad type", { items: [{ offer_id: 1, quantity: 1 }], delivery_type: "drone" }],
    [
      "duplicate offer",
      {
        items: [
          { offer_id: 1, quantity: 1 },
          { offer_id: 1, quantity: 1 },
        ],
      },
    ],
    [
      "bad phone",
      {
        items: [{ offer_id: 1, quantity: 1 }],
        delivery_type: "delivery",
        delivery_address: "Chilonzor 1",
        customer_phone: "12",
      },
    ],
    ["huge comment", { items: [{ offer_id: 1, quantity: 1 }], comment: "x".repeat(100_000) }],
  ])("refuses a junk order (%s) with 4xx and takes nothing", async (_n, body) => {
    const before = await stockOf(t, samsa());
    const count = (await t.db.query<{ n: number }>("select count(*)::int as n from orders"))[0]?.n;
    const res = await t.as(buyer).post("/api/orders", body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers["content-type"]).toMatch(/problem\+json/);
    expect(await stockOf(t, samsa())).toBe(before);
    expect((await t.db.query<{ n: number }>("select count(*)::int as n from orders"))[0]?.n).toBe(count);
  });

  it("refuses unknown offers, fractional pieces, mixed shops and too much", async () => {
    const other = await makeShop(t);
    const before = await stockOf(t, samsa());
    const cases: [unknown, number, string][] = [
      [{ items: [{ offer_id: 99999999, quantity: 1 }] }, 404, "not_found"],
      [{ items: [{ offer_id: samsa(), quantity: 1.5 }] }, 400, "invalid_quantity"],
      [{ items: [{ offer_id: tomatoes(), quantity: 0.25 }] }, 400, "invalid_quantity"],
      [
        {
          items: [
            { offer_id: samsa(), quantity: 1 },
            { offer_id: other.offers[0].id, quantity: 1 },
          ],
        },
        422,
        "mixed_stores",
      ],
      [
        {
          items: [
            { offer_id: samsa(), quantity: 1 },
            { offer_id: tomatoes(), quantity: 1000 },
          ],
        },
        409,
        "insufficient_stock",
      ],
    ];
    for (const [body, status, code] of cases) {
      const res = await t.as(buyer).post("/api/orders", body);
      expect([res.status, res.problem.code]).toEqual([status, code]);
    }
    expect(await stockOf(t, samsa())).toBe(before);
  });

  it("honours Idempotency-Key: same order back, different body conflicts", async () => {
    const body = { items: [{ offer_id: samsa(), quantity: 1 }] };
    const before = await stockOf(t, samsa());
    const key = `checkout-${Date.now()}`;
    const [a, b] = await Promise.all([
      t.as(buyer).post("/api/orders", body, api.order, { "idempotency-key": key }),
      t.as(buyer).post("/api/orders", body, api.order, { "idempotency-key": key }),
    ]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).toBe(b.body.id);
    expect(await stockOf(t, samsa())).toBe(before - 1);
    const c = await t
      .as(buyer)
      .post("/api/orders", { items: [{ offer_id: samsa(), quantity: 2 }] }, api.order, {
        "idempotency-key": key,
      });
    expect(c.status).toBe(409);
    expect(c.problem.code).toBe("idempotency_conflict");
    // the key is per user: another buyer with the same key gets their own order
    const d = await t.as(stranger).post("/api/orders", body, api.order, { "idempotency-key": key });
    expect(d.status).toBe(201);
    expect(d.body.id).not.toBe(a.body.id);
  });

  it("expires pending orders past the accept deadline and returns their stock", async () => {
    // a shop of its own: moving the clock expires every order still pending, not only this one
    const own = await makeShop(t, { offers: [{ title: "Kulcha", price: 3000, quantity: 10 }] });
    const before = await stockOf(t, own.offers[0].id);
    const order = (
      await t
        .as(buyer)
        .post("/api/orders", { items: [{ offer_id: own.offers[0].id, quantity: 1 }] }, api.order)
    ).body;
    expect(order.accept_deadline).toBe(new Date(clock.now().getTime() + 1800_000).toISOString());
    clock.advance({ s: 1799 });
    await t.app.services.jobs.runDue();
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.status).toBe("pending");
    clock.advance({ s: 1 });
    expect(await t.app.services.jobs.runDue()).toBeGreaterThanOrEqual(1);
    const after = (await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body;
    expect(after.status).toBe("expired");
    expect(await stockOf(t, own.offers[0].id)).toBe(before);
    expect((await t.as(own.owner).post(`/api/seller/orders/${order.id}/accept`)).status).toBe(409);
  });

  it("expires confirmed pickup orders nobody collected after the pickup window", async () => {
    const late = await makeShop(t, {
      offers: [
        {
          title: "Lunch box",
          price: 20000,
          quantity: 5,
          pickup_until: new Date(Date.now() + 3600_000).toISOString(),
        },
      ],
    });
    const offerId = late.offers[0].id;
    const order = (
      await t.as(buyer).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] }, api.order)
    ).body;
    await t.as(late.owner).post(`/api/seller/orders/${order.id}/accept`);
    await t.app.services.jobs.runDue();
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.status).toBe("confirmed");
    // NO_SHOW_GRACE (2 h) after the window closes, to the second, it is a no-show
    const until = Date.parse(order.pickup_until as string);
    clock.set(until + 7200_000 - 1000);
    await t.app.services.jobs.runDue();
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.status).toBe("confirmed");
    clock.set(until + 7200_000);
    await t.app.services.jobs.runDue();
    const after = (await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body;
    expect(after.status).toBe("expired");
    expect(after.timeline.at(-1)?.reason).toBe("the order was not picked up in time");
  });
});

describe("order rate limit", () => {
  it("caps orders per user per minute", async () => {
    const t = await createTestApp("pglite", { config: { ORDER_RATE_LIMIT_PER_MINUTE: "3" } });
    try {
      const shop = await makeShop(t);
      const buyer = newUser();
      const statuses = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (await t.as(buyer).post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: 1 }] }))
            .status,
        );
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
    } finally {
      await t.close();
    }
  });
});
