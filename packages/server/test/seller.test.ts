/**
 * The seller's side through the API: opening and editing a shop (location, category, time zone),
 * moderation by admins, managing offers (all states, pause, post again), photos, and the figures.
 */
import { sellerStatsSchema } from "@lastbite/shared";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { makeShop } from "./fixtures.ts";
import { api, authHeader, createTestApp, DATABASES, newUser, Res, type TestApp } from "./helpers.ts";

const SHOP = { name: "Non Uyi", address: "Tashkent, Chilonzor 5", phone: "+998901234567" };

const jpeg = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .toBuffer();

describe.each(DATABASES)("opening and editing a shop on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it("opens with location, category and time zone, active at once without admins; the owner edits it", async () => {
    const owner = newUser();
    const res = await t.as(owner).post(
      "/api/stores",
      {
        ...SHOP,
        lat: 41.2995,
        lng: 69.2401,
        category: "bakery",
        timezone: "Asia/Tashkent",
        delivery_enabled: true,
        delivery_fee: 9000,
        min_order_amount: 30000,
      },
      api.store,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "active",
      lat: 41.2995,
      lng: 69.2401,
      category: "bakery",
      timezone: "Asia/Tashkent",
      owner_id: owner.id,
      delivery_fee: 9000,
    });
    const patched = await t
      .as(owner)
      .patch(`/api/stores/${res.body.id}`, { category: "cafe", lat: null, lng: null }, api.store);
    expect(patched.body).toMatchObject({ category: "cafe", lat: null, lng: null, name: SHOP.name });
    expect((await t.as(owner).get("/api/me", api.me)).body.stores.map((s) => s.id)).toEqual([res.body.id]);
    // someone else may not edit it
    const other = await t.as(newUser()).patch(`/api/stores/${res.body.id}`, { name: "Mine" });
    expect(other.status).toBe(403);
    expect(other.problem.code).toBe("forbidden");
  });

  it.each([
    ["lat without lng", { lat: 41.3 }, "lng"],
    ["an unknown time zone", { timezone: "Mars/Olympus" }, "timezone"],
    ["an unknown category", { category: "pharmacy" }, "category"],
    ["latitude out of range", { lat: 91, lng: 69 }, "lat"],
    ["a bad phone", { phone: "12" }, "phone"],
  ])("refuses %s with 400 naming the field, and creates nothing", async (_what, extra, field) => {
    const owner = newUser();
    const res = await t.as(owner).post("/api/stores", { ...SHOP, ...extra });
    expect(res.status).toBe(400);
    expect(res.problem.code).toBe("invalid_request");
    expect(res.problem.errors?.map((e) => e.path)).toContain(`body.${field}`);
    expect((await t.as(owner).get("/api/me", api.me)).body.stores).toEqual([]);
  });
});

