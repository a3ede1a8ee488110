import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../src/app.ts";
import { FakeClock } from "../src/core/clock.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { makeShop, type OfferInput, type Shop, stockOf } from "./fixtures.ts";
import {
  api,
  authHeader,
  createTestApp,
  DATABASES,
  freshDatabase,
  newUser,
  Res,
  TEST_TOKEN,
  type TestApp,
  testConfig,
} from "./helpers.ts";

/**
 * The time rules, each with a fake clock (so nothing sleeps): every job fires at its second, once,
 * and does nothing when its order has moved on.
 */
const SETTINGS = {
  ORDER_ACCEPT_TIMEOUT: "600",
  PICKUP_REMINDER_BEFORE: "900",
  NO_SHOW_GRACE: "1800",
  RATING_REMINDER_AFTER: "3600",
  RATE_LIMIT_PER_MINUTE: "100000",
  ORDER_RATE_LIMIT_PER_MINUTE: "100000",
};
const HOUR = 3600_000;

async function outboxOf(db: Database, orderId: number) {
  return db.query<{ kind: string; chat_id: number; payload: { status?: string; reason_code?: string } }>(
    "select kind, chat_id, payload from outbox where order_id = $1 order by id",
    [orderId],
  );
}
const kinds = async (db: Database, orderId: number) => (await outboxOf(db, orderId)).map((r) => r.kind);
async function statusOf(db: Database, orderId: number): Promise<string> {
  const [r] = await db.query<{ status: string }>("select status from orders where id = $1", [orderId]);
  return r?.status ?? "none";
}

