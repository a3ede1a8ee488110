import { formatSom, type Lang, type MessageKey, type MessageParams, t as translate } from "@lastbite/shared";
import { createContext, useContext } from "react";

export const LangContext = createContext<Lang>("en");

export interface I18n {
  lang: Lang;
  t: (key: MessageKey, params?: MessageParams) => string;
  som: (amount: number) => string;
  time: (iso: string) => string;
  dateTime: (iso: string) => string;
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
