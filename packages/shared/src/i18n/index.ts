import { en, type MessageKey } from "./en.ts";
import { ru } from "./ru.ts";
import { uz } from "./uz.ts";

export type { MessageKey } from "./en.ts";
export { en, ru, uz };

export type Lang = "en" | "ru" | "uz";
export const LANGS: readonly Lang[] = ["en", "ru", "uz"];
export type Messages = Partial<Record<MessageKey, string>>;
export type MessageParams = Record<string, string | number>;

/** Every language's messages; en is complete, ru and uz fall back to en key by key. */
export const messages: Record<Lang, Messages> = { en, ru, uz };

/** Maps a Telegram `language_code` ("ru", "uz", "en-US", …) to a supported language; English otherwise. */
export function pickLang(languageCode?: string | null): Lang {
  const base = (languageCode ?? "").toLowerCase().split(/[-_]/)[0];
  return base === "ru" || base === "uz" ? base : "en";
}

/** Translates `key` into `lang`, filling `{name}` placeholders from `params`. Unknown keys come back as-is. */
export function t(lang: Lang, key: MessageKey, params?: MessageParams): string {
  const template: string = messages[lang][key] ?? en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}
