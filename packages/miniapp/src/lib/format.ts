import { formatQuantity, type Unit } from "@lastbite/shared";
import type { I18n } from "./i18n.tsx";

/** A line's quantity as item lists show it: "×2" for pieces, "1.5 kg" otherwise. */
export function lineQuantity(q: number, unit: Unit): string {
  const text = formatQuantity(q, unit);
  return unit === "piece" ? `×${text}` : text;
}

/** "today 18:00–21:00", "from tomorrow 09:00", or null when the shop gave no window. */
export function pickupWindow(i18n: I18n, from: string | null, until: string | null): string | null {
  if (from && until) return `${i18n.dateTime(from)}–${i18n.time(until)}`;
  if (from) return i18n.t("app.offer.pickupFrom", { time: i18n.dateTime(from) });
  if (until) return i18n.t("app.offer.pickupUntil", { time: i18n.dateTime(until) });
  return null;
}
