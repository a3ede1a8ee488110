import fc from "fast-check";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { isoFromPostgres, TIMESTAMPTZ } from "./timestamps.ts";

const slow = (text: string) =>
  (pg.types.getTypeParser(TIMESTAMPTZ) as (t: string) => Date)(text).toISOString();
const pad = (v: number, n = 2) => String(v).padStart(n, "0");

/** What PostgreSQL writes for a time, with DateStyle ISO, at a UTC offset of `offsetMin` minutes. */
function postgresText(ms: number, micros: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const frac = `${pad(d.getUTCMilliseconds(), 3)}${pad(micros, 3)}`.replace(/0+$/, "");
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${pad(Math.floor(abs / 60))}${abs % 60 ? `:${pad(abs % 60)}` : ""}`;
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac ? `.${frac}` : ""}${offset}`;
}

describe("isoFromPostgres", () => {
  it("gives what parsing to a Date and toISOString give, for any time and offset", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31) }),
        fc.integer({ min: 0, max: 999 }),
        fc.oneof(fc.constant(0), fc.integer({ min: -12 * 60, max: 14 * 60 })),
        (ms, micros, offset) => {
          const text = postgresText(ms, micros, offset);
          expect(isoFromPostgres(text)).toBe(slow(text));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("reads the shapes a UTC session writes", () => {
    expect(isoFromPostgres("2026-12-07 16:27:04.112572+00")).toBe("2026-12-07T16:27:04.112Z");
    expect(isoFromPostgres("2026-12-07 16:27:04.1+00")).toBe("2026-12-07T16:27:04.100Z");
    expect(isoFromPostgres("2026-12-07 16:27:04.09+00")).toBe("2026-12-07T16:27:04.090Z");
    expect(isoFromPostgres("2026-12-07 16:27:04+00")).toBe("2026-12-07T16:27:04.000Z");
    expect(isoFromPostgres("2026-12-07 21:27:04.5+05")).toBe("2026-12-07T16:27:04.500Z");
    expect(isoFromPostgres("2026-12-07 21:57:04+05:30")).toBe("2026-12-07T16:27:04.000Z");
  });
});
