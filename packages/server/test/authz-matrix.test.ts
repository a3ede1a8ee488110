/**
 * The authorisation matrix: every route of the OpenAPI document × six roles, each cell's expected
 * answer written out in ONE table. A route in the document without a row (or a row for a route
 * that is gone) fails the test, so a new route cannot ship without deciding who may call it.
 *
 * Roles, relative to the scenario's order and shop:
 *   anon        no Authorization header
 *   buyer       placed the scenario's order
 *   other       another signed-in buyer
 *   owner       owns the order's shop
 *   otherOwner  owns a different shop
 *   admin       in ADMIN_IDS, owns no shop
 * Cells that change state get fresh fixtures (a new order in the needed status), so each cell is
 * independent of the others and of the order they run in.
 */
import type { AddressInfo } from "node:net";
import { TelegramDouble } from "@lastbite/telegram-double";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { createTelegram } from "../src/bot/telegram.ts";
import { approveStore, makeShop, type OfferInput, type Shop } from "./fixtures.ts";
import {
  api,
  authHeader,
  createTestApp,
  DATABASES,
  newUser,
  Res,
  type Shape,
  TEST_TOKEN,
  type TestApp,
} from "./helpers.ts";

const ROLES = ["anon", "buyer", "other", "owner", "otherOwner", "admin"] as const;
type Role = (typeof ROLES)[number];
/** A status; for lists "200 sees" / "200 blind": 200, and whether the scenario's item is in it. */
type Cell = number | "200 sees" | "200 blind";
type Row = [method: string, path: string, scenario: string, ...cells: [Cell, Cell, Cell, Cell, Cell, Cell]];