describe.each(DATABASES)("scheduled jobs on %s", (kind) => {
  let t: TestApp;
  let shop: Shop<[OfferInput]>;
  const clock = new FakeClock();
  const buyer = newUser();
  const start = clock.now().getTime();
  // The window closes three hours after the start: the buyer is reminded 15 min before it, and
  // NO_SHOW_GRACE (30 min) after it the order becomes a no-show.
  const until = new Date(start + 3 * HOUR).toISOString();
  const from = new Date(start + HOUR).toISOString();

  beforeAll(async () => {
    t = await createTestApp(kind, { config: SETTINGS, deps: { clock } });
    shop = await makeShop(t, {
      offers: [{ title: "Plov", price: 25000, quantity: 100, pickup_from: from, pickup_until: until }],
    });
  });
  afterAll(async () => t?.close());

  const place = async (over: Record<string, unknown> = {}) =>
    (
      await t
        .as(buyer)
        .post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: 1 }], ...over }, api.order)
    ).body;
  const seller = (id: number, action: string) =>
    t.as(shop.owner).post(`/api/seller/orders/${id}/${action}`, {});
  const run = () => t.app.services.jobs.runDue();

  it("stores the pickup window and deadline on the order and returns them", async () => {
    clock.set(start);
    const o = await place();
    expect(o.pickup_from).toBe(from);
    expect(o.pickup_until).toBe(until);
    expect(o.accept_deadline).toBe(new Date(start + 600_000).toISOString());
    expect(o.store.timezone).toBe("Asia/Tashkent");
    const again = (await t.as(buyer).get(`/api/orders/${o.id}`, api.order)).body;
    expect([again.pickup_from, again.pickup_until, again.accept_deadline]).toEqual([
      o.pickup_from,
      o.pickup_until,
      o.accept_deadline,
    ]);
    await seller(o.id, "reject");
  });

  it("the shop's own time zone: set and shown on its orders; a zone that does not exist is refused", async () => {
    clock.set(start);
    const o = await place();
    const bad = await t.as(shop.owner).patch(`/api/stores/${shop.store.id}`, { timezone: "Mars/Olympus" });
    expect(bad.status).toBe(400);
    expect(bad.problem.code).toBe("invalid_request");
    expect((await t.as(shop.owner).get(`/api/stores/${shop.store.id}`, api.store)).body.timezone).toBeNull();
    const ok = await t
      .as(shop.owner)
      .patch(`/api/stores/${shop.store.id}`, { timezone: "Europe/Moscow" }, api.store);
    expect(ok.body.timezone).toBe("Europe/Moscow");
    expect((await t.as(buyer).get(`/api/orders/${o.id}`, api.order)).body.store.timezone).toBe(
      "Europe/Moscow",
    );
    await t.as(shop.owner).patch(`/api/stores/${shop.store.id}`, { timezone: null }, api.store);
    expect((await t.as(buyer).get(`/api/orders/${o.id}`, api.order)).body.store.timezone).toBe(
      "Asia/Tashkent",
    );
    await seller(o.id, "reject");
  });

  it("reminds the seller at half the accept timeout, then expires the order at the deadline, to the second, once", async () => {
    clock.set(start);
    const o = await place();
    const before = await stockOf(t, shop.offers[0].id);
    clock.set(start + 299_000);
    await run();
    expect(await kinds(t.db, o.id)).toEqual(["seller_new_order"]);
    clock.set(start + 300_000);
    await run();
    expect(await kinds(t.db, o.id)).toEqual(["seller_new_order", "seller_accept_reminder"]);
    clock.set(start + 599_999);
    await run();
    expect(await statusOf(t.db, o.id)).toBe("pending");
    clock.set(start + 600_000);
    await run();
    expect(await statusOf(t.db, o.id)).toBe("expired");
    expect(await stockOf(t, shop.offers[0].id)).toBe(before + 1);
    const rows = await outboxOf(t.db, o.id);
    const told = rows.filter((r) => r.payload.status === "expired");
    expect(told.map((r) => [r.kind, r.chat_id, r.payload.reason_code]).sort()).toEqual([
      ["buyer_status", buyer.id, "accept_timeout"],
      ["seller_notice", shop.owner.id, "accept_timeout"],
    ]);
    // Nothing is left to do, and running again changes nothing.
    clock.advance(HOUR);
    expect(await run()).toBe(0);
    expect(await outboxOf(t.db, o.id)).toHaveLength(rows.length);
  });

  it("a job whose order moved on does nothing: accepted orders neither expire nor remind the seller", async () => {
    clock.set(start);
    const o = await place();
    expect((await seller(o.id, "accept")).status).toBe(200);
    clock.set(start + 600_000);
    await run();
    expect(await statusOf(t.db, o.id)).toBe("confirmed");
    expect(await kinds(t.db, o.id)).not.toContain("seller_accept_reminder");
    const [left] = await t.db.query<{ n: number }>(
      "select count(*)::int as n from jobs where order_id = $1 and kind in ('accept_expiry','accept_reminder') and done_at is null",
      [o.id],
    );
    expect(left?.n).toBe(0);
    await seller(o.id, "complete");
  });

  it("reminds the buyer PICKUP_REMINDER_BEFORE the window closes, and makes a no-show NO_SHOW_GRACE after it", async () => {
    clock.set(start);
    const o = await place();
    expect((await seller(o.id, "accept")).status).toBe(200);
    const closes = Date.parse(until);
    clock.set(closes - 900_001);
    await run();
    expect(await kinds(t.db, o.id)).not.toContain("buyer_pickup_reminder");
    clock.set(closes - 900_000);
    await run();
    await run();
    const reminders = (await outboxOf(t.db, o.id)).filter((r) => r.kind === "buyer_pickup_reminder");
    expect(reminders.map((r) => r.chat_id)).toEqual([buyer.id]);
    expect((await seller(o.id, "ready")).status).toBe(200);
    clock.set(closes + 1_800_000 - 1);
    await run();
    expect(await statusOf(t.db, o.id)).toBe("ready");
    clock.set(closes + 1_800_000);
    await run();
    expect(await statusOf(t.db, o.id)).toBe("expired");
    const told = (await outboxOf(t.db, o.id)).filter((r) => r.payload.status === "expired");
    expect(told.map((r) => [r.kind, r.payload.reason_code]).sort()).toEqual([
      ["buyer_status", "no_show"],
      ["seller_notice", "no_show"],
    ]);
    const shown = (await t.as(buyer).get(`/api/orders/${o.id}`, api.order)).body;
    expect(shown.reason_code).toBe("no_show");
  });

  it("collected orders are never no-shows; a rating reminder comes RATING_REMINDER_AFTER completion unless rated", async () => {
    clock.set(start);
    const rated = await place();
    const unrated = await place();
    for (const o of [rated, unrated]) {
      await seller(o.id, "accept");
      await seller(o.id, "complete");
    }
    expect((await t.as(buyer).post(`/api/orders/${rated.id}/rating`, { stars: 5 })).status).toBe(201);
    clock.set(start + 3_599_000);
    await run();
    expect(await kinds(t.db, unrated.id)).not.toContain("buyer_rating_reminder");
    clock.set(start + 3_600_000);
    await run();
    expect((await outboxOf(t.db, unrated.id)).filter((r) => r.kind === "buyer_rating_reminder")).toEqual([
      expect.objectContaining({ chat_id: buyer.id }),
    ]);
    expect(await kinds(t.db, rated.id)).not.toContain("buyer_rating_reminder");
    clock.set(Date.parse(until) + 10 * HOUR);
    await run();
    expect([await statusOf(t.db, rated.id), await statusOf(t.db, unrated.id)]).toEqual([
      "completed",
      "completed",
    ]);
  });

  it("a delivery out for more than 3 hours: the seller is asked to close it, never closed silently", async () => {
    clock.set(start);
    const o = await place({
      delivery_type: "delivery",
      delivery_address: "Chilonzor 5",
      customer_phone: "+998901234567",
    });
    await seller(o.id, "accept");
    expect((await seller(o.id, "delivering")).status).toBe(200);
    clock.set(start + 3 * HOUR - 1000);
    await run();
    expect(await kinds(t.db, o.id)).not.toContain("seller_delivering_overdue");
    clock.set(start + 3 * HOUR);
    await run();
    clock.set(start + 30 * HOUR);
    await run();
    const asks = (await outboxOf(t.db, o.id)).filter((r) => r.kind === "seller_delivering_overdue");
    expect(asks.map((r) => r.chat_id)).toEqual([shop.owner.id]);
    expect(await statusOf(t.db, o.id)).toBe("delivering");
  });
});

