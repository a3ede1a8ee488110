import type { MeResponse, User } from "@lastbite/shared";
import { createContext, useContext } from "react";

/** `user.phone` arrives once the user shared it with the bot; absent until then. */
export type Me = MeResponse & { user: User & { phone?: string | null } };

export interface MeState {
  me: Me | undefined;
  reload: () => Promise<void>;
}

export const MeContext = createContext<MeState>({ me: undefined, reload: async () => {} });

export function useMe(): MeState {
  return useContext(MeContext);
}
