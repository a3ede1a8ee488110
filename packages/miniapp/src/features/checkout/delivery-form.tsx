import { ADDRESS_MAX, formatPhone, normalizePhone } from "@lastbite/shared";
import { Icon } from "../../components/icon.tsx";
import { Segmented } from "../../components/ui.tsx";
import { getInitData } from "../../lib/api.ts";
import type { Store } from "../../lib/endpoints.ts";
import { useI18n } from "../../lib/i18n.tsx";
import { haptic, isNative } from "../../telegram/bridge.ts";
import type { FieldProblem } from "./checkout.ts";
import type { Checkout } from "./use-checkout.ts";

const problemText = {
  required: "app.cart.required",
  addressTooShort: "app.cart.addressTooShort",
  addressTooLong: "app.cart.addressTooLong",
  invalidPhone: "app.cart.invalidPhone",
} as const satisfies Record<FieldProblem, string>;

/** Pickup or delivery; for delivery the address and phone (or the Telegram phone); a comment. */
export function DeliveryForm({ store, checkout }: { store: Store; checkout: Checkout }) {
  const { t } = useI18n();
  const { form, fieldErrors } = checkout;
  const delivery = form.type === "delivery";
  const addressError = fieldErrors.delivery_address;
  const phoneError = fieldErrors.customer_phone;
  const addressLength = form.address.trim().length;
  return (
    <>
      <h2 className="section-title">{t("app.cart.howToGet")}</h2>
      <section className="card">
        <Segmented
          value={form.type}
          onChange={(v) => {
            haptic.select();
            checkout.setType(v);
          }}
          testId="delivery-type"
          options={[
            { value: "pickup", label: t("app.cart.pickup") },
            { value: "delivery", label: t("app.cart.delivery"), disabled: !store.delivery_enabled },
          ]}
        />
        {!store.delivery_enabled && <p className="hint small">{t("app.cart.noDelivery")}</p>}
        {!delivery ? (
          <p className="meta">
            <Icon name="pin" size={13} /> {t("app.cart.pickupAt", { address: store.address })}
          </p>
        ) : (
          <div className="fields">
            <label className="field">
              <span>{t("app.cart.address")}</span>
              <textarea
                rows={2}
                value={form.address}
                aria-describedby="address-count"
                placeholder={t("app.cart.addressPlaceholder")}
                onChange={(e) => checkout.setField("address", e.target.value)}
                aria-invalid={!!addressError}
                data-testid="address"
                autoComplete="street-address"
              />
              <span className="field-foot">
                {addressError ? (
                  <small className="field-error" data-testid="address-error">
                    {t(problemText[addressError], { max: ADDRESS_MAX })}
                  </small>
                ) : (
                  <span />
                )}
                <small
                  id="address-count"
                  className={addressLength > ADDRESS_MAX ? "field-count bad" : "field-count"}
                  data-testid="address-count"
                >
                  {addressLength}/{ADDRESS_MAX}
                </small>
              </span>
            </label>
            <label className="field">
              <span>{t("app.cart.phone")}</span>
              <input
                type="tel"
                inputMode="tel"
                value={form.phone}
                placeholder={t("app.cart.phonePlaceholder")}
                onChange={(e) => checkout.setField("phone", e.target.value)}
                onBlur={() => {
                  // "(90) 123-45-67" becomes "+998 90 123 45 67": what will be stored, as people read it.
                  const e164 = normalizePhone(form.phone);
                  if (e164) checkout.setField("phone", formatPhone(e164));
                }}
                aria-invalid={!!phoneError}
                data-testid="phone"
                autoComplete="tel"
              />
              {phoneError && (
                <small className="field-error" data-testid="phone-error">
                  {t(problemText[phoneError])}
                </small>
              )}
            </label>
            {isNative() && getInitData() && (
              <button
                type="button"
                className="btn secondary"
                onClick={checkout.sharePhone}
                disabled={checkout.waitingPhone}
                data-testid="share-phone"
              >
                <Icon name="phone" />{" "}
                {checkout.waitingPhone ? t("app.cart.phoneWaiting") : t("app.cart.sharePhone")}
              </button>
            )}
          </div>
        )}
        <label className="field">
          <span>{t("app.cart.comment")}</span>
          <input
            value={form.comment}
            placeholder={t("app.cart.commentPlaceholder")}
            onChange={(e) => checkout.setField("comment", e.target.value)}
            maxLength={500}
            data-testid="comment"
          />
        </label>
      </section>
    </>
  );
}
