import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeShop, type Shop } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

describe.each(DATABASES)("order history, page by page, on %s", (kind) => {
  let t: TestApp;
  let shop: Shop;
  const buyer = newUser({ first_name: "Kamola" });
  const other = newUser();
  const placed: number[] = [];

  const place = async (who = buyer) =>
    (
      await t
        .as(who)
        .post(
          "/api/orders",
          { items: [{ offer_id: shop.offers[0].id, quantity: 1 }], delivery_type: "pickup" },
          api.order,
        )
    ).body.id;

  beforeAll(async () => {
    t = await createTestApp(kind);
    shop = await makeShop(t);
    for (let i = 0; i < 7; i++) placed.push(await place());
    await place(other);
  });
  afterAll(async () => t?.close());

  it("walks every order once, newest first, and ends with next_cursor null", async () => {
    const seen: number[] = [];
    let url = "/api/orders?limit=3";
    for (let pages = 0; pages < 10; pages++) {
      const res = await t.as(buyer).get(url, api.orders);
      expect(res.status).toBe(200);
      expect(res.body.orders.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.orders.map((o) => o.id));
      if (res.body.next_cursor === null) break;
      url = `/api/orders?limit=3&cursor=${encodeURIComponent(res.body.next_cursor)}`;
    }
    expect(seen).toEqual([...placed].reverse());
  });

  it("keeps its place while new orders arrive and old ones change", async () => {
    const first = await t.as(buyer).get("/api/orders?limit=2", api.orders);
    const cursor = first.body.next_cursor as string;
    const newer = await place();
    await t.as(buyer).post(`/api/orders/${placed[6]}/cancel`, {});
    const second = await t
      .as(buyer)
      .get(`/api/orders?limit=2&cursor=${encodeURIComponent(cursor)}`, api.orders);
    expect(second.body.orders.map((o) => o.id)).toEqual([placed[4], placed[3]]);
    expect(second.body.orders.map((o) => o.id)).not.toContain(newer);
  });

  it("defaults to 50 a page and says when there is no more", async () => {
    const res = await t.as(buyer).get("/api/orders", api.orders);
    expect(res.body.orders.length).toBe(8);
    expect(res.body.next_cursor).toBeNull();
  });

  it("refuses bad limits and cursors it did not give out, or gave to another list", async () => {
    const mine = (await t.as(buyer).get("/api/orders?limit=1", api.orders)).body.next_cursor as string;
    const active = (await t.as(buyer).get("/api/orders?filter=active&limit=1", api.orders)).body
      .next_cursor as string;
    for (const [who, url] of [
      [buyer, "/api/orders?limit=0"],
      [buyer, "/api/orders?limit=1000"],
      [buyer, "/api/orders?limit=abc"],
      [buyer, "/api/orders?cursor=abc"],
      [buyer, `/api/orders?cursor=${"A".repeat(10_000)}`],
      [
        buyer,
        `/api/orders?cursor=${encodeURIComponent(`${Buffer.from("[999999]").toString("base64url")}.${mine.split(".")[1]}`)}`,
      ],
      [buyer, `/api/orders?filter=all&cursor=${encodeURIComponent(active)}`],
      [other, `/api/orders?cursor=${encodeURIComponent(mine)}`],
      [buyer, `/api/seller/orders?cursor=${encodeURIComponent(mine)}`],
    ] as const) {
      const res = await t.as(who).get(url);
      expect(res.status, url).toBe(400);
      expect(res.problem?.code, url).toBe("invalid_request");
    }
  });

  it("pages a shop's orders the same way", async () => {
    const first = await t.as(shop.owner).get("/api/seller/orders?limit=5", api.orders);
    expect(first.body.orders).toHaveLength(5);
    const rest = await t
      .as(shop.owner)
      .get(
        `/api/seller/orders?limit=5&cursor=${encodeURIComponent(first.body.next_cursor as string)}`,
        api.orders,
      );
    expect(rest.body.orders.length).toBe(4);
    expect(rest.body.next_cursor).toBeNull();
    expect(new Set([...first.body.orders, ...rest.body.orders].map((o) => o.id)).size).toBe(9);
  });
});
