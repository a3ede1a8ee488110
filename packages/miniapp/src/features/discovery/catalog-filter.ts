import type { OfferSort, StoreCategory } from "@lastbite/shared";
import { useCallback, useState } from "react";
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

export function useCatalogFilter(): [CatalogFilter, (change: Partial<CatalogFilter>) => void] {
  const [filter, setFilter] = useState(load);
  const change = useCallback((c: Partial<CatalogFilter>) => {
    setFilter((f) => {
      const next = { ...f, ...c };
      // Nearest first means nothing without a place.
      if (!next.near && next.sort === "distance") next.sort = null;
      try {
        sessionStorage.setItem(KEY, JSON.stringify(next));
      } catch {
        // storage full or disabled: the filter still works for this page
      }
      return next;
    });
  }, []);
  return [filter, change];
}

/** "350 m", "1,2 км", "12 km": how far a shop is, in the reader's language. */
export function formatDistance(i18n: Pick<I18n, "t" | "lang">, m: number): string {
  if (m < 1000) return i18n.t("app.distance.m", { n: String(Math.max(10, Math.round(m / 10) * 10)) });
  const km = m / 1000;
  const n = new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: km < 10 ? 1 : 0 }).format(km);
  return i18n.t("app.distance.km", { n });
}
