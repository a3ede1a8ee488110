import { isOnSale, lineTotal, quantityStep } from "@lastbite/shared";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useMemo, useState } from "react";
import { Icon } from "../components/icon.tsx";
import { OfferPhoto } from "../components/offer-photo.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Price, Stepper } from "../components/ui.tsx";
import { addToCart, parseQty, roundQty, tapStep, useCart } from "../lib/cart.ts";
import type { Offer, Store } from "../lib/endpoints.ts";
import { amount, pickupWindow, stepperValue } from "../lib/format.ts";
import { type I18n, useI18n } from "../lib/i18n.tsx";
import { offerQuery, offersQuery, storeQuery, storesQuery } from "../lib/queries.ts";
import { goBack, navigate } from "../lib/router.ts";
import { toast } from "../lib/toast.ts";
import { haptic } from "../telegram/bridge.ts";
import { useMainButton } from "../telegram/buttons.ts";

function StoreMeta({ store }: { store: Store }) {
  const { t, som } = useI18n();
  return (
    <span className="meta">
      {store.rating !== null
        ? t("app.store.rating", { rating: store.rating.toFixed(1), count: store.ratings_count })
        : t("app.store.noRating")}
      {" · "}
      {store.delivery_enabled
        ? store.delivery_fee > 0
          ? t("app.store.delivery", { fee: som(store.delivery_fee) })
          : t("app.store.freeDelivery")
        : t("app.store.pickupOnly")}
    </span>
  );
}

function OfferCard({ offer, store }: { offer: Offer; store?: Store }) {
  const i18n = useI18n();
  const window = pickupWindow(i18n, offer.pickup_from, offer.pickup_until);
  const soldOut = !isOnSale(offer);
  return (
    <button
      type="button"
      className={`offer-card ${soldOut ? "sold-out" : ""}`}
      onClick={() => navigate({ name: "offer", id: offer.id })}
      data-testid={`offer-${offer.id}`}
    >
      <OfferPhoto offer={offer} />
      <div className="offer-body">
        <div className="offer-title">{offer.title}</div>
        {store && <div className="meta">{store.name}</div>}
        <Price price={offer.price} original={offer.original_price} unit={offer.unit} />
        <div className="meta">
          <span className={soldOut ? "bad" : "stock"}>
            {soldOut
              ? i18n.t("app.offer.soldOut")
              : i18n.t("app.offer.left", { count: amount(i18n, offer.quantity, offer.unit) })}
          </span>
          {window && <> · {window}</>}
        </div>
      </div>
    </button>
  );
}

/** What can be ordered now (the server lists only that, but a page stays open while offers expire), newest first. */
function onSale(offers: Offer[]): Offer[] {
  return offers.filter((o) => isOnSale(o)).sort((a, b) => b.id - a.id);
}

function OfferList(props: { offers: Offer[]; stores?: Map<number, Store>; empty: ReactNode }) {
  const list = onSale(props.offers);
  if (list.length === 0) return props.empty;
  return (
    <div className="offer-list">
      {list.map((o) => (
        <OfferCard key={o.id} offer={o} store={props.stores?.get(o.store_id)} />
      ))}
    </div>
  );
}

export function CatalogPage() {
  const i18n = useI18n();
  const stores = useQuery(storesQuery());
  const offers = useQuery(offersQuery());
  const byId = useMemo(() => new Map((stores.data?.stores ?? []).map((s) => [s.id, s])), [stores.data]);
  const error = stores.error ?? offers.error;
  return (
    <Page>
      <section className="hero">
        <h1>{i18n.t("app.catalog.title")}</h1>
        <p className="hint">{i18n.t("app.catalog.subtitle")}</p>
      </section>
      {error && !(stores.data && offers.data) ? (
        <ErrorView
          error={error}
          onRetry={() => {
            void stores.refetch();
            void offers.refetch();
          }}
        />
      ) : !stores.data || !offers.data ? (
        <LoadingView />
      ) : (
        <>
          {stores.data.stores.length > 0 && (
            <>
              <h2 className="section-title">{i18n.t("app.catalog.stores")}</h2>
              <div className="store-strip">
                {stores.data.stores.map((s) => (
                  <button
                    type="button"
                    key={s.id}
                    className="store-chip"
                    onClick={() => navigate({ name: "store", id: s.id })}
                    data-testid={`store-${s.id}`}
                  >
                    <span className="store-avatar">{s.name.slice(0, 1).toUpperCase()}</span>
                    <span className="store-chip-text">
                      <b>{s.name}</b>
                      <StoreMeta store={s} />
                    </span>
                  </button>
                ))}
              </div>
            </>
          )}
          <h2 className="section-title">{i18n.t("app.catalog.offers")}</h2>
          <OfferList
            offers={offers.data.offers}
            stores={byId}
            empty={<EmptyView icon="moon" text={i18n.t("app.catalog.empty")} />}
          />
        </>
      )}
    </Page>
  );
}

