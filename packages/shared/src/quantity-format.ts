import { type Lang, type MessageKey, t } from "./i18n/index.ts";
import type { Unit } from "./order-status.ts";

/** The Intl locale of each language: number separators, plural rules, dates. */
export const LOCALES: Record<Lang, string> = { en: "en-GB", ru: "ru-RU", uz: "uz-Latn-UZ" };

/**
 * The locale for numbers. Uzbek writes "25,5" and "10 000" (CLDR), but Chromium's ICU answers
 * "25.5" for uz while claiming to support it; Russian has the same separators, so uz borrows them.
 */
function numberLocale(lang: Lang): string {
  return lang === "uz" ? LOCALES.ru : LOCALES[lang];
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const pluralRules = new Map<Lang, Intl.PluralRules>();

/** A number as the language writes it: "25.5" (en), "25,5" (ru, uz); at most `maxFraction` decimals. */
export function formatNumber(lang: Lang, n: number, maxFraction = 1): string {
  const key = `${lang}:${maxFraction}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(numberLocale(lang), { maximumFractionDigits: maxFraction });
    numberFormats.set(key, f);
  }
  return f.format(n);
}

/** The plural category of `n` in `lang` (Intl.PluralRules): one, few, many, other… */
export function pluralCategory(lang: Lang, n: number): Intl.LDMLPluralRule {
  let r = pluralRules.get(lang);
  if (!r) {
    r = new Intl.PluralRules(LOCALES[lang]);
    pluralRules.set(lang, r);
  }
  return r.select(n);
}

/**
 * Picks `<base>.<category>` for `n` (`one`, `few`, `many`, `other`), falling back to
 * `<base>.other`: the catalogue says "1 штука", "3 штуки", "5 штук" without the code knowing Russian.
 */
export function pluralKey(lang: Lang, base: string, n: number): MessageKey {
  const exact = `${base}.${pluralCategory(lang, n)}` as MessageKey;
  return t(lang, exact) === exact ? (`${base}.other` as MessageKey) : exact;
}

/** The unit's name for `quantity` of it: "кг", "l", "3 штуки" → "штуки". */
export function unitName(lang: Lang, unit: Unit, quantity = 1): string {
  if (unit === "piece") return t(lang, pluralKey(lang, "unit.piece", quantity));
  return t(lang, unit === "kg" ? "unit.kg" : "unit.l");
}

/** A quantity in its unit, in the language: "25,5 кг", "3 штуки", "1.5 kg", "2 dona". */
export function formatAmount(lang: Lang, quantity: number, unit: Unit): string {
  return `${formatNumber(lang, quantity)}\u00a0${unitName(lang, unit, quantity)}`;
}

/** A price per unit of weight or volume: "10 000 сум/кг"; a piece's price stands alone. */
export function perUnit(lang: Lang, price: string, unit: Unit): string {
  return unit === "piece" ? price : `${price}/${unitName(lang, unit)}`;
}
