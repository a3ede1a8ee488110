import { useSyncExternalStore } from "react";

/**
 * Whether the server has refused this launch's init data (401): it expired, or the bot token
 * changed. Nothing the page does will fix that, so every page says "reopen from Telegram" instead
 * of quietly showing what it last knew.
 */
let expired = false;
const subscribers = new Set<() => void>();

export function markSessionExpired(): void {
  if (expired) return;
  expired = true;
  for (const fn of subscribers) fn();
}

export function isSessionExpired(): boolean {
  return expired;
}

export function useSessionExpired(): boolean {
  return useSyncExternalStore(
    (fn) => {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    () => expired,
  );
}
