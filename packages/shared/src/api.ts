import { z } from "zod";
import { type ReasonCode, SHOP_REASON_CODES } from "./order-lifecycle.ts";
import {
  DELIVERY_TYPES,
  type DeliveryType,
  ORDER_FILTERS,
  type OrderStatus,
  STORE_CATEGORIES,
  type StoreCategory,
  type StoreStatus,
  UNITS,
  type Unit,
} from "./order-status.ts";
import { normalizePhone } from "./phone.ts";
import { isTimeZone } from "./time.ts";

/** Largest amount of so'm we accept anywhere: 1 billion. */
export const MAX_MONEY = 1_000_000_000;
export const MAX_QUANTITY = 100_000;

/**
 * Control characters other than tab, line feed and carriage return. PostgreSQL cannot store NUL in
 * text, and none of them belongs in a name, an address or a comment.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS_ALL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/** `s` without control characters (other than tab and line breaks): for names Telegram hands us. */
export function stripControlChars(s: string): string {
  return s.replace(CONTROL_CHARS_ALL, "");
}

/** A string a user typed: no control characters other than line breaks and tabs. */
export const plainString = () =>
  z.string().refine((v) => !CONTROL_CHARS.test(v), "must not contain control characters");
const text = (max: number) => plainString().trim().min(1).max(max);
const optionalText = (max: number) => plainString().trim().max(max).optional();
const money = z.number().int().min(0).max(MAX_MONEY);
const isoTime = z.iso.datetime({ offset: true });
const phone = plainString()
  .max(32)
  .transform((v, ctx) => {
    const p = normalizePhone(v);
    if (!p) {
      ctx.addIssue({ code: "custom", message: "not a valid phone number" });
      return z.NEVER;
    }
    return p;
  });
const httpsUrl = plainString()
  .max(2048)
  .url()
  .refine((u) => /^https:\/\//i.test(u), "must be an https:// URL");

/** True when `q` is a positive quantity valid for the unit: whole pieces, 0.1 steps for kg and l. */
export function isValidQuantity(q: number, unit: Unit): boolean {
  if (!Number.isFinite(q) || q <= 0 || q > MAX_QUANTITY) return false;
  if (unit === "piece") return Number.isInteger(q);
  // A whole, positive number of 0.1 steps: 1e-11 is no step at all, 0.15 is between two.
  const steps = Math.round(q * 10);
  return steps >= 1 && Math.abs(steps - q * 10) < 1e-9;
}

const storeFields = {
  name: text(120),
  address: text(300),
  phone,
  description: optionalText(1000),
  delivery_enabled: z.boolean().optional(),
  delivery_fee: money.optional(),
  min_order_amount: money.optional(),
  /** WGS 84; give both or neither. */
  lat: z.number().min(-90).max(90).nullable().optional(),
  lng: z.number().min(-180).max(180).nullable().optional(),
  category: z.enum(STORE_CATEGORIES).nullable().optional(),
  timezone: plainString()
    .max(64)
    .refine(isTimeZone, "must be an IANA time zone, e.g. Asia/Tashkent")
    .nullable()
    .optional(),
};
function checkLocation(o: { lat?: number | null; lng?: number | null }, ctx: z.RefinementCtx) {
  if ((o.lat === undefined) !== (o.lng === undefined) || (o.lat === null) !== (o.lng === null))
    ctx.addIssue({
      code: "custom",
      path: [o.lat == null ? "lat" : "lng"],
      message: "give both lat and lng, or neither",
    });
}
export const createStoreBody = z.strictObject(storeFields).superRefine(checkLocation);
export const patchStoreBody = z.strictObject(storeFields).partial().superRefine(checkLocation);
export type CreateStoreBody = z.infer<typeof createStoreBody>;
export type PatchStoreBody = z.infer<typeof patchStoreBody>;

const offerFields = {
  title: text(120),
  description: optionalText(2000),
  price: z.number().int().min(1).max(MAX_MONEY),
  original_price: z.number().int().min(1).max(MAX_MONEY).nullable().optional(),
  quantity: z.number().min(0).max(MAX_QUANTITY),
  unit: z.enum(UNITS).optional(),
  photo_url: httpsUrl.nullable().optional(),
  pickup_from: isoTime.nullable().optional(),
  pickup_until: isoTime.nullable().optional(),
  expires_at: isoTime.nullable().optional(),
  active: z.boolean().optional(),
};
export const createOfferBody = z.strictObject(offerFields).superRefine((o, ctx) => {
  if (!isValidQuantity(o.quantity, o.unit ?? "piece"))
    ctx.addIssue({ code: "custom", path: ["quantity"], message: QUANTITY_RULE });
  checkOfferPrices(o, ctx);
});
/** A patch cannot know the stored unit; the server checks quantity against it. */
export const patchOfferBody = z.strictObject(offerFields).partial().superRefine(checkOfferPrices);
export type CreateOfferBody = z.infer<typeof createOfferBody>;
/** "Post again": what may differ from the copied offer; times left out move to the next window. */
export const repostOfferBody = z
  .strictObject({
    quantity: z.number().min(0).max(MAX_QUANTITY).optional(),
    pickup_from: isoTime.nullable().optional(),
    pickup_until: isoTime.nullable().optional(),
    expires_at: isoTime.nullable().optional(),
  })
  .superRefine(checkOfferPrices);
export type RepostOfferBody = z.infer<typeof repostOfferBody>;
export type PatchOfferBody = z.infer<typeof patchOfferBody>;
export const QUANTITY_RULE = "must be positive: whole pieces, or steps of 0.1 for kg and l";

function checkOfferPrices(
  o: {
    price?: number;
    original_price?: number | null;
    pickup_from?: string | null;
    pickup_until?: string | null;
  },
  ctx: z.RefinementCtx,
) {
  if (o.price !== undefined && o.original_price != null && o.original_price < o.price)
    ctx.addIssue({ code: "custom", path: ["original_price"], message: "must not be below the price" });
  if (o.pickup_from && o.pickup_until && Date.parse(o.pickup_from) >= Date.parse(o.pickup_until))
    ctx.addIssue({ code: "custom", path: ["pickup_until"], message: "must be after pickup_from" });
}

/** A delivery address: long enough to find the door, short enough for a courier's screen. */
export const ADDRESS_MIN = 5;
export const ADDRESS_MAX = 300;

export const createOrderBody = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          offer_id: z.number().int().positive(),
          quantity: z.number().positive().max(MAX_QUANTITY),
        }),
      )
      .min(1)
      .max(50),
    delivery_type: z.enum(DELIVERY_TYPES).default("pickup"),
    delivery_address: plainString().trim().min(ADDRESS_MIN).max(ADDRESS_MAX).optional(),
    customer_phone: phone.optional(),
    comment: optionalText(500),
  })
  .superRefine((o, ctx) => {
    if (o.delivery_type === "delivery") {
      if (!o.delivery_address)
        ctx.addIssue({ code: "custom", path: ["delivery_address"], message: "required for delivery" });
      if (!o.customer_phone)
        ctx.addIssue({ code: "custom", path: ["customer_phone"], message: "required for delivery" });
    }
    const ids = new Set(o.items.map((i) => i.offer_id));
    if (ids.size !== o.items.length)
      ctx.addIssue({ code: "custom", path: ["items"], message: "each offer may appear once" });
  });
