import { describe, expect, it } from "vitest";
import { repostShiftDays } from "./catalog.service.ts";

const H = 3_600_000;
const now = Date.parse("2026-12-07T12:00:00Z");
const at = (hours: number) => new Date(now + hours * H).toISOString();

describe("post again: the next window that has not closed", () => {
  it("moves yesterday evening's window to this evening, and one that closed an hour ago to tomorrow", () => {
    expect(repostShiftDays({ pickup_from: at(-18), pickup_until: at(-15), expires_at: null }, now)).toBe(1);
    expect(repostShiftDays({ pickup_from: at(-4), pickup_until: at(-1), expires_at: null }, now)).toBe(1);
    expect(repostShiftDays({ pickup_from: at(-60), pickup_until: at(-57), expires_at: null }, now)).toBe(3);
  });
  it("keeps a window still ahead (a sold-out offer) and an offer without times", () => {
    expect(repostShiftDays({ pickup_from: at(2), pickup_until: at(5), expires_at: null }, now)).toBe(0);
    expect(repostShiftDays({ pickup_from: null, pickup_until: null, expires_at: null }, now)).toBe(0);
  });
  it("uses the expiry when there is no window", () => {
    expect(repostShiftDays({ pickup_from: null, pickup_until: null, expires_at: at(-30) }, now)).toBe(2);
  });
});