describe.each(DATABASES)("moderation with ADMIN_IDS on %s", (kind) => {
  let t: TestApp;
  const admins = [newUser({ first_name: "Admin1" }), newUser({ first_name: "Admin2" })];
  beforeAll(async () => {
    t = await createTestApp(kind, { config: { ADMIN_IDS: admins.map((a) => a.id).join(",") } });
  });
  afterAll(async () => t?.close());

  it("a new shop is pending: hidden from buyers, its offers not on sale (409 offer_unavailable); each admin gets a card", async () => {
    const shop = await makeShop(t);
    const buyer = newUser();
    expect(shop.store.status).toBe("pending");
    expect((await t.as(buyer).get("/api/stores", api.stores)).body.stores.map((s) => s.id)).not.toContain(
      shop.store.id,
    );
    expect((await t.as(shop.owner).get("/api/stores", api.stores)).body.stores.map((s) => s.id)).toContain(
      shop.store.id,
    );
    expect(
      (await t.as(buyer).get("/api/offers", api.offers)).body.offers.map((o) => o.store_id),
    ).not.toContain(shop.store.id);
    const order = await t
      .as(buyer)
      .post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: 1 }] });
    expect(order.status).toBe(409);
    expect(order.problem.code).toBe("offer_unavailable");
    // the owner still sees every offer of the shop
    const own = await t.as(shop.owner).get(`/api/offers?store_id=${shop.store.id}&all=1`, api.offers);
    expect(own.body.offers).toHaveLength(2);
    const cards = await t.db.query<{ chat_id: number; kind: string }>(
      "select chat_id, kind from outbox where kind = 'admin_store_review' and payload->>'store_id' = $1 order by chat_id",
      [String(shop.store.id)],
    );
    expect(cards.map((c) => c.chat_id).sort()).toEqual(admins.map((a) => a.id).sort());
    const pending = await t.as(admins[0] as InitDataUser).get("/api/admin/stores", api.stores);
    expect(pending.body.stores.map((s) => s.id)).toContain(shop.store.id);
  });

  it("two admins deciding at once make one decision; the owner is told once; then the offers sell", async () => {
    const shop = await makeShop(t);
    const [a, b] = admins as [InitDataUser, InitDataUser];
    const [r1, r2] = await Promise.all([
      t.as(a).post(`/api/admin/stores/${shop.store.id}/approve`),
      t.as(b).post(`/api/admin/stores/${shop.store.id}/reject`),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = r1.status === 200 ? "active" : "rejected";
    expect((await t.as(shop.owner).get(`/api/stores/${shop.store.id}`, api.store)).body.status).toBe(winner);
    const told = await t.db.query<{ chat_id: number; payload: { status: string } }>(
      "select chat_id, payload from outbox where kind = 'store_decision' and payload->>'store_id' = $1",
      [String(shop.store.id)],
    );
    expect(told).toEqual([
      {
        chat_id: shop.owner.id,
        payload: {
          store_id: shop.store.id,
          status: winner,
          decision: winner === "active" ? "approve" : "reject",
        },
      },
    ]);

    const next = await makeShop(t);
    expect(
      (await t.as(a).post(`/api/admin/stores/${next.store.id}/approve`, {}, api.store)).body.status,
    ).toBe("active");
    const order = await t
      .as(newUser())
      .post("/api/orders", { items: [{ offer_id: next.offers[0].id, quantity: 1 }] }, api.order);
    expect(order.status).toBe(201);
  });

  it("suspend and reinstate: off sale and back, one decision per change, the owner told each time", async () => {
    const shop = await makeShop(t);
    const [a, b] = admins as [InitDataUser, InitDataUser];
    const buyer = newUser();
    // only an active shop can be suspended
    const early = await t.as(a).post(`/api/admin/stores/${shop.store.id}/suspend`);
    expect(early.status).toBe(409);
    expect(early.problem.code).toBe("invalid_transition");
    expect(early.problem.detail).toMatch(/pending.*suspend applies to active shops/);
    await t.as(a).post(`/api/admin/stores/${shop.store.id}/approve`, {}, api.store);
    const [r1, r2] = await Promise.all([
      t.as(a).post(`/api/admin/stores/${shop.store.id}/suspend`),
      t.as(b).post(`/api/admin/stores/${shop.store.id}/suspend`),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 409]);
    const listed = await t.as(a).get("/api/admin/stores?status=suspended", api.stores);
    expect(listed.body.stores.map((s) => s.id)).toContain(shop.store.id);
    expect((await t.as(buyer).get("/api/stores", api.stores)).body.stores.map((s) => s.id)).not.toContain(
      shop.store.id,
    );
    const refused = await t
      .as(buyer)
      .post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: 1 }] });
    expect(refused.problem.code).toBe("offer_unavailable");
    expect(
      (await t.as(a).post(`/api/admin/stores/${shop.store.id}/reinstate`, {}, api.store)).body.status,
    ).toBe("active");
    // suspended again later: a second message, not swallowed by the first one's dedupe key
    await t.as(b).post(`/api/admin/stores/${shop.store.id}/suspend`, {}, api.store);
    const told = await t.db.query<{ payload: { status: string; decision: string } }>(
      "select payload from outbox where kind = 'store_decision' and payload->>'store_id' = $1 order by id",
      [String(shop.store.id)],
    );
    expect(told.map((r) => r.payload.decision)).toEqual(["approve", "suspend", "reinstate", "suspend"]);
    const bad = await t.as(a).get("/api/admin/stores?status=closed");
    expect(bad.status).toBe(400);
    expect((await t.as(a).post(`/api/admin/stores/${shop.store.id}/delete`)).status).toBe(400);
  });

  it("only admins moderate: 403, nothing changes", async () => {
    const shop = await makeShop(t);
    const res = await t.as(shop.owner).post(`/api/admin/stores/${shop.store.id}/approve`);
    expect(res.status).toBe(403);
    expect((await t.as(shop.owner).post(`/api/admin/stores/${shop.store.id}/suspend`)).status).toBe(403);
    expect(res.problem.code).toBe("forbidden");
    expect((await t.as(newUser()).get("/api/admin/stores")).status).toBe(403);
    expect((await t.as(shop.owner).get(`/api/stores/${shop.store.id}`, api.store)).body.status).toBe(
      "pending",
    );
  });
});

