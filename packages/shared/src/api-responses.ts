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
  })
  .describe("application/problem+json");

export const storeSchema = z.object({
  id: z.number().int(),
  status: z.enum(STORE_STATUSES).describe("only an active shop's offers are on sale"),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  category: z.enum(STORE_CATEGORIES).nullable(),
  timezone: z.string().nullable(),
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
  created_at: time,
  updated_at: time,
});

const statsFigures = {
  orders: z.number().int(),
  completed: z.number().int(),
  revenue: z.number().int(),
  items: z.number(),
  saved_amount: z.number().int(),
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
  }),
  stores: z.array(storeSchema),
});

/** The usual error answers of an authenticated route. */
export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  404: problemSchema,
  409: problemSchema,
  422: problemSchema,
  429: problemSchema,
};
