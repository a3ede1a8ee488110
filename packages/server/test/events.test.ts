import type { AddressInfo } from "node:net";
import type { Order } from "@lastbite/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { openDatabase } from "../src/db/database.ts";
import { openSse, type SseConnection } from "../src/realtime/sse-client.ts";
import {
  api,
  authHeader,
  createTestApp,
  DATABASES,
  newUser,
  TEST_TOKEN,
  type TestApp,
  testConfig,
} from "./helpers.ts";

/** A shop with one well-stocked offer, made through the API. */
async function makeShop(t: TestApp, owner: InitDataUser) {
  const store = await t
    .as(owner)
    .post(
      "/api/stores",
      { name: "Evening Bakery", address: "Tashkent, Navoi 1", phone: "90 111 22 33" },
      api.store,
    );
  expect(store.status).toBe(201);
  const offer = await t
    .as(owner)
    .post(`/api/stores/${store.body.id}/offers`, { title: "Non", price: 4000, quantity: 1000 }, api.offer);
  expect(offer.status).toBe(201);
  return { storeId: store.body.id, offerId: offer.body.id };
}

async function placeOrder(t: TestApp, buyer: InitDataUser, offerId: number): Promise<Order> {
  const res = await t
    .as(buyer)
    .post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }], delivery_type: "pickup" }, api.order);
  expect(res.status).toBe(201);
  return res.body;
}

async function act(t: TestApp, seller: InitDataUser, orderId: number, action: string): Promise<Order> {
  const res = await t.as(seller).post(`/api/seller/orders/${orderId}/${action}`, {}, api.order);
  expect(res.status).toBe(200);
  return res.body;
}

const baseUrl = (t: TestApp) => `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
const orderOf = (c: SseConnection, i: number): Order => JSON.parse(c.events[i]?.data ?? "null");

/**
 * Waits for the event about `orderId` reaching `status`; returns its index. (A stream opened just
 * after an order was placed may or may not get that order's creation first: its notice can arrive
 * after the stream opened.)
 */
async function until(c: SseConnection, orderId: number, status: string, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = c.events.findIndex((e) => {
      const o = JSON.parse(e.data) as Order;
      return o.id === orderId && o.status === status;
    });
    if (i >= 0) return i;
    if (Date.now() > deadline) throw new Error(`no ${status} event for order ${orderId}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** No more events arrive within `ms`. */
async function quiet(c: SseConnection, ms = 300): Promise<void> {
  const before = c.events.length;
  await new Promise((r) => setTimeout(r, ms));
  expect(c.events.length).toBe(before);
}

