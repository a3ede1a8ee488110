/**
 * A small bridge to the Telegram client, speaking the Mini Apps protocol directly
 * (https://core.telegram.org/api/web-events) instead of loading telegram-web-app.js.
 */
import { versionAtLeast } from "./version.ts";

type Listener = (data: Record<string, unknown>) => void;

interface TelegramWindow {
  TelegramWebviewProxy?: { postEvent(type: string, data: string): void };
  Telegram?: { WebView?: { receiveEvent?: (type: string, data: unknown) => void } };
  TelegramGameProxy?: { receiveEvent?: (type: string, data: unknown) => void };
}

const w = window as unknown as Window & TelegramWindow;
const listeners = new Map<string, Set<Listener>>();
let platform = "unknown";
let clientVersion = "6.0";

function dispatch(type: string, data: unknown): void {
  const set = listeners.get(type);
  if (!set) return;
  const payload = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  for (const fn of [...set]) fn(payload);
}

/** Installs the receivers Telegram calls into (native apps) and the `message` listener (web clients). */
export function initBridge(launchPlatform: string, version = "6.0"): void {
  platform = launchPlatform;
  clientVersion = version;
  const receiveEvent = (type: string, data: unknown) => dispatch(type, data);
  w.Telegram = { ...(w.Telegram ?? {}), WebView: { ...(w.Telegram?.WebView ?? {}), receiveEvent } };
  w.TelegramGameProxy = { ...(w.TelegramGameProxy ?? {}), receiveEvent };
  window.addEventListener("message", (ev: MessageEvent) => {
    if (typeof ev.data !== "string") return;
    try {
      const msg = JSON.parse(ev.data) as { eventType?: string; eventData?: unknown };
      if (typeof msg.eventType === "string") dispatch(msg.eventType, msg.eventData);
    } catch {
      // not ours
    }
  });
}

/**
 * True inside a Telegram client that draws its own Main and Back buttons. A plain browser (or a
 * "web"/"unknown" platform with no proxy) gets in-page fallbacks instead.
 */
export function isNative(): boolean {
  if (w.TelegramWebviewProxy) return true;
  const inFrame = window.parent !== window;
  return inFrame && platform !== "web" && platform !== "unknown";
}

/** True when the Telegram client's Mini App API is at least `version` (e.g. "8.0"). */
export function supports(version: string): boolean {
  return versionAtLeast(clientVersion, version);
}

export function postEvent(type: string, data?: Record<string, unknown>): void {
  try {
    if (w.TelegramWebviewProxy) {
      w.TelegramWebviewProxy.postEvent(type, JSON.stringify(data ?? {}));
    } else if (window.parent !== window) {
      window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data ?? {} }), "*");
    }
  } catch {
    // Telegram may be gone (app closing); nothing to do.
  }
}

/** Subscribes to a Telegram event; returns the unsubscribe function. */
export function on(type: string, fn: Listener): () => void {
  let set = listeners.get(type);
  if (!set) {
    set = new Set();
    listeners.set(type, set);
  }
  set.add(fn);
  return () => set.delete(fn);
}

type Impact = "light" | "medium" | "heavy" | "rigid" | "soft";
type Notice = "success" | "warning" | "error";

export const haptic = {
  impact(style: Impact = "light") {
    postEvent("web_app_trigger_haptic_feedback", { type: "impact", impact_style: style });
  },
  notify(kind: Notice) {
    postEvent("web_app_trigger_haptic_feedback", { type: "notification", notification_type: kind });
  },
  select() {
    postEvent("web_app_trigger_haptic_feedback", { type: "selection_change" });
  },
};

/** Opens a t.me link inside Telegram; a plain browser gets a new tab. */
export function openTelegramLink(url: string): void {
  const u = new URL(url);
  if (isNative()) postEvent("web_app_open_tg_link", { path_full: u.pathname + u.search });
  else window.open(url, "_blank", "noopener");
}

/** Opens an outside link (a maps app, a web page) in the phone's browser; a plain browser gets a new tab. */
export function openLink(url: string): void {
  if (isNative()) postEvent("web_app_open_link", { url });
  else window.open(url, "_blank", "noopener");
}

/** Asks Telegram to share the user's phone with the bot; resolves with the popup result. */
export function requestPhone(): Promise<"sent" | "cancelled"> {
  return new Promise((resolve) => {
    const off = on("phone_requested", (d) => {
      off();
      resolve(d.status === "sent" ? "sent" : "cancelled");
    });
    postEvent("web_app_request_phone");
  });
}

/**
 * Opens Telegram's share sheet with a message the bot prepared (Bot API 8.0 `shareMessage`):
 * "sent", "declined" (the user closed the sheet), or "failed" (expired, unsupported, not sent).
 */
export function shareMessage(id: string): Promise<"sent" | "declined" | "failed"> {
  return new Promise((resolve) => {
    const done = (outcome: "sent" | "declined" | "failed") => {
      offSent();
      offFailed();
      resolve(outcome);
    };
    const offSent = on("prepared_message_sent", () => done("sent"));
    const offFailed = on("prepared_message_failed", (d) =>
      done(d.error === "USER_DECLINED" ? "declined" : "failed"),
    );
    postEvent("web_app_send_prepared_message", { id });
  });
}

/** Opens Telegram's QR scanner; `onText` gets each scan and returns true to close the popup. */
export function scanQr(text: string, onText: (text: string) => boolean): () => void {
  const offText = on("qr_text_received", (d) => {
    if (typeof d.data === "string" && onText(d.data)) close();
  });
  const offClosed = on("scan_qr_popup_closed", () => cleanup());
  const cleanup = () => {
    offText();
    offClosed();
  };
  const close = () => {
    postEvent("web_app_close_scan_qr_popup");
    cleanup();
  };
  postEvent("web_app_open_scan_qr_popup", { text });
  return close;
}

/**
 * The device's location: Telegram's LocationManager where the client has it (Bot API 8.0), the
 * browser's geolocation otherwise; null when neither gives one (refused, unavailable, 15 s passed).
 */
export function requestLocation(): Promise<{ lat: number; lng: number } | null> {
  const browser = () =>
    new Promise<{ lat: number; lng: number } | null>((resolve) => {
      if (!("geolocation" in navigator)) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude }),
        () => resolve(null),
        { enableHighAccuracy: true, timeout: 15_000 },
      );
    });
  if (!isNative()) return browser();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      void browser().then(resolve);
    }, 15_000);
    const off = on("location_requested", (d) => {
      clearTimeout(timer);
      off();
      if (d.available !== false && typeof d.latitude === "number" && typeof d.longitude === "number")
        resolve({ lat: d.latitude, lng: d.longitude });
      else void browser().then(resolve);
    });
    postEvent("web_app_request_location");
  });
}
