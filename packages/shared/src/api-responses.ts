import { z } from "zod";
import { REASON_CODES } from "./order-lifecycle.ts";
import { DELIVERY_TYPES, ORDER_STATUSES, STORE_CATEGORIES, STORE_STATUSES, UNITS } from "./order-status.ts";
import { PROBLEM_CODES } from "./problem.ts";

/**
 * Response shapes, for the OpenAPI document. The TypeScript interfaces in api.ts are the source the
 * code is written against; these mirror them so /openapi.json describes what the API returns.
 */
const time = z.string().describe("ISO-8601 time");

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(PROBLEM_CODES),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    at: z.string().optional(),
  })
  .describe("application/problem+json");

export const storeSchema = z.object({
  id: z.number().int(),
  status: z.enum(STORE_STATUSES).describe("only an active shop's offers are on sale"),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  category: z.enum(STORE_CATEGORIES).nullable(),
  timezone: z.string().nullable().describe("IANA time zone; null: the server's SHOP_TIMEZONE"),
  name: z.string(),
  address: z.string(),
  phone: z.string(),
  description: z.string().nullable(),
  owner_id: z.number().int(),
  owner_username: z.string().nullable(),
  delivery_enabled: z.boolean(),
  delivery_fee: z.number().int(),
  min_order_amount: z.number().int(),
  rating: z.number().nullable(),
  ratings_count: z.number().int(),
  created_at: time,
});

export const offerSchema = z.object({
  id: z.number().int(),
  store_id: z.number().int(),
  title: z.string(),
  description: z.string().nullable(),
  price: z.number().int(),
  original_price: z.number().int().nullable(),
  quantity: z.number(),
  unit: z.enum(UNITS),
  photo_url: z.string().nullable(),
  pickup_from: time.nullable(),
  pickup_until: time.nullable(),
  expires_at: time.nullable(),
  active: z.boolean(),
  created_at: time,
  updated_at: time,
  /** Metres from `near=` to the offer's shop; only with `near`, null when the shop set no location. */
  distance_m: z.number().int().nullable().optional(),
});

export const orderSchema = z.object({
  id: z.number().int(),
  status: z.enum(ORDER_STATUSES),
  delivery_type: z.enum(DELIVERY_TYPES),
  delivery_address: z.string().nullable(),
  customer_phone: z.string().nullable(),
  delivery_cost: z.number().int(),
  comment: z.string().nullable(),
  items: z.array(
    z.object({
      offer_id: z.number().int(),
      title: z.string(),
      quantity: z.number(),
      unit: z.enum(UNITS),
      price: z.number().int(),
      total: z.number().int(),
    }),
  ),
  items_total: z.number().int(),
  total: z.number().int(),
  code: z.string().nullable().describe("booking code; null until confirmed"),
  store: z.object({
    id: z.number().int(),
    name: z.string(),
    address: z.string(),
    phone: z.string(),
    owner_username: z.string().nullable(),
    timezone: z.string().describe("IANA zone the order's times are shown in"),
  }),
  buyer: z.object({ id: z.number().int(), first_name: z.string(), username: z.string().nullable() }),
  timeline: z.array(
    z.object({
      status: z.enum(ORDER_STATUSES),
      at: time,
      reason: z.string().nullable().optional(),
      reason_code: z.enum(REASON_CODES).nullable().optional(),
    }),
  ),
  reason: z.string().nullable(),
  reason_code: z
    .enum(REASON_CODES)
    .nullable()
    .describe("why the system ended the order (a catalogue key: reason.<code>); null for people's reasons"),
  rating: z.object({ stars: z.number().int(), comment: z.string().nullable() }).nullable(),
  pickup_from: time.nullable().describe("start of the window in which all items can be collected"),
  pickup_until: time.nullable().describe("end of that window"),
  accept_deadline: time.describe("when a pending order expires unless the shop accepts it"),
  created_at: time,
  updated_at: time,
});

/** A page of the catalogue; `next_cursor` fetches the next one (null on the last page). */
export const offerListSchema = z.object({
  offers: z.array(offerSchema),
  next_cursor: z.string().nullable(),
});

/** A page of orders; `next_cursor` fetches the next one (null on the last page). */
export const orderListSchema = z.object({
  orders: z.array(orderSchema),
  next_cursor: z.string().nullable(),
});

const statsFigures = {
  orders: z.number().int(),
  completed: z.number().int(),
  revenue: z.number().int(),
  items: z.number(),
  saved_amount: z.number().int(),
  /** Pickup orders nobody collected (expired as no-shows). */
  no_shows: z.number().int(),
};
export const sellerStatsSchema = z.object({
  store_id: z.number().int(),
  timezone: z.string(),
  days: z.array(
    z.object({ date: z.string().describe("YYYY-MM-DD in the shop's time zone"), ...statsFigures }),
  ),
  totals: z.object({ ...statsFigures, completion_rate: z.number().nullable() }),
  rating: z.number().nullable(),
  ratings_count: z.number().int(),
});

export const meSchema = z.object({
  user: z.object({
    id: z.number().int(),
    first_name: z.string(),
    last_name: z.string().nullable().optional(),
    username: z.string().nullable(),
    language: z.string(),
    phone: z.string().nullable().optional(),
    /** Whether the bot tells the user about new offers of shops they follow. */
    offer_alerts: z.boolean().optional(),
  }),
  stores: z.array(storeSchema),
  /** The bot's username, for t.me links (null until Telegram has answered, or with the bot off). */
  bot_username: z.string().nullable().optional(),
  shop_timezone: z.string().describe("SHOP_TIMEZONE: the IANA zone of shops whose timezone is null"),
});

/** A buyer's shops they follow. */
export const favouritesSchema = z.object({ stores: z.array(storeSchema) });

/** CO2e avoided per meal rescued: Too Good To Go's published figure. */
export const CO2E_KG_PER_MEAL = 2.7;

/** What a buyer saved, over their completed orders; `months` oldest first, the last 12 in which they bought. */
export const impactSchema = z.object({
  orders_completed: z.number().int(),
  spent: z.number().int(),
  saved_amount: z.number().int(),
  meals: z.number().int(),
  co2e_kg: z.number(),
  months: z.array(
    z.object({
      month: z.string().describe("YYYY-MM"),
      orders_completed: z.number().int(),
      saved_amount: z.number().int(),
      co2e_kg: z.number(),
    }),
  ),
});
export type Impact = z.output<typeof impactSchema>;

/**
 * `POST /api/offers/:id/share`: a message Telegram keeps for the caller to share from the Mini App
 * (`shareMessage`, Bot API 8.0): its id for `web_app_send_prepared_message`, and when it lapses.
 */
export const preparedShareSchema = z.object({
  prepared_message_id: z.string(),
  expires_at: z.string().describe("ISO 8601; after it the client refuses the id"),
});
export type PreparedShare = z.output<typeof preparedShareSchema>;

/** The usual error answers of an authenticated route. */
export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  404: problemSchema,
  409: problemSchema,
  422: problemSchema,
  429: problemSchema,
};
