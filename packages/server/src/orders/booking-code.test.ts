import { CODE_ALPHABET, extractBookingCode } from "@lastbite/shared";
import { describe, expect, it } from "vitest";
import { newBookingCode } from "./booking-code.ts";

describe("booking codes", () => {
  it("are 6 characters with no look-alikes", () => {
    expect(CODE_ALPHABET).not.toMatch(/[01OIL]/);
    for (let i = 0; i < 2000; i++) expect(newBookingCode()).toMatch(/^[2-9A-HJKMNP-Z]{6}$/);
  });

  it("rarely repeat (random, not sequential)", () => {
    const seen = new Set(Array.from({ length: 5000 }, newBookingCode));
    expect(seen.size).toBeGreaterThan(4990);
  });

  it("are read back from typed or scanned text", () => {
    expect(extractBookingCode("k7qx2m")).toBe("K7QX2M");
    expect(extractBookingCode(" K7Q-X2M ")).toBe("K7QX2M");
    expect(extractBookingCode("lastbite:42:K7QX2M")).toBe("K7QX2M");
    expect(extractBookingCode("K7QX2")).toBeNull();
    expect(extractBookingCode("K7QX2O")).toBeNull();
  });
});