// biome-ignore format: the matrix reads best as a table
const MATRIX: Row[] = [
  // method   path                                    scenario                        anon  buyer        other        owner        otherOwner   admin
  ["GET",    "/api/me",                               "me",                           401,  200,         200,         200,         200,         200],
  ["GET",    "/api/stores",                           "list stores",                  401,  "200 sees",  "200 sees",  "200 sees",  "200 sees",  "200 sees"],
  ["POST",   "/api/stores",                           "create a store",               401,  201,         201,         201,         201,         201],
  ["GET",    "/api/stores/{id}",                      "the shop",                     401,  200,         200,         200,         200,         200],
  ["PATCH",  "/api/stores/{id}",                      "edit the shop",                401,  403,         403,         200,         403,         403],
  ["POST",   "/api/stores/{id}/offers",               "add an offer to the shop",     401,  403,         403,         201,         403,         403],
  ["GET",    "/api/offers",                           "on sale: a paused offer",      401,  "200 blind", "200 blind", "200 blind", "200 blind", "200 blind"],
  ["GET",    "/api/offers",                           "all=1: a paused offer",        401,  "200 blind", "200 blind", "200 sees",  "200 blind", "200 blind"],
  ["GET",    "/api/offers",                           "on sale: an offer",            401,  "200 sees",  "200 sees",  "200 sees",  "200 sees",  "200 sees"],
  ["GET",    "/api/offers/{id}",                      "an offer",                     401,  200,         200,         200,         200,         200],
  ["PATCH",  "/api/offers/{id}",                      "edit an offer",                401,  403,         403,         200,         403,         403],
  ["POST",   "/api/orders",                           "order from the shop",          401,  201,         201,         201,         201,         201],
  ["GET",    "/api/orders",                           "buyer's orders",               401,  "200 sees",  "200 blind", "200 blind", "200 blind", "200 blind"],
  ["GET",    "/api/orders/{id}",                      "an order",                     401,  200,         404,         404,         404,         404],
  ["POST",   "/api/orders/{id}/cancel",               "cancel a pending order",       401,  200,         404,         404,         404,         404],
  ["POST",   "/api/orders/{id}/rating",               "rate a completed order",       401,  201,         404,         404,         404,         404],
  ["POST",   "/api/orders/{id}/rating",               "rate own purchase in own shop",401,  404,         404,         403,         404,         404],
  ["GET",    "/api/seller/orders",                    "shop's orders",                401,  "200 blind", "200 blind", "200 sees",  "200 blind", "200 blind"],
  ["GET",    "/api/seller/orders/{id}",               "an order, as seller",          401,  404,         404,         200,         404,         200],
  ["POST",   "/api/seller/orders/verify",             "verify a booking code",        401,  404,         404,         200,         404,         404],
  ["POST",   "/api/seller/orders/{id}/{action}",      "accept a pending order",       401,  404,         404,         200,         404,         200],
  ["POST",   "/api/seller/orders/{id}/{action}",      "reject a pending order",       401,  404,         404,         200,         404,         200],
  ["POST",   "/api/seller/orders/{id}/{action}",      "ready a confirmed pickup",     401,  404,         404,         200,         404,         200],
  ["POST",   "/api/seller/orders/{id}/{action}",      "deliver a confirmed delivery", 401,  404,         404,         200,         404,         200],
  ["POST",   "/api/seller/orders/{id}/{action}",      "complete a confirmed order",   401,  404,         404,         200,         404,         200],
  ["POST",   "/api/seller/orders/{id}/{action}",      "cancel a confirmed order",     401,  404,         404,         200,         404,         200],
  ["GET",    "/api/events",                           "event stream",                 401,  200,         200,         200,         200,         200],
  ["PATCH",  "/api/me",                               "turn alerts off",              401,  200,         200,         200,         200,         200],
  ["PUT",    "/api/stores/{id}/favourite",            "follow the shop",              401,  204,         204,         204,         204,         204],
  ["DELETE", "/api/stores/{id}/favourite",            "unfollow the shop",            401,  204,         204,         204,         204,         204],
  ["GET",    "/api/me/favourites",                    "my favourites",                401,  "200 sees",  "200 blind", "200 blind", "200 blind", "200 blind"],
  ["GET",    "/api/me/impact",                        "my impact",                    401,  200,         200,         200,         200,         200],
  ["GET",    "/api/admin/stores",                     "shops to moderate",            401,  403,         403,         403,         403,         200],
  ["POST",   "/api/admin/stores/{id}/{decision}",     "approve a pending shop",       401,  403,         403,         403,         403,         200],
  ["POST",   "/api/offers/{id}/repost",               "post an offer again",          401,  403,         403,         201,         403,         403],
  ["PUT",    "/api/offers/{id}/photo",                "upload an offer's photo",      401,  403,         403,         200,         403,         403],
  ["GET",    "/photos/{id}/{file}",                   "an offer's photo",             200,  200,         200,         200,         200,         200],
  ["POST",   "/api/offers/{id}/share",                "share an offer",               401,  200,         200,         200,         200,         200],
  ["GET",    "/api/seller/stats",                     "the shop's figures",           401,  403,         403,         200,         403,         200],
];

interface Req {
  url: string;
  body?: unknown;
  /** The id a list answer must (sees) or must not (blind) contain. */
  item?: number;
  /** Which list in the answer holds items. */
  list?: "stores" | "offers" | "orders";
  /** The order the request acts on: a refusal must leave its status as it was. */
  orderId?: number;
  /** A body that is not JSON (a photo), sent with this Content-Type. */
  contentType?: string;
}

