import { isOnSale } from "@lastbite/shared";
import fc from "fast-check";
import { type Expression, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offerOpen, onSale } from "../src/catalog/offer-rules.sql.ts";
import type { Database } from "../src/db/database.ts";
import { kysely } from "../src/db/kysely.ts";
import { DATABASES, freshDatabase } from "./helpers.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** What the rule reads of an offer, with its times as offsets (ms) from the instant it is judged at. */
const offerAt = (offset: fc.Arbitrary<number>) =>
  fc.record({
    active: fc.boolean(),
    // numeric(12,1): sold out, whole pieces, and tenths of a kg or l
    quantity: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 100_000 }).map((n) => n / 10),
    ),
    expires_at: fc.option(offset, { nil: null }),
    pickup_until: fc.option(offset, { nil: null }),
  });

/** Any offset: exactly now and a millisecond either side (the boundary), else up to a year away. */
const anyOffset = fc.oneof(fc.constantFrom(0, -1, 1), fc.integer({ min: -365 * DAY, max: 365 * DAY }));
/** Offsets too far from now for the database's clock and ours to disagree about past and future. */
const clearOffset = fc.integer({ min: MINUTE, max: 365 * DAY }).chain((ms) => fc.constantFrom(ms, -ms));

/**
 * The shared `isOnSale()` (what the Mini App shows, what the API validates against) and its SQL twins
 * in offer-rules.sql.ts (what `GET /api/offers` lists, what an order may take) give the same answer.
 */
describe.each(DATABASES)("the on-sale rule in SQL and in TypeScript on %s", (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  let storeId: number;

  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(kind));
    const k = kysely(db);
    await k.insertInto("users").values({ id: 42, first_name: "Owner" }).execute();
    storeId = (
      await k
        .insertInto("stores")
        .values({ owner_id: 42, name: "Shop", address: "Tashkent", phone: "+998901234567" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => drop?.());

  type RandomOffer = {
    active: boolean;
    quantity: number;
    expires_at: number | null;
    pickup_until: number | null;
  };

  /** Stores the offers with their times `offset` ms from `now`, and reads each back with the SQL's answers. */
  async function judge(offers: RandomOffer[], now: number, nowSql?: Expression<Date>) {
    const k = kysely(db);
    const at = (offset: number | null) => (offset === null ? null : new Date(now + offset).toISOString());
    const ids = await k
      .insertInto("offers")
      .values(
        offers.map((o) => ({
          store_id: storeId,
          title: "Offer",
          price: 1000,
          quantity: o.quantity,
          active: o.active,
          expires_at: at(o.expires_at),
          pickup_until: at(o.pickup_until),
        })),
      )
      .returning("id")
      .execute();
    const rows = await k
      .selectFrom("offers")
      .select((eb) => [
        "id",
        "active",
        "quantity",
        "expires_at",
        "pickup_until",
        onSale(eb, nowSql).as("on_sale"),
        offerOpen(eb, nowSql).as("open"),
      ])
      .where(
        "id",
        "in",
        ids.map((r) => r.id),
      )
      .orderBy("id")
      .execute();
    expect(rows.map((r) => r.quantity)).toEqual(offers.map((o) => o.quantity));
    for (const r of rows) {
      const offer = {
        ...r,
        expires_at: r.expires_at?.toISOString() ?? null,
        pickup_until: r.pickup_until?.toISOString() ?? null,
      };
      expect({ id: r.id, on_sale: r.on_sale, open: r.open }).toEqual({
        id: r.id,
        on_sale: isOnSale(offer, now),
        // "open" is the rule stock aside
        open: isOnSale({ ...offer, quantity: 1 }, now),
      });
    }
  }

  it("agrees at any pinned instant, to the millisecond at the boundaries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(offerAt(anyOffset), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: Date.parse("2000-01-01T00:00:00Z"), max: Date.parse("2100-01-01T00:00:00Z") }),
        async (offers, now) => judge(offers, now, sql<Date>`${new Date(now).toISOString()}::timestamptz`),
      ),
    );
  });

  it("agrees that a shop that is not active sells nothing, whatever the offer", async () => {
    const k = kysely(db);
    for (const status of ["pending", "active", "rejected", "suspended"] as const) {
      const shop = await k
        .insertInto("stores")
        .values({ owner_id: 42, name: status, address: "Tashkent", phone: "+998901234567", status })
        .returning("id")
        .executeTakeFirstOrThrow();
      const offer = await k
        .insertInto("offers")
        .values({ store_id: shop.id, title: "Offer", price: 1000, quantity: 3 })
        .returning("id")
        .executeTakeFirstOrThrow();
      const row = await k
        .selectFrom("offers")
        .select((eb) => [onSale(eb).as("on_sale"), offerOpen(eb).as("open")])
        .where("id", "=", offer.id)
        .executeTakeFirstOrThrow();
      const ts = isOnSale({ quantity: 3, expires_at: null, pickup_until: null, store_status: status });
      expect({ status, ...row }).toEqual({ status, on_sale: ts, open: ts });
      expect(ts).toBe(status === "active");
    }
  });

  it("agrees on the database's own clock, as the catalogue and order placement use it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(offerAt(clearOffset), { minLength: 1, maxLength: 20 }), async (offers) =>
        judge(offers, Date.now()),
      ),
    );
  });
});
