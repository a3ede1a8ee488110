import { useEffect, useRef, useState } from "react";
import { getInitData, getUserId } from "./api.ts";
import { type Order, parseOrderEvent } from "./endpoints.ts";
import { applyOrder } from "./queries.ts";
import { queryClient } from "./query-client.ts";
import { markSessionExpired } from "./session.ts";

/**
 * Live orders: one event stream (`/api/events`) per browser and Telegram user while any page of
 * any tab wants it. Chromium allows six connections per host, so six tabs each holding a stream
 * would stall every other request: the tabs elect a leader with a Web Lock, the leader alone holds
 * the EventSource and hands each event (and the stream's state) to the others over a
 * BroadcastChannel. When the leader closes or stops wanting events, the lock passes to the next
 * tab, which resumes from the last event id everyone saw. Without Web Locks or BroadcastChannel
 * every tab opens its own stream, as before.
 *
 * Every event is written into the query cache (applyOrder), so the tracking page, the lists and the
 * seller's cards change the moment the seller or the buyer acts; the queries' slow poll and
 * refresh on focus cover a stalled stream.
 */
type OrderListener = (order: Order) => void;

/**
 * What the page tells the user about the stream: `live` (open), `reconnecting` (lost, trying
 * again), `offline` (no network), `signed_out` (the server refuses this launch's init data:
 * reopen from Telegram); `connecting` before the first answer.
 */
export type LiveState = "connecting" | "live" | "reconnecting" | "offline" | "signed_out";

type Message =
  | { type: "order"; id: string; data: string }
  | { type: "state"; state: LiveState }
  | { type: "hello" };

const listeners = new Set<OrderListener>();
const stateListeners = new Set<(s: LiveState) => void>();
let state: LiveState = "connecting";

function setState(s: LiveState): void {
  if (s === state) return;
  state = s;
  for (const fn of stateListeners) fn(s);
  if (role === "leader") channel?.postMessage({ type: "state", state: s } satisfies Message);
}

/** The id of the last event received: a new EventSource resumes from it, so nothing is missed. */
let lastEventId = "";

function deliver(id: string, data: string): void {
  if (id) lastEventId = id;
  // A malformed event is skipped; the poll will catch up.
  const order = parseOrderEvent(data);
  if (!order) return;
  // Listeners see the cache as it was before the event (e.g. "is this order new to me?").
  for (const fn of [...listeners]) fn(order);
  applyOrder(queryClient, order);
}

// ---- the stream itself (held by the leader, or by every tab without Web Locks) ----

let source: EventSource | null = null;
let retryTimer: number | undefined;
let retryDelay = 5_000;
/** The server refused our init data: no point in asking again with it. */
let signedOut = false;

function openStream(): void {
  if (source || signedOut || typeof EventSource === "undefined") return;
  // EventSource cannot send headers: the contract accepts `?tma=` instead. It reconnects by
  // itself and sends Last-Event-ID, so the server replays what was missed.
  const resume = lastEventId ? `&last_event_id=${encodeURIComponent(lastEventId)}` : "";
  const es = new EventSource(`/api/events?tma=${encodeURIComponent(getInitData())}${resume}`);
  source = es;
  es.addEventListener("open", () => {
    retryDelay = 5_000;
    setState("live");
  });
  es.addEventListener("error", () => {
    if (source !== es) return;
    if (es.readyState !== EventSource.CLOSED) {
      // The browser retries a lost connection by itself.
      setState(navigator.onLine === false ? "offline" : "reconnecting");
      return;
    }
    // The browser gives up for good on an HTTP error: a 401 (init data expired, or the bot token
    // changed), a 502 during a deploy, a 429. Find out which; reconnect with backoff unless it is 401.
    es.close();
    source = null;
    void probe().then((result) => {
      if (result === "unauthorized") {
        signedOut = true;
        markSessionExpired();
        setState("signed_out");
        resign();
        return;
      }
      setState(result === "network" || navigator.onLine === false ? "offline" : "reconnecting");
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(() => {
        if (wanted()) openStream();
      }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60_000);
    });
  });
  es.addEventListener("order", (ev) => {
    const msg = ev as MessageEvent<string>;
    channel?.postMessage({ type: "order", id: msg.lastEventId, data: msg.data } satisfies Message);
    deliver(msg.lastEventId, msg.data);
  });
}

