import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cursors } from "./cursor.ts";

describe("Cursors", () => {
  const cursors = new Cursors("123:secret");

  it("gives back the position it encoded, for the same list only", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { maxLength: 4 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (position, scope) => {
          const c = cursors.encode(scope, position);
          expect(cursors.decode(scope, c)).toEqual({ ok: true, value: position });
          expect(cursors.decode(`${scope}x`, c).ok).toBe(false);
        },
      ),
    );
  });

  it("refuses forged, altered and foreign cursors", () => {
    const c = cursors.encode("orders:1:all", [42]);
    const [body, mac] = c.split(".") as [string, string];
    const forgedBody = Buffer.from("[1]").toString("base64url");
    for (const bad of [
      "",
      "abc",
      `${forgedBody}.${mac}`,
      `${body}.${mac.slice(0, -1)}A`,
      `${body}.${mac}.x`,
      new Cursors("other-token").encode("orders:1:all", [42]),
      "x".repeat(10_000),
    ])
      expect(cursors.decode("orders:1:all", bad)).toMatchObject({ ok: false, code: "invalid_request" });
  });
});
