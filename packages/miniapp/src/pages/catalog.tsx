import { isOnSale, lineTotal, type OfferSort, quantityStep, STORE_CATEGORIES } from "@lastbite/shared";
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { Icon } from "../components/icon.tsx";
import { MoreOnScroll } from "../components/more-on-scroll.tsx";
import { OfferPhoto } from "../components/offer-photo.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Price, Stepper } from "../components/ui.tsx";
import {
  type CatalogFilter,
  formatDistance,
  useCatalogFilter,
} from "../features/discovery/catalog-filter.ts";
import { shareOffer } from "../features/discovery/share.ts";
import { addToCart, parseQty, roundQty, tapStep, useCart } from "../lib/cart.ts";
import { type Offer, type OfferFilter, type Store, setFavourite } from "../lib/endpoints.ts";
import { amount, pickupWindow, stepperValue } from "../lib/format.ts";
import { type I18n, useI18n } from "../lib/i18n.tsx";
import { useMe } from "../lib/me.ts";
import {
  catalogQuery,
  favouritesQuery,
  keys,
  offerQuery,
  offersQuery,
  storeQuery,
  storesQuery,
} from "../lib/queries.ts";
import { goBack, navigate } from "../lib/router.ts";
import { toast } from "../lib/toast.ts";
import { useDebounced } from "../lib/use-debounced.ts";
import { haptic, openLink } from "../telegram/bridge.ts";
import { useMainButton } from "../telegram/buttons.ts";
import { directionsUrl, locateMe } from "../telegram/location.ts";

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
  const shopZone = useMe().me?.shop_timezone;
  const window = pickupWindow(i18n, offer.pickup_from, offer.pickup_until, store?.timezone ?? shopZone);
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
        {store && (
          <div className="meta">
            {store.name}
            {offer.distance_m != null && (
              <span data-testid={`distance-${offer.id}`}> · {formatDistance(i18n, offer.distance_m)}</span>
            )}
          </div>
        )}
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

/** What can be ordered now: the server lists only that, but a page stays open while offers expire. */
function onSale(offers: Offer[]): Offer[] {
  const seen = new Set<number>();
  // An offer whose price changed between two pages may come twice: show it once.
  return offers.filter((o) => isOnSale(o) && !seen.has(o.id) && seen.add(o.id));
}

function OfferList(props: { offers: Offer[]; stores?: Map<number, Store>; empty: ReactNode }) {
  const list = onSale(props.offers);
  if (list.length === 0) return props.empty;
  return (
    <div className="offer-list" data-testid="offer-list">
      {list.map((o) => (
        <OfferCard key={o.id} offer={o} store={props.stores?.get(o.store_id)} />
      ))}
    </div>
  );
}

const SORTS: (OfferSort | null)[] = [null, "ending", "price", "discount", "distance"];

/** Search box, "near me", sort and category chips above the catalogue. */
function CatalogControls({
  filter,
  change,
}: {
  filter: CatalogFilter;
  change: (c: Partial<CatalogFilter>) => void;
}) {
  const i18n = useI18n();
  const [text, setText] = useState(filter.q);
  const q = useDebounced(text, 300);
  const [locating, setLocating] = useState(false);
  useEffect(() => {
    if (q !== filter.q) change({ q });
  }, [q, filter.q, change]);
  const nearMe = async () => {
    if (filter.near) {
      change({ near: null });
      return;
    }
    setLocating(true);
    const at = await locateMe();
    setLocating(false);
    if (at.ok) change({ near: at.at, sort: "distance" });
    else toast(i18n.t("app.catalog.locationDenied"), "info", 3000);
  };
  return (
    <div className="catalog-controls">
      <label className="search-box">
        <Icon name="search" size={16} />
        <input
          type="search"
          enterKeyHint="search"
          value={text}
          maxLength={200}
          placeholder={i18n.t("app.catalog.search")}
          onChange={(e) => setText(e.target.value)}
          data-testid="search"
        />
      </label>
      <div className="chip-row">
        <button
          type="button"
          className={`filter-chip ${filter.near ? "on" : ""}`}
          onClick={() => void nearMe()}
          disabled={locating}
          aria-pressed={!!filter.near}
          data-testid="near-me"
        >
          <Icon name="navigation" size={13} />{" "}
          {locating ? i18n.t("app.catalog.locating") : i18n.t("app.catalog.nearMe")}
        </button>
        {SORTS.filter((x) => x !== "distance" || filter.near).map((x) => (
          <button
            type="button"
            key={x ?? "default"}
            className={`filter-chip ${filter.sort === x ? "on" : ""}`}
            aria-pressed={filter.sort === x}
            onClick={() => change({ sort: x })}
            data-testid={`sort-${x ?? "default"}`}
          >
            {i18n.t(`app.catalog.sort.${x ?? "default"}`)}
          </button>
        ))}
      </div>
      <div className="chip-row">
        {[null, ...STORE_CATEGORIES].map((c) => (
          <button
            type="button"
            key={c ?? "all"}
            className={`filter-chip ${filter.category === c ? "on" : ""}`}
            aria-pressed={filter.category === c}
            onClick={() => change({ category: c })}
            data-testid={`category-${c ?? "all"}`}
          >
            {c ? i18n.t(`app.category.${c}`) : i18n.t("app.catalog.allCategories")}
          </button>
        ))}
      </div>
    </div>
  );
}

