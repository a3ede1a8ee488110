import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInitData } from "../src/auth/init-data.ts";
import { api, authHeader, createTestApp, DATABASES, newUser, Res, type TestApp } from "./helpers.ts";

describe.each(DATABASES)("shops and offers on %s", (kind) => {
  let t: TestApp;
  const owner = newUser({ username: "owner_one" });
  const stranger = newUser();
  let storeId: number;
  let offerId: number;

  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  const storeBody = {
    name: "Non Bakery",
    address: "Tashkent, Amir Temur 15",
    phone: "90 123 45 67",
    delivery_enabled: true,
    delivery_fee: 15000,
    min_order_amount: 20000,
  };

  it("answers /health without auth", async () => {
    const res = await t.app.inject({ url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "ok" });
  });

  it("refuses /api without, with forged and with expired init data: 401 problem+json", async () => {
    const none = await t.app.inject({ url: "/api/me" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(Res.of(none).problem).toMatchObject({ code: "unauthorized", status: 401 });
    const forged = await t.app.inject({
      url: "/api/me",
      headers: { authorization: authHeader(owner, "999:forged-token-for-the-test-xx") },
    });
    expect(forged.statusCode).toBe(401);
    const expired = signInitData("123456789:TEST-token_for_lastbite_integration", {
      user: owner,
      authDate: new Date(Date.now() - 2 * 86400_000),
    });
    const old = await t.app.inject({ url: "/api/me", headers: { authorization: `tma ${expired}` } });
    expect(old.statusCode).toBe(401);
  });

  it("upserts the user from init data on /api/me", async () => {
    const res = await t.as(owner).get("/api/me", api.me);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      id: owner.id,
      first_name: owner.first_name,
      username: "owner_one",
      language: "en",
    });
    expect(res.body.stores).toEqual([]);
    const renamed = await t.as({ ...owner, first_name: "Renamed" }).get("/api/me", api.me);
    expect(renamed.body.user.first_name).toBe("Renamed");
  });

  it("lets anyone create a shop they then own, with the phone normalised", async () => {
    const res = await t.as(owner).post("/api/stores", storeBody, api.store);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: "Non Bakery",
      phone: "+998901234567",
      owner_id: owner.id,
      owner_username: "owner_one",
      delivery_enabled: true,
      delivery_fee: 15000,
      min_order_amount: 20000,
      rating: null,
      ratings_count: 0,
    });
    storeId = res.body.id;
    expect((await t.as(owner).get("/api/me", api.me)).body.stores).toHaveLength(1);
  });

  it("creates offers with units and reads them back", async () => {
    const res = await t.as(owner).post(
      `/api/stores/${storeId}/offers`,
      {
        title: "Samsa",
        price: 6000,
        original_price: 10000,
        quantity: 20,
        pickup_from: "2099-11-25T18:00:00+05:00",
        pickup_until: "2099-11-25T21:00:00+05:00",
      },
      api.offer,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      store_id: storeId,
      title: "Samsa",
      price: 6000,
      quantity: 20,
      unit: "piece",
    });
    expect(res.body.pickup_from).toBe("2099-11-25T13:00:00.000Z");
    offerId = res.body.id;
    const kg = await t
      .as(owner)
      .post(
        `/api/stores/${storeId}/offers`,
        { title: "Tomatoes", price: 8000, quantity: 2.5, unit: "kg" },
        api.offer,
      );
    expect(kg.status).toBe(201);
    expect(kg.body.quantity).toBe(2.5);
    const list = await t.as(stranger).get(`/api/offers?store_id=${storeId}`, api.offers);
    expect(list.body.offers.map((o) => o.title)).toEqual(["Samsa", "Tomatoes"]);
    expect((await t.as(stranger).get(`/api/offers/${offerId}`, api.offer)).body.title).toBe("Samsa");
    expect((await t.as(stranger).get("/api/stores", api.stores)).body.stores.length).toBeGreaterThanOrEqual(
      1,
    );
  });

  it("lets only the owner change a shop or its offers", async () => {
    const before = (await t.as(owner).get(`/api/stores/${storeId}`, api.store)).body;
    const a = await t.as(stranger).patch(`/api/stores/${storeId}`, { name: "Hijacked" });
    expect(a.status).toBe(403);
    expect(a.problem.code).toBe("forbidden");
    const b = await t.as(stranger).patch(`/api/offers/${offerId}`, { price: 1 });
    expect(b.status).toBe(403);
    const c = await t
      .as(stranger)
      .post(`/api/stores/${storeId}/offers`, { title: "Fake", price: 1, quantity: 1 });
    expect(c.status).toBe(403);
    expect((await t.as(owner).get(`/api/stores/${storeId}`, api.store)).body).toEqual(before);
    expect((await t.as(owner).get(`/api/offers/${offerId}`, api.offer)).body.price).toBe(6000);
    const own = await t.as(owner).patch(`/api/offers/${offerId}`, { price: 5500, quantity: 0 }, api.offer);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ price: 5500, quantity: 0 });
    const renamed = await t.as(owner).patch(`/api/stores/${storeId}`, { name: "Non Bakery 2" }, api.store);
    expect(renamed.body.name).toBe("Non Bakery 2");
  });

  it("answers 404 for missing shops and offers", async () => {
    expect((await t.as(owner).get("/api/stores/999999")).status).toBe(404);
    expect((await t.as(owner).get("/api/offers/999999")).problem.code).toBe("not_found");
    expect((await t.as(owner).patch("/api/offers/999999", { price: 5 })).status).toBe(404);
    expect((await t.as(owner).get("/api/stores/abc")).status).toBe(400);
  });

  it.each([
    ["wrong types", { ...storeBody, delivery_fee: "15000" }],
    ["negative fee", { ...storeBody, delivery_fee: -1 }],
    ["unknown field", { ...storeBody, is_admin: true }],
    ["megabyte string", { ...storeBody, name: "x".repeat(1_000_000) }],
    ["long name", { ...storeBody, name: "x".repeat(500) }],
    ["bad phone", { ...storeBody, phone: "call me" }],
    ["missing name", { address: "x", phone: "+998901234567" }],
    ["array body", [1, 2]],
    ["null", null],
  ])("refuses a junk shop (%s) with 4xx and changes nothing", async (_name, body) => {
    const before = (await t.as(owner).get("/api/stores", api.stores)).body.stores.length;
    const res = await t.as(owner).post("/api/stores", body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers["content-type"]).toMatch(/problem\+json/);
    expect(res.problem).toHaveProperty("code");
    expect((await t.as(owner).get("/api/stores", api.stores)).body.stores.length).toBe(before);
  });

  it.each([
    ["negative price", { title: "x", price: -5, quantity: 1 }],
    ["zero price", { title: "x", price: 0, quantity: 1 }],
    ["zero quantity", { title: "x", price: 5, quantity: 0 }],
    ["fractional pieces", { title: "x", price: 5, quantity: 1.5 }],
    ["kg in 0.01 steps", { title: "x", price: 5, quantity: 1.25, unit: "kg" }],
    ["float price", { title: "x", price: 5.5, quantity: 1 }],
    ["original below price", { title: "x", price: 5000, original_price: 4000, quantity: 1 }],
    ["bad unit", { title: "x", price: 5, quantity: 1, unit: "bag" }],
    ["bad time", { title: "x", price: 5, quantity: 1, pickup_from: "tomorrow" }],
    [
      "window backwards",
      {
        title: "x",
        price: 5,
        quantity: 1,
        pickup_from: "2026-11-25T20:00:00Z",
        pickup_until: "2026-11-25T18:00:00Z",
      },
    ],
    ["javascript url", { title: "x", price: 5, quantity: 1, photo_url: "javascript:alert(1)" }],
    ["string quantity", { title: "x", price: 5, quantity: "5" }],
    ["unknown field", { title: "x", price: 5, quantity: 1, store_id: 1 }],
  ])("refuses a junk offer (%s) with 400 and changes nothing", async (_name, body) => {
    const before = (await t.as(owner).get(`/api/offers?store_id=${storeId}`, api.offers)).body.offers;
    const res = await t.as(owner).post(`/api/stores/${storeId}/offers`, body);
    expect(res.status).toBe(400);
    expect(res.problem.code).toBe("invalid_request");
    expect((await t.as(owner).get(`/api/offers?store_id=${storeId}`, api.offers)).body.offers).toEqual(
      before,
    );
  });

  it("refuses a patch that makes a piece offer fractional", async () => {
    const res = await t.as(owner).patch(`/api/offers/${offerId}`, { quantity: 2.5 });
    expect(res.status).toBe(400);
  });

  it("refuses invalid JSON and non-JSON bodies as problems", async () => {
    const bad = await t.app.inject({
      method: "POST",
      url: "/api/stores",
      headers: { authorization: authHeader(owner), "content-type": "application/json" },
      payload: "{not json",
    });
    expect(bad.statusCode).toBe(400);
    expect(Res.of(bad).problem.code).toBe("invalid_request");
    const text = await t.app.inject({
      method: "POST",
      url: "/api/stores",
      headers: { authorization: authHeader(owner), "content-type": "text/plain" },
      payload: "hello",
    });
    expect(text.statusCode).toBe(415);
    expect(Res.of(text).problem.code).toBe("unsupported_media_type");
  });

  it("serves OpenAPI and docs", async () => {
    const spec = await t.app.inject({ url: "/openapi.json" });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toContain("/api/stores/{id}/offers");
    expect((await t.app.inject({ url: "/docs" })).statusCode).toBeLessThan(400);
  });

  it("rate-limits one user without touching others", async () => {
    const spammer = newUser();
    const results = await Promise.all(Array.from({ length: 320 }, () => t.as(spammer).get("/api/stores")));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.problem.code).toBe("rate_limited");
    expect((await t.as(newUser()).get("/api/stores")).status).toBe(200);
  });
});