describe.each(DATABASES)("the authorisation matrix on %s", (kind) => {
  let t: TestApp;
  let baseUrl: string;
  const admin = newUser({ first_name: "Admin" });
  const buyer = newUser({ first_name: "Buyer" });
  const other = newUser({ first_name: "Other" });
  let owner: InitDataUser;
  let otherOwner: InitDataUser;
  let shop: Shop<[OfferInput]>;
  let offerId: number;
  let pausedOfferId: number;
  let shared: { pending: number; confirmed: number; code: string };
  /** A shop only the buyer follows (the matrix follows and unfollows the other shop). */
  let followedOnly: number;
  let photo: Buffer;
  let photoUrl: string;
  /** The Telegram that sharing prepares messages with. */
  let tg: TelegramDouble;

  const userOf = (role: Role): InitDataUser | null =>
    ({ anon: null, buyer, other, owner, otherOwner, admin })[role];

  /** Like TestApp.as(), but also anonymous (`who` null). */
  const inject = async <T = unknown>(
    who: InitDataUser | null,
    method: string,
    url: string,
    body?: unknown,
    shape?: Shape<T>,
    contentType?: string,
  ): Promise<Res<T>> => {
    const res = await t.app.inject({
      method: method as "GET",
      url,
      headers: {
        ...(who ? { authorization: authHeader(who) } : {}),
        ...(contentType ? { "content-type": contentType } : {}),
      },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return Res.of(res, shape, `${method} ${url}`);
  };
  const must = async <T>(who: InitDataUser, method: string, url: string, body: unknown, shape: Shape<T>) => {
    const r = await inject(who, method, url, body, shape);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.body;
  };

  /** A new order of `by` in the shop, walked through `actions` by the owner. */
  const order = async (
    actions: string[] = [],
    opts: { by?: InitDataUser; delivery?: boolean } = {},
  ): Promise<{ id: number; code: string | null }> => {
    const o = await must(
      opts.by ?? buyer,
      "POST",
      "/api/orders",
      {
        items: [{ offer_id: offerId, quantity: 1 }],
        ...(opts.delivery
          ? {
              delivery_type: "delivery",
              delivery_address: "Chilonzor 9, kv 12",
              customer_phone: "+998901234567",
            }
          : { delivery_type: "pickup" }),
      },
      api.order,
    );
    let code: string | null = null;
    for (const a of actions)
      code = (await must(owner, "POST", `/api/seller/orders/${o.id}/${a}`, {}, api.order)).code ?? code;
    return { id: o.id, code };
  };

  /** What each scenario asks: fresh fixtures where the request changes state. */
  const SCENARIOS: Record<string, () => Promise<Req>> = {
    me: async () => ({ url: "/api/me" }),
    "list stores": async () => ({ url: "/api/stores", list: "stores", item: shop.store.id }),
    "create a store": async () => ({
      url: "/api/stores",
      body: { name: "Matrix Shop", address: "Tashkent, Amir Temur 1", phone: "+998901112244" },
    }),
    "the shop": async () => ({ url: `/api/stores/${shop.store.id}` }),
    "edit the shop": async () => ({
      url: `/api/stores/${shop.store.id}`,
      body: { description: "Fresh daily" },
    }),
    "add an offer to the shop": async () => ({
      url: `/api/stores/${shop.store.id}/offers`,
      body: { title: "Bread", price: 2000, quantity: 3 },
    }),
    "on sale: a paused offer": async () => ({ url: "/api/offers", list: "offers", item: pausedOfferId }),
    "all=1: a paused offer": async () => ({
      url: `/api/offers?store_id=${shop.store.id}&all=1`,
      list: "offers",
      item: pausedOfferId,
    }),
    "on sale: an offer": async () => ({
      url: `/api/offers?store_id=${shop.store.id}`,
      list: "offers",
      item: offerId,
    }),
    "an offer": async () => ({ url: `/api/offers/${offerId}` }),
    "edit an offer": async () => ({ url: `/api/offers/${offerId}`, body: { description: "Warm" } }),
    "order from the shop": async () => ({
      url: "/api/orders",
      body: { items: [{ offer_id: offerId, quantity: 1 }], delivery_type: "pickup" },
    }),
    "buyer's orders": async () => ({ url: "/api/orders", list: "orders", item: shared.pending }),
    "an order": async () => ({ url: `/api/orders/${shared.pending}` }),
    "cancel a pending order": async () => {
      const { id } = await order();
      return { url: `/api/orders/${id}/cancel`, body: {}, orderId: id };
    },
    "rate a completed order": async () => {
      const { id } = await order(["accept", "complete"]);
      return { url: `/api/orders/${id}/rating`, body: { stars: 5 }, orderId: id };
    },
    "rate own purchase in own shop": async () => {
      const { id } = await order(["accept", "complete"], { by: owner });
      return { url: `/api/orders/${id}/rating`, body: { stars: 5 }, orderId: id };
    },
    "shop's orders": async () => ({ url: "/api/seller/orders", list: "orders", item: shared.pending }),
    "an order, as seller": async () => ({ url: `/api/seller/orders/${shared.pending}` }),
    "verify a booking code": async () => ({ url: "/api/seller/orders/verify", body: { code: shared.code } }),
    "accept a pending order": async () => {
      const { id } = await order();
      return { url: `/api/seller/orders/${id}/accept`, body: {}, orderId: id };
    },
    "reject a pending order": async () => {
      const { id } = await order();
      return { url: `/api/seller/orders/${id}/reject`, body: { reason: "Sold out" }, orderId: id };
    },
    "ready a confirmed pickup": async () => {
      const { id } = await order(["accept"]);
      return { url: `/api/seller/orders/${id}/ready`, body: {}, orderId: id };
    },
    "deliver a confirmed delivery": async () => {
      const { id } = await order(["accept"], { delivery: true });
      return { url: `/api/seller/orders/${id}/delivering`, body: {}, orderId: id };
    },
    "complete a confirmed order": async () => {
      const { id } = await order(["accept"]);
      return { url: `/api/seller/orders/${id}/complete`, body: {}, orderId: id };
    },
    "cancel a confirmed order": async () => {
      const { id } = await order(["accept"]);
      return { url: `/api/seller/orders/${id}/cancel`, body: {}, orderId: id };
    },
    "event stream": async () => ({ url: "/api/events" }),
    "turn alerts off": async () => ({ url: "/api/me", body: { offer_alerts: false } }),
    "follow the shop": async () => ({ url: `/api/stores/${shop.store.id}/favourite` }),
    "unfollow the shop": async () => ({ url: `/api/stores/${shop.store.id}/favourite` }),
    "my favourites": async () => ({ url: "/api/me/favourites", list: "stores", item: followedOnly }),
    "my impact": async () => ({ url: "/api/me/impact" }),
    "shops to moderate": async () => ({ url: "/api/admin/stores" }),
    "approve a pending shop": async () => {
      const pendingShop = await makeShop(t, { offers: [] });
      return { url: `/api/admin/stores/${pendingShop.store.id}/approve` };
    },
    "post an offer again": async () => ({ url: `/api/offers/${offerId}/repost`, body: {} }),
    "upload an offer's photo": async () => ({
      url: `/api/offers/${offerId}/photo`,
      body: photo,
      contentType: "image/jpeg",
    }),
    "an offer's photo": async () => ({ url: photoUrl }),
    "the shop's figures": async () => ({ url: `/api/seller/stats?store_id=${shop.store.id}` }),
    "share an offer": async () => {
      // Telegram knows everyone who opened the Mini App.
      for (const u of [buyer, other, owner, otherOwner, admin])
        tg.addUser({ id: u.id, first_name: u.first_name });
      return { url: `/api/offers/${offerId}/share`, body: {} };
    },
  };

  beforeAll(async () => {
    tg = await TelegramDouble.start({ token: TEST_TOKEN });
    t = await createTestApp(kind, {
      config: {
        ADMIN_IDS: String(admin.id),
        RATE_LIMIT_PER_MINUTE: "100000",
        ORDER_RATE_LIMIT_PER_MINUTE: "100000",
        TELEGRAM_API_ROOT: tg.apiRoot,
      },
      deps: {
        plugins: [
          async (_app, services) => {
            createTelegram({
              services,
              config: services.config,
              token: tg.token,
              apiRoot: tg.apiRoot,
              mode: "off",
            });
          },
        ],
      },
    });
    shop = await makeShop(t, { offers: [{ title: "Samsa", price: 6000, quantity: 10_000 }] });
    owner = shop.owner;
    await approveStore(t, shop.store.id);
    offerId = shop.offers[0].id;
    const paused = await must(
      owner,
      "POST",
      `/api/stores/${shop.store.id}/offers`,
      { title: "Paused", price: 1000, quantity: 5 },
      api.offer,
    );
    pausedOfferId = paused.id;
    await must(owner, "PATCH", `/api/offers/${pausedOfferId}`, { active: false }, api.offer);
    const second = await makeShop(t);
    otherOwner = second.owner;
    followedOnly = (await makeShop(t)).store.id;
    await approveStore(t, second.store.id);
    // Everyone has signed in once and the other buyer and other owner have orders of their own,
    // so "blind" means filtered, not empty.
    for (const u of [buyer, other, admin]) await must(u, "GET", "/api/me", undefined, api.me);
    await must(
      other,
      "POST",
      "/api/orders",
      { items: [{ offer_id: second.offers[0].id, quantity: 1 }], delivery_type: "pickup" },
      api.order,
    );
    expect((await inject(buyer, "PUT", `/api/stores/${followedOnly}/favourite`)).status).toBe(204);
    const pending = await order();
    const confirmed = await order(["accept"]);
    shared = { pending: pending.id, confirmed: confirmed.id, code: confirmed.code as string };
    photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#c84" } })
      .jpeg()
      .toBuffer();
    photoUrl = api.offer.parse(
      (await inject(owner, "PUT", `/api/offers/${offerId}/photo`, photo, undefined, "image/jpeg")).json,
    ).photo_url as string;
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
    await tg?.close();
  });

  it("has exactly one set of rows for every route in /openapi.json", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    const tabled = [...new Set(MATRIX.map(([m, p]) => `${m} ${p}`))];
    expect(tabled.sort()).toEqual([...new Set(documented)].sort());
    // every scenario of the table exists, and each row's scenario is used once
    expect(MATRIX.map((r) => r[2]).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  /** The event stream never ends: open it over HTTP, read the status and hang up. */
  const openStream = async (who: InitDataUser | null, url: string) => {
    const ac = new AbortController();
    const res = await fetch(`${baseUrl}${url}`, {
      headers: who ? { authorization: authHeader(who) } : {},
      signal: ac.signal,
    });
    const ct = res.headers.get("content-type") ?? "";
    ac.abort();
    await res.body?.cancel().catch(() => {});
    return { status: res.status, ct };
  };

  const cells = MATRIX.flatMap(([method, path, scenario, ...expected]) =>
    ROLES.map((role, i) => ({ method, path, scenario, role, expected: expected[i] as Cell })),
  );

  it.each(cells)(
    "$method $path ($scenario) as $role → $expected",
    async ({ method, scenario, role, expected }) => {
      const req = await (SCENARIOS[scenario] as () => Promise<Req>)();
      const who = userOf(role);
      const status = typeof expected === "number" ? expected : 200;
      if (req.url === "/api/events") {
        const res = await openStream(who, req.url);
        expect(res.status).toBe(status);
        expect(res.ct).toMatch(status === 200 ? /^text\/event-stream/ : /^application\/problem\+json/);
        return;
      }
      const before = req.orderId
        ? (await t.db.query<{ status: string }>("select status from orders where id = $1", [req.orderId]))[0]
        : undefined;
      const res = await inject(who, method, req.url, req.body, undefined, req.contentType);
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      if (status >= 400) {
        expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(res.problem).toMatchObject({ status, code: expect.any(String), detail: expect.any(String) });
        // Every refusal the table holds has one code: a new refusal status must be added here.
        const codes: Record<number, unknown> = {
          401: "unauthorized",
          403: "forbidden",
          404: expect.stringMatching(/not_found$/),
        };
        expect(Object.keys(codes), `no code known for a ${status} cell`).toContain(String(status));
        expect(res.problem.code).toEqual(codes[status]);
        if (req.orderId) {
          const [after] = await t.db.query<{ status: string }>("select status from orders where id = $1", [
            req.orderId,
          ]);
          expect(after, "a refused request changed the order").toEqual(before);
        }
      }
      if (typeof expected === "string") {
        // A "sees"/"blind" cell must name the list and the item it looks for, or it would check nothing.
        expect(req.list, `scenario "${scenario}" names no list`).toBeDefined();
        expect(req.item, `scenario "${scenario}" names no item`).toBeDefined();
        const list = req.list as string;
        const listed = z.object({ [list]: z.array(z.object({ id: z.number() })) }).parse(res.json);
        const ids = (listed[list] as { id: number }[]).map((x) => x.id);
        if (expected.endsWith("sees")) expect(ids).toContain(req.item);
        else expect(ids).not.toContain(req.item);
      }
    },
  );
});
