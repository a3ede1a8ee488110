import {
  type DeliveryType,
  type Order,
  type OrderStatus,
  type ReasonCode,
  type TimelineEntry,
  t,
  type Unit,
} from "@lastbite/shared";
import type { Sql } from "../db/database.ts";

interface OrderRow {
  id: number;
  status: OrderStatus;
  delivery_type: DeliveryType;
  delivery_address: string | null;
  customer_phone: string | null;
  delivery_cost: number;
  items_total: number;
  total: number;
  comment: string | null;
  code: string | null;
  reason: string | null;
  reason_code: ReasonCode | null;
  created_at: Date;
  updated_at: Date;
  store_id: number;
  store_name: string;
  store_address: string;
  store_phone: string;
  owner_id: number;
  owner_username: string | null;
  buyer_id: number;
  buyer_first_name: string;
  buyer_username: string | null;
  buyer_language: string;
  rating_stars: number | null;
  rating_comment: string | null;
}

/** An order with the ids the services need beside the public shape. */
export interface LoadedOrder extends Order {
  owner_id: number;
  buyer_language: string;
}

const SELECT = `
  select o.id, o.status, o.delivery_type, o.delivery_address, o.customer_phone, o.delivery_cost, o.items_total,
         o.total, o.comment, o.code, o.reason, o.reason_code, o.created_at, o.updated_at,
         s.id as store_id, s.name as store_name, s.address as store_address, s.phone as store_phone,
         s.owner_id, ow.username as owner_username,
         b.id as buyer_id, b.first_name as buyer_first_name, b.username as buyer_username, b.language as buyer_language,
         r.stars as rating_stars, r.comment as rating_comment
  from orders o
  join stores s on s.id = o.store_id
  join users ow on ow.id = s.owner_id
  join users b on b.id = o.buyer_id
  left join ratings r on r.order_id = o.id`;

/** When the last pickup window of an order's items closes (`o` is the order). */
export const LAST_PICKUP_UNTIL_SQL =
  "select max(f.pickup_until) from order_items i join offers f on f.id = i.offer_id where i.order_id = o.id";

/** The API's `reason`: what a person wrote, or the system's reason in English (clients translate `reason_code`). */
const reasonText = (reason: string | null, code: ReasonCode | null) =>
  reason ?? (code ? t("en", `reason.${code}`) : null);

/** Loads full orders (items, timeline, rating) matching `where`, newest first, in three queries. */
export async function loadOrders(
  sql: Sql,
  where: string,
  params: unknown[],
  limit = 100,
): Promise<LoadedOrder[]> {
  const rows = await sql.query<OrderRow>(
    `${SELECT} where ${where} order by o.id desc limit ${Math.floor(limit)}`,
    params,
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const items = await sql.query<{
    order_id: number;
    offer_id: number;
    title: string;
    unit: Unit;
    quantity: number;
    price: number;
    total: number;
  }>(
    "select order_id, offer_id, title, unit, quantity, price, total from order_items where order_id = any($1) order by order_id, offer_id",
    [ids],
  );
  const events = await sql.query<{
    order_id: number;
    to_status: OrderStatus;
    created_at: Date;
    reason: string | null;
    reason_code: ReasonCode | null;
  }>(
    "select order_id, to_status, created_at, reason, reason_code from order_events where order_id = any($1) order by id",
    [ids],
  );
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    delivery_type: r.delivery_type,
    delivery_address: r.delivery_address,
    customer_phone: r.customer_phone,
    delivery_cost: r.delivery_cost,
    comment: r.comment,
    items: items
      .filter((i) => i.order_id === r.id)
      .map((i) => ({
        offer_id: i.offer_id,
        title: i.title,
        quantity: i.quantity,
        unit: i.unit,
        price: i.price,
        total: i.total,
      })),
    items_total: r.items_total,
    total: r.total,
    code: r.code,
    store: {
      id: r.store_id,
      name: r.store_name,
      address: r.store_address,
      phone: r.store_phone,
      owner_username: r.owner_username,
    },
    buyer: { id: r.buyer_id, first_name: r.buyer_first_name, username: r.buyer_username },
    timeline: events
      .filter((e) => e.order_id === r.id)
      .map(
        (e): TimelineEntry => ({
          status: e.to_status,
          at: new Date(e.created_at).toISOString(),
          reason: reasonText(e.reason, e.reason_code),
          reason_code: e.reason_code,
        }),
      ),
    reason: reasonText(r.reason, r.reason_code),
    reason_code: r.reason_code,
    rating: r.rating_stars == null ? null : { stars: r.rating_stars, comment: r.rating_comment },
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
    owner_id: r.owner_id,
    buyer_language: r.buyer_language,
  }));
}

export async function loadOrder(sql: Sql, id: number): Promise<LoadedOrder | null> {
  return (await loadOrders(sql, "o.id = $1", [id], 1))[0] ?? null;
}

/** The public shape: strips the service-only fields. */
export function publicOrder(o: LoadedOrder): Order {
  const { owner_id: _o, buyer_language: _l, ...rest } = o;
  return rest;
}
