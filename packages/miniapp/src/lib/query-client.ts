import { focusManager, QueryClient } from "@tanstack/react-query";
import { on } from "../telegram/bridge.ts";
import { ApiError } from "./api.ts";

declare module "@tanstack/react-query" {
  interface Register {
    // Every query and mutation goes through api(), which only ever throws ApiError.
    defaultError: ApiError;
  }
}

/**
 * The Mini App's server state. Pages show the last answer at once and refresh it in the background
 * when they open (staleTime 0, as before); order queries also refresh on focus and on a slow poll
 * (see queries.ts), and live events write into the cache (live.ts).
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again (and "not found" must show at once); a lost
      // connection or a 5xx may, so try those once more before showing the error.
      retry: (failures, error) =>
        failures < 1 && error instanceof ApiError && (error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: false,
      // Telegram's WebView is not always right about navigator.onLine: always try, show errors.
      networkMode: "always",
    },
    mutations: { networkMode: "always", retry: false },
  },
});

/**
 * "Focus" for the Mini App: the page becoming visible, or Telegram showing the app again
 * (`visibility_changed`, `activated`): queries that refetch on focus do so then.
 */
export function followFocus(): void {
  focusManager.setEventListener((handleFocus) => {
    const onVisible = () => {
      if (document.visibilityState === "visible") handleFocus();
    };
    document.addEventListener("visibilitychange", onVisible);
    const offVisibility = on("visibility_changed", (d) => {
      if (d.is_visible !== false) handleFocus();
    });
    const offActivated = on("activated", () => handleFocus());
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      offVisibility();
      offActivated();
    };
  });
}
