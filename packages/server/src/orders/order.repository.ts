import { type Order, type OrderStatus, type ReasonCode, type TimelineEntry, t } from "@lastbite/shared";
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import type { Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { DB } from "../db/schema.ts";

/** An order with the ids the services need beside the public shape. */
export interface LoadedOrder extends Order {
  owner_id: number;
  buyer_language: string;
}

/** The tables a filter on orders may look at: the order `o` and its shop `s`. */
type OrderTables = DB & { o: DB["orders"]; s: DB["stores"] };
type OrderScope = ExpressionBuilder<OrderTables, "o" | "s">;
export type OrderWhere = (eb: OrderScope) => Expression<SqlBool>;

/** The API's `reason`: what a person wrote, or the system's reason in English (clients translate `reason_code`). */
export const reasonText = (reason: string | null, code: ReasonCode | null) =>
  reason ?? (code ? t("en", `reason.${code}`) : null);

const iso = (v: Date | string) => new Date(v).toISOString();

/**
 * Loads full orders (shop, buyer, items, timeline, rating) matching `where`, newest first, in ONE
 * query: items and timeline come back as JSON arrays of each row.
 */
export async function loadOrders(db: Sql, where: OrderWhere, limit = 100): Promise<LoadedOrder[]> {
  const rows = await selectOrders(db)
    .where((eb) => where(eb as unknown as OrderScope))
    .orderBy("o.id", "desc")
    .limit(Math.floor(limit))
    .execute();
  return rows.map(toLoadedOrder);
}

/** The query behind every loaded order; callers add conditions (and columns of their own). */
export function selectOrders(db: Sql) {
  return kysely(db)
    .selectFrom("orders as o")
    .innerJoin("stores as s", "s.id", "o.store_id")
    .innerJoin("users as ow", "ow.id", "s.owner_id")
    .innerJoin("users as b", "b.id", "o.buyer_id")
    .leftJoin("ratings as r", "r.order_id", "o.id")
    .select((eb) => [
      "o.id",
      "o.status",
      "o.delivery_type",
      "o.delivery_address",
      "o.customer_phone",
      "o.delivery_cost",
      "o.items_total",
      "o.total",
      "o.comment",
      "o.code",
      "o.reason",
      "o.reason_code",
      "o.created_at",
      "o.updated_at",
      "o.pickup_from",
      "o.pickup_until",
      "o.accept_deadline",
      // the zone the shop sets wins; else the one it had (SHOP_TIMEZONE) when the order was placed
      eb.fn.coalesce("s.timezone", "o.timezone").as("timezone"),
      "s.id as store_id",
      "s.name as store_name",
      "s.address as store_address",
      "s.phone as store_phone",
      "s.owner_id",
      "ow.username as owner_username",
      "b.id as buyer_id",
      "b.first_name as buyer_first_name",
      "b.username as buyer_username",
      "b.language as buyer_language",
      "r.stars as rating_stars",
      "r.comment as rating_comment",
      jsonArrayFrom(
        eb
          .selectFrom("order_items as i")
          .select(["i.offer_id", "i.title", "i.quantity", "i.unit", "i.price", "i.total"])
          .whereRef("i.order_id", "=", "o.id")
          .orderBy("i.offer_id"),
      ).as("items"),
      jsonArrayFrom(
        eb
          .selectFrom("order_events as e")
          .select(["e.to_status", "e.created_at", "e.reason", "e.reason_code"])
          .whereRef("e.order_id", "=", "o.id")
          .orderBy("e.id"),
      ).as("events"),
    ]);
}

type OrderRow = Awaited<ReturnType<ReturnType<typeof selectOrders>["executeTakeFirstOrThrow"]>>;

export function toLoadedOrder(r: OrderRow): LoadedOrder {
  return {
    id: r.id,
    status: r.status,
    delivery_type: r.delivery_type,
    delivery_address: r.delivery_address,
    customer_phone: r.customer_phone,
    delivery_cost: r.delivery_cost,
    comment: r.comment,
    // numeric quantities arrive as JSON numbers already
    items: r.items.map((i) => ({ ...i, quantity: Number(i.quantity) })),
    items_total: r.items_total,
    total: r.total,
    code: r.code,
    store: {
      id: r.store_id,
      name: r.store_name,
      address: r.store_address,
      phone: r.store_phone,
      owner_username: r.owner_username,
      timezone: r.timezone,
    },
    buyer: { id: r.buyer_id, first_name: r.buyer_first_name, username: r.buyer_username },
    timeline: r.events.map(
      (e): TimelineEntry => ({
        status: e.to_status,
        at: iso(e.created_at),
        reason: reasonText(e.reason, e.reason_code),
        reason_code: e.reason_code,
      }),
    ),
    reason: reasonText(r.reason, r.reason_code),
    reason_code: r.reason_code,
    rating: r.rating_stars == null ? null : { stars: r.rating_stars, comment: r.rating_comment },
    pickup_from: r.pickup_from === null ? null : iso(r.pickup_from),
    pickup_until: r.pickup_until === null ? null : iso(r.pickup_until),
    accept_deadline: iso(r.accept_deadline),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    owner_id: r.owner_id,
    buyer_language: r.buyer_language,
  };
}

export async function loadOrder(db: Sql, id: number): Promise<LoadedOrder | null> {
  return (await loadOrders(db, (eb) => eb("o.id", "=", id), 1))[0] ?? null;
}

/** Orders by id, in any order; ids that do not exist are left out. */
export function loadOrdersById(db: Sql, ids: readonly number[]): Promise<LoadedOrder[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return loadOrders(db, (eb) => eb("o.id", "in", [...ids]), ids.length);
}

/** The order as it is after a change this process just made: what the change's statement returned. */
export function afterChange(
  before: LoadedOrder,
  change: {
    status: OrderStatus;
    code: string | null;
    reason: string | null;
    reason_code: ReasonCode | null;
    at: Date | string;
  },
  eventReason: { reason: string | null; reason_code: ReasonCode | null },
): LoadedOrder {
  const at = iso(change.at);
  return {
    ...before,
    status: change.status,
    code: change.code,
    reason: reasonText(change.reason, change.reason_code),
    reason_code: change.reason_code,
    updated_at: at,
    timeline: [
      ...before.timeline,
      {
        status: change.status,
        at,
        reason: reasonText(eventReason.reason, eventReason.reason_code),
        reason_code: eventReason.reason_code,
      },
    ],
  };
}

/** The public shape: strips the service-only fields. */
export function publicOrder(o: LoadedOrder): Order {
  const { owner_id: _o, buyer_language: _l, ...rest } = o;
  return rest;
}

/** Today's `now()` in SQL, typed as a timestamp. */
export const now = () => sql<Date>`now()`;