describe.each(DATABASES)("live order updates (GET /api/events) on %s", (kind) => {
  let t: TestApp;
  let base: string;
  const seller = newUser({ first_name: "Seller" });
  const buyer = newUser({ first_name: "Buyer" });
  const other = newUser({ first_name: "Other" });
  let shop: { storeId: number; offerId: number };
  const open: SseConnection[] = [];
  const stream = async (user: InitDataUser | null, headers: Record<string, string> = {}, query = "") => {
    const c = await openSse(`${base}/api/events${query}`, {
      headers: user ? { authorization: authHeader(user), ...headers } : headers,
    });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    base = baseUrl(t);
    shop = await makeShop(t, seller);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  it("streams an accept to the buyer's open stream, and the new order and the accept to the seller's", async () => {
    const b = await stream(buyer);
    const s = await stream(seller);
    expect(b.status).toBe(200);
    expect(b.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(b.headers["cache-control"]).toMatch(/no-cache/);
    expect(b.headers["x-accel-buffering"]).toBe("no");

    const order = await placeOrder(t, buyer, shop.offerId);
    const [created] = await b.waitForEvents(1);
    expect(created).toMatchObject({ event: "order" });
    expect(orderOf(b, 0)).toMatchObject({ id: order.id, status: "pending", code: null });

    const accepted = await act(t, seller, order.id, "accept");
    await b.waitForEvents(2);
    expect(b.events[1]?.event).toBe("order");
    expect(orderOf(b, 1)).toEqual(accepted);
    expect(Number(b.events[1]?.id)).toBeGreaterThan(Number(b.events[0]?.id));
    expect(b.retry).toBeGreaterThan(0);

    await s.waitForEvents(2);
    expect(s.events.map((e) => e.id)).toEqual(b.events.map((e) => e.id));
    expect(orderOf(s, 1)).toMatchObject({ id: order.id, status: "confirmed", code: accepted.code });
    b.close();
    s.close();
  });

  it("sends a user nothing about orders they neither bought nor sold", async () => {
    const o = await stream(other);
    const order = await placeOrder(t, buyer, shop.offerId);
    await act(t, seller, order.id, "reject");
    await quiet(o);
    expect(o.events).toEqual([]);
    o.close();
  });

  it("replays exactly the events missed while disconnected, in order, then goes on live without doubles", async () => {
    const order = await placeOrder(t, buyer, shop.offerId);
    const first = await stream(buyer);
    await act(t, seller, order.id, "accept");
    const confirmedAt = await until(first, order.id, "confirmed");
    const seen = first.lastEventId;
    expect(first.events[confirmedAt]?.id).toBe(seen);
    first.close();
    await first.ended;

    // Missed: two changes of this order and a new one of the buyer's. Not theirs: another buyer's order.
    await act(t, seller, order.id, "ready");
    const strangers = await placeOrder(t, other, shop.offerId);
    await act(t, seller, strangers.id, "accept");
    await act(t, seller, order.id, "complete");
    const second = await placeOrder(t, buyer, shop.offerId);

    const resumed = await stream(buyer, { "last-event-id": String(seen) });
    await resumed.waitForEvents(3);
    await quiet(resumed);
    const missed = await t.db.query<{ id: number }>(
      "select id from order_events where buyer_id = $1 and id > $2 order by id",
      [buyer.id, seen],
    );
    expect(resumed.events.map((e) => Number(e.id))).toEqual(missed.map((r) => r.id));
    // Each replayed event carries the order as it stood right after that change.
    expect(resumed.events.map((_, i) => [orderOf(resumed, i).id, orderOf(resumed, i).status])).toEqual([
      [order.id, "ready"],
      [order.id, "completed"],
      [second.id, "pending"],
    ]);
    expect(orderOf(resumed, 0).timeline.map((e) => e.status)).toEqual(["pending", "confirmed", "ready"]);
    expect(orderOf(resumed, 0).code).toBe(orderOf(first, confirmedAt).code);

    await act(t, seller, second.id, "accept");
    await resumed.waitForEvents(4);
    await quiet(resumed);
    expect(orderOf(resumed, 3)).toMatchObject({ id: second.id, status: "confirmed" });
    const ids = resumed.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    resumed.close();
  });

  it("loses nothing and doubles nothing while the stream keeps dropping during a burst of changes", async () => {
    const buyer2 = newUser();
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await placeOrder(t, buyer2, shop.offerId));
    const [{ max } = { max: 0 }] = await t.db.query<{ max: number }>(
      "select coalesce(max(id), 0)::int as max from order_events",
    );
    const received: string[] = [];
    let last = String(max);
    let stop = false;
    let connections = 0;
    // The client reconnects after every second event, while the seller walks every order to completed.
    const client = (async () => {
      while (!stop || received.length < orders.length * 3) {
        const c = await stream(buyer2, { "last-event-id": last });
        connections++;
        const target = c.events.length + 2;
        await c.waitForEvents(target, 400).catch(() => {});
        for (const e of c.events) received.push(e.id ?? "");
        last = c.lastEventId ?? last;
        c.close();
        await c.ended;
        if (stop && received.length >= orders.length * 3) break;
      }
    })();
    for (const o of orders) for (const a of ["accept", "ready", "complete"]) await act(t, seller, o.id, a);
    stop = true;
    await client;
    const expected = await t.db.query<{ id: number }>(
      "select id from order_events where buyer_id = $1 and id > $2 order by id",
      [buyer2.id, max],
    );
    expect(received.map(Number)).toEqual(expected.map((r) => r.id));
    expect(connections).toBeGreaterThanOrEqual(4);
  });

  it("authenticates EventSource clients by ?tma= and resumes by ?last_event_id=", async () => {
    const tma = encodeURIComponent(authHeader(buyer).slice(4));
    const order = await placeOrder(t, buyer, shop.offerId);
    const c = await stream(null, {}, `?tma=${tma}`);
    expect(c.status).toBe(200);
    await act(t, seller, order.id, "accept");
    await until(c, order.id, "confirmed");
    const at = c.lastEventId;
    c.close();
    await act(t, seller, order.id, "cancel");
    const r = await stream(null, {}, `?tma=${tma}&last_event_id=${at}`);
    await r.waitForEvents(1);
    expect(orderOf(r, 0)).toMatchObject({ id: order.id, status: "cancelled" });
    await quiet(r, 200);
    expect(r.events).toHaveLength(1);
    r.close();
  });

  it("refuses anonymous and forged streams with 401 problem+json", async () => {
    const none = await stream(null);
    expect(none.status).toBe(401);
    expect(none.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(JSON.parse(none.body)).toMatchObject({ code: "unauthorized" });
    const forged = await stream(null, {
      authorization: authHeader(buyer, "999:forged-token-for-the-test-xx"),
    });
    expect(forged.status).toBe(401);
  });

  it("caps streams per user at 5 (429 too_many_streams), frees a slot on disconnect, and counts them", async () => {
    const user = newUser();
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => stream(user)));
    expect(five.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    const sixth = await stream(user);
    expect(sixth.status).toBe(429);
    expect(JSON.parse(sixth.body)).toMatchObject({ code: "too_many_streams", status: 429 });
    const gauge = async () =>
      Number(/lastbite_sse_connections (\d+)/.exec((await t.app.inject({ url: "/metrics" })).body)?.[1]);
    const before = await gauge();
    expect(before).toBeGreaterThanOrEqual(5);
    five[0]?.close();
    await five[0]?.ended;
    for (let i = 0; i < 50 && (await gauge()) !== before - 1; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await gauge()).toBe(before - 1);
    const again = await stream(user);
    expect(again.status).toBe(200);
    for (const c of [...five, again]) c.close();
  });
});

describe.each(DATABASES)("server shutdown with open streams on %s", (kind) => {
  it("ends the open streams when the app closes, instead of hanging", async () => {
    const t = await createTestApp(kind);
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const c = await openSse(`${baseUrl(t)}/api/events`, {
      headers: { authorization: authHeader(newUser()) },
    });
    expect(c.status).toBe(200);
    await t.close();
    await c.ended;
  });
});

describe("request logs", () => {
  it("never contain init data passed as ?tma=", async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    const t = await createTestApp("pglite", { deps: { logger: { level: "info", stream } } });
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const tma = authHeader(newUser()).slice(4);
    const c = await openSse(`${baseUrl(t)}/api/events?tma=${encodeURIComponent(tma)}&x=1`);
    expect(c.status).toBe(200);
    c.close();
    await t.close();
    const logged = lines.join("");
    expect(logged).toContain("/api/events?[query omitted]");
    expect(logged).not.toContain(encodeURIComponent(tma).slice(0, 40));
  });
});

