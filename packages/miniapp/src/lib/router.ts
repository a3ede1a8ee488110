import { useSyncExternalStore } from "react";

/**
 * A tiny history router that keeps the route in `history.state`, never in the URL: the URL
 * fragment belongs to Telegram's launch parameters, and the server only serves `/`.
 * `history.state` survives reloads, so a reload stays on the same page.
 */
export type Route =
  | { name: "catalog" }
  | { name: "store"; id: number }
  | { name: "offer"; id: number }
  | { name: "cart" }
  | { name: "orders"; tab?: "active" | "finished" }
  | { name: "order"; id: number }
  | { name: "seller" }
  | { name: "profile" };

interface State {
  route: Route;
  depth: number;
}

const KEY = "lastbite";
let state: State = { route: { name: "catalog" }, depth: 0 };
const subscribers = new Set<() => void>();

function emit(): void {
  for (const fn of subscribers) fn();
  window.scrollTo(0, 0);
}

function read(): State | null {
  const s = (history.state as Record<string, unknown> | null)?.[KEY] as State | undefined;
  return s && typeof s === "object" && s.route ? s : null;
}

function write(next: State, replace: boolean): void {
  const full = { ...(history.state ?? {}), [KEY]: next };
  if (replace) history.replaceState(full, "");
  else history.pushState(full, "");
  state = next;
  emit();
}

/** Starts the router on the restored route, or on `initial` (e.g. from a deep link). */
export function initRouter(initial: Route): void {
  state = read() ?? { route: initial, depth: 0 };
  history.replaceState({ ...(history.state ?? {}), [KEY]: state }, "");
  window.addEventListener("popstate", () => {
    const s = read();
    if (s) {
      state = s;
      emit();
    }
  });
}

export function navigate(route: Route, opts: { replace?: boolean } = {}): void {
  if (opts.replace) write({ route, depth: state.depth }, true);
  else write({ route, depth: state.depth + 1 }, false);
}

/** Goes back in history, or up to `fallback` when this page was the first one opened. */
export function goBack(fallback: Route): void {
  if (state.depth > 0) history.back();
  else write({ route: fallback, depth: 0 }, true);
}

/** Switches tab: resets the stack so Back does not walk through other tabs. */
export function switchTab(route: Route): void {
  write({ route, depth: 0 }, true);
}

export function useRoute(): Route {
  return useSyncExternalStore(
    (fn) => {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    () => state.route,
  );
}

/** The route a `startapp` parameter asks for: `order_<id>` opens that order's tracking page. */
export function routeFromStartParam(param: string | null): Route | null {
  const m = /^(order|offer)_(\d{1,15})$/.exec(param ?? "");
  if (!m?.[2]) return null;
  return m[1] === "order" ? { name: "order", id: Number(m[2]) } : { name: "offer", id: Number(m[2]) };
}
