import type { ReactNode } from "react";
import { cartCount, useCart } from "../lib/cart.ts";
import { useI18n } from "../lib/i18n.tsx";
import { type Route, switchTab } from "../lib/router.ts";
import { useSessionExpired } from "../lib/session.ts";
import { useToasts } from "../lib/toast.ts";
import { haptic, isNative, postEvent } from "../telegram/bridge.ts";
import { useMainButtonState } from "../telegram/buttons.ts";
import { Icon } from "./icon.tsx";
import { Spinner } from "./ui.tsx";

/** In a plain browser the Main button is drawn in the page, so it stays usable (and testable). */
function FallbackMainButton() {
  const spec = useMainButtonState();
  if (!spec || isNative()) return null;
  return (
    <button
      type="button"
      className={`main-button ${spec.tone === "danger" ? "danger" : ""}`}
      disabled={spec.disabled || spec.progress}
      onClick={spec.onClick}
      data-testid={spec.testId ?? "main-button"}
    >
      {spec.progress && <Spinner />}
      {spec.text}
    </button>
  );
}

type Tab = "catalog" | "cart" | "orders" | "seller" | "profile";

function TabBar({ active }: { active: Tab | null }) {
  const { t } = useI18n();
  const cart = useCart();
  const count = cartCount(cart);
  const tabs: { tab: Tab; route: Route; label: string; icon: ReactNode }[] = [
    {
      tab: "catalog",
      route: { name: "catalog" },
      label: t("app.tabs.catalog"),
      icon: <Icon name="bag" size={22} />,
    },
    { tab: "cart", route: { name: "cart" }, label: t("app.tabs.cart"), icon: <Icon name="cart" size={22} /> },
    {
      tab: "orders",
      route: { name: "orders" },
      label: t("app.tabs.orders"),
      icon: <Icon name="list" size={22} />,
    },
  ];
  // Always there: a user without a shop opens one from it.
  tabs.push({
    tab: "seller",
    route: { name: "seller" },
    label: t("app.tabs.seller"),
    icon: <Icon name="store" size={22} />,
  });
  tabs.push({
    tab: "profile",
    route: { name: "profile" },
    label: t("app.tabs.profile"),
    icon: <Icon name="user" size={22} />,
  });
  return (
    <nav className="tabbar">
      {tabs.map((x) => (
        <button
          key={x.tab}
          type="button"
          className={active === x.tab ? "active" : ""}
          onClick={() => {
            haptic.select();
            switchTab(x.route);
          }}
          data-testid={`tab-${x.tab}`}
        >
          <span className="tab-icon" aria-hidden="true">
            {x.icon}
            {x.tab === "cart" && count > 0 && (
              <span className="badge" data-testid="cart-badge">
                {count}
              </span>
            )}
          </span>
          <span>{x.label}</span>
        </button>
      ))}
    </nav>
  );
}

function Toasts() {
  const toasts = useToasts();
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} className={`toast toast-${x.tone}`} data-testid="toast">
          {x.text}
        </div>
      ))}
    </div>
  );
}

/**
 * The server refused this launch's init data (expired, or the bot's token changed): nothing on
 * screen will update any more, so say so, and how to fix it, instead of showing stale pages.
 */
function SessionExpired() {
  const { t } = useI18n();
  if (!useSessionExpired()) return null;
  return (
    <div className="notice bad session-expired" role="alert" data-testid="session-expired">
      <span>{t("app.error.unauthorized")}</span>
      {isNative() && (
        <button type="button" className="btn danger" onClick={() => postEvent("web_app_close")}>
          {t("app.session.close")}
        </button>
      )}
    </div>
  );
}

/** The bottom dock: fallback Main button above the tab bar. */
export function Shell({ tab, children }: { tab: Tab | null; children: ReactNode }) {
  return (
    <>
      <Toasts />
      <SessionExpired />
      {children}
      <div className="dock">
        <FallbackMainButton />
        {tab && <TabBar active={tab} />}
      </div>
    </>
  );
}
