/** Telegram's launch parameters, as handed to a Mini App in the URL fragment. */
export interface TelegramUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface LaunchParams {
  /** Raw `tgWebAppData`: what the server verifies (`Authorization: tma <initData>`). */
  initData: string;
  user: TelegramUser | null;
  startParam: string | null;
  version: string;
  platform: string;
  themeParams: Record<string, string>;
}

const STORAGE_KEY = "lastbite.launch";

function parse(raw: string): LaunchParams | null {
  const p = new URLSearchParams(raw);
  const initData = p.get("tgWebAppData");
  if (!initData) return null;
  const data = new URLSearchParams(initData);
  let user: TelegramUser | null = null;
  try {
    const u = data.get("user");
    user = u ? (JSON.parse(u) as TelegramUser) : null;
  } catch {
    user = null;
  }
  let themeParams: Record<string, string> = {};
  try {
    const theme = p.get("tgWebAppThemeParams");
    if (theme) themeParams = JSON.parse(theme) as Record<string, string>;
  } catch {
    themeParams = {};
  }
  return {
    initData,
    user,
    startParam: p.get("tgWebAppStartParam") ?? data.get("start_param"),
    version: p.get("tgWebAppVersion") ?? "6.0",
    platform: p.get("tgWebAppPlatform") ?? "unknown",
    themeParams,
  };
}

function safeSession(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/**
 * Reads the launch parameters from `location.hash` (falling back to the query string, where some
 * clients put `tgWebAppStartParam`), and keeps the raw string in sessionStorage: in-app navigation
 * and reloads may lose the fragment, the session must not.
 */
export function readLaunchParams(): LaunchParams | null {
  const hash = window.location.hash.slice(1);
  const store = safeSession();
  let raw: string | null = null;
  if (hash.includes("tgWebAppData=")) {
    raw = hash;
    // The bot's web_app buttons carry `?startapp=order_42` in the query; t.me links arrive as
    // tgWebAppStartParam (in the fragment, or the query on some clients).
    const search = new URLSearchParams(window.location.search);
    const start = search.get("tgWebAppStartParam") ?? search.get("startapp");
    if (start && !hash.includes("tgWebAppStartParam="))
      raw += `&tgWebAppStartParam=${encodeURIComponent(start)}`;
    store?.setItem(STORAGE_KEY, raw);
  } else {
    raw = store?.getItem(STORAGE_KEY) ?? null;
  }
  return raw ? parse(raw) : null;
}