describe.each(DATABASES)("managing offers on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it("pause and resume: a paused offer leaves the catalogue and cannot be ordered, the owner still sees it", async () => {
    const shop = await makeShop(t);
    const id = shop.offers[0].id;
    const buyer = newUser();
    expect(
      (await t.as(shop.owner).patch(`/api/offers/${id}`, { active: false }, api.offer)).body.active,
    ).toBe(false);
    expect(
      (await t.as(buyer).get(`/api/offers?store_id=${shop.store.id}`, api.offers)).body.offers.map(
        (o) => o.id,
      ),
    ).not.toContain(id);
    const order = await t.as(buyer).post("/api/orders", { items: [{ offer_id: id, quantity: 1 }] });
    expect(order.problem.code).toBe("offer_unavailable");
    const all = await t.as(shop.owner).get(`/api/offers?store_id=${shop.store.id}&all=1`, api.offers);
    expect(all.body.offers.find((o) => o.id === id)?.active).toBe(false);
    await t.as(shop.owner).patch(`/api/offers/${id}`, { active: true }, api.offer);
    expect(
      (await t.as(buyer).get(`/api/offers?store_id=${shop.store.id}`, api.offers)).body.offers.map(
        (o) => o.id,
      ),
    ).toContain(id);
    // someone else's offer
    const other = await t.as(buyer).patch(`/api/offers/${id}`, { active: false });
    expect(other.status).toBe(403);
  });

  it("post again: a copy with the next window that has not closed and last time's stock", async () => {
    const shop = await makeShop(t, { offers: [{ title: "Lavash", price: 3000, quantity: 10 }] as const });
    const hour = 3_600_000;
    const from = new Date(Date.now() - 26 * hour).toISOString();
    const until = new Date(Date.now() - 23 * hour).toISOString();
    const id = shop.offers[0].id;
    // 4 sold (completed), then the window closed
    const buyer = newUser();
    const o = await t.as(buyer).post("/api/orders", { items: [{ offer_id: id, quantity: 4 }] }, api.order);
    await t.as(shop.owner).post(`/api/seller/orders/${o.body.id}/accept`, {}, api.order);
    await t.as(shop.owner).post(`/api/seller/orders/${o.body.id}/complete`, {}, api.order);
    await t.as(shop.owner).patch(`/api/offers/${id}`, { pickup_from: from, pickup_until: until }, api.offer);

    const copy = await t.as(shop.owner).post(`/api/offers/${id}/repost`, {}, api.offer);
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({ title: "Lavash", price: 3000, quantity: 10, active: true });
    expect(copy.body.id).not.toBe(id);
    expect(Date.parse(copy.body.pickup_from as string)).toBe(Date.parse(from) + 24 * hour);
    expect(Date.parse(copy.body.pickup_until as string)).toBe(Date.parse(until) + 24 * hour);
    expect(
      (await t.as(buyer).get(`/api/offers?store_id=${shop.store.id}`, api.offers)).body.offers.map(
        (x) => x.id,
      ),
    ).toEqual([copy.body.id]);
    const withQty = await t.as(shop.owner).post(`/api/offers/${id}/repost`, { quantity: 3 }, api.offer);
    expect(withQty.body.quantity).toBe(3);
    expect((await t.as(buyer).post(`/api/offers/${id}/repost`, {})).status).toBe(403);
    expect((await t.as(buyer).post("/api/offers/999999999/repost", {})).status).toBe(404);
  });
});