export type CreateOrderBody = z.input<typeof createOrderBody>;

/** `cursor`: the `next_cursor` of the previous page (opaque; the server refuses one it did not give out). */
export const pageCursor = () => z.string().min(1).max(512).optional();
/** `limit`: how many to a page. */
export const pageLimit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

export const orderListQuery = z.strictObject({
  filter: z.enum(ORDER_FILTERS).default("all"),
  limit: pageLimit(100, 50),
  cursor: pageCursor(),
});

/** `lat,lng` in WGS 84 degrees, as `near=` carries it. */
export const latLng = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const m = /^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(v);
    const lat = Number(m?.[1]);
    const lng = Number(m?.[2]);
    if (!m || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
      ctx.addIssue({
        code: "custom",
        message: "must be <latitude>,<longitude> in degrees (-90..90, -180..180)",
      });
      return z.NEVER;
    }
    return { lat, lng };
  });

/** How the catalogue may be ordered (none: oldest offer first). */
export const OFFER_SORTS = ["ending", "price", "distance", "discount"] as const;
export type OfferSort = (typeof OFFER_SORTS)[number];

export const offerListQuery = z.strictObject({
  store_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  all: z
    .enum(["0", "1"])
    .optional()
    .describe("1: the shop's owner sees every offer of `store_id`, in any state"),
  q: plainString()
    .trim()
    .max(200)
    .optional()
    .describe("words in the title, description or shop name; Latin and Cyrillic find each other"),
  category: z.enum(STORE_CATEGORIES).optional(),
  near: latLng.optional().describe("<lat>,<lng>: adds distance_m (metres to the offer's shop) to each offer"),
  radius_m: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .optional()
    .describe("with near: only shops this close"),
  sort: z
    .enum(OFFER_SORTS)
    .optional()
    .describe(
      "ending: soonest end first; price: cheapest first; discount: largest share off first; distance: nearest first",
    ),
  limit: pageLimit(100, 50),
  cursor: pageCursor(),
});
export type OfferListQuery = z.output<typeof offerListQuery>;

