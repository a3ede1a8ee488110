import {
  createOrderBody,
  type DeliveryType,
  formatQuantity,
  isOnSale,
  lineSaving,
  lineTotal,
  quantityStep,
  itemsTotal as sumLines,
} from "@lastbite/shared";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Icon } from "../components/icon.tsx";
import { OfferPhoto } from "../components/offer-photo.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Segmented, Stepper } from "../components/ui.tsx";
import { ApiError, getInitData, randomKey } from "../lib/api.ts";
import { type CartItem, clearCart, refreshFromOffers, setQuantity, useCart } from "../lib/cart.ts";
import { type Offer, placeOrder } from "../lib/endpoints.ts";
import { errorText, useI18n } from "../lib/i18n.tsx";
import { useMe } from "../lib/me.ts";
import { keys, meQuery, offersQuery, storeQuery } from "../lib/queries.ts";
import { navigate, switchTab } from "../lib/router.ts";
import { toast } from "../lib/toast.ts";
import { haptic, isNative, requestPhone } from "../telegram/bridge.ts";
import { useMainButton } from "../telegram/buttons.ts";

type Field = "delivery_address" | "customer_phone";
const CONTACT_KEY = "lastbite.contact";

function loadContact(): { address: string; phone: string } {
  try {
    const v = JSON.parse(localStorage.getItem(CONTACT_KEY) ?? "{}") as { address?: string; phone?: string };
    return { address: v.address ?? "", phone: v.phone ?? "" };
  } catch {
    return { address: "", phone: "" };
  }
}

function CartLine({ item, offer }: { item: CartItem; offer: Offer | undefined }) {
  const i18n = useI18n();
  const gone = !offer || !isOnSale(offer);
  const short = !!offer && !gone && item.quantity > offer.quantity;
  const step = quantityStep(item.unit);
  return (
    <div className="cart-line" data-testid={`cart-line-${item.offer_id}`}>
      <OfferPhoto offer={{ id: item.offer_id, photo_url: item.photo_url, title: item.title }} />
      <div className="cart-line-body">
        <div className="offer-title">{item.title}</div>
        <div className="meta">
          {i18n.som(item.price)}
          {item.unit !== "piece" ? ` / ${item.unit}` : ""}
        </div>
        {gone && <div className="bad small">{i18n.t("app.cart.unavailable")}</div>}
        {short && offer && (
          <div className="bad small" data-testid="stock-warning">
            {i18n.t("app.cart.onlyLeft", { count: formatQuantity(offer.quantity, offer.unit) })}
          </div>
        )}
        <div className="row spread">
          {gone ? (
            <button type="button" className="link danger" onClick={() => setQuantity(item.offer_id, 0)}>
              {i18n.t("app.cart.remove")}
            </button>
          ) : (
            <Stepper
              value={item.quantity}
              min={0}
              max={offer?.quantity ?? item.quantity}
              step={step}
              onChange={(v) => {
                haptic.select();
                setQuantity(item.offer_id, v);
              }}
              format={(v) => formatQuantity(v, item.unit)}
            />
          )}
          <b>{i18n.som(lineTotal(item.price, item.quantity))}</b>
        </div>
      </div>
    </div>
  );
}