describe.each(DATABASES)("offer photos on %s", (kind) => {
  let t: TestApp;
  let owner: InitDataUser;
  let offerId: number;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const shop = await makeShop(t);
    owner = shop.owner;
    offerId = shop.offers[0].id;
  });
  afterAll(async () => t?.close());

  const put = async (who: InitDataUser, id: number, body: Buffer | string, type = "image/jpeg") =>
    Res.of(
      await t.app.inject({
        method: "PUT",
        url: `/api/offers/${id}/photo`,
        headers: { authorization: authHeader(who), "content-type": type },
        payload: body,
      }),
      undefined,
      `PUT /api/offers/${id}/photo`,
    );
  const photoCount = async () =>
    (await t.db.query<{ n: number }>("select count(*)::int as n from offer_photos"))[0]?.n;

  it("stores resized webp copies in the database and serves them with a year-long immutable cache", async () => {
    const res = await put(owner, offerId, await jpeg(3000, 2000));
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const offer = api.offer.parse(res.json);
    expect(offer.photo_url).toMatch(/^\/photos\/\d+\/large\.webp$/);
    const got = await t.app.inject({ method: "GET", url: offer.photo_url as string });
    expect(got.statusCode).toBe(200);
    expect(got.headers["content-type"]).toBe("image/webp");
    expect(got.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const meta = await sharp(got.rawPayload).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["webp", 1080, 720]);
    const small = await t.app.inject({
      method: "GET",
      url: (offer.photo_url as string).replace("large", "small"),
    });
    expect((await sharp(small.rawPayload).metadata()).width).toBe(360);
    // the catalogue shows it
    const listed = await t.as(newUser()).get(`/api/offers/${offerId}`, api.offer);
    expect(listed.body.photo_url).toBe(offer.photo_url);
    // a new photo replaces the old one, which is no longer kept
    const again = api.offer.parse((await put(owner, offerId, await jpeg(800, 800), "image/jpeg")).json);
    expect(again.photo_url).not.toBe(offer.photo_url);
    expect((await t.app.inject({ method: "GET", url: offer.photo_url as string })).statusCode).toBe(404);
  });

  const BAD: [string, () => Promise<Buffer | string>, string, number, string][] = [
    [
      "not an image",
      async () => Buffer.from("this is not a picture at all"),
      "image/jpeg",
      400,
      "invalid_request",
    ],
    ["10,000 px wide", () => jpeg(10_000, 10), "image/jpeg", 400, "invalid_request"],
    [
      "larger than 10 MB",
      async () => Buffer.alloc(10 * 1024 * 1024 + 1, 1),
      "image/png",
      413,
      "payload_too_large",
    ],
    [
      "a GIF",
      async () => Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1"),
      "image/png",
      400,
      "invalid_request",
    ],
    ["JSON", async () => JSON.stringify({ url: "x" }), "application/json", 415, "unsupported_media_type"],
    ["text", async () => "hello", "text/plain", 415, "unsupported_media_type"],
  ];
  it.each(BAD)("refuses %s: problem+json, nothing stored", async (_what, body, type, status, code) => {
    const before = await photoCount();
    const offerBefore = (await t.as(owner).get(`/api/offers/${offerId}`, api.offer)).body.photo_url;
    const res = await put(owner, offerId, await body(), type);
    expect(res.status, JSON.stringify(res.json)).toBe(status);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.problem.code).toBe(code);
    expect(await photoCount()).toBe(before);
    expect((await t.as(owner).get(`/api/offers/${offerId}`, api.offer)).body.photo_url).toBe(offerBefore);
  });

  it("someone else's offer: 403; a missing one: 404; nothing stored", async () => {
    const before = await photoCount();
    expect((await put(newUser(), offerId, await jpeg(100, 100))).status).toBe(403);
    expect((await put(owner, 987654321, await jpeg(100, 100))).status).toBe(404);
    expect(await photoCount()).toBe(before);
    expect((await t.app.inject({ method: "GET", url: "/photos/987654321/large.webp" })).statusCode).toBe(404);
  });
});

