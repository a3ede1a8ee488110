import { useEffect, useRef, useState } from "react";
import { getInitData } from "./api.ts";
import { type Order, parseOrderEvent } from "./endpoints.ts";
import { applyOrder } from "./queries.ts";
import { queryClient } from "./query-client.ts";

/**
 * One shared EventSource (`/api/events`) while any page wants live orders. Every event is written
 * into the query cache (applyOrder), so the tracking page, the lists and the seller's cards change
 * the moment the seller or the buyer acts; the queries' slow poll and refresh on focus cover a
 * stalled stream.
 */
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
    if (!order) return;
    // Listeners see the cache as it was before the event (e.g. "is this order new to me?").
    for (const fn of [...listeners]) fn(order);
    applyOrder(queryClient, order);
  });
}

function disconnect(): void {
  if (listeners.size > 0) return;
  window.clearTimeout(retryTimer);
  source?.close();
  source = null;
  setOpen(false);
}

/**
 * Keeps the event stream open while the calling page is mounted, and calls `fn` (if given) for
 * every order event of the current user (as buyer or seller), before the cache takes it in.
 * Returns whether the stream is open.
 */
export function useOrderEvents(fn?: OrderListener): boolean {
  const ref = useRef(fn);
  ref.current = fn;
  const [isOpen, setIsOpen] = useState(open);
  useEffect(() => {
    const listener: OrderListener = (o) => ref.current?.(o);
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