describe.runIf(DATABASES.includes("postgres"))("live updates across two instances on PostgreSQL", () => {
  let a: TestApp;
  let b: Awaited<ReturnType<typeof secondInstance>>;

  /** A second app on the same PostgreSQL database: what a second server behind a load balancer is. */
  async function secondInstance(url: string) {
    const db = await openDatabase(url);
    const app = await buildApp({ config: testConfig(), db, botToken: TEST_TOKEN });
    await app.listen({ port: 0, host: "127.0.0.1" });
    return {
      app,
      base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: async () => {
        await app.close();
        await db.close();
      },
    };
  }

  beforeAll(async () => {
    a = await createTestApp("postgres");
    await a.app.listen({ port: 0, host: "127.0.0.1" });
    const [{ url } = { url: "" }] = await a.db.query<{ url: string }>("select current_database() as url");
    const u = new URL(process.env.TEST_DATABASE_URL as string);
    u.pathname = `/${url}`;
    b = await secondInstance(u.href);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("delivers an accept made on instance A to the buyer's stream held by instance B, and resumes on A", async () => {
    const seller = newUser();
    const buyer = newUser();
    const shop = await makeShop(a, seller);
    const onB = await openSse(`${b.base}/api/events`, { headers: { authorization: authHeader(buyer) } });
    expect(onB.status).toBe(200);
    const order = await placeOrder(a, buyer, shop.offerId);
    const accepted = await act(a, seller, order.id, "accept");
    await onB.waitForEvents(2);
    expect(orderOf(onB, 0)).toMatchObject({ id: order.id, status: "pending" });
    expect(orderOf(onB, 1)).toEqual(accepted);
    const seen = onB.lastEventId as string;
    onB.close();

    // The load balancer sends the reconnect to the other instance: the replay comes from the database.
    await act(a, seller, order.id, "ready");
    const onA = await openSse(`${baseUrl(a)}/api/events`, {
      headers: { authorization: authHeader(buyer), "last-event-id": seen },
    });
    await onA.waitForEvents(1);
    expect(orderOf(onA, 0)).toMatchObject({ id: order.id, status: "ready" });
    onA.close();
  });
});
