/**
 * Property-based fuzzing of every JSON route and the bot webhook, in-process with `app.inject`.
 *
 * Properties, for thousands of generated requests (arbitrary JSON, bodies shaped like the real ones
 * with mutated fields, query strings, headers and init data):
 * - no answer is a 5xx;
 * - every 4xx is `application/problem+json` with `{ type, title, status, code, detail }`;
 * - a refused (4xx) request changes nothing (offers, orders, their items and events, stores,
 *   ratings, the outbox, idempotency keys, processed updates).
 * Plus targeted properties for rules the contract states: control characters in text fields,
 * quantities per unit, offers no longer on sale, https-only photo URLs, and init data whose names
 * carry control characters.
 */
import fc from "fast-check";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInitData } from "../src/auth/init-data.ts";
import { WEBHOOK_PATH } from "../src/bot/telegram.ts";
import { deriveWebhookSecret } from "../src/config.ts";
import { type BotHarness, startBotHarness } from "./bot-harness.ts";
import { idsOf, makeShop } from "./fixtures.ts";
import {
  api,
  authHeader,
  createTestApp,
  DATABASES,
  newUser,
  Res,
  TEST_TOKEN,
  type TestApp,
} from "./helpers.ts";

/** Runs of the main property per database; each run is one request (plus its state snapshots). */
const API_RUNS = 1500;
const WEBHOOK_RUNS = 300;
const TIME_LIMIT_MS = 45_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

// ---------- arbitraries ----------

const controlChar = fc.constantFrom(
  "\u0000",
  "\u0001",
  "\u0007",
  "\u0008",
  "\u000b",
  "\u000c",
  "\u001b",
  "\u001f",
  "\u007f",
  "\u0085",
  "\u009f",
);
/** Strings with control characters among ordinary letters (Latin, Cyrillic), spaces and line breaks. */
const controlString = fc
  .tuple(
    fc.string({ unit: fc.constantFrom("a", "Z", "б", "ў", " ", "\n", "\t", "1"), maxLength: 8 }),
    fc.array(controlChar, { minLength: 1, maxLength: 3 }),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, c, b]) => `${a}${c.join("")}${b}`);

const textish: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  controlString,
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "NaN",
    "Infinity",
    "-1",
    "1e309",
    "null",
    "undefined",
    "x".repeat(5000),
    "<script>alert(1)</script>",
    "' or 1=1 --",
    "\ud800",
    "http://example.com/a.jpg",
    "javascript:alert(1)",
    "2020-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
  ),
);

const numberish: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    1e-11,
    0.1,
    0.15,
    0.30000000000000004,
    -1,
    0,
    -0,
    1e308,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 31,
    100_000,
    100_000.1,
    1.5,
    3,
  ),
  fc.constantFrom("1", "1e-11", "NaN", "Infinity", "-Infinity", "0x10", " 2", "1,5", "", "\u00001"),
);

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, [], {}, [[[[[]]]]], { __proto__: { x: 1 } }, { constructor: {} }),
);

/** A field: usually a good value, often a mutation of any kind. */
const field = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 3, arbitrary: good }, textish, numberish, junk);

/** A shaped body: any subset of the real keys, each good or mutated, sometimes with an extra key. */
function shaped(model: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const record = fc.record(Object.fromEntries(Object.entries(model).map(([k, good]) => [k, field(good)])), {
    requiredKeys: [],
  });
  return fc.oneof(
    { weight: 4, arbitrary: record },
    fc.tuple(record, fc.string({ maxLength: 12 }), junk).map(([r, k, v]) => ({ ...(r as object), [k]: v })),
  );
}