export default function CartPage() {
  const i18n = useI18n();
  const { t, som } = i18n;
  const cart = useCart();
  const qc = useQueryClient();
  const { me } = useMe();
  const store = useQuery({ ...storeQuery(cart?.store_id ?? 0), enabled: !!cart });
  const offers = useQuery({ ...offersQuery(cart?.store_id), enabled: !!cart });
  const saved = useMemo(loadContact, []);
  const [type, setType] = useState<DeliveryType>("pickup");
  const [address, setAddress] = useState(saved.address);
  const [phone, setPhone] = useState(saved.phone);
  const [comment, setComment] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [waitingPhone, setWaitingPhone] = useState(false);
  const inFlight = useRef(false);
  // One idempotency key per checkout: a double tap re-sends the same body with the same key and
  // gets the same order back. A changed body (after fixing an error) gets a new key.
  const attempt = useRef<{ key: string; body: string } | null>(null);

  const offerById = useMemo(() => new Map((offers.data?.offers ?? []).map((o) => [o.id, o])), [offers.data]);
  useEffect(() => {
    if (offers.data) refreshFromOffers(offers.data.offers);
  }, [offers.data]);

  const mePhone = me?.user.phone;
  useEffect(() => {
    if (mePhone && !phone) setPhone(mePhone);
  }, [mePhone, phone]);

  const s = store.data;
  const items = cart?.items ?? [];
  const itemsTotal = sumLines(items);
  const savings = items.reduce((sum, i) => sum + lineSaving(i), 0);
  const delivery = type === "delivery";
  const deliveryCost = delivery && s ? s.delivery_fee : 0;
  const total = itemsTotal + deliveryCost;
  // The shop's minimum applies to delivery only (as on the server): pickup of one pastry is fine.
  const missing = delivery && s ? s.min_order_amount - itemsTotal : 0;
  const stockProblem =
    !!offers.data &&
    items.some((i) => {
      const o = offerById.get(i.offer_id);
      return !o || !isOnSale(o) || i.quantity > o.quantity;
    });

  useEffect(() => {
    if (s && !s.delivery_enabled && type === "delivery") setType("pickup");
  }, [s, type]);

  async function sharePhone() {
    haptic.impact();
    const status = await requestPhone();
    if (status !== "sent") return;
    setWaitingPhone(true);
    // The bot receives the contact and the server exposes it on /api/me shortly after.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 1000 + i * 500));
      try {
        const fresh = await qc.fetchQuery({ ...meQuery(), staleTime: 0 });
        if (fresh.user.phone) {
          setPhone(fresh.user.phone);
          setFieldErrors((e) => ({ ...e, customer_phone: undefined }));
          break;
        }
      } catch {
        // keep trying
      }
    }
    setWaitingPhone(false);
  }

  async function submit() {
    if (!cart || !s || inFlight.current) return;
    setFormError(null);
    const body = {
      items: cart.items.map((i) => ({ offer_id: i.offer_id, quantity: i.quantity })),
      delivery_type: type,
      ...(delivery
        ? { delivery_address: address.trim() || undefined, customer_phone: phone.trim() || undefined }
        : {}),
      comment: comment.trim() || undefined,
    };
    const parsed = createOrderBody.safeParse(body);
    if (!parsed.success) {
      const errs: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = issue.path[0];
        if (field === "delivery_address")
          errs.delivery_address = address.trim() ? t("app.cart.addressTooShort") : t("app.cart.required");
        if (field === "customer_phone")
          errs.customer_phone = phone.trim() ? t("app.cart.invalidPhone") : t("app.cart.required");
      }
      setFieldErrors(errs);
      setFormError(Object.keys(errs).length ? t("app.cart.fixErrors") : t("app.error.invalid_request"));
      haptic.notify("error");
      return;
    }
    setFieldErrors({});
    const json = JSON.stringify(parsed.data);
    if (!attempt.current || attempt.current.body !== json) attempt.current = { key: randomKey(), body: json };
    inFlight.current = true;
    setSubmitting(true);
    try {
      const order = await placeOrder(parsed.data, attempt.current.key);
      if (delivery) {
        try {
          localStorage.setItem(CONTACT_KEY, JSON.stringify({ address: address.trim(), phone: phone.trim() }));
        } catch {
          // not essential
        }
      }
      clearCart();
      qc.setQueryData(keys.order(order.id), order);
      void qc.invalidateQueries({ queryKey: keys.orderLists });
      void qc.invalidateQueries({ queryKey: ["offers"] });
      haptic.notify("success");
      toast(t("app.cart.ordered"), "success");
      switchTab({ name: "orders" });
      navigate({ name: "order", id: order.id });
    } catch (e) {
      haptic.notify("error");
      const err = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
      if (err.code === "idempotency_conflict") attempt.current = null;
      if (err.code === "insufficient_stock" || err.code === "offer_unavailable") void offers.refetch();
      if (err.code === "below_min_order" && s)
        setFormError(
          t("app.error.below_min_order_amount", {
            min: som(s.min_order_amount),
            missing: som(Math.max(0, s.min_order_amount - itemsTotal)),
          }),
        );
      else if (err.code === "invalid_phone") {
        setFieldErrors({ customer_phone: t("app.cart.invalidPhone") });
        setFormError(errorText(i18n, err.code));
      } else if (err.code === "invalid_request" && err.errors.length) {
        const errs: Partial<Record<Field, string>> = {};
        for (const x of err.errors) {
          if (x.path.includes("delivery_address")) errs.delivery_address = t("app.cart.addressTooShort");
          if (x.path.includes("customer_phone")) errs.customer_phone = t("app.cart.invalidPhone");
        }
        setFieldErrors(errs);
        setFormError(errorText(i18n, err.code));
      } else setFormError(errorText(i18n, err.code));
    } finally {
      inFlight.current = false;
      setSubmitting(false);
    }
  }

  const canOrder = !!cart && !!s && !!offers.data && missing <= 0 && !stockProblem;
  useMainButton(
    cart && s
      ? {
          text: submitting ? t("app.cart.placing") : t("app.cart.placeOrder", { total: som(total) }),
          onClick: () => void submit(),
          disabled: !canOrder,
          progress: submitting,
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

  const error = store.error ?? offers.error;
  return (
    <Page
      title={t("app.cart.title")}
      actions={
        <button type="button" className="link danger" onClick={() => clearCart()} data-testid="clear-cart">
          {t("app.cart.clear")}
        </button>
      }
    >
      {error && !(s && offers.data) ? (
        <ErrorView error={error} onRetry={() => void Promise.all([store.refetch(), offers.refetch()])} />
      ) : !s ? (
        <LoadingView />
      ) : (
        <div className="checkout" data-testid="checkout">
          <section className="card">
            <div className="meta">{t("app.cart.from", { store: s.name })}</div>
            {items.map((i) => (
              <CartLine
                key={i.offer_id}
                item={i}
                offer={offers.data ? offerById.get(i.offer_id) : undefined}
              />
            ))}
          </section>

          <h2 className="section-title">{t("app.cart.howToGet")}</h2>
          <section className="card">
            <Segmented
              value={type}
              onChange={(v) => {
                haptic.select();
                setType(v);
              }}
              testId="delivery-type"
              options={[
                { value: "pickup", label: t("app.cart.pickup") },
                { value: "delivery", label: t("app.cart.delivery"), disabled: !s.delivery_enabled },
              ]}
            />
            {!s.delivery_enabled && <p className="hint small">{t("app.cart.noDelivery")}</p>}
            {!delivery ? (
              <p className="meta">
                <Icon name="pin" size={13} /> {t("app.cart.pickupAt", { address: s.address })}
              </p>
            ) : (
              <div className="fields">
                <label className="field">
                  <span>{t("app.cart.address")}</span>
                  <textarea
                    rows={2}
                    value={address}
                    placeholder={t("app.cart.addressPlaceholder")}
                    onChange={(e) => {
                      setAddress(e.target.value);
                      setFieldErrors((x) => ({ ...x, delivery_address: undefined }));
                    }}
                    aria-invalid={!!fieldErrors.delivery_address}
                    data-testid="address"
                    autoComplete="street-address"
                  />
                  {fieldErrors.delivery_address && (
                    <small className="field-error" data-testid="address-error">
                      {fieldErrors.delivery_address}
                    </small>
                  )}
                </label>
                <label className="field">
                  <span>{t("app.cart.phone")}</span>
                  <input
                    type="tel"
                    inputMode="tel"
                    value={phone}
                    placeholder={t("app.cart.phonePlaceholder")}
                    onChange={(e) => {
                      setPhone(e.target.value);
                      setFieldErrors((x) => ({ ...x, customer_phone: undefined }));
                    }}
                    aria-invalid={!!fieldErrors.customer_phone}
                    data-testid="phone"
                    autoComplete="tel"
                  />
                  {fieldErrors.customer_phone && (
                    <small className="field-error" data-testid="phone-error">
                      {fieldErrors.customer_phone}
                    </small>
                  )}
                </label>
                {isNative() && getInitData() && (
                  <button
                    type="button"
                    className="btn secondary"
                    onClick={() => void sharePhone()}
                    disabled={waitingPhone}
                    data-testid="share-phone"
                  >
                    <Icon name="phone" />{" "}
                    {waitingPhone ? t("app.cart.phoneWaiting") : t("app.cart.sharePhone")}
                  </button>
                )}
              </div>
            )}
            <label className="field">
              <span>{t("app.cart.comment")}</span>
              <input
                value={comment}
                placeholder={t("app.cart.commentPlaceholder")}
                onChange={(e) => setComment(e.target.value)}
                maxLength={500}
                data-testid="comment"
              />
            </label>
          </section>

          <section className="card summary" data-testid="summary">
            <div className="row spread">
              <span>{t("app.cart.itemsTotal")}</span>
              <span data-testid="items-total">{som(itemsTotal)}</span>
            </div>
            {delivery && (
              <div className="row spread">
                <span>{t("app.cart.deliveryCost")}</span>
                <span data-testid="delivery-cost">
                  {deliveryCost > 0 ? som(deliveryCost) : t("app.cart.free")}
                </span>
              </div>
            )}
            <div className="row spread total">
              <span>{t("app.cart.total")}</span>
              <span data-testid="total">{som(total)}</span>
            </div>
            {savings > 0 && <div className="ok small">{t("app.cart.saved", { amount: som(savings) })}</div>}
          </section>

          {missing > 0 && (
            <p className="notice warn" data-testid="min-order">
              {t("app.cart.minOrder", { min: som(s.min_order_amount), missing: som(missing) })}
            </p>
          )}
          {formError && (
            <p className="notice bad" role="alert" data-testid="checkout-error">
              {formError}
            </p>
          )}
        </div>
      )}
    </Page>
  );
}
