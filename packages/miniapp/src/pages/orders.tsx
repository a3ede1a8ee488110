import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Icon } from "../components/icon.tsx";
import { MoreOnScroll } from "../components/more-on-scroll.tsx";
import { EmptyView, ErrorView, LoadingView, Page, Segmented, StatusChip } from "../components/ui.tsx";
import type { Order } from "../lib/endpoints.ts";
import { useI18n } from "../lib/i18n.tsx";
import { useOrderEvents } from "../lib/live.ts";
import { newestFirst } from "../lib/order-logic.ts";
import { olderOrdersQuery, ordersQuery } from "../lib/queries.ts";
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

/**
 * The orders after the first page (which stays live in the cache), loaded as the list scrolls:
 * older orders rarely change, so their pages are read once.
 */
function useOlderOrders(tab: "active" | "finished", after: string | null | undefined) {
  const older = useInfiniteQuery({ ...olderOrdersQuery(tab, after ?? ""), enabled: !!after });
  return {
    orders: older.data?.pages.flatMap((p) => p.orders) ?? [],
    hasMore: !!after && (older.data ? older.hasNextPage : true),
    busy: older.isFetching,
    more: () => {
      if (after && !older.isFetching) void (older.data ? older.fetchNextPage() : older.refetch());
    },
  };
}

export function OrdersPage({ tab = "active" }: { tab?: "active" | "finished" }) {
  const { t } = useI18n();
  const q = useQuery(ordersQuery(tab));
  useOrderEvents();
  const older = useOlderOrders(tab, q.data?.next_cursor);
  const orders = q.data
    ? newestFirst([
        ...q.data.orders,
        ...older.orders.filter((o) => !q.data.orders.some((x) => x.id === o.id)),
      ])
    : undefined;
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
          <MoreOnScroll
            hasMore={older.hasMore}
            busy={older.busy}
            onMore={older.more}
            label={t("app.catalog.loadingMore")}
          />
        </div>
      )}
    </Page>
  );
}
