import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.ts";
import type { SchemaShape } from "../src/db/schema.ts";
import { DATABASES, freshDatabase } from "./helpers.ts";

/**
 * The TypeScript schema (db/schema.ts), written out. Its type is derived from the `DB` interfaces,
 * so the compiler refuses a missing, extra or differently typed column here; the test below refuses
 * any difference from the migrated database. Together: every Kysely query is checked against the
 * real schema.
 */
const SCHEMA: SchemaShape = {
  users: {
    id: "number",
    first_name: "text",
    last_name: "text null",
    username: "text null",
    language: "text",
    phone: "text null",
    offer_alerts: "boolean",
    created_at: "time",
    updated_at: "time",
  },
  stores: {
    id: "number",
    owner_id: "number",
    name: "text",
    address: "text",
    phone: "text",
    description: "text null",
    delivery_enabled: "boolean",
    delivery_fee: "number",
    min_order_amount: "number",
    rating_sum: "number",
    ratings_count: "number",
    search_key: "text null",
    created_at: "time",
    updated_at: "time",
    status: "text",
    lat: "number null",
    lng: "number null",
    category: "text null",
    timezone: "text null",
  },
  offers: {
    id: "number",
    store_id: "number",
    title: "text",
    description: "text null",
    price: "number",
    original_price: "number null",
    quantity: "number",
    unit: "text",
    photo_url: "text null",
    pickup_from: "time null",
    pickup_until: "time null",
    expires_at: "time null",
    active: "boolean",
    search_key: "text null",
    created_at: "time",
    updated_at: "time",
  },
  orders: {
    id: "number",
    store_id: "number",
    buyer_id: "number",
    status: "text",
    delivery_type: "text",
    delivery_address: "text null",
    customer_phone: "text null",
    delivery_cost: "number",
    items_total: "number",
    total: "number",
    comment: "text null",
    code: "text null",
    reason: "text null",
    reason_code: "text null",
    accept_deadline: "time",
    pickup_from: "time null",
    pickup_until: "time null",
    timezone: "text",
    stock_returned: "boolean",
    created_at: "time",
    updated_at: "time",
  },
  order_items: {
    order_id: "number",
    offer_id: "number",
    title: "text",
    unit: "text",
    quantity: "number",
    price: "number",
    total: "number",
    original_price: "number null",
  },
  favourites: {
    user_id: "number",
    store_id: "number",
    created_at: "time",
  },
  order_events: {
    id: "number",
    order_id: "number",
    store_id: "number",
    buyer_id: "number",
    from_status: "text null",
    to_status: "text",
    actor_type: "text",
    actor_id: "number null",
    reason: "text null",
    reason_code: "text null",
    created_at: "time",
  },
  ratings: {
    order_id: "number",
    store_id: "number",
    buyer_id: "number",
    stars: "number",
    comment: "text null",
    created_at: "time",
  },
  outbox: {
    id: "number",
    dedupe_key: "text",
    kind: "text",
    order_id: "number null",
    event_id: "number null",
    chat_id: "number",
    payload: "json",
    status: "text",
    attempts: "number",
    next_attempt_at: "time",
    locked_until: "time null",
    last_error: "text null",
    message_id: "number null",
    created_at: "time",
    sent_at: "time null",
    sending_since: "time null",
  },
  jobs: {
    id: "number",
    kind: "text",
    order_id: "number",
    due_at: "time",
    done_at: "time null",
    locked_until: "time null",
    attempts: "number",
    last_error: "text null",
    created_at: "time",
  },
  order_messages: { order_id: "number", chat_id: "number", role: "text", message_id: "number" },
  processed_updates: { update_id: "number", processed_at: "time", done: "boolean" },
  idempotency_keys: {
    user_id: "number",
    key: "text",
    request_hash: "text",
    order_id: "number null",
    created_at: "time",
  },
  offer_photos: {
    id: "number",
    offer_id: "number",
    width: "number",
    height: "number",
    small: "bytes",
    large: "bytes",
    created_at: "time",
  },
  schema_migrations: { version: "number", name: "text", applied_at: "time" },
};

const KIND: Record<string, string> = {
  bigint: "number",
  integer: "number",
  smallint: "number",
  numeric: "number",
  "double precision": "number",
  bytea: "bytes",
  boolean: "boolean",
  text: "text",
  "timestamp with time zone": "time",
  jsonb: "json",
};

describe.each(DATABASES)("the TypeScript schema on %s", (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(kind));
  });
  afterAll(async () => drop?.());

  it("is exactly the migrated database: every table, column, type and nullability", async () => {
    const rows = await db.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: "YES" | "NO";
    }>(
      `select table_name, column_name, data_type, is_nullable from information_schema.columns
       where table_schema = 'public' order by table_name, ordinal_position`,
    );
    const actual: Record<string, Record<string, string>> = {};
    for (const r of rows) {
      const k = KIND[r.data_type] ?? `unknown ${r.data_type}`;
      const table = actual[r.table_name] ?? {};
      table[r.column_name] = r.is_nullable === "YES" ? `${k} null` : k;
      actual[r.table_name] = table;
    }
    expect(actual).toEqual(SCHEMA);
  });
});
