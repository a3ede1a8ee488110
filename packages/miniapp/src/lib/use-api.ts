import { useCallback, useEffect, useRef, useState } from "react";
import { type ApiError, asApiError } from "./api.ts";

/** Last good answer per path: pages show it at once and refresh in the background. */
const cache = new Map<string, unknown>();

export interface Query<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (update: (prev: T | undefined) => T | undefined) => void;
}

/** Loads `load()` under the cache key `path` (the API path it GETs); `path === null` waits. */
export function useApi<T>(path: string | null, load: () => Promise<T>): Query<T> {
  const loader = useRef(load);
  loader.current = load;
  const [data, setDataState] = useState<T | undefined>(() =>
    path ? (cache.get(path) as T | undefined) : undefined,
  );
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const current = useRef(path);
  current.current = path;

  const reload = useCallback(async () => {
    if (!path) return;
    setLoading(true);
    try {
      const value = await loader.current();
      if (current.current !== path) return;
      cache.set(path, value);
      setDataState(value);
      setError(null);
    } catch (e) {
      if (current.current !== path) return;
      setError(asApiError(e));
    } finally {
      if (current.current === path) setLoading(false);
    }
  }, [path]);

  useEffect(() => {
    setDataState(path ? (cache.get(path) as T | undefined) : undefined);
    setError(null);
    void reload();
  }, [path, reload]);

  const setData = useCallback(
    (update: (prev: T | undefined) => T | undefined) => {
      setDataState((prev) => {
        const next = update(prev);
        if (path && next !== undefined) cache.set(path, next);
        return next;
      });
    },
    [path],
  );

  return { data, error, loading, reload, setData };
}

export function invalidate(prefix: string): void {
  for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
}
