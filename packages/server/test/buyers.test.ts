import { favouritesSchema, impactSchema } from "@lastbite/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeShop, type OfferInput, type Shop } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

describe.each(DATABASES)("a buyer's favourites, alerts and impact on %s", (kind) => {
  let t: TestApp;
  let shop: Shop<[OfferInput, OfferInput]>;
  let other: Shop;
  const buyer = newUser({ first_name: "Dilnoza" });

  beforeAll(async () => {
    t = await createTestApp(kind);
    shop = await makeShop(t, {
      offers: [
        { title: "Non", price: 3000, original_price: 5000, quantity: 50 },
        { title: "Apples", price: 8000, original_price: 12000, quantity: 20, unit: "kg" },
      ],
    });
    other = await makeShop(t);
  });
  afterAll(async () => t?.close());

  it("follows and unfollows shops, newest first, once each", async () => {
    const me = t.as(buyer);
    expect((await me.get("/api/me/favourites", favouritesSchema)).body.stores).toEqual([]);
    for (const id of [shop.store.id, other.store.id, shop.store.id])
      expect((await me.put(`/api/stores/${id}/favourite`)).status).toBe(204);
    const list = await me.get("/api/me/favourites", favouritesSchema);
    expect(list.body.stores.map((s) => s.id)).toEqual([other.store.id, shop.store.id]);
    expect((await me.delete(`/api/stores/${other.store.id}/favourite`)).status).toBe(204);
    expect((await me.get("/api/me/favourites", favouritesSchema)).body.stores.map((s) => s.id)).toEqual([
      shop.store.id,
    ]);
  });

  it("answers 404 for a shop that does not exist, and 400 for a bad id, following nothing", async () => {
    const me = t.as(buyer);
    const missing = await me.put("/api/stores/99999999/favourite");
    expect(missing.status).toBe(404);
    expect(missing.problem.code).toBe("not_found");
    const bad = await me.put("/api/stores/abc/favourite");
    expect(bad.status).toBe(400);
    expect(bad.problem.code).toBe("invalid_request");
    expect((await me.get("/api/me/favourites", favouritesSchema)).body.stores).toHaveLength(1);
  });

  it("turns the new-offer alerts off and on", async () => {
    const me = t.as(buyer);
    expect((await me.get("/api/me", api.me)).body.user.offer_alerts).toBe(true);
    expect((await me.patch("/api/me", { offer_alerts: false }, api.me)).body.user.offer_alerts).toBe(false);
    expect((await me.get("/api/me", api.me)).body.user.offer_alerts).toBe(false);
    for (const body of [{}, { offer_alerts: "no" }, { offer_alerts: true, admin: true }]) {
      const res = await me.patch("/api/me", body);
      expect(res.status).toBe(400);
      expect(res.problem.code).toBe("invalid_request");
    }
    expect((await me.get("/api/me", api.me)).body.user.offer_alerts).toBe(false);
    await me.patch("/api/me", { offer_alerts: true }, api.me);
  });

  it("counts what completed orders saved, at the prices they were sold at", async () => {
    const me = t.as(buyer);
    const empty = await me.get("/api/me/impact", impactSchema);
    expect(empty.body).toEqual({
      orders_completed: 0,
      spent: 0,
      saved_amount: 0,
      meals: 0,
      co2e_kg: 0,
      months: [],
    });

    const place = async (items: { offer_id: number; quantity: number }[]) =>
      (await me.post("/api/orders", { items, delivery_type: "pickup" }, api.order)).body.id;
    const owner = t.as(shop.owner);
    const a = await place([
      { offer_id: shop.offers[0].id, quantity: 2 },
      { offer_id: shop.offers[1].id, quantity: 1.5 },
    ]);
    const b = await place([{ offer_id: shop.offers[0].id, quantity: 1 }]);
    const c = await place([{ offer_id: other.offers[0].id, quantity: 1 }]); // no original price
    const cancelled = await place([{ offer_id: shop.offers[0].id, quantity: 10 }]);
    for (const id of [a, b]) {
      await owner.post(`/api/seller/orders/${id}/accept`, {}, api.order);
      await owner.post(`/api/seller/orders/${id}/complete`, {}, api.order);
    }
    await t.as(other.owner).post(`/api/seller/orders/${c}/accept`, {}, api.order);
    await t.as(other.owner).post(`/api/seller/orders/${c}/complete`, {}, api.order);
    await me.post(`/api/orders/${cancelled}/cancel`, {});
    // The shop raises its "was" price afterwards: what was saved then does not change.
    await owner.patch(`/api/offers/${shop.offers[0].id}`, { original_price: 9000 }, api.offer);

    const saved = 2 * 2000 + 1.5 * 4000 + 2000;
    const impact = (await me.get("/api/me/impact", impactSchema)).body;
    expect(impact).toMatchObject({
      orders_completed: 3,
      meals: 3,
      spent: 2 * 3000 + 1.5 * 8000 + 3000 + 6000,
      saved_amount: saved,
      co2e_kg: 8.1,
    });
    const month = new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Tashkent",
      year: "numeric",
      month: "2-digit",
    })
      .format(new Date())
      .slice(0, 7);
    expect(impact.months).toEqual([{ month, orders_completed: 3, saved_amount: saved, co2e_kg: 8.1 }]);
    // Nobody else's orders count.
    expect((await t.as(newUser()).get("/api/me/impact", impactSchema)).body.meals).toBe(0);
  });
});