export function StorePage({ id }: { id: number }) {
  const i18n = useI18n();
  const store = useQuery(storeQuery(id));
  const offers = useQuery(offersQuery(id));
  const error = store.error ?? offers.error;
  const s = store.data;
  return (
    <Page title={s?.name} onBack={() => goBack({ name: "catalog" })}>
      {error && !(s && offers.data) ? (
        <ErrorView error={error} onRetry={() => void Promise.all([store.refetch(), offers.refetch()])} />
      ) : !s || !offers.data ? (
        <LoadingView />
      ) : (
        <>
          <section className="card">
            <div className="row">
              <span className="store-avatar big">{s.name.slice(0, 1).toUpperCase()}</span>
              <div>
                <div className="meta">
                  <Icon name="pin" size={13} /> {s.address}
                </div>
                <StoreMeta store={s} />
                {s.min_order_amount > 0 && (
                  <div className="meta">
                    {i18n.t("app.store.minOrder", { amount: i18n.som(s.min_order_amount) })}
                  </div>
                )}
              </div>
            </div>
            {s.description && <p>{s.description}</p>}
          </section>
          <OfferList
            offers={offers.data.offers}
            empty={<EmptyView icon="bag" text={i18n.t("app.store.empty")} />}
          />
        </>
      )}
    </Page>
  );
}

function maxFor(offer: Offer): number {
  return offer.quantity;
}

function addButtonText(i18n: I18n, otherStore: boolean, inCartSame: boolean, total: number): string {
  if (inCartSame) return i18n.t("app.offer.goToCart");
  return otherStore
    ? i18n.t("app.offer.replaceCart", { total: i18n.som(total) })
    : i18n.t("app.offer.addToCart", { total: i18n.som(total) });
}

export function OfferPage({ id }: { id: number }) {
  const i18n = useI18n();
  const offer = useQuery(offerQuery(id));
  const o = offer.data;
  const store = useQuery({ ...storeQuery(o?.store_id ?? 0), enabled: !!o });
  const cart = useCart();
  const inCart = cart?.items.find((i) => i.offer_id === id);
  const [qty, setQty] = useState<number | null>(null);
  const step = o ? quantityStep(o.unit) : 1;
  const quantity = qty ?? inCart?.quantity ?? (o && o.unit !== "piece" ? Math.min(1, o.quantity) : 1);
  const otherStore = !!cart && !!o && cart.store_id !== o.store_id;
  const available = !!o && isOnSale(o);
  const inCartSame = !!inCart && inCart.quantity === quantity;
  const total = o ? lineTotal(o.price, quantity) : 0;

  useMainButton(
    o && available && store.data
      ? {
          text: addButtonText(i18n, otherStore, inCartSame, total),
          testId: "add-to-cart",
          onClick: () => {
            if (inCartSame) {
              navigate({ name: "cart" });
              return;
            }
            addToCart(o, store.data?.name ?? "", roundQty(quantity, o.unit));
            haptic.notify("success");
            toast(i18n.t("app.offer.added"), "success", 2000);
          },
        }
      : null,
  );

  const window = o ? pickupWindow(i18n, o.pickup_from, o.pickup_until) : null;
  return (
    <Page onBack={() => goBack({ name: "catalog" })}>
      {offer.error && !o ? (
        <ErrorView error={offer.error} onRetry={() => void offer.refetch()} />
      ) : !o ? (
        <LoadingView />
      ) : (
        <article className="offer-detail" data-testid="offer-detail">
          <OfferPhoto offer={o} large />
          <section className="card">
            <h1>{o.title}</h1>
            <Price price={o.price} original={o.original_price} unit={o.unit} />
            <div className="meta">
              <span className={available ? "stock" : "bad"}>
                {available
                  ? i18n.t("app.offer.left", { count: amount(i18n, o.quantity, o.unit) })
                  : i18n.t("app.offer.soldOut")}
              </span>
            </div>
            {window && (
              <div className="meta">
                <Icon name="clock" size={13} /> {i18n.t("app.offer.pickup", { window })}
              </div>
            )}
          </section>
          {available && (
            <section className="card row spread">
              <span>{i18n.t("app.offer.quantity")}</span>
              <Stepper
                value={quantity}
                min={step}
                max={maxFor(o)}
                step={tapStep(o.unit)}
                parse={o.unit === "piece" ? undefined : (text) => parseQty(text, o.unit)}
                onChange={(v) => {
                  haptic.select();
                  setQty(v);
                }}
                format={(v) => stepperValue(i18n, v, o.unit)}
              />
            </section>
          )}
          {otherStore && cart && (
            <p className="notice warn" data-testid="other-store">
              {i18n.t("app.offer.otherStore", { store: cart.store_name })}
            </p>
          )}
          {o.description && (
            <section className="card">
              <h2 className="section-title inline">{i18n.t("app.offer.description")}</h2>
              <p>{o.description}</p>
            </section>
          )}
          {store.data && (
            <button
              type="button"
              className="card row link-card"
              onClick={() => navigate({ name: "store", id: o.store_id })}
            >
              <span className="store-avatar">{store.data.name.slice(0, 1).toUpperCase()}</span>
              <span>
                <b>{store.data.name}</b>
                <span className="meta block">
                  <Icon name="pin" size={13} /> {store.data.address}
                </span>
              </span>
            </button>
          )}
        </article>
      )}
    </Page>
  );
}