describe.each(DATABASES)("the seller's figures on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it("30 days, oldest first, zeros included; today's completed orders counted with revenue, items and savings", async () => {
    const shop = await makeShop(t, {
      offers: [{ title: "Cake", price: 20000, quantity: 20 }] as const,
    });
    await t.as(shop.owner).patch(`/api/offers/${shop.offers[0].id}`, { original_price: 50000 }, api.offer);
    const buyer = newUser();
    const place = async (q: number) =>
      (
        await t
          .as(buyer)
          .post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: q }] }, api.order)
      ).body.id;
    const done = await place(2);
    await t.as(shop.owner).post(`/api/seller/orders/${done}/accept`, {}, api.order);
    await t.as(shop.owner).post(`/api/seller/orders/${done}/complete`, {}, api.order);
    const rejected = await place(1);
    await t
      .as(shop.owner)
      .post(`/api/seller/orders/${rejected}/reject`, { reason_code: "sold_out" }, api.order);
    await place(1); // still pending
    // A no-show, as the no_show job leaves it (the job itself is tested in jobs.test.ts).
    const uncollected = await place(1);
    await t.as(shop.owner).post(`/api/seller/orders/${uncollected}/accept`, {}, api.order);
    await t.db.query("update orders set status = 'expired', reason_code = 'no_show' where id = $1", [
      uncollected,
    ]);

    const res = await t.as(shop.owner).get("/api/seller/stats", sellerStatsSchema);
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.days).toHaveLength(30);
    expect(s.days.map((d) => d.date)).toEqual([...s.days.map((d) => d.date)].sort());
    expect(s.days.slice(0, 29).every((d) => d.orders === 0 && d.revenue === 0)).toBe(true);
    expect(s.days[29]).toMatchObject({
      orders: 4,
      completed: 1,
      revenue: 40000,
      items: 2,
      saved_amount: 60000,
      no_shows: 1,
    });
    expect(s.totals).toMatchObject({
      orders: 4,
      completed: 1,
      revenue: 40000,
      items: 2,
      saved_amount: 60000,
      no_shows: 1,
      completion_rate: 1 / 3,
    });
    expect(s.timezone).toBe("Asia/Tashkent");
    expect(
      (await t.as(shop.owner).get(`/api/seller/stats?store_id=${shop.store.id}&days=7`, sellerStatsSchema))
        .body.days,
    ).toHaveLength(7);

    const stranger = await t.as(newUser()).get(`/api/seller/stats?store_id=${shop.store.id}`);
    expect(stranger.status).toBe(403);
    expect((await t.as(newUser()).get("/api/seller/stats")).status).toBe(404);
    expect((await t.as(shop.owner).get("/api/seller/stats?days=0")).status).toBe(400);
  });
});
