import { type Lang, pickLang } from "@lastbite/shared";
import { lazy, Suspense, useEffect } from "react";
import { ErrorBoundary } from "./components/error-boundary.tsx";
import { Shell } from "./components/shell.tsx";
import { ErrorView, LoadingView, Page } from "./components/ui.tsx";
import type { ApiError } from "./lib/api.ts";
import { LangContext, useI18n } from "./lib/i18n.tsx";
import { useMe } from "./lib/me.ts";
import { retryImport } from "./lib/retry.ts";
import { type Route, useRoute } from "./lib/router.ts";
import { CatalogPage, OfferPage, StorePage } from "./pages/catalog.tsx";
import { OrdersPage } from "./pages/orders.tsx";

// Checkout, tracking (with the QR encoder) and the seller view load on demand.
const CartPage = lazy(() => retryImport(() => import("./pages/cart.tsx")));
const OrderPage = lazy(() => retryImport(() => import("./pages/order.tsx")));
const SellerPage = lazy(() => retryImport(() => import("./pages/seller.tsx")));
const ProfilePage = lazy(() => retryImport(() => import("./pages/profile.tsx")));

function tabOf(route: Route): "catalog" | "cart" | "orders" | "seller" | "profile" | null {
  switch (route.name) {
    case "catalog":
    case "cart":
    case "orders":
    case "seller":
    case "profile":
      return route.name;
    default:
      return null;
  }
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case "catalog":
      return <CatalogPage />;
    case "store":
      return <StorePage id={route.id} />;
    case "offer":
      return <OfferPage id={route.id} />;
    case "cart":
      return <CartPage />;
    case "orders":
      return <OrdersPage tab={route.tab} />;
    case "order":
      return <OrderPage id={route.id} />;
    case "seller":
      // Everyone has "My shop": without a shop it is where one is opened.
      return <SellerPage />;
    case "profile":
      return <ProfilePage />;
  }
}

function MeError({ error, retry }: { error: ApiError; retry: () => void }) {
  const { t } = useI18n();
  return (
    <Page title={t("app.name")}>
      <ErrorView error={error} onRetry={retry} />
    </Page>
  );
}

export function App({ telegramLanguage }: { telegramLanguage: string | undefined }) {
  const route = useRoute();
  const { me, error: meError, reload } = useMe();

  const lang: Lang = pickLang(me?.user.language ?? telegramLanguage);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  return (
    <LangContext.Provider value={lang}>
      {meError?.code === "unauthorized" ? (
        <MeError error={meError} retry={() => void reload()} />
      ) : (
        <Shell tab={tabOf(route)}>
          <ErrorBoundary resetKey={JSON.stringify(route)}>
            <Suspense fallback={<LoadingView />}>
              <Screen route={route} />
            </Suspense>
          </ErrorBoundary>
        </Shell>
      )}
    </LangContext.Provider>
  );
}
