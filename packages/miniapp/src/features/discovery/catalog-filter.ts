import type { OfferSort, StoreCategory } from "@lastbite/shared";
import { useSyncExternalStore } from "react";
import type { I18n } from "../../lib/i18n.tsx";
import type { LatLng } from "../../telegram/location.ts";

/** What the buyer asked the catalogue for; kept for the session, so Back returns to the same list. */
export interface CatalogFilter {
  q: string;
  sort: OfferSort | null;
  category: StoreCategory | null;
  near: LatLng | null;
}

const KEY = "lastbite.catalog";
const EMPTY: CatalogFilter = { q: "", sort: null, category: null, near: null };

function load(): CatalogFilter {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? { ...EMPTY, ...(JSON.parse(raw) as Partial<CatalogFilter>) } : EMPTY;
  } catch {
    return EMPTY;
  }
}

let current: CatalogFilter | null = null;
const subscribers = new Set<() => void>();

/**
 * Changes the filter at once, outside React: a change made just before the page re-renders (or
 * re-mounts) is never lost, and Back to the catalogue finds it.
 */
function change(c: Partial<CatalogFilter>): void {
  const next = { ...(current ?? load()), ...c };
  // Nearest first means nothing without a place.
  if (!next.near && next.sort === "distance") next.sort = null;
  current = next;
  try {
    sessionStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // storage full or disabled: the filter still works for this session
  }
  for (const fn of subscribers) fn();
}

const subscribe = (fn: () => void) => {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
};
const snapshot = () => {
  if (!current) current = load();
  return current;
};

export function useCatalogFilter(): [CatalogFilter, (change: Partial<CatalogFilter>) => void] {
  return [useSyncExternalStore(subscribe, snapshot), change];
}

/** "350 m", "1,2 км", "12 km": how far a shop is, in the reader's language. */
export function formatDistance(i18n: Pick<I18n, "t" | "lang">, m: number): string {
  if (m < 1000) return i18n.t("app.distance.m", { n: String(Math.max(10, Math.round(m / 10) * 10)) });
  const km = m / 1000;
  const n = new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: km < 10 ? 1 : 0 }).format(km);
  return i18n.t("app.distance.km", { n });
}
