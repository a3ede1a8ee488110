/** Colours of Telegram's light theme, handed to the Mini App as `tgWebAppThemeParams`. */
export const LIGHT_THEME = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#999999",
  link_color: "#2481cc",
  button_color: "#2481cc",
  button_text_color: "#ffffff",
  secondary_bg_color: "#efeff3",
  header_bg_color: "#ffffff",
  bottom_bar_bg_color: "#ffffff",
  accent_text_color: "#2481cc",
  section_bg_color: "#ffffff",
  section_header_text_color: "#6d6d72",
  section_separator_color: "#e7e7e7",
  subtitle_text_color: "#999999",
  destructive_text_color: "#ff3b30",
} as const;

/** Colours of Telegram's dark theme (night mode), as a client sends them. */
export const DARK_THEME = {
  bg_color: "#212121",
  text_color: "#ffffff",
  hint_color: "#aaaaaa",
  link_color: "#8cc4ff",
  button_color: "#3e88f7",
  button_text_color: "#ffffff",
  secondary_bg_color: "#0f0f0f",
  header_bg_color: "#212121",
  bottom_bar_bg_color: "#212121",
  accent_text_color: "#8cc4ff",
  section_bg_color: "#1c1c1d",
  section_header_text_color: "#8d8e93",
  section_separator_color: "#2c2c2e",
  subtitle_text_color: "#98989e",
  destructive_text_color: "#ff453a",
} as const;

export type SandboxTheme = "light" | "dark";

/**
 * The URL Telegram opens for a Mini App: the app URL with launch parameters in the fragment
 * (any fragment of the original URL is replaced, its query is kept), in the user's theme.
 */
export function miniAppUrl(
  appUrl: string,
  initData: string,
  startParam?: string,
  theme: SandboxTheme = "light",
): string {
  const base = appUrl.split("#")[0] ?? appUrl;
  const params = [
    `tgWebAppData=${encodeURIComponent(initData)}`,
    "tgWebAppVersion=8.0",
    "tgWebAppPlatform=web",
    `tgWebAppThemeParams=${encodeURIComponent(JSON.stringify(theme === "dark" ? DARK_THEME : LIGHT_THEME))}`,
  ];
  if (startParam) params.push(`tgWebAppStartParam=${encodeURIComponent(startParam)}`);
  return `${base}#${params.join("&")}`;
}

/** What a link in a chat means when the user taps it in Telegram. */
export type LinkAction =
  | { kind: "mini_app"; appUrl?: string; startParam?: string }
  | { kind: "start"; payload: string }
  | { kind: "open"; url: string };

/**
 * Interprets a `url` button or link: `t.me/<bot>?startapp=` and `t.me/<bot>/<app>?startapp=`
 * open the Mini App with a start parameter, `t.me/<bot>?start=` sends `/start <payload>`,
 * anything else just opens.
 */
export function interpretLink(url: string, botUsername: string): LinkAction {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: "open", url };
  }
  const host = parsed.hostname.toLowerCase();
  if (host !== "t.me" && host !== "telegram.me") return { kind: "open", url };
  const [name, app] = parsed.pathname.split("/").filter(Boolean);
  if (name?.toLowerCase() !== botUsername.toLowerCase()) return { kind: "open", url };
  const startapp = parsed.searchParams.get("startapp");
  if (startapp !== null || app)
    return startapp ? { kind: "mini_app", startParam: startapp } : { kind: "mini_app" };
  const start = parsed.searchParams.get("start");
  if (start !== null) return { kind: "start", payload: start };
  return { kind: "open", url };
}