export function CatalogPage() {
  const i18n = useI18n();
  const [filter, change] = useCatalogFilter();
  const stores = useQuery(storesQuery());
  const query: OfferFilter = useMemo(
    () => ({
      limit: 20,
      ...(filter.q.trim() ? { q: filter.q.trim() } : {}),
      ...(filter.sort ? { sort: filter.sort } : {}),
      ...(filter.category ? { category: filter.category } : {}),
      ...(filter.near ? { near: filter.near } : {}),
    }),
    [filter],
  );
  const offers = useInfiniteQuery({ ...catalogQuery(query), placeholderData: keepPreviousData });
  const byId = useMemo(() => new Map((stores.data?.stores ?? []).map((s) => [s.id, s])), [stores.data]);
  const list = useMemo(() => offers.data?.pages.flatMap((p) => p.offers), [offers.data]);
  const error = stores.error ?? offers.error;
  const searching = !!query.q || !!query.category;
  return (
    <Page>
      <section className="hero">
        <h1>{i18n.t("app.catalog.title")}</h1>
        <p className="hint">{i18n.t("app.catalog.subtitle")}</p>
      </section>
      <CatalogControls filter={filter} change={change} />
      {error && !(stores.data && list) ? (
        <ErrorView
          error={error}
          onRetry={() => {
            void stores.refetch();
            void offers.refetch();
          }}
        />
      ) : !stores.data || !list ? (
        <LoadingView />
      ) : (
        <>
          {!searching && stores.data.stores.length > 0 && (
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
            offers={list}
            stores={byId}
            empty={
              <EmptyView
                icon={searching ? "search" : "moon"}
                text={query.q ? i18n.t("app.catalog.noResults", { q: query.q }) : i18n.t("app.catalog.empty")}
              />
            }
          />
          <MoreOnScroll
            hasMore={offers.hasNextPage}
            busy={offers.isFetchingNextPage}
            onMore={() => {
              if (!offers.isFetchingNextPage) void offers.fetchNextPage();
            }}
            label={i18n.t("app.catalog.loadingMore")}
          />
        </>
      )}
    </Page>
  );
}

/** ♡ on a shop: follow it, and hear in the bot when it posts something new. */
function FollowButton({ store }: { store: Store }) {
  const i18n = useI18n();
  const qc = useQueryClient();
  const favourites = useQuery(favouritesQuery());
  const following = favourites.data?.stores.some((x) => x.id === store.id) ?? false;
  const toggle = useMutation({
    mutationFn: (on: boolean) => setFavourite(store.id, on),
    onSuccess: (_r, on) => {
      haptic.impact("light");
      if (on) toast(i18n.t("app.store.followed", { name: store.name }), "success", 2500);
      void qc.invalidateQueries({ queryKey: keys.favourites });
    },
    onError: () => toast(i18n.t("app.error.network"), "error"),
  });
  const on = toggle.isPending ? toggle.variables : following;
  return (
    <button
      type="button"
      className={`icon-button ${on ? "on" : ""}`}
      aria-pressed={on}
      disabled={!favourites.data || toggle.isPending}
      onClick={() => toggle.mutate(!following)}
      data-testid="follow"
    >
      <Icon name="heart" size={14} /> {on ? i18n.t("app.store.following") : i18n.t("app.store.follow")}
    </button>
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
            <div className="actions-row">
              <FollowButton store={s} />
              {s.lat != null && s.lng != null && (
                <a
                  className="icon-button"
                  href={directionsUrl({ lat: s.lat, lng: s.lng })}
                  target="_blank"
                  rel="noopener noreferrer"
                  onClick={(e) => {
                    e.preventDefault();
                    openLink(directionsUrl({ lat: s.lat as number, lng: s.lng as number }));
                  }}
                  data-testid="directions"
                >
                  <Icon name="navigation" size={14} /> {i18n.t("app.store.directions")}
                </a>
              )}
            </div>
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
  const shopZone = useMe().me?.shop_timezone;
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

  const zone = store.data?.timezone ?? shopZone;
  const window = o ? pickupWindow(i18n, o.pickup_from, o.pickup_until, zone) : null;
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
          <div className="actions-row">
            <button
              type="button"
              className="icon-button"
              onClick={() => void shareOffer(o, store.data?.name ?? "", i18n)}
              data-testid="share"
            >
              <Icon name="share" size={14} /> {i18n.t("app.offer.share")}
            </button>
          </div>
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
