import { formatAmount, formatNumber, perUnit, type Unit } from "@lastbite/shared";
import type { I18n } from "./i18n.tsx";

/*
 * How the Mini App writes numbers, quantities and units: Intl.NumberFormat for the separators
 * ("25,5" in ru and uz), catalogue names for units ("кг", "dona"), Intl.PluralRules for counts
 * ("3 штуки", "5 штук"). The rules live in packages/shared (quantity-format.ts), so the bot's
 * messages say the same; these are the Mini App's shapes of them.
 */

/** A quantity in its unit: "25,5 кг", "3 pieces", "2 dona". */
export function amount(i18n: I18n, q: number, unit: Unit): string {
  return formatAmount(i18n.lang, q, unit);
}

/** A line's quantity as item lists show it: "×2" for pieces, "1,5 кг" otherwise. */
export function lineQuantity(i18n: I18n, q: number, unit: Unit): string {
  return unit === "piece" ? `×${formatNumber(i18n.lang, q)}` : formatAmount(i18n.lang, q, unit);
}

/** What a stepper shows: the bare count for pieces, the amount with its unit otherwise. */
export function stepperValue(i18n: I18n, q: number, unit: Unit): string {
  return unit === "piece" ? formatNumber(i18n.lang, q) : formatAmount(i18n.lang, q, unit);
}

/** A price per kg or l ("10 000 сум/кг"); a piece's price as it is. */
export function unitPrice(i18n: I18n, price: number, unit: Unit): string {
  return perUnit(i18n.lang, i18n.som(price), unit);
}

/**
 * "today 18:00–21:00", "from tomorrow 09:00", or null when the shop gave no window; in the shop's
 * time zone when it is known (else the device's, until it is).
 */
export function pickupWindow(
  i18n: I18n,
  from: string | null,
  until: string | null,
  timeZone?: string | null,
): string | null {
  const dateTime = (v: string) => (timeZone ? i18n.dateTimeIn(v, timeZone) : i18n.dateTime(v));
  const time = (v: string) => (timeZone ? i18n.timeIn(v, timeZone) : i18n.time(v));
  if (from && until) return `${dateTime(from)}–${time(until)}`;
  if (from) return i18n.t("app.offer.pickupFrom", { time: dateTime(from) });
  if (until) return i18n.t("app.offer.pickupUntil", { time: dateTime(until) });
  return null;
}