/** A shop's list holds every active order on one screen, so its pages are larger. */
export const sellerOrderListQuery = orderListQuery.extend({ limit: pageLimit(200, 200) });
export const patchMeBody = z.strictObject({ offer_alerts: z.boolean() });
export const reasonBody = z.strictObject({
  reason: optionalText(500),
  /** A quick choice (sold out, closing soon…): the buyer reads it in their own language. */
  reason_code: z.enum(SHOP_REASON_CODES).optional(),
});
export const ratingBody = z.strictObject({
  stars: z.number().int().min(1).max(5),
  comment: optionalText(1000),
});
export const verifyCodeBody = z.strictObject({ code: plainString().trim().min(1).max(32) });

/** A shop. Money in so'm. */
export interface Store {
  id: number;
  /** Only an `active` shop's offers are on sale. */
  status: StoreStatus;
  lat: number | null;
  lng: number | null;
  category: StoreCategory | null;
  /** IANA time zone; null: the server's default (SHOP_TIMEZONE). */
  timezone: string | null;
  name: string;
  address: string;
  phone: string;
  description: string | null;
  owner_id: number;
  /** The owner's Telegram username, for "contact the seller"; null when they have none. */
  owner_username: string | null;
  delivery_enabled: boolean;
  delivery_fee: number;
  min_order_amount: number;
  /** Average stars, one decimal; null before the first rating. */
  rating: number | null;
  ratings_count: number;
  created_at: string;
}

/** Something a shop sells at a discount. `quantity` is the stock left. */
export interface Offer {
  id: number;
  store_id: number;
  title: string;
  description: string | null;
  price: number;
  original_price: number | null;
  quantity: number;
  unit: Unit;
  photo_url: string | null;
  pickup_from: string | null;
  pickup_until: string | null;
  expires_at: string | null;
  active: boolean;
  created_at: string;
  updated_at: string;
  /** Metres to the offer's shop from `near=`; only when asked with `near`. */
  distance_m?: number | null;
}

export interface OrderItem {
  offer_id: number;
  title: string;
  quantity: number;
  unit: Unit;
  price: number;
  /** price × quantity, rounded to whole so'm. */
  total: number;
}

export interface TimelineEntry {
  status: OrderStatus;
  at: string;
  reason?: string | null;
  reason_code?: ReasonCode | null;
}

export interface Order {
  id: number;
  status: OrderStatus;
  delivery_type: DeliveryType;
  delivery_address: string | null;
  customer_phone: string | null;
  delivery_cost: number;
  comment: string | null;
  items: OrderItem[];
  items_total: number;
  total: number;
  /** Booking code, null until the order is confirmed. */
  code: string | null;
  store: {
    id: number;
    name: string;
    address: string;
    phone: string;
    owner_username: string | null;
    /** The IANA zone the order's times are shown in: the shop's own, else SHOP_TIMEZONE. */
    timezone: string;
  };
  buyer: { id: number; first_name: string; username: string | null };
  timeline: TimelineEntry[];
  /** The window in which all items can be collected (the intersection of the offers' windows). */
  pickup_from: string | null;
  pickup_until: string | null;
  /** When a `pending` order expires unless the shop accepts it. */
  accept_deadline: string;
  /** Reason given for the last reject/cancel/expiry, if any (in English when the system gave it). */
  reason: string | null;
  /** Set when the system ended the order: show `t(lang, "reason.<code>")` rather than `reason`. */
  reason_code: ReasonCode | null;
  rating: { stars: number; comment: string | null } | null;
  created_at: string;
  updated_at: string;
}

/** One calendar day of a shop's figures (in the shop's time zone). Money in so'm. */
export interface SellerStatsDay {
  /** YYYY-MM-DD */
  date: string;
  /** Orders placed that day, in any state. */
  orders: number;
  /** Of those, completed (handed over). */
  completed: number;
  /** Paid for the completed orders. */
  revenue: number;
  /** Quantity handed over (pieces, kg and l added up): food saved from waste. */
  items: number;
  /** What buyers of the completed orders saved against the original prices. */
  saved_amount: number;
  /** Pickup orders placed that day that nobody collected (expired as no-shows). */
  no_shows: number;
}

export interface SellerStats {
  store_id: number;
  timezone: string;
  days: SellerStatsDay[];
  /** The days added up; `completion_rate`: completed ÷ orders that are over (null before the first). */
  totals: Omit<SellerStatsDay, "date"> & { completion_rate: number | null };
  rating: number | null;
  ratings_count: number;
}

export const sellerStatsQuery = z.strictObject({
  store_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  days: z.coerce.number().int().min(1).max(366).default(30),
});

export interface User {
  id: number;
  first_name: string;
  last_name?: string | null;
  username: string | null;
  language: string;
  phone?: string | null;
  /** Whether the bot tells the user about new offers of shops they follow. */
  offer_alerts?: boolean;
}

export interface MeResponse {
  user: User;
  stores: Store[];
  bot_username?: string | null;
  /** The zone times of shops without their own `timezone` are shown in (SHOP_TIMEZONE). */
  shop_timezone: string;
}
