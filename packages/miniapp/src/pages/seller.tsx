import {
  asksReason,
  extractBookingCode,
  formatPhone,
  isActiveStatus,
  type MessageKey,
  type SellerAction,
  SHOP_REASON_CODES,
  type ShopReasonCode,
} from "@lastbite/shared";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Icon } from "../components/icon.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Segmented, StatusChip } from "../components/ui.tsx";
import { OffersManager } from "../features/shop/offers.tsx";
import { ShopForm } from "../features/shop/shop-form.tsx";
import { StatsPanel } from "../features/shop/stats.tsx";
import type { Order, Store } from "../lib/endpoints.ts";
import { lineQuantity } from "../lib/format.ts";
import { errorText, type I18n, useI18n } from "../lib/i18n.tsx";
import { useOrderEvents } from "../lib/live.ts";
import { useMe } from "../lib/me.ts";
import { isNewOrder, newestFirst, sellerActions } from "../lib/order-logic.ts";
import { keys, sellerOrderQuery, sellerOrdersQuery, useSellerAction, useVerifyCode } from "../lib/queries.ts";
import { toast } from "../lib/toast.ts";
import { haptic, isNative, scanQr } from "../telegram/bridge.ts";

/**
 * The button that sends an action after its reason was asked: "Reject the order" for reject, and
 * so on (`app.seller.confirm<Action>`); the action's own label when the catalogue has no such text.
 */
function confirmText(i18n: I18n, action: SellerAction): string {
  const key = `app.seller.confirm${action.charAt(0).toUpperCase()}${action.slice(1)}` as MessageKey;
  const text = i18n.t(key);
  return text === key ? i18n.t(`app.seller.${action}`) : text;
}

/** Emphasis only (the lifecycle decides which buttons exist): the step forward is the primary button. */
function buttonClass(action: SellerAction, asks: boolean): string {
  if (asks) return "btn secondary danger-text";
  return action === "accept" || action === "complete" ? "btn" : "btn secondary";
}

/** One order as its shop sees it, with the buttons the lifecycle offers; `onDone` hears each result. */
/** The order's pickup window in the shop's zone: "today 18:00–21:00", "until today 21:00". */
function sellerWindow(i18n: ReturnType<typeof useI18n>, o: Order): string {
  const zone = o.store.timezone;
  if (o.pickup_from && o.pickup_until)
    return `${i18n.dateTimeIn(o.pickup_from, zone)}–${i18n.timeIn(o.pickup_until, zone)}`;
  if (o.pickup_until) return i18n.t("app.offer.pickupUntil", { time: i18n.dateTimeIn(o.pickup_until, zone) });
  return i18n.t("app.offer.pickupFrom", { time: i18n.dateTimeIn(o.pickup_from as string, zone) });
}

