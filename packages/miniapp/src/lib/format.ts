import { formatQuantity, type Unit } from "@lastbite/shared";
import type { I18n } from "./i18n.tsx";

/** A line's quantity as item lists show it: "×2" for pieces, "1.5 kg" otherwise. */
export function lineQuantity(q: number, unit: Unit): string {
  const text = formatQuantity(q, unit);
  return unit === "piece" ? `×${text}` : text;
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
