import {
  asksReason,
  extractBookingCode,
  isActiveStatus,
  type MessageKey,
  type SellerAction,
} from "@lastbite/shared";
import { useRef, useState } from "react";
import { Icon } from "../components/icon.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Segmented, StatusChip } from "../components/ui.tsx";
import { ApiError } from "../lib/api.ts";
import { fetchSellerOrders, type Order, sellerAct, verifyCode } from "../lib/endpoints.ts";
import { lineQuantity } from "../lib/format.ts";
import { errorText, type I18n, useI18n } from "../lib/i18n.tsx";
import { useOrderEvents, usePollAndFocus } from "../lib/live.ts";
import { useMe } from "../lib/me.ts";
import { newestFirst, sellerActions, upsert } from "../lib/order-logic.ts";
import { toast } from "../lib/toast.ts";
import { useApi } from "../lib/use-api.ts";
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

export function SellerOrder({ order, onChange }: { order: Order; onChange: (o: Order) => void }) {
  const i18n = useI18n();
  const { t, som } = i18n;
  const [asking, setAsking] = useState<SellerAction | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: SellerAction, why?: string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const o = await sellerAct(order.id, action, why);
      haptic.notify("success");
      if (action === "complete") toast(t("app.seller.done", { id: order.id }), "success");
      setAsking(null);
      setReason("");
      onChange(o);
    } catch (e) {
      haptic.notify("error");
      setError(errorText(i18n, e instanceof ApiError ? e.code : "network"));
    } finally {
      setBusy(false);
    }
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
        {order.buyer.username ? ` · @${order.buyer.username}` : ""} · {i18n.dateTime(order.created_at)}
      </div>
      <ul className="items">
        {order.items.map((i) => (
          <li key={i.offer_id}>
            {i.title} <span className="meta">{lineQuantity(i.quantity, i.unit)}</span>
          </li>
        ))}
      </ul>
      {order.delivery_type === "delivery" ? (
        <div className="meta">
          <Icon name="truck" size={13} /> {order.delivery_address}
          {order.customer_phone && (
            <>
              {" · "}
              <a href={`tel:${order.customer_phone}`}>{order.customer_phone}</a>
            </>
          )}
        </div>
      ) : (
        <div className="meta">
          <Icon name="bag" size={13} /> {t("app.order.pickup")}
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
              onClick={() => void run(asking, reason.trim() || undefined)}
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
                  else void run(a);
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

function HandOver({ onChange }: { onChange: (o: Order) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [code, setCode] = useState("");
  const [found, setFound] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const closeScanner = useRef<(() => void) | null>(null);

  async function verify(raw: string) {
    const value = extractBookingCode(raw);
    if (!value) {
      // Not code-shaped (a typo, a foreign QR): no order can match, so say so without asking.
      haptic.notify("error");
      setFound(null);
      setError(errorText(i18n, "code_not_found"));
      return;
    }
    setCode(value);
    setBusy(true);
    setError(null);
    try {
      const o = await verifyCode(value);
      haptic.notify("success");
      setFound(o);
    } catch (e) {
      haptic.notify("error");
      setFound(null);
      setError(errorText(i18n, e instanceof ApiError ? e.code : "network"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" data-testid="handover">
      <h2 className="section-title inline">{t("app.seller.scanTitle")}</h2>
      {isNative() && (
        <button
          type="button"
          className="btn"
          onClick={() => {
            haptic.impact();
            closeScanner.current = scanQr(t("app.seller.scanPrompt"), (text) => {
              void verify(text);
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
          void verify(code);
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
      {error && (
        <p className="notice bad" data-testid="code-error">
          {error}
        </p>
      )}
      {found && (
        <SellerOrder
          order={found}
          onChange={(o) => {
            onChange(o);
            setFound(isActiveStatus(o.status) ? o : null);
            if (!isActiveStatus(o.status)) setCode("");
          }}
        />
      )}
    </section>
  );
}

export default function SellerPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const { me } = useMe();
  const stores = me?.stores ?? [];
  const [storeId, setStoreId] = useState<number | null>(null);
  const [tab, setTab] = useState<"active" | "finished">("active");
  const q = useApi(`/seller/orders?filter=${tab}`, () => fetchSellerOrders(tab));
  const mine = new Set(stores.map((s) => s.id));
  const store = stores.find((s) => s.id === storeId) ?? stores[0];

  const apply = (o: Order) => q.setData((prev) => (prev ? { orders: upsert(prev.orders, o, tab) } : prev));
  useOrderEvents((o) => {
    if (!mine.has(o.store.id)) return;
    const known = q.data?.orders.some((x) => x.id === o.id);
    if (!known && o.status === "pending") {
      haptic.notify("success");
      toast(t("app.seller.newOrder", { id: o.id }), "info");
    }
    apply(o);
  });
  usePollAndFocus(() => void q.reload(), 20_000);

  const orders = q.data
    ? newestFirst(q.data.orders.filter((o) => !store || o.store.id === store.id))
    : undefined;
  return (
    <Page title={store?.name ?? t("app.tabs.seller")}>
      {stores.length > 1 && (
        <select
          className="store-select"
          value={store?.id}
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
      <HandOver onChange={apply} />
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
        <ErrorView error={q.error} onRetry={() => void q.reload()} />
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
            <SellerOrder key={o.id} order={o} onChange={apply} />
          ))}
        </div>
      )}
    </Page>
  );
}