const future = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
const isoTime = fc.oneof(
  fc.constantFrom(future(1), future(5), future(-2), future(24 * 400)),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const storeBody = shaped({
  name: fc.constantFrom("Non Uyi", "Самса центр"),
  address: fc.constantFrom("Tashkent, Navoi 1", "Chilonzor 9"),
  phone: fc.constantFrom("+998901112233", "90 765 43 21"),
  description: fc.string({ maxLength: 40 }),
  delivery_enabled: fc.boolean(),
  delivery_fee: fc.integer({ min: 0, max: 50_000 }),
  min_order_amount: fc.integer({ min: 0, max: 50_000 }),
});
const offerBody = shaped({
  title: fc.constantFrom("Samsa", "Tomatoes", "Milk"),
  price: fc.integer({ min: 1, max: 100_000 }),
  original_price: fc.integer({ min: 1, max: 200_000 }),
  quantity: fc.oneof(
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 1, max: 100 }).map((n) => n / 10),
  ),
  unit: fc.constantFrom("piece", "kg", "l"),
  description: fc.string({ maxLength: 40 }),
  photo_url: fc.constantFrom("https://cdn.example.com/a.jpg", "http://cdn.example.com/a.jpg", null),
  pickup_from: isoTime,
  pickup_until: isoTime,
  expires_at: isoTime,
  active: fc.boolean(),
});

interface World {
  storeIds: number[];
  offerIds: number[];
  orderIds: number[];
  codes: string[];
}

const idish = (ids: () => number[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids().map(String)) },
    fc.constantFrom(
      "0",
      "-1",
      "1.5",
      "1e3",
      "abc",
      "9007199254740993",
      "99999999999999999999",
      "%00",
      "%20",
      "NaN",
    ),
    fc.nat().map(String),
  );

function orderBody(world: World) {
  return shaped({
    items: fc.array(
      shaped({
        offer_id: fc.constantFrom(...world.offerIds),
        quantity: fc.oneof(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 30 }).map((n) => n / 10),
          numberish,
        ),
      }),
      { maxLength: 4 },
    ),
    delivery_type: fc.constantFrom("pickup", "delivery", "teleport"),
    delivery_address: fc.constantFrom("Chilonzor 9, kv 12", "abc"),
    customer_phone: fc.constantFrom("+998901234567", "12"),
    comment: fc.string({ maxLength: 40 }),
  });
}

/** Query strings: real keys with good or junk values, and random keys. */
const queryOf = (keys: Record<string, fc.Arbitrary<string>>) =>
  fc
    .array(
      fc.oneof(
        ...Object.entries(keys).map(([k, v]) =>
          fc.tuple(fc.constant(k), fc.oneof(v, fc.string(), controlString)),
        ),
        fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));

/** Header values a real HTTP client can send: printable ASCII and tabs. */
const headerValue = fc.string({
  unit: fc.constantFrom(..." !\"#$%&'*+,-./0123456789:;=?@ABCZ[\\]^_`abcz{|}~\t"),
  maxLength: 40,
});

/** `arb` about once in `n` draws, else null (fc.option's `freq` is the other way round). */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

// ---------- helpers ----------

type Auth = { kind: "none" } | { kind: "header"; value: string };

function problemShapeOf(res: LightMyRequestResponse, what: string) {
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    expect(res.headers["content-type"], what).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.body);
    expect(body, what).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: res.statusCode,
      code: expect.any(String),
      detail: expect.any(String),
    });
  }
}

/** A digest of every table a request may change (users are excluded: signing in upserts them). */
async function snapshot(t: { db: TestApp["db"] }, outboxByCount = false): Promise<Record<string, string>> {
  const digest = (table: string) =>
    `(select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from ${table} x) as ${table}`;
  const [row] = await t.db.query<Record<string, string>>(
    `select ${[
      "offers",
      "orders",
      "order_items",
      "order_events",
      "stores",
      "ratings",
      "idempotency_keys",
      "processed_updates",
    ]
      .map(digest)
      .join(", ")},
      ${outboxByCount ? "(select count(*)::text from outbox)" : digest("outbox").replace(/ as outbox$/, "")} as outbox`,
  );
  return row as Record<string, string>;
}

function describeRequest(o: InjectOptions): string {
  const headers = { ...(o.headers as Record<string, string>) };
  if (headers.authorization) headers.authorization = `${headers.authorization.slice(0, 40)}…`;
  return JSON.stringify({ method: o.method, url: o.url, headers, payload: o.payload }).slice(0, 2000);
}

// ---------- the API ----------

