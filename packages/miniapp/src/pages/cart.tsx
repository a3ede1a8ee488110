import { EmptyView, ErrorView, LoadingView, Page } from "../components/ui.tsx";
import { CartLines } from "../features/checkout/cart-lines.tsx";
import { DeliveryForm } from "../features/checkout/delivery-form.tsx";
import { Summary } from "../features/checkout/summary.tsx";
import { useCheckout } from "../features/checkout/use-checkout.ts";
import { clearCart } from "../lib/cart.ts";
import { useI18n } from "../lib/i18n.tsx";
import { switchTab } from "../lib/router.ts";
import { useMainButton } from "../telegram/buttons.ts";

/** The cart and checkout: the logic lives in features/checkout (useCheckout), this is the page. */
export default function CartPage() {
  const { t, som } = useI18n();
  const checkout = useCheckout();
  const { cart, store } = checkout;

  useMainButton(
    cart && store
      ? {
          text: checkout.submitting
            ? t("app.cart.placing")
            : t("app.cart.placeOrder", { total: som(checkout.totals.total) }),
          onClick: checkout.submit,
          disabled: !checkout.canOrder,
          progress: checkout.submitting,
          testId: "place-order",
        }
      : null,
  );

  if (!cart)
    return (
      <Page title={t("app.cart.title")}>
        <EmptyView
          icon="cart"
          text={t("app.cart.empty")}
          action={
            <button
              type="button"
              className="btn"
              onClick={() => switchTab({ name: "catalog" })}
              data-testid="browse"
            >
              {t("app.cart.browse")}
            </button>
          }
        />
      </Page>
    );

  return (
    <Page
      title={t("app.cart.title")}
      actions={
        <button type="button" className="link danger" onClick={() => clearCart()} data-testid="clear-cart">
          {t("app.cart.clear")}
        </button>
      }
    >
      {checkout.loadError && !(store && checkout.offers) ? (
        <ErrorView error={checkout.loadError} onRetry={checkout.retryLoad} />
      ) : !store ? (
        <LoadingView />
      ) : (
        <div className="checkout" data-testid="checkout">
          <CartLines storeName={store.name} items={cart.items} offers={checkout.offers} now={checkout.now} />
          <DeliveryForm store={store} checkout={checkout} />
          <Summary
            store={store}
            totals={checkout.totals}
            delivery={checkout.form.type === "delivery"}
            formError={checkout.formError}
          />
        </div>
      )}
    </Page>
  );
}
