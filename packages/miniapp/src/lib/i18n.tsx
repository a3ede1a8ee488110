import {
  formatSom,
  type Lang,
  type MessageKey,
  type MessageParams,
  t as translate,
  zonedParts,
} from "@lastbite/shared";
import { createContext, useContext } from "react";

export const LangContext = createContext<Lang>("en");

export interface I18n {
  lang: Lang;
  t: (key: MessageKey, params?: MessageParams) => string;
  som: (amount: number) => string;
  time: (iso: string) => string;
  dateTime: (iso: string) => string;
  /** The time as the clock in `timeZone` (the shop's) shows it, in this language's format. */
  timeIn: (iso: string, timeZone: string) => string;
  /** "today 18:00" / "tomorrow 09:00" / "5 Jan 18:00", days and time as in `timeZone`. */
  dateTimeIn: (iso: string, timeZone: string, now?: number) => string;
  /** A length of time: "45 s", "42 min", "1 h 5 min". */
  duration: (ms: number) => string;
}

const locales: Record<Lang, string> = { en: "en-GB", ru: "ru-RU", uz: "uz-Latn-UZ" };

function dayWord(lang: Lang, d: Date): string | null {
  const today = new Date();
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  const diff = Math.floor((d.getTime() - start) / 86_400_000);
  if (diff === 0) return translate(lang, "app.today");
  if (diff === 1) return translate(lang, "app.tomorrow");
  return null;
}

/** Whole days from `now`'s date to `at`'s date, both as dates in `timeZone`. */
function daysApart(at: Date, now: number, timeZone: string): number {
  const day = (v: Date | number) => {
    const p = zonedParts(v, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day);
  };
  return Math.round((day(at) - day(now)) / 86_400_000);
}

const zoned = new Map<string, { time: Intl.DateTimeFormat; date: Intl.DateTimeFormat }>();
function zonedFormats(lang: Lang, timeZone: string) {
  const key = `${lang} ${timeZone}`;
  let f = zoned.get(key);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat(locales[lang], {
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZone,
      }),
      date: new Intl.DateTimeFormat(locales[lang], { day: "numeric", month: "short", timeZone }),
    };
    zoned.set(key, f);
  }
  return f;
}

export function makeI18n(lang: Lang): I18n {
  const timeFmt = new Intl.DateTimeFormat(locales[lang], { hour: "2-digit", minute: "2-digit" });
  const dateFmt = new Intl.DateTimeFormat(locales[lang], { day: "numeric", month: "short" });
  return {
    lang,
    t: (key, params) => translate(lang, key, params),
    som: (amount) => formatSom(amount, lang),
    time: (iso) => timeFmt.format(new Date(iso)),
    dateTime: (iso) => {
      const d = new Date(iso);
      return `${dayWord(lang, d) ?? dateFmt.format(d)} ${timeFmt.format(d)}`;
    },
    timeIn: (iso, timeZone) => zonedFormats(lang, timeZone).time.format(new Date(iso)),
    dateTimeIn: (iso, timeZone, now = Date.now()) => {
      const d = new Date(iso);
      const f = zonedFormats(lang, timeZone);
      const apart = daysApart(d, now, timeZone);
      const day =
        apart === 0
          ? translate(lang, "app.today")
          : apart === 1
            ? translate(lang, "app.tomorrow")
            : f.date.format(d);
      return `${day} ${f.time.format(d)}`;
    },
    duration: (ms) => {
      const s = Math.max(0, Math.ceil(ms / 1000));
      if (s < 60) return translate(lang, "app.duration.seconds", { s });
      const m = Math.ceil(s / 60);
      if (m < 60) return translate(lang, "app.duration.minutes", { m });
      return translate(lang, "app.duration.hours", { h: Math.floor(m / 60), m: m % 60 });
    },
  };
}

export function useI18n(): I18n {
  const lang = useContext(LangContext);
  return cached(lang);
}

const cache = new Map<Lang, I18n>();
function cached(lang: Lang): I18n {
  let v = cache.get(lang);
  if (!v) {
    v = makeI18n(lang);
    cache.set(lang, v);
  }
  return v;
}

/** Words, not codes: the message for an API error code. */
export function errorText(i18n: I18n, code: string): string {
  const key = `app.error.${code}` as MessageKey;
  const text = i18n.t(key);
  return text === key ? i18n.t("app.error.generic") : text;
}