export function SellerOrder({ order, onDone }: { order: Order; onDone?: (o: Order) => void }) {
  const i18n = useI18n();
  const { t, som } = i18n;
  const [asking, setAsking] = useState<SellerAction | null>(null);
  const [reason, setReason] = useState("");
  const act = useSellerAction();
  const busy = act.isPending;
  const error = act.error ? errorText(i18n, act.error.code) : null;

  function run(action: SellerAction, why?: string, code?: ShopReasonCode) {
    if (busy) return;
    act.mutate(
      { id: order.id, action, ...(why ? { reason: why } : {}), ...(code ? { reasonCode: code } : {}) },
      {
        onSuccess: (o) => {
          haptic.notify("success");
          if (action === "complete") toast(t("app.seller.done", { id: order.id }), "success");
          setAsking(null);
          setReason("");
          onDone?.(o);
        },
        onError: () => haptic.notify("error"),
      },
    );
  }

  const actions = sellerActions(order);
  return (
    <article
      className="card seller-order"
      data-testid={`seller-order-${order.id}`}
      data-status={order.status}
    >
      <div className="row spread">
        <b>{t("app.orders.number", { id: order.id })}</b>
        <StatusChip status={order.status} />
      </div>
      <div className="meta">
        {order.buyer.first_name}
        {order.buyer.username ? ` · @${order.buyer.username}` : ""} ·{" "}
        {i18n.dateTimeIn(order.created_at, order.store.timezone)}
      </div>
      <ul className="items">
        {order.items.map((i) => (
          <li key={i.offer_id}>
            {i.title} <span className="meta">{lineQuantity(i18n, i.quantity, i.unit)}</span>
          </li>
        ))}
      </ul>
      {order.delivery_type === "delivery" ? (
        <div className="meta">
          <Icon name="truck" size={13} /> {order.delivery_address}
          {order.customer_phone && (
            <>
              {" · "}
              <a href={`tel:${order.customer_phone}`}>{formatPhone(order.customer_phone)}</a>
            </>
          )}
        </div>
      ) : (
        <div className="meta">
          <Icon name="bag" size={13} /> {t("app.order.pickup")}
          {(order.pickup_from || order.pickup_until) && (
            <span data-testid="seller-window">
              {" · "}
              {t("app.seller.window", { window: sellerWindow(i18n, order) })}
            </span>
          )}
        </div>
      )}
      {order.comment && (
        <div className="meta">
          <Icon name="chat" size={13} /> {order.comment}
        </div>
      )}
      <div className="row spread total">
        <span>{t("app.order.total")}</span>
        <span>{som(order.total)}</span>
      </div>
      {error && <p className="notice bad">{error}</p>}
      {asking ? (
        <div className="fields">
          {/* The bot's quick reasons: the buyer reads them in their own language. */}
          <div className="actions" data-testid="quick-reasons">
            {SHOP_REASON_CODES.filter(
              (r) => r !== "cannot_deliver" || order.delivery_type === "delivery",
            ).map((r) => (
              <button
                key={r}
                type="button"
                className="btn secondary"
                disabled={busy}
                onClick={() => run(asking, reason.trim() || undefined, r)}
                data-testid={`reason-${r}`}
              >
                {t(`bot.reason.${r}`)}
              </button>
            ))}
          </div>
          <label className="field">
            <span>{t("app.seller.reason")}</span>
            <input
              value={reason}
              maxLength={500}
              placeholder={t("app.seller.reasonPlaceholder")}
              onChange={(e) => setReason(e.target.value)}
              data-testid="reason"
            />
          </label>
          <div className="row gap">
            <button
              type="button"
              className="btn danger"
              disabled={busy}
              onClick={() => run(asking, reason.trim() || undefined)}
              data-testid="reason-confirm"
            >
              {confirmText(i18n, asking)}
            </button>
            <button type="button" className="btn secondary" onClick={() => setAsking(null)}>
              {t("app.back")}
            </button>
          </div>
        </div>
      ) : (
        actions.length > 0 && (
          <div className="actions">
            {actions.map((a) => (
              <button
                key={a}
                type="button"
                className={buttonClass(a, asksReason(a, order.status))}
                disabled={busy}
                onClick={() => {
                  haptic.impact();
                  if (asksReason(a, order.status)) setAsking(a);
                  else run(a);
                }}
                data-testid={`seller-action-${a}`}
              >
                {t(`app.seller.${a}`)}
              </button>
            ))}
          </div>
        )
      )}
    </article>
  );
}

/**
 * Outside Telegram there is no camera popup: the sandbox (or a desktop browser) pastes what the
 * camera would read, and it goes the same way as a scan (the whole QR text, not just a code).
 */
function ScanSimulator({ onText }: { onText: (text: string) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  if (!open)
    return (
      <button type="button" className="btn secondary" onClick={() => setOpen(true)} data-testid="scan-qr">
        <Icon name="camera" /> {t("app.seller.scan")}
      </button>
    );
  return (
    <form
      className="fields"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim()) return;
        onText(text);
        setText("");
        setOpen(false);
      }}
    >
      <label className="field">
        <span>{t("app.seller.scanSimulated")}</span>
        <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} data-testid="scan-text" />
      </label>
      <button type="submit" className="btn" disabled={!text.trim()} data-testid="scan-read">
        {t("app.seller.scanRead")}
      </button>
    </form>
  );
}

/** Hand over an order: the buyer's code, typed or scanned from their QR, finds it. */
function HandOver() {
  const i18n = useI18n();
  const { t } = i18n;
  const qc = useQueryClient();
  const [code, setCode] = useState("");
  const [foundId, setFoundId] = useState<number | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const verifier = useVerifyCode();
  const busy = verifier.isPending;
  const closeScanner = useRef<(() => void) | null>(null);
  // The found order lives in the cache like any other, so a live event updates its card too.
  const found = useQuery({ ...sellerOrderQuery(foundId ?? 0), enabled: foundId !== null }).data;

  function verify(raw: string) {
    const value = extractBookingCode(raw);
    setCodeError(null);
    if (!value) {
      // Not code-shaped (a typo, a foreign QR): no order can match, so say so without asking.
      haptic.notify("error");
      setFoundId(null);
      setCodeError(errorText(i18n, "code_not_found"));
      return;
    }
    setCode(value);
    verifier.mutate(value, {
      onSuccess: (o) => {
        haptic.notify("success");
        qc.setQueryData(keys.sellerOrder(o.id), o);
        setFoundId(o.id);
      },
      onError: (e) => {
        haptic.notify("error");
        setFoundId(null);
        setCodeError(
          e.code === "code_already_used" && e.at
            ? i18n.t("app.error.code_already_used_at", { time: i18n.dateTime(e.at) })
            : errorText(i18n, e.code),
        );
      },
    });
  }

  return (
    <section className="card" data-testid="handover">
      <h2 className="section-title inline">{t("app.seller.scanTitle")}</h2>
      {!isNative() && (
        <ScanSimulator
          onText={(text) => {
            verify(text);
          }}
        />
      )}
      {isNative() && (
        <button
          type="button"
          className="btn"
          onClick={() => {
            haptic.impact();
            closeScanner.current = scanQr(t("app.seller.scanPrompt"), (text) => {
              verify(text);
              return true;
            });
          }}
          data-testid="scan-qr"
        >
          <Icon name="camera" /> {t("app.seller.scan")}
        </button>
      )}
      <form
        className="row gap code-form"
        onSubmit={(e) => {
          e.preventDefault();
          verify(code);
        }}
      >
        <input
          className="code-input"
          value={code}
          maxLength={32}
          autoCapitalize="characters"
          placeholder={t("app.seller.codePlaceholder")}
          aria-label={t("app.seller.enterCode")}
          onChange={(e) => setCode(e.target.value)}
          data-testid="code-input"
        />
        <button
          type="submit"
          className="btn secondary"
          disabled={busy || !code.trim()}
          data-testid="code-check"
        >
          {t("app.seller.check")}
        </button>
      </form>
      {codeError && (
        <p className="notice bad" data-testid="code-error">
          {codeError}
        </p>
      )}
      {found && isActiveStatus(found.status) && (
        <SellerOrder
          order={found}
          onDone={(o) => {
            // Handed over (or cancelled): the form is ready for the next buyer.
            if (!isActiveStatus(o.status)) {
              setFoundId(null);
              setCode("");
            }
          }}
        />
      )}
    </section>
  );
}

