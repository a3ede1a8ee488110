import { formatPhone, isFailedStatus, isFinalStatus, type OrderStatus } from "@lastbite/shared";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { ContactSeller } from "../components/contact-seller.tsx";
import { Icon } from "../components/icon.tsx";
import { LiveBadge } from "../components/live-badge.tsx";
import { QrCode } from "../components/qr.tsx";
import { ErrorView, LoadingView, Page, StatusChip } from "../components/ui.tsx";
import { orderAgain } from "../features/discovery/order-again.ts";
import { fetchOffer, type Order } from "../lib/endpoints.ts";
import { lineQuantity } from "../lib/format.ts";
import { errorText, type I18n, useI18n } from "../lib/i18n.tsx";
import { useOrderEvents } from "../lib/live.ts";
import { useMe } from "../lib/me.ts";
import {
  awaitsCode,
  buyerCanCancel,
  hasLiveCode,
  pickupWindowState,
  reasonText,
  timelineSteps,
} from "../lib/order-logic.ts";
import { keys, orderQuery, sellerOrderQuery, useCancelOrder, useRateOrder } from "../lib/queries.ts";
import { goBack, navigate } from "../lib/router.ts";
import { toast } from "../lib/toast.ts";
import { haptic } from "../telegram/bridge.ts";
import { useSecondaryButton } from "../telegram/buttons.ts";
import { offerHomeScreenOnce } from "../telegram/home-screen.ts";
import { SellerOrder } from "./seller.tsx";

function Timeline({ order }: { order: Order }) {
  const i18n = useI18n();
  return (
    <ol className="timeline" data-testid="timeline">
      {timelineSteps(order).map((s) => (
        <li key={s.status} className={`step ${s.state}`} data-status={s.status}>
          <span className="dot" />
          <span className="step-text">{i18n.t(`status.${s.status}`)}</span>
          {s.at && <span className="meta">{i18n.dateTimeIn(s.at, order.store.timezone)}</span>}
        </li>
      ))}
    </ol>
  );
}

/** The current time, ticking every second while `on`: what a countdown re-renders with. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [on]);
  return now;
}

/**
 * The pickup window in the shop's zone, with a live countdown while the order is open ("closes in
 * 42 min", then "window closed"); for a pending order also when the shop must answer by.
 */
function PickupWindow({ order }: { order: Order }) {
  const i18n = useI18n();
  const { t } = i18n;
  const live = !isFinalStatus(order.status);
  const now = useNow(live);
  const w = pickupWindowState(order, now);
  const zone = order.store.timezone;
  const { pickup_from: from, pickup_until: until } = order;
  const range =
    from && until
      ? `${i18n.dateTimeIn(from, zone, now)}–${i18n.timeIn(until, zone)}`
      : until
        ? t("app.offer.pickupUntil", { time: i18n.dateTimeIn(until, zone, now) })
        : from
          ? t("app.offer.pickupFrom", { time: i18n.dateTimeIn(from, zone, now) })
          : null;
  const pending = order.status === "pending" && Date.parse(order.accept_deadline) > now;
  if (!range && !pending) return null;
  return (
    <section className="card" data-testid="pickup-window">
      {range && order.delivery_type === "pickup" && (
        <div className="kv">
          <span>{t("app.order.window")}</span>
          <span>
            <span data-testid="pickup-window-range">{range}</span>
            {live && w.state !== "none" && (
              <>
                {" · "}
                <b data-testid="pickup-countdown" data-state={w.state}>
                  {w.state === "closed"
                    ? t("app.order.windowClosed")
                    : t(w.state === "opens" ? "app.order.opensIn" : "app.order.closesIn", {
                        time: i18n.duration(w.inMs),
                      })}
                </b>
              </>
            )}
          </span>
        </div>
      )}
      {pending && (
        <p className="hint small" data-testid="accept-deadline">
          {t("app.order.acceptBy", { time: i18n.timeIn(order.accept_deadline, zone) })}
        </p>
      )}
    </section>
  );
}