describe.each(DATABASES)("fuzzing the JSON API on %s", (kind) => {
  let t: TestApp;
  const world: World = { storeIds: [], offerIds: [], orderIds: [], codes: [] };
  let owner: ReturnType<typeof newUser>;
  const buyer = newUser({ first_name: "Fuzz", username: "fuzz_buyer" });
  const other = newUser();
  let pieceOffer: number;
  let kgOffer: number;
  let lOffer: number;
  let closedOffer: number;
  let expiredOffer: number;
  let pausedOffer: number;
  const counts = { requests: 0, ok: 0, refused: 0 };
  const byStatus: Record<number, number> = {};

  beforeAll(async () => {
    t = await createTestApp(kind, {
      config: { RATE_LIMIT_PER_MINUTE: "1000000", ORDER_RATE_LIMIT_PER_MINUTE: "1000000" },
    });
    const shop = await makeShop(t, {
      offers: [
        { title: "Samsa", price: 6000, quantity: 100_000 },
        { title: "Tomatoes", price: 8000, quantity: 100_000, unit: "kg" },
        { title: "Milk", price: 9000, quantity: 50_000, unit: "l" },
        { title: "Closed window", price: 5000, quantity: 100 },
        { title: "Expired", price: 5000, quantity: 100 },
        { title: "Paused", price: 5000, quantity: 100 },
      ],
    });
    owner = shop.owner;
    [pieceOffer, kgOffer, lOffer, closedOffer, expiredOffer, pausedOffer] = idsOf(shop.offers);
    // Not on sale any more: a pickup window that closed an hour ago, an expiry that passed, paused.
    await t.db.query(
      "update offers set pickup_from = now() - interval '3 hours', pickup_until = now() - interval '1 hour' where id = $1",
      [closedOffer],
    );
    await t.db.query("update offers set expires_at = now() - interval '1 minute' where id = $1", [
      expiredOffer,
    ]);
    expect((await t.as(owner).patch(`/api/offers/${pausedOffer}`, { active: false })).status).toBe(200);
    const second = await makeShop(t);
    world.storeIds = [shop.store.id, second.store.id];
    world.offerIds = [...shop.offers, ...second.offers].map((o) => o.id);

    // Orders in every kind of status, from two buyers.
    const place = async (who: typeof buyer, offerId = pieceOffer) => {
      const r = await t
        .as(who)
        .post(
          "/api/orders",
          { items: [{ offer_id: offerId, quantity: 1 }], delivery_type: "pickup" },
          api.order,
        );
      if (r.status !== 201) throw new Error(`order: ${JSON.stringify(r.json)}`);
      world.orderIds.push(r.body.id);
      return r.body.id;
    };
    const act = async (id: number, ...actions: string[]) => {
      for (const a of actions) {
        const r = await t.as(owner).post(`/api/seller/orders/${id}/${a}`, {}, api.order);
        if (r.status !== 200) throw new Error(`${a}: ${JSON.stringify(r.json)}`);
        if (r.body.code) world.codes.push(r.body.code);
      }
    };
    await place(buyer);
    await act(await place(buyer), "accept");
    await act(await place(buyer), "accept", "ready");
    await act(await place(buyer), "accept", "ready", "complete");
    await act(await place(other), "accept", "complete");
    await act(await place(buyer), "reject");
    const cancelled = await place(buyer);
    await t.as(buyer).post(`/api/orders/${cancelled}/cancel`, {});
    await place(other, kgOffer);
    await place(buyer, second.offers[0].id);
  });
  afterAll(async () => {
    console.info(
      `fuzz (${kind}): ${counts.requests} requests, ${counts.ok} 2xx, ${counts.refused} 4xx; by status ${JSON.stringify(byStatus)}`,
    );
    await t?.close();
  });

  const someId = () => idish(() => world.orderIds);
  const storeId = () => idish(() => world.storeIds);
  const offerId = () => idish(() => world.offerIds);

  const authArb = (): fc.Arbitrary<Auth> =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .constantFrom(owner, buyer, other)
          .map((u) => ({ kind: "header", value: authHeader(u) }) as Auth),
      },
      {
        weight: 2,
        arbitrary: controlString.map(
          (first_name) => ({ kind: "header", value: authHeader(newUser({ first_name })) }) as Auth,
        ),
      },
      fc.constant<Auth>({ kind: "none" }),
      headerValue.map((v) => ({ kind: "header", value: v }) as Auth),
      headerValue.map((v) => ({ kind: "header", value: `tma ${v}` }) as Auth),
      fc.constant(null).map(() => ({ kind: "header", value: authHeader(buyer, "999:wrong-token") }) as Auth),
      fc.constant(null).map(
        () =>
          ({
            kind: "header",
            value: `tma ${signInitData(TEST_TOKEN, { user: buyer, authDate: new Date(Date.now() - 3 * 86400_000) })}`,
          }) as Auth,
      ),
      fc.constant(null).map(
        () =>
          ({
            kind: "header",
            value: `tma ${signInitData(TEST_TOKEN, { user: buyer }).replace(/hash=./, "hash=0")}`,
          }) as Auth,
      ),
    );

  /** Every JSON route (GET /api/events only unauthenticated: a signed-in stream never ends). */
  const requestArb = (): fc.Arbitrary<InjectOptions> => {
    const body = (b: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: b }, junk);
    const reason = shaped({ reason: fc.string({ maxLength: 30 }) });
    const routes: fc.Arbitrary<{
      method: InjectOptions["method"];
      url: string;
      payload?: unknown;
      headers?: Record<string, string>;
    }>[] = [
      fc.constant({ method: "GET" as const, url: "/api/me" }),
      fc.constant({ method: "GET" as const, url: "/api/stores" }),
      storeId().map((id) => ({ method: "GET" as const, url: `/api/stores/${id}` })),
      body(storeBody).map((payload) => ({ method: "POST" as const, url: "/api/stores", payload })),
      fc
        .tuple(storeId(), body(storeBody))
        .map(([id, payload]) => ({ method: "PATCH" as const, url: `/api/stores/${id}`, payload })),
      fc
        .tuple(storeId(), body(offerBody))
        .map(([id, payload]) => ({ method: "POST" as const, url: `/api/stores/${id}/offers`, payload })),
      queryOf({ store_id: storeId(), all: fc.constantFrom("0", "1", "2") }).map((q) => ({
        method: "GET" as const,
        url: `/api/offers?${q}`,
      })),
      offerId().map((id) => ({ method: "GET" as const, url: `/api/offers/${id}` })),
      fc
        .tuple(offerId(), body(offerBody))
        .map(([id, payload]) => ({ method: "PATCH" as const, url: `/api/offers/${id}`, payload })),
      fc
        .tuple(
          body(orderBody(world)),
          fc.option(fc.oneof(headerValue, fc.constantFrom("k1", "k2", "x".repeat(300)))),
        )
        .map(([payload, key]) => ({
          method: "POST" as const,
          url: "/api/orders",
          payload,
          headers: key === null ? {} : { "idempotency-key": key },
        })),
      queryOf({ filter: fc.constantFrom("all", "active", "finished", "none") }).map((q) => ({
        method: "GET" as const,
        url: `/api/orders?${q}`,
      })),
      someId().map((id) => ({ method: "GET" as const, url: `/api/orders/${id}` })),
      fc.tuple(someId(), fc.option(body(reason))).map(([id, payload]) => ({
        method: "POST" as const,
        url: `/api/orders/${id}/cancel`,
        payload: payload ?? undefined,
      })),
      fc
        .tuple(
          someId(),
          body(shaped({ stars: fc.integer({ min: 0, max: 6 }), comment: fc.string({ maxLength: 30 }) })),
        )
        .map(([id, payload]) => ({ method: "POST" as const, url: `/api/orders/${id}/rating`, payload })),
      queryOf({ filter: fc.constantFrom("all", "active", "finished", "none") }).map((q) => ({
        method: "GET" as const,
        url: `/api/seller/orders?${q}`,
      })),
      someId().map((id) => ({ method: "GET" as const, url: `/api/seller/orders/${id}` })),
      body(
        shaped({
          code: fc.oneof(
            fc.constantFrom(...(world.codes.length ? world.codes : ["ABC234"])),
            fc.constantFrom("LB-ABC234", "abc234"),
          ),
        }),
      ).map((payload) => ({ method: "POST" as const, url: "/api/seller/orders/verify", payload })),
      fc
        .tuple(
          someId(),
          fc.oneof(
            fc.constantFrom("accept", "reject", "ready", "delivering", "complete", "cancel"),
            fc.string({ maxLength: 8 }).map(encodeURIComponent),
          ),
          fc.option(body(reason)),
        )
        .map(([id, action, payload]) => ({
          method: "POST" as const,
          url: `/api/seller/orders/${id}/${action}`,
          payload: payload ?? undefined,
        })),
      fc
        .string({ maxLength: 20 })
        .map((s) => ({ method: "GET" as const, url: `/api/${encodeURIComponent(s)}` })),
    ];
    const contentType = fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin1",
      ),
    );
    /** Sometimes the body goes as raw text: broken JSON, empty, or JSON of a scalar. */
    const raw = sometimes(
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom(
          "",
          "{",
          '{"a":',
          "null",
          "[]",
          "0",
          '"x"',
          '{"items":[{"offer_id":1,"quantity":1e-11}]}',
          '{"__proto__":{"a":1}}',
        ),
      ),
      8,
    );
    return fc
      .tuple(
        fc.oneof(...routes),
        authArb(),
        contentType,
        raw,
        sometimes(
          fc.tuple(
            fc.constantFrom("accept", "x-forwarded-for", "last-event-id", "accept-language", "x-random"),
            headerValue,
          ),
          3,
        ),
      )
      .map(([r, auth, ct, rawBody, extra]) => {
        const headers: Record<string, string> = { ...(r.headers ?? {}) };
        if (auth.kind === "header") headers.authorization = auth.value;
        if (extra) headers[extra[0]] = extra[1];
        const hasBody = r.method !== "GET";
        let payload: InjectOptions["payload"];
        if (hasBody && rawBody !== null) {
          payload = rawBody;
          headers["content-type"] = ct ?? "application/json";
        } else if (hasBody && r.payload !== undefined) {
          payload = JSON.stringify(r.payload);
          headers["content-type"] = ct ?? "application/json";
        }
        return { method: r.method, url: r.url, headers, payload };
      });
  };

  /** One request: the answer's shape, and for a refusal, that nothing changed. */
  async function probe(o: InjectOptions) {
    const before = await snapshot(t);
    const res = await t.app.inject(o);
    counts.requests++;
    byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    const what = describeRequest(o);
    problemShapeOf(res, what);
    if (res.statusCode >= 400) {
      counts.refused++;
      expect(await snapshot(t), `a refused request changed state: ${what}`).toEqual(before);
    } else counts.ok++;
    return res;
  }

  it(`answers ${API_RUNS} generated requests with < 500, problem+json refusals that change nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(requestArb(), async (o) => {
        await probe(o);
      }),
      {
        numRuns: API_RUNS,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
      },
    );
  }, 120_000);

  it("refuses anonymous or forged event streams with 401 problem+json", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(headerValue),
        fc.oneof(headerValue, fc.constant(signInitData("1:other", { user: buyer }))),
        queryOf({ last_event_id: fc.constantFrom("1", "-1", "x", "99999999999999999999") }),
        async (authorization, tma, q) => {
          const res = await probe({
            method: "GET",
            url: `/api/events?tma=${encodeURIComponent(tma)}&${q}`,
            headers: authorization === null ? {} : { authorization },
          });
          expect(res.statusCode).toBe(401);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("authenticates validly signed init data whose names carry control characters, NUL included", async () => {
    await fc.assert(
      fc.asyncProperty(
        controlString,
        fc.option(controlString),
        fc.option(controlString),
        async (first, last, username) => {
          const user = newUser({
            first_name: first,
            ...(last ? { last_name: last } : {}),
            ...(username ? { username } : {}),
          });
          const res = await probe({
            method: "GET",
            url: "/api/me",
            headers: { authorization: authHeader(user) },
          });
          expect(res.statusCode, `first_name ${JSON.stringify(first)}`).toBe(200);
          const me = Res.of(res, api.me).body.user;
          expect(me.id).toBe(user.id);
          expect(me.first_name).not.toMatch(CONTROL);
          // A username signed in comes back as a string without control characters; none, as null.
          if (username) {
            expect(me.username, `username ${JSON.stringify(username)}`).toEqual(expect.any(String));
            expect(me.username).not.toMatch(CONTROL);
          } else expect(me.username).toBeNull();
          // and they can use the API as themselves
          const list = await probe({
            method: "GET",
            url: "/api/orders",
            headers: { authorization: authHeader(user) },
          });
          expect(list.statusCode).toBe(200);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("refuses a control character in any text field with 400 invalid_request, changing nothing", async () => {
    const good: Record<
      string,
      {
        method: "POST" | "PATCH";
        url: () => string;
        who: () => typeof buyer;
        body: () => Record<string, unknown>;
        fields: string[];
      }
    > = {
      store: {
        method: "POST",
        url: () => "/api/stores",
        who: () => other,
        body: () => ({
          name: "Shop",
          address: "Tashkent, Navoi 1",
          phone: "+998901112233",
          description: "Fresh",
        }),
        fields: ["name", "address", "phone", "description"],
      },
      storePatch: {
        method: "PATCH",
        url: () => `/api/stores/${world.storeIds[0]}`,
        who: () => owner,
        body: () => ({
          name: "Shop",
          address: "Tashkent, Navoi 1",
          phone: "+998901112233",
          description: "Fresh",
        }),
        fields: ["name", "address", "phone", "description"],
      },
      offer: {
        method: "POST",
        url: () => `/api/stores/${world.storeIds[0]}/offers`,
        who: () => owner,
        body: () => ({
          title: "Bread",
          description: "Warm",
          price: 1000,
          quantity: 1,
          photo_url: "https://cdn.example.com/a.jpg",
        }),
        fields: ["title", "description", "photo_url"],
      },
      offerPatch: {
        method: "PATCH",
        url: () => `/api/offers/${pieceOffer}`,
        who: () => owner,
        body: () => ({ title: "Samsa", description: "Warm" }),
        fields: ["title", "description"],
      },
      order: {
        method: "POST",
        url: () => "/api/orders",
        who: () => buyer,
        body: () => ({
          items: [{ offer_id: pieceOffer, quantity: 1 }],
          delivery_type: "delivery",
          delivery_address: "Chilonzor 9, kv 12",
          customer_phone: "+998901234567",
          comment: "Ring twice",
        }),
        fields: ["delivery_address", "customer_phone", "comment"],
      },
      cancel: {
        method: "POST",
        url: () => `/api/orders/${world.orderIds[0]}/cancel`,
        who: () => buyer,
        body: () => ({ reason: "Changed my mind" }),
        fields: ["reason"],
      },
      reject: {
        method: "POST",
        url: () => `/api/seller/orders/${world.orderIds[0]}/reject`,
        who: () => owner,
        body: () => ({ reason: "Sold out" }),
        fields: ["reason"],
      },
      rating: {
        method: "POST",
        url: () => `/api/orders/${world.orderIds[3]}/rating`,
        who: () => buyer,
        body: () => ({ stars: 5, comment: "Tasty" }),
        fields: ["comment"],
      },
      verify: {
        method: "POST",
        url: () => "/api/seller/orders/verify",
        who: () => owner,
        body: () => ({ code: world.codes[0] }),
        fields: ["code"],
      },
    };
    const cases = Object.entries(good).flatMap(([name, g]) => g.fields.map((f) => ({ name, f, g })));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), controlChar, fc.nat(), async ({ name, f, g }, c, at) => {
        const body = g.body();
        const v = String(body[f]);
        const i = at % (v.length + 1);
        body[f] = v.slice(0, i) + c + v.slice(i);
        const res = await probe({
          method: g.method,
          url: g.url(),
          headers: { authorization: authHeader(g.who()), "content-type": "application/json" },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, `${name}.${f} = ${JSON.stringify(body[f])}: ${res.body}`).toBe(400);
        expect(Res.of(res).problem.code).toBe("invalid_request");
      }),
      { numRuns: 250 },
    );
  });

  it("takes quantities only as positive whole pieces or 0.1 steps of kg and l; else 400 invalid_quantity", async () => {
    const exactTenths = (q: number) =>
      Math.abs(q * 10 - Math.round(q * 10)) < 1e-9 && Math.round(q * 10) >= 1;
    const qty = fc.oneof(
      fc.double({ min: -2, max: 120, noNaN: true }),
      fc.integer({ min: 1, max: 50 }).map((n) => n / 10),
      fc.integer({ min: 1, max: 50 }),
      fc.constantFrom(
        1e-11,
        1e-9,
        0.05,
        0.15,
        0.1 + 1e-11,
        1 - 1e-11,
        2.0000001,
        1e-300,
        5e-324,
        0.30000000000000004,
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(pieceOffer, kgOffer, lOffer), qty, async (offer, q) => {
        const res = await probe({
          method: "POST",
          url: "/api/orders",
          headers: { authorization: authHeader(buyer), "content-type": "application/json" },
          payload: JSON.stringify({ items: [{ offer_id: offer, quantity: q }], delivery_type: "pickup" }),
        });
        const valid = q > 0 && (offer === pieceOffer ? Number.isInteger(q) : exactTenths(q));
        const what = `offer ${offer === pieceOffer ? "piece" : offer === kgOffer ? "kg" : "l"} quantity ${q}: ${res.body}`;
        if (valid) {
          expect(res.statusCode, what).toBe(201);
          // give the stock back so the offer never runs dry
          const id = Res.of(res, api.order).body.id;
          expect((await t.as(buyer).post(`/api/orders/${id}/cancel`, {})).status).toBe(200);
        } else if (q > 0) {
          expect(res.statusCode, what).toBe(400);
          expect(Res.of(res).problem.code, what).toBe("invalid_quantity");
        } else expect(res.statusCode, what).toBe(400);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses offers no longer on sale with 409 offer_unavailable, taking nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(closedOffer, expiredOffer, pausedOffer),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async (offer, withGood, q) => {
          const items = [
            { offer_id: offer, quantity: q },
            ...(withGood ? [{ offer_id: pieceOffer, quantity: 1 }] : []),
          ];
          const res = await probe({
            method: "POST",
            url: "/api/orders",
            headers: { authorization: authHeader(buyer), "content-type": "application/json" },
            payload: JSON.stringify({ items, delivery_type: "pickup" }),
          });
          expect(res.statusCode, `${JSON.stringify(items)}: ${res.body}`).toBe(409);
          expect(Res.of(res).problem.code).toBe("offer_unavailable");
        },
      ),
      { numRuns: 40 },
    );
  });

  it("takes only https:// photo URLs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.webUrl({ validSchemes: ["http"] }),
          fc.webUrl().map((u) => u.replace(/^https?/, "ftp")),
          fc.constantFrom(
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//cdn.example.com/a.jpg",
            "file:///etc/passwd",
            "HTTP://x.test/a.jpg",
          ),
        ),
        fc.boolean(),
        async (url, patch) => {
          const res = await probe(
            patch
              ? {
                  method: "PATCH",
                  url: `/api/offers/${pieceOffer}`,
                  headers: { authorization: authHeader(owner), "content-type": "application/json" },
                  payload: JSON.stringify({ photo_url: url }),
                }
              : {
                  method: "POST",
                  url: `/api/stores/${world.storeIds[0]}/offers`,
                  headers: { authorization: authHeader(owner), "content-type": "application/json" },
                  payload: JSON.stringify({ title: "Bread", price: 1000, quantity: 1, photo_url: url }),
                },
          );
          expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---------- the webhook ----------

describe.each(DATABASES)("fuzzing the bot webhook on %s", (kind) => {
  let h: BotHarness;
  const SECRET = deriveWebhookSecret(TEST_TOKEN);
  let orderId = 1;
  const counts = { requests: 0, refused: 0 };
  const byStatus: Record<number, number> = {};
  beforeAll(async () => {
    h = await startBotHarness(kind, { mode: "off" });
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    orderId = await h.order(buyer, offerId);
  });
  afterAll(async () => {
    console.info(
      `webhook fuzz (${kind}): ${counts.requests} requests, ${counts.refused} 4xx; by status ${JSON.stringify(byStatus)}`,
    );
    await h?.close();
  });

  let updateId = 7_000_000;
  const person = () =>
    shaped({
      id: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), numberish),
      is_bot: fc.boolean(),
      first_name: fc.oneof(controlString, fc.string()),
      username: fc.string({ maxLength: 10 }),
      language_code: fc.constantFrom("en", "ru", "uz", "xx", ""),
    });
  /** Well-formed updates from real-looking people, with junk only in what a user types or presses. */
  const wellFormed = () =>
    fc
      .tuple(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.oneof(controlString, fc.string()),
        fc.boolean(),
        fc.oneof(
          fc.constantFrom(
            "/start",
            "/start order_1",
            `/start order_${orderId}`,
            `o:accept:${orderId}`,
            `o:reject:${orderId}`,
            "o:accept:0",
          ),
          controlString,
          fc.string({ maxLength: 64 }),
        ),
      )
      .map(([id, first_name, press, text]) => {
        const from = { id, is_bot: false, first_name, language_code: "en" };
        const message = {
          message_id: 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id, type: "private", first_name },
          from,
          text,
        };
        return press
          ? {
              update_id: ++updateId,
              callback_query: { id: `q${updateId}`, from, chat_instance: "1", data: text, message },
            }
          : { update_id: ++updateId, message };
      });
  const update = () =>
    fc.oneof(
      { weight: 2, arbitrary: wellFormed() },
      shaped({
        update_id: fc.constant(null).map(() => ++updateId),
        message: shaped({
          message_id: fc.nat(),
          date: fc.constant(Math.floor(Date.now() / 1000)),
          chat: shaped({
            id: fc.integer({ min: 1, max: 2 ** 40 }),
            type: fc.constantFrom("private", "group"),
          }),
          from: person(),
          text: fc.oneof(fc.constantFrom("/start", "/start order_1", "/help"), controlString, fc.string()),
        }),
      }),
      shaped({
        update_id: fc.constant(null).map(() => ++updateId),
        callback_query: shaped({
          id: fc.string({ minLength: 1, maxLength: 10 }),
          from: person(),
          chat_instance: fc.constant("1"),
          data: fc.oneof(
            fc.constantFrom(
              `o:accept:${orderId}`,
              `o:reject:${orderId}`,
              "o:accept:0",
              "o:x:y",
              "rate:1:5",
              "",
            ),
            controlString,
            fc.string({ maxLength: 64 }),
          ),
          message: shaped({
            message_id: fc.nat(),
            date: fc.constant(0),
            chat: shaped({ id: fc.nat(), type: fc.constant("private") }),
          }),
        }),
      }),
    );

  it(`answers ${WEBHOOK_RUNS} generated updates with < 500; refused ones (401/400) change nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: update() }, junk),
        fc.oneof(
          { weight: 5, arbitrary: fc.constant(SECRET) },
          fc.constant(null),
          headerValue,
          fc.constant(`${SECRET}x`),
          fc.constant(SECRET.slice(1)),
        ),
        sometimes(fc.constantFrom("text/plain", "application/x-www-form-urlencoded"), 8),
        async (body, secret, ct) => {
          const headers: Record<string, string> = { "content-type": ct ?? "application/json" };
          if (secret !== null) headers["x-telegram-bot-api-secret-token"] = secret;
          const o: InjectOptions = {
            method: "POST",
            url: WEBHOOK_PATH,
            headers,
            payload: JSON.stringify(body),
          };
          const before = await snapshot(h, true);
          const res = await h.app.inject(o);
          counts.requests++;
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
          const what = describeRequest(o);
          problemShapeOf(res, what);
          if (secret !== SECRET) expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
          if (res.statusCode >= 400) {
            counts.refused++;
            expect(await snapshot(h, true), `a refused update changed state: ${what}`).toEqual(before);
          }
        },
      ),
      { numRuns: WEBHOOK_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  }, 120_000);
});
