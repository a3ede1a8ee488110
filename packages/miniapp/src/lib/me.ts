import { useQuery } from "@tanstack/react-query";
import type { ApiError } from "./api.ts";
import type { Me } from "./endpoints.ts";
import { meQuery } from "./queries.ts";

export interface MeState {
  me: Me | undefined;
  error: ApiError | null;
  reload: () => Promise<unknown>;
}

/** The signed-in user and their shops (`GET /api/me`), loaded once and shared by every page. */
export function useMe(): MeState {
  const q = useQuery(meQuery());
  return { me: q.data, error: q.error, reload: q.refetch };
}
