import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInitData } from "../src/auth/init-data.ts";
import { idsOf, makeShop, type Shop, stockOf } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, TEST_TOKEN, type TestApp } from "./helpers.ts";

/** Findings of the security audit (issue 10) about what clients may send, each kept fixed. */
describe.each(DATABASES)("input rules on %s", (kind) => {
  let t: TestApp;
  let shop: Shop;
  const buyer = newUser();

  beforeAll(async () => {
    t = await createTestApp(kind, { config: { RATE_LIMIT_PER_MINUTE: "100000" } });
    shop = await makeShop(t);
  });
  afterAll(async () => t?.close());

  const samsa = () => shop.offers[0].id;
  const tomatoes = () => shop.offers[1].id;
  const counts = async () =>
    (
      await t.db.query<{ n: string }>(
        "select (select count(*) from orders) || '/' || (select count(*) from outbox) || '/' || (select count(*) from stores) || '/' || (select count(*) from offers) || '/' || (select count(*) from ratings) as n",
      )
    )[0]?.n;

  async function completedOrder(by = buyer, offerId = samsa()) {
    const order = (
      await t.as(by).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] }, api.order)
    ).body;
    expect((await t.as(shop.owner).post(`/api/seller/orders/${order.id}/accept`, {})).status).toBe(200);
    expect((await t.as(shop.owner).post(`/api/seller/orders/${order.id}/complete`, {})).status).toBe(200);
    return order.id;
  }

  it("refuses a shop's owner rating their own shop: 403 forbidden, the rating unchanged", async () => {
    const id = await completedOrder(shop.owner);
    const before = (await t.as(buyer).get(`/api/stores/${shop.store.id}`, api.store)).body;
    const res = await t.as(shop.owner).post(`/api/orders/${id}/rating`, { stars: 5 });
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.problem.code).toBe("forbidden");
    const after = (await t.as(buyer).get(`/api/stores/${shop.store.id}`, api.store)).body;
    expect([after.rating, after.ratings_count]).toEqual([before.rating, before.ratings_count]);
    // A buyer still rates.
    expect(
      (await t.as(buyer).post(`/api/orders/${await completedOrder()}/rating`, { stars: 4 })).status,
    ).toBe(201);
  });

  it("refuses control characters in every text field with 400 invalid_request, changing nothing", async () => {
    const before = await counts();
    const stock = await stockOf(t, samsa());
    const order = (
      await t.as(buyer).post("/api/orders", { items: [{ offer_id: samsa(), quantity: 1 }] }, api.order)
    ).body;
    const orderId = order.id;
    const withNul = ["a\u0000b", "x\u0007y", "e\u001bz", "d\u007f", "c\u0085"];
    const cases: [string, string, (v: string) => unknown][] = [
      ["POST", "/api/stores", (v) => ({ name: v, address: "Tashkent 1", phone: "+998901112233" })],
      ["POST", "/api/stores", (v) => ({ name: "Shop", address: v, phone: "+998901112233" })],
      ["POST", "/api/stores", (v) => ({ name: "Shop", address: "Tashkent 1", phone: `+99890111${v}` })],
      [
        "POST",
        "/api/stores",
        (v) => ({ name: "Shop", address: "Tashkent 1", phone: "+998901112233", description: v }),
      ],
      ["PATCH", `/api/stores/${shop.store.id}`, (v) => ({ name: v })],
      ["POST", `/api/stores/${shop.store.id}/offers`, (v) => ({ title: v, price: 100, quantity: 1 })],
      [
        "POST",
        `/api/stores/${shop.store.id}/offers`,
        (v) => ({ title: "T", description: v, price: 100, quantity: 1 }),
      ],
      [
        "POST",
        `/api/stores/${shop.store.id}/offers`,
        (v) => ({ title: "T", price: 100, quantity: 1, photo_url: `https://x.uz/${v}` }),
      ],
      ["PATCH", `/api/offers/${samsa()}`, (v) => ({ title: v })],
      ["POST", "/api/orders", (v) => ({ items: [{ offer_id: samsa(), quantity: 1 }], comment: v })],
      [
        "POST",
        "/api/orders",
        (v) => ({
          items: [{ offer_id: samsa(), quantity: 1 }],
          delivery_type: "delivery",
          delivery_address: `Navoi street ${v}`,
          customer_phone: "+998901112233",
        }),
      ],
      ["POST", `/api/orders/${orderId}/cancel`, (v) => ({ reason: v })],
      ["POST", `/api/seller/orders/${orderId}/reject`, (v) => ({ reason: v })],
      ["POST", "/api/seller/orders/verify", (v) => ({ code: v })],
    ];
    for (const [method, url, body] of cases)
      for (const v of withNul) {
        const who =
          url.startsWith("/api/seller") || url.includes("/stores/") || url.startsWith("/api/offers")
            ? shop.owner
            : buyer;
        const res = await t.app.inject({
          method: method as "POST" | "PATCH",
          url,
          payload: body(v) as object,
          headers: { authorization: `tma ${signInitData(TEST_TOKEN, { user: who })}` },
        });
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(v)}: ${res.body}`).toBe(400);
        expect(res.headers["content-type"]).toContain("application/problem+json");
        expect(JSON.parse(res.body).code).toBe("invalid_request");
      }
    // Tabs and line breaks are text.
    const fine = await t.as(buyer).post(`/api/orders/${orderId}/cancel`, { reason: "changed\tmy\r\nmind" });
    expect(fine.status).toBe(200);
    expect(await counts()).not.toBe(before); // the one order above was placed
    expect(await stockOf(t, samsa())).toBe(stock);
    expect((await t.as(shop.owner).get(`/api/offers/${samsa()}`, api.offer)).body.title).toBe("Samsa");
  });

  it("authenticates init data whose names carry control characters, storing them stripped", async () => {
    const odd = newUser({ first_name: "Ali\u0000\u0007jon", last_name: "K\u001b", username: "ali_k" });
    const res = await t.as(odd).get("/api/me", api.me);
    expect(res.status).toBe(200);
    expect(res.body.user.first_name).toBe("Alijon");
    const [row] = await t.db.query<{ first_name: string; last_name: string }>(
      "select first_name, last_name from users where id = $1",
      [odd.id],
    );
    expect(row).toEqual({ first_name: "Alijon", last_name: "K" });
  });

  it("refuses quantities that are no whole step of the unit with 400 invalid_quantity, taking nothing", async () => {
    const before = await counts();
    const kg = await stockOf(t, tomatoes());
    for (const quantity of [1e-11, 0.04, 0.15, 1.05, 2.0000001])
      for (const offerId of [tomatoes()]) {
        const res = await t.as(buyer).post("/api/orders", { items: [{ offer_id: offerId, quantity }] });
        expect(res.status, `${quantity} kg: ${JSON.stringify(res.json)}`).toBe(400);
        expect(res.problem.code).toBe("invalid_quantity");
      }
    for (const quantity of [0.5, 1.5, 1e-9]) {
      const res = await t.as(buyer).post("/api/orders", { items: [{ offer_id: samsa(), quantity }] });
      expect(res.status).toBe(400);
      expect(res.problem.code).toBe("invalid_quantity");
    }
    const offer = await t.as(shop.owner).post(`/api/stores/${shop.store.id}/offers`, {
      title: "Rice",
      price: 100,
      quantity: 1e-11,
      unit: "kg",
    });
    expect(offer.status).toBe(400);
    expect(await counts()).toBe(before);
    expect(await stockOf(t, tomatoes())).toBe(kg);
    // A whole number of steps still sells.
    expect(
      (await t.as(buyer).post("/api/orders", { items: [{ offer_id: tomatoes(), quantity: 0.3 }] })).status,
    ).toBe(201);
  });

  it("neither lists nor sells an offer whose pickup window has closed: 409 offer_unavailable", async () => {
    const late = await makeShop(t, {
      offers: [
        { title: "Closed", price: 5000, quantity: 5 },
        { title: "Expired", price: 5000, quantity: 5 },
        { title: "Open", price: 5000, quantity: 5 },
        { title: "Paused", price: 5000, quantity: 5 },
        { title: "Sold out", price: 5000, quantity: 1 },
      ],
    });
    const [closed, expired, open, paused, soldOut] = idsOf(late.offers);
    await t.db.query(
      "update offers set pickup_from = now() - interval '3 hours', pickup_until = now() - interval '1 second' where id = $1",
      [closed],
    );
    await t.db.query("update offers set expires_at = now() - interval '1 second' where id = $1", [expired]);
    await t.db.query("update offers set pickup_until = now() + interval '1 hour' where id = $1", [open]);
    await t.db.query("update offers set active = false where id = $1", [paused]);
    await t.db.query("update offers set quantity = 0 where id = $1", [soldOut]);
    const listed = (
      await t.as(buyer).get(`/api/offers?store_id=${late.store.id}`, api.offers)
    ).body.offers.map((o) => o.title);
    expect(listed).toEqual(["Open"]);
    const everywhere = (await t.as(buyer).get("/api/offers", api.offers)).body.offers.map((o) => o.id);
    expect(everywhere).toContain(open);
    expect(everywhere).not.toContain(closed);
    // The owner still sees every offer of their shop.
    const own = (await t.as(late.owner).get(`/api/offers?store_id=${late.store.id}&all=1`, api.offers)).body
      .offers;
    expect(own).toHaveLength(5);
    const notOwn = (await t.as(buyer).get(`/api/offers?store_id=${late.store.id}&all=1`, api.offers)).body
      .offers;
    expect(notOwn).toHaveLength(1);
    for (const id of [closed, expired, paused]) {
      const res = await t.as(buyer).post("/api/orders", { items: [{ offer_id: id, quantity: 1 }] });
      expect(res.status).toBe(409);
      expect(res.problem.code).toBe("offer_unavailable");
      expect(await stockOf(t, id)).toBe(5);
    }
  });

  it("takes only https:// photo URLs", async () => {
    const url = `/api/stores/${shop.store.id}/offers`;
    for (const photo_url of ["http://example.com/a.jpg", "ftp://example.com/a.jpg", "javascript:alert(1)"]) {
      const res = await t.as(shop.owner).post(url, { title: "Plov", price: 100, quantity: 1, photo_url });
      expect(res.status, photo_url).toBe(400);
      expect(res.problem.code).toBe("invalid_request");
    }
    const patched = await t
      .as(shop.owner)
      .patch(`/api/offers/${samsa()}`, { photo_url: "http://example.com/a.jpg" });
    expect(patched.status).toBe(400);
    const ok = await t
      .as(shop.owner)
      .post(url, { title: "Plov", price: 100, quantity: 1, photo_url: "https://example.com/a.jpg" });
    expect(ok.status).toBe(201);
  });
});
