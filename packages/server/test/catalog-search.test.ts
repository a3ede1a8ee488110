import type { Offer } from "@lastbite/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

describe.each(DATABASES)("searching and paging the catalogue on %s", (kind) => {
  let t: TestApp;
  const buyer = newUser();
  const titles = async (url: string) =>
    (await t.as(buyer).get(url, api.offers)).body.offers.map((o) => o.title);

  const shop = async (owner: InitDataUser, name: string, offers: Record<string, unknown>[]) => {
    const s = await t
      .as(owner)
      .post("/api/stores", { name, address: "Tashkent", phone: "+998901112233" }, api.store);
    const made: Offer[] = [];
    for (const o of offers)
      made.push((await t.as(owner).post(`/api/stores/${s.body.id}/offers`, o, api.offer)).body);
    return { store: s.body, offers: made };
  };
  const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

  beforeAll(async () => {
    t = await createTestApp(kind);
    await shop(newUser(), "Non Bakery", [
      { title: "Patir non", price: 4000, original_price: 8000, quantity: 5, pickup_until: soon(3) },
      { title: "Croissant", price: 9000, original_price: 10000, quantity: 5, pickup_until: soon(1) },
    ]);
    await shop(newUser(), "Нон уйи", [
      { title: "Хлеб белый", price: 3000, quantity: 5 },
      {
        title: "ЧОЙ кўк",
        description: "Зелёный чай",
        price: 2000,
        original_price: 5000,
        quantity: 5,
        expires_at: soon(2),
      },
    ]);
    await shop(newUser(), "Green Market", [{ title: "Apples", price: 12000, quantity: 5 }]);
  });
  afterAll(async () => t?.close());

  it("finds words in titles, descriptions and shop names, across Latin and Cyrillic, any case", async () => {
    const found = async (q: string) => (await titles(`/api/offers?q=${encodeURIComponent(q)}`)).sort();
    const bothBakeries = ["Croissant", "Patir non", "Хлеб белый", "ЧОЙ кўк"];
    expect(await found("non")).toEqual(bothBakeries);
    expect(await found("НОН")).toEqual(bothBakeries);
    expect(await found("Нон")).toEqual(bothBakeries);
    expect(await found("xleb")).toEqual(["Хлеб белый"]);
    expect(await found("choy")).toEqual(["ЧОЙ кўк"]);
    expect(await found("чой")).toEqual(["ЧОЙ кўк"]);
    expect(await found("ko'k")).toEqual(["ЧОЙ кўк"]);
    expect(await found("chay")).toEqual(["ЧОЙ кўк"]); // in the description
    expect(await found("non bakery")).toEqual(["Croissant", "Patir non"]); // every word must match
    expect(await found("50%_")).toEqual([]);
    expect(await found("   ")).toHaveLength(5);
  });

  it("sorts by price, by discount and by what ends first", async () => {
    expect(await titles("/api/offers?sort=price")).toEqual([
      "ЧОЙ кўк",
      "Хлеб белый",
      "Patir non",
      "Croissant",
      "Apples",
    ]);
    expect(await titles("/api/offers?sort=discount")).toEqual([
      "ЧОЙ кўк",
      "Patir non",
      "Croissant",
      "Хлеб белый",
      "Apples",
    ]);
    expect(await titles("/api/offers?sort=ending")).toEqual([
      "Croissant",
      "ЧОЙ кўк",
      "Patir non",
      "Хлеб белый",
      "Apples",
    ]);
  });

  it("pages with a cursor, every offer once, while offers come and go", async () => {
    const seen: string[] = [];
    let url = "/api/offers?sort=price&limit=2";
    let pages = 0;
    for (;;) {
      const res = await t.as(buyer).get(url, api.offers);
      expect(res.status).toBe(200);
      seen.push(...res.body.offers.map((o) => o.title));
      if (pages === 0) {
        // Meanwhile a cheaper offer appears before the cursor and a later one is added after it.
        await shop(newUser(), "Late Shop", [
          { title: "Cheap late", price: 100, quantity: 1 },
          { title: "Dear late", price: 50000, quantity: 1 },
        ]);
      }
      pages++;
      if (!res.body.next_cursor) break;
      url = `/api/offers?sort=price&limit=2&cursor=${encodeURIComponent(res.body.next_cursor)}`;
    }
    expect(seen).toEqual(["ЧОЙ кўк", "Хлеб белый", "Patir non", "Croissant", "Apples", "Dear late"]);
    expect(pages).toBe(3);
  });

  it("every sort pages through what one long page shows, each offer once, in the same order", async () => {
    for (const sort of ["", "&sort=price", "&sort=ending", "&sort=discount", "&q=non", "&q=non&sort=price"]) {
      const whole = (await t.as(buyer).get(`/api/offers?limit=100${sort}`, api.offers)).body;
      expect(whole.next_cursor).toBeNull();
      const walked: number[] = [];
      let url = `/api/offers?limit=2${sort}`;
      for (let pages = 0; url && pages < 50; pages++) {
        const page = (await t.as(buyer).get(url, api.offers)).body;
        walked.push(...page.offers.map((o) => o.id));
        url = page.next_cursor
          ? `/api/offers?limit=2${sort}&cursor=${encodeURIComponent(page.next_cursor)}`
          : "";
      }
      expect(walked, sort || "by id").toEqual(whole.offers.map((o) => o.id));
      expect(walked.length).toBeGreaterThan(2);
    }
  });

  it("measures the distance to each shop near a point, filters by radius and category, sorts nearest first", async () => {
    // Chorsu bazaar, Amir Temur square and Samarkand; the Green Market set no location.
    const place = async (name: string, lat: number | null, lng: number | null, category: string | null) =>
      t.db.query("update stores set lat = $2, lng = $3, category = $4 where name = $1", [
        name,
        lat,
        lng,
        category,
      ]);
    await place("Non Bakery", 41.3262, 69.2352, "bakery");
    await place("Нон уйи", 41.3111, 69.2797, "bakery");
    await place("Late Shop", 39.6542, 66.9597, "grocery");
    // Owners set the same through the API; nonsense is refused and changes nothing.
    const owned = (
      await t.db.query<{ id: number; owner_id: number }>(
        "select id, owner_id from stores where name = 'Green Market'",
      )
    )[0];
    const owner = newUser({ id: owned?.owner_id as number });
    expect((await t.as(owner).patch(`/api/stores/${owned?.id}`, { lat: 200, lng: 69 })).status).toBe(400);
    expect((await t.as(owner).patch(`/api/stores/${owned?.id}`, { category: "shoes" })).status).toBe(400);
    const set = await t
      .as(owner)
      .patch(`/api/stores/${owned?.id}`, { lat: null, lng: null, category: "grocery" }, api.store);
    expect(set.body).toMatchObject({ lat: null, lng: null, category: "grocery" });
    const near = "near=41.3111,69.2797";
    const res = await t.as(buyer).get(`/api/offers?${near}&sort=distance`, api.offers);
    const byTitle = Object.fromEntries(res.body.offers.map((o) => [o.title, o.distance_m]));
    expect(byTitle["Хлеб белый"]).toBe(0);
    expect(byTitle["Patir non"]).toBeGreaterThan(3_900);
    expect(byTitle["Patir non"]).toBeLessThan(4_100); // about 4.0 km across the city
    expect(byTitle["Cheap late"]).toBeGreaterThan(260_000);
    expect(byTitle.Apples).toBeNull();
    expect(res.body.offers.map((o) => o.title).slice(-1)).toEqual(["Apples"]); // no location: last
    // Page by page, nearest first, the same list: every offer once.
    const walked: string[] = [];
    let url = `/api/offers?${near}&sort=distance&limit=2`;
    for (let pages = 0; pages < 20; pages++) {
      const page = await t.as(buyer).get(url, api.offers);
      walked.push(...page.body.offers.map((o) => o.title));
      if (!page.body.next_cursor) break;
      url = `/api/offers?${near}&sort=distance&limit=2&cursor=${encodeURIComponent(page.body.next_cursor)}`;
    }
    expect(walked).toEqual(res.body.offers.map((o) => o.title));
    expect(await titles(`/api/offers?${near}&radius_m=5000&sort=price`)).toEqual([
      "ЧОЙ кўк",
      "Хлеб белый",
      "Patir non",
      "Croissant",
    ]);
    expect(await titles(`/api/offers?${near}&radius_m=1000`)).toEqual(["Хлеб белый", "ЧОЙ кўк"]);
    expect((await titles("/api/offers?category=grocery&sort=price")).sort()).toEqual([
      "Apples",
      "Cheap late",
      "Dear late",
    ]);
    // Without near, no distance is given.
    expect((await t.as(buyer).get("/api/offers", api.offers)).body.offers[0]?.distance_m).toBeUndefined();
  });

  it("nearest first shows only what is on sale; the owner's own view shows the rest of their shop", async () => {
    const owner = newUser();
    const made = await shop(owner, "Walk Shop", [
      { title: "Walk on sale", price: 1000, quantity: 2 },
      { title: "Walk sold out", price: 1000, quantity: 1 },
      { title: "Walk paused", price: 1000, quantity: 1 },
      { title: "Walk past pickup", price: 1000, quantity: 1, pickup_until: soon(1) },
    ]);
    const other = await shop(newUser(), "Walk Closed", [
      { title: "Walk suspended", price: 1000, quantity: 1 },
    ]);
    const [onSale, soldOut, paused, past] = made.offers.map((o) => o.id);
    await t.db.query("update stores set lat = 41.1, lng = 69.1 where id = any($1::bigint[])", [
      [made.store.id, other.store.id],
    ]);
    await t.db.query("update offers set quantity = 0 where id = $1", [soldOut]);
    await t.db.query("update offers set active = false where id = $1", [paused]);
    await t.db.query("update offers set pickup_until = now() - interval '1 minute' where id = $1", [past]);
    await t.db.query("update stores set status = 'suspended' where id = $1", [other.store.id]);
    const url = "/api/offers?near=41.1,69.1&sort=distance&q=walk";
    expect(await titles(url)).toEqual(["Walk on sale"]);
    expect(await titles(`${url}&store_id=${made.store.id}`)).toEqual(["Walk on sale"]);
    const own = await t.as(owner).get(`${url}&store_id=${made.store.id}&all=1`, api.offers);
    expect(own.body.offers.map((o) => o.id)).toEqual([onSale, soldOut, paused, past]);
    // The same query a second time (its compiled copy reused) with other values answers for those.
    expect(await titles("/api/offers?near=41.1,69.1&sort=distance&q=nothing-like-this")).toEqual([]);
  });

  it("nearest first looks near the point first and then everywhere, in one order page after page", async () => {
    // Due north of (40, 70): 4.9 km, 5.1 km (just past the first look's 5 km) and 300 km.
    const north = async (name: string, km: number) => {
      const made = await shop(newUser(), name, [{ title: `Reach ${name}`, price: 1000, quantity: 1 }]);
      await t.db.query("update stores set lat = $2, lng = 70 where id = $1", [
        made.store.id,
        40 + km / 111.195,
      ]);
    };
    await north("far", 300);
    await north("past", 5.1);
    await north("near", 4.9);
    const url = "/api/offers?near=40,70&sort=distance&q=reach";
    const all = (await t.as(buyer).get(url, api.offers)).body.offers;
    expect(all.map((o) => [o.title, o.distance_m])).toEqual([
      ["Reach near", 4900],
      ["Reach past", 5100],
      ["Reach far", 300000],
    ]);
    const walked: string[] = [];
    let next = `${url}&limit=1`;
    for (let pages = 0; pages < 5; pages++) {
      const page = (await t.as(buyer).get(next, api.offers)).body;
      walked.push(...page.offers.map((o) => o.title));
      if (!page.next_cursor) break;
      next = `${url}&limit=1&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
    expect(walked).toEqual(["Reach near", "Reach past", "Reach far"]);
    expect(await titles(`${url}&radius_m=5000`)).toEqual(["Reach near"]);
    // Any sort with radius_m looks only within it (equal prices: the older offer first).
    expect(await titles("/api/offers?near=40,70&q=reach&sort=price&radius_m=5200")).toEqual([
      "Reach past",
      "Reach near",
    ]);
  });

  it("nearest first gives what a brute-force reference gives, page by page, near and far", async () => {
    // 30 shops up to ~17 km around (40.5, 70.5), so some are past the first look's 5 km, two with
    // no location and one suspended, every third with "Tandoor" in its name (its offers match that
    // word); offers that match or not, sold out, inactive or past pickup.
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const owner = newUser();
    await t.db.query("insert into users (id, first_name, language) values ($1, 'Ref', 'en')", [owner.id]);
    const words = ["plumref", "kiwiref", "figref"];
    type Made = {
      id: number;
      store: number;
      title: string;
      shop: string;
      lat: number | null;
      lng: number | null;
      onSale: boolean;
    };
    const made: Made[] = [];
    for (let i = 0; i < 30; i++) {
      const located = i % 15 !== 7;
      const lat = located ? 40.5 + (rnd() - 0.5) * 0.3 : null;
      const lng = located ? 70.5 + (rnd() - 0.5) * 0.4 : null;
      const status = i === 11 ? "suspended" : "active";
      const shop = `Ref shop ${i}${i % 3 === 0 ? " Tandoor" : ""}`;
      const [store] = await t.db.query<{ id: number }>(
        `insert into stores (owner_id, name, address, phone, lat, lng, status)
         values ($1, $2, 'Tashkent', '+998901112233', $3, $4, $5) returning id`,
        [owner.id, shop, lat, lng, status],
      );
      for (let k = 0; k < 4; k++) {
        const title = `${words[Math.floor(rnd() * 3)]} ${i}.${k}`;
        const sold = rnd() < 0.15;
        const inactive = rnd() < 0.1;
        const past = rnd() < 0.1;
        const [offer] = await t.db.query<{ id: number }>(
          `insert into offers (store_id, title, price, quantity, active, pickup_until)
           values ($1, $2, 1000, $3, $4, now() + $5 * interval '1 hour') returning id`,
          [store?.id, title, sold ? 0 : 3, !inactive, past ? -1 : 2],
        );
        made.push({
          id: offer?.id as number,
          store: store?.id as number,
          title,
          shop,
          lat,
          lng,
          onSale: !sold && !inactive && !past && status === "active",
        });
      }
    }
    const metres = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => {
      const r = (d: number) => (d * Math.PI) / 180;
      const h =
        Math.sin(r(b.lat - a.lat) / 2) ** 2 +
        Math.cos(r(a.lat)) * Math.cos(r(b.lat)) * Math.sin(r(b.lng - a.lng) / 2) ** 2;
      return 12_742_000 * Math.asin(Math.sqrt(h));
    };
    for (const [lat, lng, word] of [
      [40.5, 70.5, "plumref"],
      [40.62, 70.68, "kiwiref"],
      [40.4, 70.3, "figref"],
      [40.5, 70.5, "ref"],
      [40.5, 70.5, "tandoor"],
      [40.45, 70.4, "plumref tandoor"],
    ] as const) {
      const url = `/api/offers?near=${lat},${lng}&sort=distance&q=${encodeURIComponent(word)}`;
      const walked: Offer[] = [];
      let next = `${url}&limit=3`;
      for (let pages = 0; pages < 100 && next; pages++) {
        const page = (await t.as(buyer).get(next, api.offers)).body;
        walked.push(...page.offers);
        next = page.next_cursor ? `${url}&limit=3&cursor=${encodeURIComponent(page.next_cursor)}` : "";
      }
      // Every word in the offer's title or its shop's name.
      const expected = made.filter(
        (m) => m.onSale && word.split(" ").every((w) => `${m.title} ${m.shop}`.toLowerCase().includes(w)),
      );
      expect(expected.length).toBeGreaterThan(3);
      expect(walked.map((o) => o.id).sort((a, b) => a - b)).toEqual(
        expected.map((m) => m.id).sort((a, b) => a - b),
      );
      const given = new Map(walked.map((o) => [o.id, o.distance_m ?? null]));
      for (const m of expected) {
        const d = given.get(m.id);
        if (m.lat === null || m.lng === null) expect(d).toBeNull();
        else
          expect(
            Math.abs((d as number) - metres({ lat, lng }, { lat: m.lat, lng: m.lng })),
          ).toBeLessThanOrEqual(1);
      }
      // Nearest first, then by shop, then by offer; no location last.
      const key = (m: Made) => [given.get(m.id) ?? Number.POSITIVE_INFINITY, m.store, m.id] as const;
      const order = [...expected].sort((a, b) => {
        const [x, y] = [key(a), key(b)];
        return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
      });
      expect(walked.map((o) => o.id)).toEqual(order.map((m) => m.id));
      expect(walked.some((o) => (o.distance_m ?? 0) > 5_000)).toBe(true);
    }
  });

  it("searches sent at once (one batch, one statement) each get the page they would get alone", async () => {
    const urls = ["non", "нон", "chai", "walk", "apples", "late", "xleb", "nothing"].flatMap((q) =>
      ["41.31,69.28", "41.1,69.1", "39.65,66.96"].flatMap((near) => [
        `/api/offers?near=${near}&sort=distance&limit=2&q=${encodeURIComponent(q)}`,
        `/api/offers?near=${near}&sort=price&limit=2&q=${encodeURIComponent(q)}`,
      ]),
    );
    const alone: unknown[] = [];
    for (const url of urls) alone.push((await t.as(buyer).get(url, api.offers)).body);
    const together = await Promise.all(
      urls.map(async (url) => (await t.as(buyer).get(url, api.offers)).body),
    );
    expect(together).toEqual(alone);
    expect(alone.some((page) => (page as { offers: unknown[] }).offers.length > 0)).toBe(true);
  });

  it("refuses bad filters and cursors with 400 problem+json", async () => {
    const other = (await t.as(buyer).get("/api/offers?sort=price&limit=1", api.offers)).body
      .next_cursor as string;
    for (const url of [
      "/api/offers?limit=0",
      "/api/offers?limit=1000",
      "/api/offers?sort=nearest",
      "/api/offers?sort=distance",
      "/api/offers?radius_m=100",
      "/api/offers?near=abc",
      "/api/offers?near=200,69",
      "/api/offers?near=41,190",
      "/api/offers?near=41.3,69.2&radius_m=0",
      "/api/offers?category=shoes",
      `/api/offers?q=${"x".repeat(10_000)}`,
      "/api/offers?q=%00",
      "/api/offers?cursor=forged",
      `/api/offers?sort=ending&limit=1&cursor=${encodeURIComponent(other)}`,
      `/api/offers?sort=price&limit=1&q=non&cursor=${encodeURIComponent(other)}`,
    ]) {
      const res = await t.as(buyer).get(url);
      expect(res.status, url).toBe(400);
      expect(res.problem.code, url).toBe("invalid_request");
    }
  });
});