function Rating({ order }: { order: Order }) {
  const i18n = useI18n();
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState("");
  const rate = useRateOrder(order.id);
  const busy = rate.isPending;
  if (order.rating)
    return (
      <section className="card" data-testid="rating-done">
        <h2 className="section-title inline">{i18n.t("app.order.yourRating")}</h2>
        <div className="stars static" role="img" aria-label={`${order.rating.stars}/5`}>
          {"★★★★★".slice(0, order.rating.stars)}
          <span className="off">{"★★★★★".slice(order.rating.stars)}</span>
        </div>
        {order.rating.comment && <p className="hint">{order.rating.comment}</p>}
      </section>
    );
  function send() {
    if (!stars || busy) return;
    rate.mutate(
      { stars, ...(comment.trim() ? { comment: comment.trim() } : {}) },
      {
        onSuccess: () => {
          haptic.notify("success");
          toast(i18n.t("app.order.rateThanks"), "success");
        },
        onError: () => haptic.notify("error"),
      },
    );
  }
  const error = rate.error ? errorText(i18n, rate.error.code) : null;
  return (
    <section className="card" data-testid="rating">
      <h2 className="section-title inline">{i18n.t("app.order.rateTitle")}</h2>
      <div className="stars">
        {[1, 2, 3, 4, 5].map((n) => (
          <button
            key={n}
            type="button"
            aria-pressed={stars === n}
            aria-label={`${n}`}
            className={n <= stars ? "on" : ""}
            onClick={() => {
              haptic.select();
              setStars(n);
            }}
            data-testid={`star-${n}`}
          >
            ★
          </button>
        ))}
      </div>
      <textarea
        rows={2}
        value={comment}
        maxLength={1000}
        placeholder={i18n.t("app.order.rateComment")}
        onChange={(e) => setComment(e.target.value)}
        data-testid="rating-comment"
      />
      {error && <p className="notice bad">{error}</p>}
      <button
        type="button"
        className="btn"
        disabled={!stars || busy}
        onClick={send}
        data-testid="rating-send"
      >
        {i18n.t("app.order.rateSend")}
      </button>
    </section>
  );
}

function Details({ order, i18n }: { order: Order; i18n: I18n }) {
  const { t, som } = i18n;
  return (
    <section className="card" data-testid="order-details">
      <div className="row spread">
        <b>{order.store.name}</b>
        <span className="meta">
          {order.delivery_type === "delivery" ? t("app.order.delivery") : t("app.order.pickup")}
        </span>
      </div>
      {order.delivery_type === "delivery" ? (
        <>
          <div className="kv">
            <span>{t("app.order.deliveryAddress")}</span>
            <span data-testid="delivery-address">{order.delivery_address}</span>
          </div>
          {order.customer_phone && (
            <div className="kv">
              <span>{t("app.order.phone")}</span>
              <span>{formatPhone(order.customer_phone)}</span>
            </div>
          )}
        </>
      ) : (
        <div className="kv">
          <span>{t("app.order.pickupAddress")}</span>
          <span>{order.store.address}</span>
        </div>
      )}
      <hr />
      {order.items.map((i) => (
        <div key={i.offer_id} className="row spread">
          <span>
            {i.title} <span className="meta">{lineQuantity(i18n, i.quantity, i.unit)}</span>
          </span>
          <span>{som(i.total)}</span>
        </div>
      ))}
      {order.delivery_type === "delivery" && (
        <div className="row spread">
          <span>{t("app.order.deliveryCost")}</span>
          <span data-testid="order-delivery-cost">
            {order.delivery_cost > 0 ? som(order.delivery_cost) : t("app.cart.free")}
          </span>
        </div>
      )}
      <div className="row spread total">
        <span>{t("app.order.total")}</span>
        <span data-testid="order-total">{som(order.total)}</span>
      </div>
      {order.comment && (
        <div className="kv">
          <span>{t("app.order.comment")}</span>
          <span>{order.comment}</span>
        </div>
      )}
    </section>
  );
}

