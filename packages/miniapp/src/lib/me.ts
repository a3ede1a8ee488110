import { createContext, useContext } from "react";
import type { Me } from "./endpoints.ts";

export interface MeState {
  me: Me | undefined;
  reload: () => Promise<void>;
}

export const MeContext = createContext<MeState>({ me: undefined, reload: async () => {} });

export function useMe(): MeState {
  return useContext(MeContext);
}