type Section = "orders" | "offers" | "stats" | "shop";

export default function SellerPage() {
  const { t } = useI18n();
  const { me } = useMe();
  const stores = me?.stores ?? [];
  const [storeId, setStoreId] = useState<number | null>(null);
  const [section, setSection] = useState<Section>("orders");
  const store = stores.find((s) => s.id === storeId) ?? stores[0];
  if (!me) return <LoadingView />;
  if (!store)
    return (
      <Page title={t("app.shop.open")}>
        <ShopForm onSaved={(s) => setStoreId(s.id)} />
      </Page>
    );
  return (
    <Page title={store.name}>
      {stores.length > 1 && (
        <select
          className="store-select"
          value={store.id}
          onChange={(e) => setStoreId(Number(e.target.value))}
          data-testid="store-select"
        >
          {stores.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      )}
      {store.status === "pending" && (
        <p className="notice warn" data-testid="shop-pending">
          {t("app.shop.pendingNote")}
        </p>
      )}
      {store.status === "rejected" && <p className="notice bad">{t("app.shop.rejectedNote")}</p>}
      {store.status === "suspended" && (
        <p className="notice bad" data-testid="shop-suspended">
          {t("app.shop.suspendedNote")}
        </p>
      )}
      <Segmented
        value={section}
        onChange={setSection}
        testId="shop-section"
        options={[
          { value: "orders", label: t("app.shop.tabOrders") },
          { value: "offers", label: t("app.shop.tabOffers") },
          { value: "stats", label: t("app.shop.tabStats") },
          { value: "shop", label: t("app.shop.tabSettings") },
        ]}
      />
      {section === "orders" && <ShopOrders storeIds={stores.map((s) => s.id)} store={store} />}
      {section === "offers" && <OffersManager key={store.id} store={store} />}
      {section === "stats" && <StatsPanel key={store.id} store={store} />}
      {section === "shop" && <ShopForm key={store.id} store={store} />}
    </Page>
  );
}

/** Incoming orders of the shop, live, and handing over by code or QR. */
function ShopOrders({ storeIds, store }: { storeIds: number[]; store: Store }) {
  const { t } = useI18n();
  const [tab, setTab] = useState<"active" | "finished">("active");
  const q = useQuery(sellerOrdersQuery(tab));

  // A new order buzzes; the cache takes the event in right after (see live.ts).
  useOrderEvents((o) => {
    if (!storeIds.includes(o.store.id)) return;
    const known = q.data?.orders.some((x) => x.id === o.id);
    if (!known && isNewOrder(o)) {
      haptic.notify("success");
      toast(t("app.seller.newOrder", { id: o.id }), "info");
    }
  });

  const orders = q.data
    ? newestFirst(q.data.orders.filter((o) => !store || o.store.id === store.id))
    : undefined;
  return (
    <>
      <HandOver />
      <h2 className="section-title">{t("app.seller.incoming")}</h2>
      <Segmented
        value={tab}
        onChange={setTab}
        testId="seller-tab"
        options={[
          { value: "active", label: t("app.seller.active") },
          { value: "finished", label: t("app.seller.finished") },
        ]}
      />
      {q.error && !orders ? (
        <ErrorView error={q.error} onRetry={() => void q.refetch()} />
      ) : !orders ? (
        <LoadingView />
      ) : orders.length === 0 ? (
        <EmptyView
          icon="inbox"
          text={tab === "active" ? t("app.seller.empty") : t("app.seller.emptyFinished")}
        />
      ) : (
        <div className="list" data-testid="seller-orders">
          {orders.map((o) => (
            <SellerOrder key={o.id} order={o} />
          ))}
        </div>
      )}
    </>
  );
}
