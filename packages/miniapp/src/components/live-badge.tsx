import type { MessageKey } from "@lastbite/shared";
import { useI18n } from "../lib/i18n.tsx";
import type { LiveState } from "../lib/live.ts";

const TEXT: Record<Exclude<LiveState, "signed_out">, MessageKey> = {
  connecting: "app.live.connecting",
  live: "app.order.live",
  reconnecting: "app.live.reconnecting",
  offline: "app.live.offline",
};

/**
 * The event stream's state, said plainly: live, reconnecting or offline. A refused session is
 * the shell's notice (reopen from Telegram), not a badge.
 */
export function LiveBadge({ state }: { state: LiveState }) {
  const { t } = useI18n();
  if (state === "signed_out") return null;
  return (
    <span className={`live live-${state}`} data-testid="live-state" data-state={state} role="status">
      <span className="live-dot" />
      {t(TEXT[state])}
    </span>
  );
}
