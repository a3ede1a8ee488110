import type { Store } from "../../lib/endpoints.ts";
import { useI18n } from "../../lib/i18n.tsx";
import type { Totals } from "./checkout.ts";

/** Items, delivery, total and savings; then why the order cannot go yet, if it cannot. */
export function Summary(props: {
  store: Store;
  totals: Totals;
  delivery: boolean;
  formError: string | null;
}) {
  const { t, som } = useI18n();
  const { totals, store } = props;
  return (
    <>
      <section className="card summary" data-testid="summary">
        <div className="row spread">
          <span>{t("app.cart.itemsTotal")}</span>
          <span data-testid="items-total">{som(totals.itemsTotal)}</span>
        </div>
        {props.delivery && (
          <div className="row spread">
            <span>{t("app.cart.deliveryCost")}</span>
            <span data-testid="delivery-cost">
              {totals.deliveryCost > 0 ? som(totals.deliveryCost) : t("app.cart.free")}
            </span>
          </div>
        )}
        <div className="row spread total">
          <span>{t("app.cart.total")}</span>
          <span data-testid="total">{som(totals.total)}</span>
        </div>
        {totals.savings > 0 && (
          <div className="ok small">{t("app.cart.saved", { amount: som(totals.savings) })}</div>
        )}
      </section>

      {totals.missing > 0 && (
        <p className="notice warn" data-testid="min-order">
          {t("app.cart.minOrder", { min: som(store.min_order_amount), missing: som(totals.missing) })}
        </p>
      )}
      {props.formError && (
        <p className="notice bad" role="alert" data-testid="checkout-error">
          {props.formError}
        </p>
      )}
    </>
  );
}
