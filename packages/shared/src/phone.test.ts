import { describe, expect, it } from "vitest";
import { formatPhone, normalizePhone } from "./phone.ts";

describe("normalizePhone", () => {
  it("accepts the common Uzbek ways of writing a number", () => {
    for (const s of [
      "(90) 123-45-67",
      "90 123 45 67",
      "901234567",
      "+998901234567",
      "+998 (90) 123 45 67",
      "998 90 123 45 67",
      "8 90 123-45-67",
      " 90-123-45-67 ",
    ])
      expect(normalizePhone(s), s).toBe("+998901234567");
    expect(normalizePhone("71 200 00 00")).toBe("+998712000000");
  });

  it("accepts other countries only with their code and only when valid there", () => {
    expect(normalizePhone("+7 912 345 67 89")).toBe("+79123456789");
    expect(normalizePhone("+44 20 7946 0958")).toBe("+442079460958");
    expect(normalizePhone("+7 123")).toBeNull();
    expect(normalizePhone("+1 000 000 0000")).toBeNull();
  });

  it("refuses what is not a phone number", () => {
    for (const s of [
      "",
      "12",
      "+998 12 345",
      "call me",
      "90 123 45 67 ext 5",
      "+998901234567890",
      "++998901234567",
    ])
      expect(normalizePhone(s), s).toBeNull();
  });
});

describe("formatPhone", () => {
  it("shows an E.164 number grouped as people read it", () => {
    expect(formatPhone("+998901234567")).toBe("+998 90 123 45 67");
    expect(formatPhone("+79123456789")).toBe("+7 912 345 67 89");
    expect(formatPhone("not a number")).toBe("not a number");
  });
});
