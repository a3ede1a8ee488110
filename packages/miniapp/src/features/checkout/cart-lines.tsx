import { lineTotal } from "@lastbite/shared";
import { OfferPhoto } from "../../components/offer-photo.tsx";
import { Stepper } from "../../components/ui.tsx";
import { type CartItem, parseQty, setQuantity, tapStep } from "../../lib/cart.ts";
import type { Offer } from "../../lib/endpoints.ts";
import { amount, stepperValue, unitPrice } from "../../lib/format.ts";
import { useI18n } from "../../lib/i18n.tsx";
import { haptic } from "../../telegram/bridge.ts";
import { lineState } from "./checkout.ts";

function CartLine(props: { item: CartItem; offers: Map<number, Offer> | undefined; now: number }) {
  const { item, now } = props;
  const i18n = useI18n();
  const offer = props.offers?.get(item.offer_id);
  // Until the shop's offers load, a line is shown as it was added.
  const state = props.offers ? lineState(item, offer, now) : "ok";
  return (
    <div className="cart-line" data-testid={`cart-line-${item.offer_id}`}>
      <OfferPhoto offer={{ id: item.offer_id, photo_url: item.photo_url, title: item.title }} />
      <div className="cart-line-body">
        <div className="offer-title">{item.title}</div>
        <div className="meta">{unitPrice(i18n, item.price, item.unit)}</div>
        {state === "gone" && <div className="bad small">{i18n.t("app.cart.unavailable")}</div>}
        {state === "short" && offer && (
          <div className="bad small" data-testid="stock-warning">
            {i18n.t("app.cart.onlyLeft", { count: amount(i18n, offer.quantity, offer.unit) })}
          </div>
        )}
        <div className="row spread">
          {state === "gone" ? (
            <button type="button" className="link danger" onClick={() => setQuantity(item.offer_id, 0)}>
              {i18n.t("app.cart.remove")}
            </button>
          ) : (
            <Stepper
              value={item.quantity}
              min={0}
              max={offer?.quantity ?? item.quantity}
              step={tapStep(item.unit)}
              parse={item.unit === "piece" ? undefined : (text) => parseQty(text, item.unit)}
              onChange={(v) => {
                haptic.select();
                setQuantity(item.offer_id, v);
              }}
              format={(v) => stepperValue(i18n, v, item.unit)}
            />
          )}
          <b>{i18n.som(lineTotal(item.price, item.quantity))}</b>
        </div>
      </div>
    </div>
  );
}

/**
 * The cart's lines, each checked against the shop's current offer: still on sale (expiry
 * included), and enough of it left.
 */
export function CartLines(props: {
  storeName: string;
  items: readonly CartItem[];
  offers: Map<number, Offer> | undefined;
  now: number;
}) {
  const { t } = useI18n();
  return (
    <section className="card">
      <div className="meta">{t("app.cart.from", { store: props.storeName })}</div>
      {props.items.map((i) => (
        <CartLine key={i.offer_id} item={i} offers={props.offers} now={props.now} />
      ))}
    </section>
  );
}
