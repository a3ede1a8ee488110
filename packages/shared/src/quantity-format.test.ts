import { describe, expect, it } from "vitest";
import { formatAmount, formatNumber, perUnit, unitName } from "./quantity-format.ts";

const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("quantity formats per language", () => {
  it("writes decimals and thousands as each language does", () => {
    expect(formatNumber("en", 25.5)).toBe("25.5");
    expect(formatNumber("ru", 25.5)).toBe("25,5");
    expect(formatNumber("uz", 25.5)).toBe("25,5");
    expect(nb(formatNumber("ru", 10000))).toBe("10 000");
    expect(formatNumber("en", 2)).toBe("2");
  });

  it("names units in the language, with plural forms for pieces", () => {
    expect(nb(formatAmount("ru", 25.5, "kg"))).toBe("25,5 кг");
    expect(nb(formatAmount("uz", 15, "kg"))).toBe("15 kg");
    expect(nb(formatAmount("en", 1.5, "l"))).toBe("1.5 l");
    expect(nb(formatAmount("ru", 1, "piece"))).toBe("1 штука");
    expect(nb(formatAmount("ru", 3, "piece"))).toBe("3 штуки");
    expect(nb(formatAmount("ru", 5, "piece"))).toBe("5 штук");
    expect(nb(formatAmount("ru", 21, "piece"))).toBe("21 штука");
    expect(nb(formatAmount("en", 1, "piece"))).toBe("1 piece");
    expect(nb(formatAmount("en", 2, "piece"))).toBe("2 pieces");
    expect(nb(formatAmount("uz", 2, "piece"))).toBe("2 dona");
    expect(unitName("ru", "l")).toBe("л");
  });

  it("writes a price per kg or l without spaces around the slash", () => {
    expect(perUnit("ru", "10 000 сум", "kg")).toBe("10 000 сум/кг");
    expect(perUnit("uz", "10 000 so'm", "l")).toBe("10 000 so'm/l");
    expect(perUnit("en", "6 000 so'm", "piece")).toBe("6 000 so'm");
  });
});