describe.each(DATABASES)("jobs across restarts and instances on %s", (kind) => {
  const settings = { ...SETTINGS, ORDER_ACCEPT_TIMEOUT: "60" };
  let db: Database;
  let drop: () => Promise<void>;
  let url: string;
  const apps: App[] = [];
  const dbs: Database[] = [];

  beforeAll(async () => {
    ({ db, drop, url } = await freshDatabase(kind));
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const d of dbs) await d.close();
    await drop?.();
  });

  /** An instance of the server on the shared database (its own connection pool on PostgreSQL). */
  async function instance(clock: FakeClock): Promise<App> {
    let own = db;
    if (kind === "postgres") {
      own = await openDatabase(url);
      dbs.push(own);
    }
    const app = await buildApp({ config: testConfig(settings), db: own, botToken: TEST_TOKEN, clock });
    await app.ready();
    apps.push(app);
    return app;
  }
  const call = async (
    app: App,
    user: ReturnType<typeof newUser>,
    method: "GET" | "POST",
    url: string,
    body?: object,
  ) =>
    Res.of(
      await app.inject({ method, url, payload: body, headers: { authorization: authHeader(user) } }),
      api.order,
    );

  it("a job due while no instance ran happens at start-up, once", async () => {
    const clock = new FakeClock();
    const first = await instance(clock);
    const owner = newUser();
    const buyer = newUser();
    const store = Res.of(
      await first.inject({
        method: "POST",
        url: "/api/stores",
        payload: { name: "Somsa House", address: "Yunusobod 1", phone: "+998901112244" },
        headers: { authorization: authHeader(owner) },
      }),
      api.store,
    ).body;
    const offer = Res.of(
      await first.inject({
        method: "POST",
        url: `/api/stores/${store.id}/offers`,
        payload: { title: "Somsa", price: 5000, quantity: 10 },
        headers: { authorization: authHeader(owner) },
      }),
      api.offer,
    ).body;
    const order = (
      await call(first, buyer, "POST", "/api/orders", { items: [{ offer_id: offer.id, quantity: 1 }] })
    ).body;
    // The instance stops before anything is due; time passes with nothing running.
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    clock.advance({ s: 3600 });
    const second = await instance(clock);
    second.services.jobs.start();
    const deadline = Date.now() + 10_000;
    while ((await statusOf(db, order.id)) !== "expired") {
      if (Date.now() > deadline) throw new Error("the due expiry did not happen within 10 s of start-up");
      await new Promise((r) => setTimeout(r, 20));
    }
    await second.services.jobs.stop();
    expect(await kinds(db, order.id)).toEqual([
      "seller_new_order",
      "seller_card",
      "buyer_status",
      "seller_notice",
    ]);
    const [events] = await db.query<{ n: number }>(
      "select count(*)::int as n from order_events where order_id = $1 and to_status = 'expired'",
      [order.id],
    );
    expect(events?.n).toBe(1);
  });

  it("two instances racing for the same due jobs: each effect happens once", async () => {
    const clock = new FakeClock();
    const a = await instance(clock);
    const b = await instance(clock);
    const owner = newUser();
    const buyer = newUser();
    const store = Res.of(
      await a.inject({
        method: "POST",
        url: "/api/stores",
        payload: { name: "Chorsu", address: "Chorsu 1", phone: "+998901112255" },
        headers: { authorization: authHeader(owner) },
      }),
      api.store,
    ).body;
    const offer = Res.of(
      await a.inject({
        method: "POST",
        url: `/api/stores/${store.id}/offers`,
        payload: { title: "Non", price: 4000, quantity: 100 },
        headers: { authorization: authHeader(owner) },
      }),
      api.offer,
    ).body;
    const ids: number[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(
        (
          await call(i % 2 ? a : b, buyer, "POST", "/api/orders", {
            items: [{ offer_id: offer.id, quantity: 1 }],
          })
        ).body.id,
      );
    const race = async () =>
      (
        await Promise.all([
          a.services.jobs.runDue(4),
          b.services.jobs.runDue(4),
          a.services.jobs.runDue(4),
          b.services.jobs.runDue(4),
        ])
      ).reduce((x, y) => x + y, 0);
    // 30 reminders, then 30 expiries: every job claimed by exactly one of the runs
    clock.advance({ s: 30 });
    expect(await race()).toBe(30);
    clock.advance({ s: 31 });
    expect(await race()).toBe(30);
    const per = await db.query<{ order_id: number; kind: string; n: number }>(
      `select order_id, kind, count(*)::int as n from outbox where order_id = any($1) group by order_id, kind`,
      [ids],
    );
    for (const id of ids) {
      const of = (k: string) => per.find((r) => r.order_id === id && r.kind === k)?.n ?? 0;
      expect([of("seller_accept_reminder"), of("buyer_status"), of("seller_notice")], `order ${id}`).toEqual([
        1, 1, 1,
      ]);
    }
    const expired = await db.query<{ order_id: number; n: number }>(
      `select order_id, count(*)::int as n from order_events where order_id = any($1) and to_status = 'expired' group by order_id`,
      [ids],
    );
    expect(expired.map((r) => r.n)).toEqual(ids.map(() => 1));
    expect(await stockOf({ db } as TestApp, offer.id)).toBe(100);
  });

  it("a seller accepting in the same millisecond as the expiry: the accept wins or the expiry wins, never both", async () => {
    const clock = new FakeClock();
    // The seller's instance reads the time one millisecond before the deadline, the runner's at it:
    // each decision is right on its own, and only one of them may be written.
    const sellerClock = new FakeClock();
    const jobsApp = await instance(clock);
    const sellerApp = await instance(sellerClock);
    const owner = newUser();
    const buyer = newUser();
    const store = Res.of(
      await sellerApp.inject({
        method: "POST",
        url: "/api/stores",
        payload: { name: "Race Cafe", address: "Oloy 1", phone: "+998901112266" },
        headers: { authorization: authHeader(owner) },
      }),
      api.store,
    ).body;
    const offer = Res.of(
      await sellerApp.inject({
        method: "POST",
        url: `/api/stores/${store.id}/offers`,
        payload: { title: "Lagman", price: 30000, quantity: 100 },
        headers: { authorization: authHeader(owner) },
      }),
      api.offer,
    ).body;
    const ids: number[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(
        (await call(jobsApp, buyer, "POST", "/api/orders", { items: [{ offer_id: offer.id, quantity: 1 }] }))
          .body.id,
      );
    const deadline = clock.now().getTime() + 60_000;
    clock.set(deadline);
    sellerClock.set(deadline - 1);
    const [accepts] = await Promise.all([
      Promise.all(
        ids.map((id) =>
          sellerApp.inject({
            method: "POST",
            url: `/api/seller/orders/${id}/accept`,
            payload: {},
            headers: { authorization: authHeader(owner) },
          }),
        ),
      ),
      jobsApp.services.jobs.runDue(3),
    ]);
    await jobsApp.services.jobs.runDue();
    const rows = await db.query<{ id: number; status: string }>(
      "select id, status from orders where id = any($1)",
      [ids],
    );
    for (const [i, res] of accepts.entries()) {
      const status = rows.find((r) => r.id === ids[i])?.status;
      expect(status === "confirmed" ? 200 : 409, `order ${ids[i]}`).toBe(res.statusCode);
    }
    const both = await db.query<{ order_id: number }>(
      `select order_id from order_events where order_id = any($1) and to_status in ('confirmed','expired')
       group by order_id having count(*) <> 1`,
      [ids],
    );
    expect(both).toEqual([]);
    const expiredCount = rows.filter((r) => r.status === "expired").length;
    expect(await stockOf({ db } as TestApp, offer.id)).toBe(100 - 20 + expiredCount);
  });
});
