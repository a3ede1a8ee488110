import { useQuery } from "@tanstack/react-query";
import { Icon } from "../components/icon.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Segmented, StatusChip } from "../components/ui.tsx";
import type { Order } from "../lib/endpoints.ts";
import { useI18n } from "../lib/i18n.tsx";
import { useOrderEvents } from "../lib/live.ts";
import { newestFirst } from "../lib/order-logic.ts";
import { ordersQuery } from "../lib/queries.ts";
import { navigate, switchTab } from "../lib/router.ts";

export function OrderRow({ order, onOpen }: { order: Order; onOpen: () => void }) {
  const i18n = useI18n();
  const count = order.items.length;
  return (
    <button type="button" className="order-row" onClick={onOpen} data-testid={`order-row-${order.id}`}>
      <div className="row spread">
        <b>{i18n.t("app.orders.number", { id: order.id })}</b>
        <StatusChip status={order.status} />
      </div>
      <div className="meta">
        {order.store.name} · <Icon name={order.delivery_type === "delivery" ? "truck" : "bag"} size={13} />{" "}
        {i18n.dateTime(order.created_at)}
      </div>
      <div className="row spread">
        <span className="meta ellipsis">
          {count === 1 ? order.items[0]?.title : i18n.t("app.orders.items", { count })}
        </span>
        <b>{i18n.som(order.total)}</b>
      </div>
    </button>
  );
}

export function OrdersPage({ tab = "active" }: { tab?: "active" | "finished" }) {
  const { t } = useI18n();
  const q = useQuery(ordersQuery(tab));
  useOrderEvents();
  const orders = q.data ? newestFirst(q.data.orders) : undefined;
  return (
    <Page title={t("app.orders.title")}>
      <Segmented
        value={tab}
        onChange={(v) => switchTab({ name: "orders", tab: v })}
        testId="orders-tab"
        options={[
          { value: "active", label: t("app.orders.active") },
          { value: "finished", label: t("app.orders.finished") },
        ]}
      />
      {q.error && !orders ? (
        <ErrorView error={q.error} onRetry={() => void q.refetch()} />
      ) : !orders ? (
        <LoadingView />
      ) : orders.length === 0 ? (
        <EmptyView
          icon={tab === "active" ? "bag" : "list"}
          text={tab === "active" ? t("app.orders.emptyActive") : t("app.orders.emptyFinished")}
        />
      ) : (
        <div className="list" data-testid="orders-list">
          {orders.map((o) => (
            <OrderRow key={o.id} order={o} onOpen={() => navigate({ name: "order", id: o.id })} />
          ))}
        </div>
      )}
    </Page>
  );
}
