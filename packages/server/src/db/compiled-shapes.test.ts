import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { CompiledShapes } from "./compiled-shapes.ts";
import { kysely } from "./kysely.ts";

const db = kysely({ query: async () => [] });

describe("CompiledShapes", () => {
  it("compiles a shape once and fills each call's values in", () => {
    const shapes = new CompiledShapes();
    let builds = 0;
    const build = (slot: <T>(n: string) => T) => {
      builds++;
      return db
        .selectFrom("offers")
        .select("id")
        .where("store_id", "=", slot<number>("store"))
        .where(sql<boolean>`price < ${slot<number>("price")}`)
        .limit(sql.lit(5) as never);
    };
    const a = shapes.fill("s", build, { store: 7, price: 100 });
    const b = shapes.fill("s", build, { store: 8, price: 50 });
    expect(builds).toBe(1);
    expect(a.sql).toBe(b.sql);
    expect(a.parameters).toEqual([7, 100]);
    expect(b.parameters).toEqual([8, 50]);
  });

  it("refuses a call that leaves a value out, and stops keeping shapes past its limit", () => {
    const shapes = new CompiledShapes(1);
    let builds = 0;
    const build = (slot: <T>(n: string) => T) => {
      builds++;
      return db.selectFrom("offers").select("id").where("id", "=", slot<number>("id"));
    };
    expect(() => shapes.fill("x", build, {})).toThrow(/no value for id/);
    shapes.fill("y", build, { id: 1 });
    shapes.fill("y", build, { id: 2 });
    expect(builds).toBe(3);
  });
});