export default function OrderPage({ id }: { id: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const qc = useQueryClient();
  const q = useQuery(orderQuery(id));
  const live = useOrderEvents();
  const cancel = useCancelOrder(id);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const order = q.data;
  const seller = (useMe().me?.stores.length ?? 0) > 0;

  // A toast and a buzz when the status changes, however the news arrived (stream, poll, focus).
  const lastStatus = useRef<OrderStatus | null>(null);
  useEffect(() => {
    if (!order) return;
    const prev = lastStatus.current;
    lastStatus.current = order.status;
    if (prev && prev !== order.status) {
      const bad = isFailedStatus(order.status);
      haptic.notify(bad ? "warning" : "success");
      toast(
        t("app.order.statusChanged", { id: order.id, status: t(`status.${order.status}`) }),
        bad ? "error" : "success",
      );
      // News that came by poll or focus rather than the stream: the lists may be behind too.
      void qc.invalidateQueries({ queryKey: keys.orderLists });
    }
  }, [order, t, qc]);

  function confirmedCancel() {
    if (cancel.isPending) return;
    cancel.mutate(undefined, {
      onError: () => haptic.notify("error"),
      onSettled: () => setConfirmCancel(false),
    });
  }
  const actionError = cancel.error ? errorText(i18n, cancel.error.code) : null;
  const askCancel = () => {
    haptic.impact("medium");
    setConfirmCancel(true);
  };
  // Cancel in Telegram's own bottom bar where the client has the Secondary button (7.10); the
  // confirmation stays on the page. Elsewhere the page's link below.
  const nativeCancel = useSecondaryButton(
    order && buyerCanCancel(order) && !confirmCancel
      ? { text: t("app.order.cancel"), onClick: askCancel, tone: "danger" }
      : null,
  );

  // The first completed order: offer Lastbite on the home screen, once (newer clients only).
  const completed = order?.status === "completed";
  useEffect(() => {
    if (completed) void offerHomeScreenOnce();
  }, [completed]);

  // The bot's "open order" button also reaches sellers: their order is not a buyer's order.
  if (q.error?.code === "not_found" && seller) return <SellerOrderPage id={id} />;

  // The QR code is for handing over at the shop; a delivery order shows its code as text.
  const showQr = !!order && hasLiveCode(order) && order.delivery_type === "pickup";
  const reason = order && isFailedStatus(order.status) ? reasonText(t, order) : null;
  return (
    <Page title={t("app.order.title", { id })} onBack={() => goBack({ name: "orders" })}>
      {q.error && !order ? (
        <ErrorView error={q.error} onRetry={() => void q.refetch()} />
      ) : !order ? (
        <LoadingView />
      ) : (
        <div className="tracking" data-testid="order-page" data-status={order.status}>
          <section className="card status-card">
            <div className="row spread">
              <StatusChip status={order.status} />
              {!isFinalStatus(order.status) && <LiveBadge state={live} />}
            </div>
            {reason && (
              <p className="hint" data-testid="order-reason">
                {t("app.order.reason", { reason })}
              </p>
            )}
            <Timeline order={order} />
          </section>

          <PickupWindow order={order} />

          {showQr && order.code ? (
            <section className="card code-card" data-testid="booking">
              <h2 className="section-title inline">{t("app.order.code")}</h2>
              <QrCode text={order.code} />
              <div className="code" data-testid="booking-code">
                {order.code}
              </div>
              <p className="hint small">{t("app.order.codeHint")}</p>
            </section>
          ) : hasLiveCode(order) ? (
            <section className="card">
              <div className="kv">
                <span>{t("app.order.code")}</span>
                <b className="code small" data-testid="booking-code">
                  {order.code}
                </b>
              </div>
            </section>
          ) : awaitsCode(order) ? (
            <p className="notice">{t("app.order.codeLater")}</p>
          ) : null}

          <Details order={order} i18n={i18n} />

          {order.status === "completed" && <Rating order={order} />}

          {isFinalStatus(order.status) && <OrderAgain order={order} />}

          <ContactSeller store={order.store} />

          {actionError && <p className="notice bad">{actionError}</p>}
          {buyerCanCancel(order) &&
            (confirmCancel ? (
              <div className="card confirm" data-testid="cancel-confirm">
                <p>{t("app.order.cancelConfirm")}</p>
                <div className="row gap">
                  <button
                    type="button"
                    className="btn danger"
                    disabled={cancel.isPending}
                    onClick={confirmedCancel}
                    data-testid="cancel-yes"
                  >
                    {t("app.order.cancelYes")}
                  </button>
                  <button type="button" className="btn secondary" onClick={() => setConfirmCancel(false)}>
                    {t("app.order.cancelNo")}
                  </button>
                </div>
              </div>
            ) : nativeCancel ? null : (
              <button
                type="button"
                className="btn link danger"
                onClick={askCancel}
                data-testid="cancel-order"
              >
                {t("app.order.cancel")}
              </button>
            ))}
        </div>
      )}
    </Page>
  );
}

/** One tap fills the cart with this order's items that are on sale now. */
function OrderAgain({ order }: { order: Order }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="btn secondary"
      disabled={busy}
      data-testid="order-again"
      onClick={async () => {
        setBusy(true);
        try {
          const r = await orderAgain(order, fetchOffer);
          if (r.added.length === 0) {
            toast(t("app.order.againNone"), "error");
            return;
          }
          haptic.notify("success");
          if (r.missing.length > 0)
            toast(t("app.order.againSome", { titles: r.missing.join(", ") }), "info", 5000);
          navigate({ name: "cart" });
        } catch {
          toast(t("app.error.network"), "error");
        } finally {
          setBusy(false);
        }
      }}
    >
      <Icon name="cart" /> {t("app.order.again")}
    </button>
  );
}

/** A seller's view of one of their shop's orders, live. */
function SellerOrderPage({ id }: { id: number }) {
  const { t } = useI18n();
  const q = useQuery(sellerOrderQuery(id));
  useOrderEvents();
  return (
    <Page title={t("app.order.title", { id })} onBack={() => goBack({ name: "seller" })}>
      {q.error && !q.data ? (
        <ErrorView error={q.error} onRetry={() => void q.refetch()} />
      ) : !q.data ? (
        <LoadingView />
      ) : (
        <SellerOrder order={q.data} />
      )}
    </Page>
  );
}