/** Why the stream was refused: asks an ordinary endpoint with the same init data. */
async function probe(): Promise<"unauthorized" | "network" | "other"> {
  try {
    const res = await fetch("/api/me", { headers: { Authorization: `tma ${getInitData()}` } });
    return res.status === 401 ? "unauthorized" : "other";
  } catch {
    return "network";
  }
}

function closeStream(): void {
  window.clearTimeout(retryTimer);
  source?.close();
  source = null;
}

// ---- one stream per browser: leader election ----

const canShare =
  typeof navigator !== "undefined" && !!navigator.locks && typeof BroadcastChannel !== "undefined";
let channel: BroadcastChannel | null = null;
let role: "none" | "waiting" | "leader" | "alone" = "none";
let abortWait: AbortController | null = null;
let releaseLock: (() => void) | null = null;

function wanted(): boolean {
  return listeners.size > 0;
}

function streamName(): string {
  return `lastbite.events.${getUserId() ?? "anon"}`;
}

function onMessage(ev: MessageEvent<Message>): void {
  const msg = ev.data;
  if (msg.type === "hello") {
    if (role === "leader") channel?.postMessage({ type: "state", state } satisfies Message);
  } else if (msg.type === "order") {
    if (role !== "leader") deliver(msg.id, msg.data);
  } else if (msg.type === "state") {
    // Another tab's refusal is about its init data, not ours: we will find out when we lead.
    if (role === "waiting" && msg.state !== "signed_out") setState(msg.state);
  }
}

function start(): void {
  if (role !== "none" || signedOut) return;
  if (!canShare) {
    role = "alone";
    openStream();
    return;
  }
  channel ??= new BroadcastChannel(streamName());
  channel.onmessage = onMessage;
  role = "waiting";
  const mine = new AbortController();
  abortWait = mine;
  navigator.locks
    .request(streamName(), { signal: mine.signal }, () => {
      // A request this tab has since given up (it stopped wanting events, then wanted them again).
      if (abortWait !== mine || !wanted() || signedOut) return undefined;
      role = "leader";
      openStream();
      return new Promise<void>((resolve) => {
        releaseLock = resolve;
      });
    })
    .catch(() => {
      // aborted: this tab stopped wanting events before its turn came
    });
  channel.postMessage({ type: "hello" } satisfies Message);
}

/** Stops taking part: closes the stream if this tab leads, and lets the next tab lead. */
function resign(): void {
  closeStream();
  abortWait?.abort();
  abortWait = null;
  releaseLock?.();
  releaseLock = null;
  role = "none";
}

function stop(): void {
  if (wanted()) return;
  resign();
  if (state !== "signed_out") setState("connecting");
}

/**
 * Keeps the event stream open while the calling page is mounted, and calls `fn` (if given) for
 * every order event of the current user (as buyer or seller), before the cache takes it in.
 * Returns the stream's state.
 */
export function useOrderEvents(fn?: OrderListener): LiveState {
  const ref = useRef(fn);
  ref.current = fn;
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    const listener: OrderListener = (o) => ref.current?.(o);
    listeners.add(listener);
    stateListeners.add(setCurrent);
    setCurrent(state);
    start();
    return () => {
      listeners.delete(listener);
      stateListeners.delete(setCurrent);
      stop();
    };
  }, []);
  return current;
}

if (typeof window !== "undefined") {
  window.addEventListener("offline", () => {
    if (role === "leader" || role === "alone") setState("offline");
  });
  window.addEventListener("online", () => {
    if ((role === "leader" || role === "alone") && state === "offline") {
      // Try at once rather than at the end of the backoff.
      if (!source) {
        retryDelay = 5_000;
        openStream();
      }
      setState("reconnecting");
    }
  });
}
