import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.ts";
import { refreshDemoOffers, seedIfEmpty } from "../src/db/seed.ts";
import { freshDatabase } from "./helpers.ts";

describe("demo seed", () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await freshDatabase("pglite"));
  });
  afterAll(async () => drop?.());

  it("seeds shops and offers once", async () => {
    expect(await seedIfEmpty(db)).toBe(true);
    expect(await seedIfEmpty(db)).toBe(false);
    const [row] = await db.query<{ stores: number; offers: number }>(
      "select (select count(*)::int from stores) as stores, (select count(*)::int from offers) as offers",
    );
    expect(row?.stores).toBeGreaterThanOrEqual(3);
    expect(row?.offers).toBeGreaterThanOrEqual(8);
  });

  it("gives stale demo offers today's pickup window again, and leaves fresh ones alone", async () => {
    expect(await refreshDemoOffers(db)).toBe(0);
    await db.query(
      "update offers set pickup_until = now() - interval '1 day', expires_at = now() - interval '1 day' where id = 1",
    );
    expect(await refreshDemoOffers(db)).toBe(1);
    const [o] = await db.query<{ fresh: boolean }>(
      "select expires_at > now() and pickup_until > now() as fresh from offers where id = 1",
    );
    expect(o?.fresh).toBe(true);
  });
});
