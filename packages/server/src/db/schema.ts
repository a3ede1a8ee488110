import type { ColumnType, Generated, Selectable } from "kysely";

/**
 * The database schema as TypeScript, for Kysely: every query's columns and row types are checked
 * against it at compile time. `schema.test.ts` holds it to the migrated database (each column's
 * presence, type and nullability), so it cannot drift from the `.sql` migrations.
 * bigint and numeric columns arrive as numbers (database.ts sets the parsers).
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: number;
  first_name: string;
  last_name: string | null;
  username: string | null;
  language: Generated<string>;
  phone: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface StoresTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  address: string;
  phone: string;
  description: string | null;
  delivery_enabled: Generated<boolean>;
  delivery_fee: Generated<number>;
  min_order_amount: Generated<number>;
  rating_sum: Generated<number>;
  ratings_count: Generated<number>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  status: Generated<import("@lastbite/shared").StoreStatus>;
  lat: number | null;
  lng: number | null;
  category: import("@lastbite/shared").StoreCategory | null;
  timezone: string | null;
}

export interface OffersTable {
  id: Generated<number>;
  store_id: number;
  title: string;
  description: string | null;
  price: number;
  original_price: number | null;
  quantity: number;
  unit: Generated<"piece" | "kg" | "l">;
  photo_url: string | null;
  pickup_from: Timestamp | null;
  pickup_until: Timestamp | null;
  expires_at: Timestamp | null;
  active: Generated<boolean>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** Resized webp copies of an offer's photo; a new upload is a new row (its URL is cached for ever). */
export interface OfferPhotosTable {
  id: Generated<number>;
  offer_id: number;
  width: number;
  height: number;
  small: Uint8Array;
  large: Uint8Array;
  created_at: DefaultTimestamp;
}

export interface OrdersTable {
  id: Generated<number>;
  store_id: number;
  buyer_id: number;
  status: import("@lastbite/shared").OrderStatus;
  delivery_type: Generated<import("@lastbite/shared").DeliveryType>;
  delivery_address: string | null;
  customer_phone: string | null;
  delivery_cost: Generated<number>;
  items_total: number;
  total: number;
  comment: string | null;
  code: string | null;
  reason: string | null;
  reason_code: import("@lastbite/shared").ReasonCode | null;
  accept_deadline: Timestamp;
  stock_returned: Generated<boolean>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface OrderItemsTable {
  order_id: number;
  offer_id: number;
  title: string;
  unit: "piece" | "kg" | "l";
  quantity: number;
  price: number;
  total: number;
}

export interface OrderEventsTable {
  id: Generated<number>;
  order_id: number;
  store_id: number;
  buyer_id: number;
  from_status: import("@lastbite/shared").OrderStatus | null;
  to_status: import("@lastbite/shared").OrderStatus;
  actor_type: import("@lastbite/shared").ActorType;
  actor_id: number | null;
  reason: string | null;
  reason_code: import("@lastbite/shared").ReasonCode | null;
  created_at: DefaultTimestamp;
}

export interface RatingsTable {
  order_id: number;
  store_id: number;
  buyer_id: number;
  stars: number;
  comment: string | null;
  created_at: DefaultTimestamp;
}

export interface OutboxTable {
  id: Generated<number>;
  dedupe_key: string;
  /** Read back through `parseOutboxMessage`, which refuses a kind it does not know. */
  kind: string;
  order_id: number | null;
  event_id: number | null;
  chat_id: number;
  payload: ColumnType<object, string | undefined, string>;
  status: Generated<"pending" | "sending" | "sent" | "failed">;
  attempts: Generated<number>;
  next_attempt_at: DefaultTimestamp;
  locked_until: Timestamp | null;
  last_error: string | null;
  message_id: number | null;
  created_at: DefaultTimestamp;
  sent_at: Timestamp | null;
  sending_since: Timestamp | null;
}

export interface OrderMessagesTable {
  order_id: number;
  chat_id: number;
  role: string;
  message_id: number;
}

export interface ProcessedUpdatesTable {
  update_id: number;
  processed_at: DefaultTimestamp;
}

export interface IdempotencyKeysTable {
  user_id: number;
  key: string;
  request_hash: string;
  order_id: number | null;
  created_at: DefaultTimestamp;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: DefaultTimestamp;
}

export interface DB {
  users: UsersTable;
  stores: StoresTable;
  offers: OffersTable;
  offer_photos: OfferPhotosTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  order_events: OrderEventsTable;
  ratings: RatingsTable;
  outbox: OutboxTable;
  order_messages: OrderMessagesTable;
  processed_updates: ProcessedUpdatesTable;
  idempotency_keys: IdempotencyKeysTable;
  schema_migrations: SchemaMigrationsTable;
}

/** How a column reads back, in the terms `schema.test.ts` compares with the database. */
type Kind<V> = [V] extends [Uint8Array | null]
  ? "bytes"
  : [V] extends [boolean | null]
    ? "boolean"
    : [V] extends [number | null]
      ? "number"
      : [V] extends [Date | null]
        ? "time"
        : [V] extends [string | null]
          ? "text"
          : "json";
type Shape<V> = `${Kind<V>}${null extends V ? " null" : ""}`;

/**
 * Every table's columns as the TypeScript schema above says they read back: derived from `DB`, so
 * the compiler makes this list exactly the interfaces' columns, and the test makes it the database's.
 */
export type SchemaShape = {
  [T in keyof DB]: { [C in keyof Selectable<DB[T]>]-?: Shape<Selectable<DB[T]>[C]> };
};
