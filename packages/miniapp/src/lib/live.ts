import { useEffect, useRef, useState } from "react";
import { on } from "../telegram/bridge.ts";
import { getInitData } from "./api.ts";
import { type Order, parseOrderEvent } from "./endpoints.ts";

type OrderListener = (order: Order) => void;
const listeners = new Set<OrderListener>();
const stateListeners = new Set<(open: boolean) => void>();
let source: EventSource | null = null;
let open = false;

function setOpen(v: boolean): void {
  open = v;
  for (const fn of stateListeners) fn(v);
}

let retryTimer: number | undefined;
/** The id of the last event received: a new EventSource resumes from it, so nothing is missed. */
let lastEventId = "";
let retryDelay = 5_000;

function connect(): void {
  if (source || typeof EventSource === "undefined" || listeners.size === 0) return;
  // EventSource cannot send headers: the contract accepts `?tma=` instead. It reconnects by
  // itself and sends Last-Event-ID, so the server replays what was missed.
  const resume = lastEventId ? `&last_event_id=${encodeURIComponent(lastEventId)}` : "";
  source = new EventSource(`/api/events?tma=${encodeURIComponent(getInitData())}${resume}`);
  source.addEventListener("open", () => {
    retryDelay = 5_000;
    setOpen(true);
  });
  source.addEventListener("error", () => {
    setOpen(false);
    // The browser retries network errors itself, but gives up for good on an HTTP error
    // (a 502 during a deploy, a 429): then we reconnect with backoff. The poll covers the gap.
    if (source?.readyState === EventSource.CLOSED) {
      source.close();
      source = null;
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60_000);
    }
  });
  source.addEventListener("order", (ev) => {
    const id = (ev as MessageEvent<string>).lastEventId;
    if (id) lastEventId = id;
    // A malformed event is skipped; the poll will catch up.
    const order = parseOrderEvent((ev as MessageEvent<string>).data);
    if (order) for (const fn of [...listeners]) fn(order);
  });
}

function disconnect(): void {
  if (listeners.size > 0) return;
  window.clearTimeout(retryTimer);
  source?.close();
  source = null;
  setOpen(false);
}

/** Calls `fn` for every order event of the current user (as buyer or seller). */
export function useOrderEvents(fn: OrderListener): boolean {
  const ref = useRef(fn);
  ref.current = fn;
  const [isOpen, setIsOpen] = useState(open);
  useEffect(() => {
    const listener: OrderListener = (o) => ref.current(o);
    listeners.add(listener);
    stateListeners.add(setIsOpen);
    connect();
    return () => {
      listeners.delete(listener);
      stateListeners.delete(setIsOpen);
      disconnect();
    };
  }, []);
  return isOpen;
}

/**
 * The fallback for when the stream is down or silently stalled: a slow poll, plus a refresh
 * when the app comes back to the foreground (browser `visibilitychange`, Telegram `visibility_changed`).
 */
export function usePollAndFocus(refresh: () => void, everyMs = 25_000): void {
  const ref = useRef(refresh);
  ref.current = refresh;
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") ref.current();
    }, everyMs);
    const onVisible = () => {
      if (document.visibilityState === "visible") ref.current();
    };
    document.addEventListener("visibilitychange", onVisible);
    const offTg = on("visibility_changed", (d) => {
      if (d.is_visible !== false) ref.current();
    });
    const offActivated = on("activated", () => ref.current());
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
      offTg();
      offActivated();
    };
  }, [everyMs]);
}
