import { describe, expect, it } from "vitest";
import { formatClock, formatClockOnDay, isTimeZone, zonedParts } from "./time.ts";

describe("times in the shop's zone", () => {
  // 2026-03-29 is the night Europe moves its clocks; Tashkent (UTC+5) has no DST at all.
  it("Asia/Tashkent is UTC+5 all year: winter and summer read the same offset", () => {
    expect(formatClock("2026-01-15T13:05:00Z", "Asia/Tashkent")).toBe("18:05");
    expect(formatClock("2026-07-15T13:05:00Z", "Asia/Tashkent")).toBe("18:05");
    expect(formatClock("2026-03-29T01:30:00Z", "Asia/Tashkent")).toBe("06:30");
  });

  it("a second zone: Europe/Moscow (UTC+3, no DST) and America/New_York (with DST)", () => {
    expect(formatClock("2026-01-15T13:05:00Z", "Europe/Moscow")).toBe("16:05");
    expect(formatClock("2026-07-15T13:05:00Z", "Europe/Moscow")).toBe("16:05");
    expect(formatClock("2026-01-15T13:05:00Z", "America/New_York")).toBe("08:05");
    expect(formatClock("2026-07-15T13:05:00Z", "America/New_York")).toBe("09:05");
  });

  it("is 24-hour with two digits, midnight as 00", () => {
    expect(formatClock("2026-01-15T19:00:00Z", "Asia/Tashkent")).toBe("00:00");
    expect(formatClock("2026-01-15T04:07:00Z", "Asia/Tashkent")).toBe("09:07");
  });

  it("adds the date when the time is on another day in that zone than now", () => {
    const now = Date.parse("2026-01-15T12:00:00Z"); // 17:00 in Tashkent
    expect(formatClockOnDay("2026-01-15T14:00:00Z", "Asia/Tashkent", now)).toBe("19:00");
    // 20:00 UTC is already the 16th in Tashkent, still the 15th in New York
    expect(formatClockOnDay("2026-01-15T20:00:00Z", "Asia/Tashkent", now)).toBe("16.01 01:00");
    expect(formatClockOnDay("2026-01-15T20:00:00Z", "America/New_York", now)).toBe("15:00");
  });

  it("knows IANA zones and refuses anything else", () => {
    expect(isTimeZone("Asia/Tashkent")).toBe(true);
    expect(isTimeZone("Europe/Moscow")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
    expect(zonedParts("2026-01-15T19:30:00Z", "Asia/Tashkent")).toEqual({
      year: 2026,
      month: 1,
      day: 16,
      hour: 0,
      minute: 30,
    });
  });
});
