import { describe, expect, it } from "vitest";
import { ORDER_STATUSES } from "../order-status.ts";
import { en, LANGS, type MessageKey, messages, pickLang, t } from "./index.ts";

describe("i18n", () => {
  it("picks ru and uz from Telegram language codes, English otherwise", () => {
    expect(pickLang("ru")).toBe("ru");
    expect(pickLang("uz-UZ")).toBe("uz");
    expect(pickLang("UZ")).toBe("uz");
    expect(pickLang("en-US")).toBe("en");
    expect(pickLang("de")).toBe("en");
    expect(pickLang(undefined)).toBe("en");
    expect(pickLang(null)).toBe("en");
  });

  it("interpolates {name} placeholders and keeps unknown ones", () => {
    expect(t("en", "app.offer.left", { count: 3 })).toBe("3 left");
    expect(t("ru", "app.orders.number", { id: 7 })).toBe("Заказ №7");
    expect(t("en", "app.offer.left")).toBe("{count} left");
  });

  it("falls back to English for a key missing in ru/uz", () => {
    const key = "app.name" as MessageKey;
    const saved = messages.uz[key];
    delete messages.uz[key];
    expect(t("uz", key)).toBe(en[key]);
    messages.uz[key] = saved;
  });

  it("names every order status in every language", () => {
    for (const lang of LANGS)
      for (const s of ORDER_STATUSES)
        expect(messages[lang][`status.${s}`], `${lang} status.${s}`).toBeTruthy();
  });

  it("uses the same placeholders in every translation", () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const lang of LANGS)
      for (const [key, text] of Object.entries(messages[lang]))
        expect(names(text as string), `${lang} ${key}`).toEqual(names(en[key as MessageKey]));
  });
});
