/**
 * Times as the shop's clock shows them: every time a user reads (pickup windows, deadlines) is
 * shown in the shop's IANA time zone, not the device's or the server's. The bot writes 24-hour
 * `HH:MM` in every language (CONTRACT); the Mini App formats with `Intl` per language and zone.
 */

/** Whether `name` is an IANA time zone this runtime knows. */
export function isTimeZone(name: string): boolean {
  if (!name || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time of `at` in `timeZone`. */
export function zonedParts(
  at: Date | string | number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number } {
  let f = partsFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    partsFormats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `HH:MM`, 24-hour, in `timeZone`. */
export function formatClock(at: Date | string | number, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/**
 * `HH:MM` in `timeZone`, prefixed with the date (`DD.MM`) when that is not `now`'s date there, so a
 * window that closes tomorrow is not read as today's.
 */
export function formatClockOnDay(
  at: Date | string | number,
  timeZone: string,
  now: Date | number = Date.now(),
): string {
  const p = zonedParts(at, timeZone);
  const today = zonedParts(now, timeZone);
  const clock = `${pad(p.hour)}:${pad(p.minute)}`;
  return p.year === today.year && p.month === today.month && p.day === today.day
    ? clock
    : `${pad(p.day)}.${pad(p.month)} ${clock}`;
}
