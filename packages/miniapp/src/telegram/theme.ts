import { on, postEvent, supports } from "./bridge.ts";

/** Telegram's light palette: used for any key the client does not send. */
const LIGHT: Record<string, string> = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#8e8e93",
  link_color: "#2481cc",
  button_color: "#2ea043",
  button_text_color: "#ffffff",
  secondary_bg_color: "#f1f1f4",
  header_bg_color: "#ffffff",
  bottom_bar_bg_color: "#ffffff",
  accent_text_color: "#2481cc",
  section_bg_color: "#ffffff",
  section_header_text_color: "#6d6d72",
  section_separator_color: "#e6e6eb",
  subtitle_text_color: "#8e8e93",
  destructive_text_color: "#e53935",
};

const DARK_FILL: Record<string, string> = {
  secondary_bg_color: "#0f0f0f",
  section_bg_color: "#1c1c1d",
  section_separator_color: "#2c2c2e",
  section_header_text_color: "#8d8e93",
  subtitle_text_color: "#8d8e93",
  bottom_bar_bg_color: "#1c1c1d",
};

function isDark(hex: string | undefined): boolean {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex ?? "");
  if (!m?.[1]) return false;
  const n = Number.parseInt(m[1], 16);
  const lum = 0.2126 * ((n >> 16) & 255) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255);
  return lum < 128;
}

/** Maps theme params to `--tg-theme-*` variables and a light/dark `color-scheme`. */
export function applyTheme(params: Record<string, string>): void {
  const dark = isDark(params.bg_color);
  const merged: Record<string, string> = { ...LIGHT, ...(dark ? DARK_FILL : {}), ...params };
  const root = document.documentElement;
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value === "string") root.style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
  }
  root.dataset.theme = dark ? "dark" : "light";
  root.style.colorScheme = dark ? "dark" : "light";
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", merged.bg_color ?? "#fff");
  postEvent("web_app_set_header_color", { color: merged.secondary_bg_color });
  postEvent("web_app_set_background_color", { color: merged.secondary_bg_color });
}

function setPx(name: string, value: unknown): void {
  if (typeof value === "number" && Number.isFinite(value))
    document.documentElement.style.setProperty(name, `${value}px`);
}

/**
 * Follows theme, viewport and safe-area changes. Layout uses the *stable* viewport height, so the
 * iOS keyboard (which changes only the unstable height) does not make the page jump.
 */
export function followTelegram(initial: Record<string, string>): void {
  applyTheme(initial);
  on("theme_changed", (d) => {
    if (d.theme_params && typeof d.theme_params === "object")
      applyTheme(d.theme_params as Record<string, string>);
  });
  on("viewport_changed", (d) => {
    setPx("--tg-viewport-height", d.height);
    if (d.is_state_stable) setPx("--tg-viewport-stable-height", d.height);
  });
  on("safe_area_changed", (d) => {
    for (const side of ["top", "bottom", "left", "right"]) setPx(`--tg-safe-area-inset-${side}`, d[side]);
  });
  on("content_safe_area_changed", (d) => {
    for (const side of ["top", "bottom", "left", "right"])
      setPx(`--tg-content-safe-area-inset-${side}`, d[side]);
  });
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  postEvent("web_app_request_theme");
  postEvent("web_app_request_viewport");
  // Fullscreen insets (Mini Apps 8.0): the status bar and notch, and Telegram's own header over the
  // content. Older clients are not asked; the CSS then falls back to the browser's env() insets.
  if (supports("8.0")) {
    postEvent("web_app_request_safe_area");
    postEvent("web_app_request_content_safe_area");
  }
  postEvent("web_app_setup_swipe_behavior", { allow_vertical_swipe: false });
}
