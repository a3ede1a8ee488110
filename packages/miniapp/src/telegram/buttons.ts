import { useEffect, useRef, useSyncExternalStore } from "react";
import { isNative, on, postEvent, supports } from "./bridge.ts";

/** What the Main button shows; `null` hides it. */
export interface MainButtonSpec {
  text: string;
  onClick: () => void;
  disabled?: boolean;
  progress?: boolean;
  /** Destructive or secondary style (in-page fallback and native colour). */
  tone?: "primary" | "danger";
  testId?: string;
}

let current: MainButtonSpec | null = null;
const subscribers = new Set<() => void>();

let hideTimer: number | undefined;

/**
 * Hiding is deferred by a tick: when one page hands the button to the next (or a text changes),
 * Telegram gets one update instead of hide-then-show, so the native button does not flicker.
 */
function hideSoon(): void {
  window.clearTimeout(hideTimer);
  hideTimer = window.setTimeout(() => publish(null), 0);
}

function publish(spec: MainButtonSpec | null): void {
  window.clearTimeout(hideTimer);
  current = spec;
  for (const fn of subscribers) fn();
  if (!isNative()) return;
  const css = getComputedStyle(document.documentElement);
  const color =
    spec?.tone === "danger"
      ? css.getPropertyValue("--tg-theme-destructive-text-color").trim()
      : css.getPropertyValue("--tg-theme-button-color").trim();
  postEvent("web_app_setup_main_button", {
    is_visible: !!spec,
    is_active: !!spec && !spec.disabled,
    is_progress_visible: !!spec?.progress,
    text: spec?.text ?? "",
    color: color || undefined,
    text_color: css.getPropertyValue("--tg-theme-button-text-color").trim() || undefined,
    has_shine_effect: false,
  });
}

let nativeWired = false;
function wireNative(): void {
  if (nativeWired) return;
  nativeWired = true;
  on("main_button_pressed", () => {
    if (current && !current.disabled && !current.progress) current.onClick();
  });
  // Button colours follow the theme: re-send after a theme change.
  on("theme_changed", () => window.setTimeout(() => publish(current), 0));
}

/** The in-page fallback reads this to draw the button when Telegram cannot. */
export function useMainButtonState(): MainButtonSpec | null {
  return useSyncExternalStore(
    (fn) => {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    () => current,
  );
}

/**
 * Shows the Main button while the calling component is mounted. The click handler is read
 * through a ref so re-renders do not re-send the button to Telegram.
 */
export function useMainButton(spec: MainButtonSpec | null): void {
  const handler = useRef(spec?.onClick);
  handler.current = spec?.onClick;
  const visible = spec !== null;
  const text = spec?.text;
  const disabled = spec?.disabled;
  const progress = spec?.progress;
  const tone = spec?.tone;
  const testId = spec?.testId;
  useEffect(() => {
    wireNative();
    if (!visible || text === undefined) {
      hideSoon();
      return;
    }
    publish({
      text,
      disabled,
      progress,
      tone,
      testId,
      onClick: () => handler.current?.(),
    });
    return hideSoon;
  }, [visible, text, disabled, progress, tone, testId]);
}

/** What the Secondary button shows; `null` hides it. */
export interface SecondaryButtonSpec {
  text: string;
  onClick: () => void;
  tone?: "primary" | "danger";
}

/**
 * Telegram's Secondary button (Mini Apps 7.10), at the bottom beside the Main button, while the
 * calling component is mounted and `spec` is set. Returns false where the client has none (a plain
 * browser, an older client): the page then shows the action itself.
 */
export function useSecondaryButton(spec: SecondaryButtonSpec | null): boolean {
  const native = isNative() && supports("7.10");
  const handler = useRef(spec?.onClick);
  handler.current = spec?.onClick;
  const text = spec?.text;
  const tone = spec?.tone;
  useEffect(() => {
    if (!native || text === undefined) return;
    const off = on("secondary_button_pressed", () => handler.current?.());
    const css = getComputedStyle(document.documentElement);
    const color = (name: string) => css.getPropertyValue(name).trim() || undefined;
    postEvent("web_app_setup_secondary_button", {
      is_visible: true,
      is_active: true,
      is_progress_visible: false,
      text,
      position: "left",
      color: color("--tg-theme-bottom-bar-bg-color") ?? color("--tg-theme-secondary-bg-color"),
      text_color:
        tone === "danger" ? color("--tg-theme-destructive-text-color") : color("--tg-theme-button-color"),
      has_shine_effect: false,
    });
    return () => {
      off();
      postEvent("web_app_setup_secondary_button", { is_visible: false });
    };
  }, [native, text, tone]);
  return native;
}

let backHandler: (() => void) | null = null;
let backWired = false;
let backTimer: number | undefined;
let backShown = false;

function setBackVisible(visible: boolean): void {
  if (visible === backShown) return;
  backShown = visible;
  postEvent("web_app_setup_back_button", { is_visible: visible });
}

/** Shows Telegram's Back button while `onBack` is set. */
export function useBackButton(onBack: (() => void) | null): void {
  const ref = useRef(onBack);
  ref.current = onBack;
  const visible = onBack !== null;
  useEffect(() => {
    if (!backWired) {
      backWired = true;
      on("back_button_pressed", () => backHandler?.());
    }
    if (!visible) return;
    window.clearTimeout(backTimer);
    backHandler = () => ref.current?.();
    setBackVisible(true);
    return () => {
      backHandler = null;
      // Deferred like the Main button: page-to-page navigation keeps the Back button steady.
      window.clearTimeout(backTimer);
      backTimer = window.setTimeout(() => {
        if (!backHandler) setBackVisible(false);
      }, 0);
    };
  }, [visible]);
}
