import {
  CODE_SHOWN_STATUSES,
  FAILED_STATUSES,
  formatAmount,
  formatClock,
  formatClockOnDay,
  formatNumber,
  formatSom,
  type Lang,
  type OrderStatus,
  offeredActions,
  perUnit,
  type SellerAction,
  SHOP_REASON_CODES,
  type StoreCategory,
  type StoreStatus,
  t,
  zonedParts,
} from "@lastbite/shared";
import type { InlineKeyboardButton } from "grammy/types";
import type { LoadedOrder } from "../orders/order.repository.ts";
import { backCallback, orderCallback, rateCallback, reasonCallback, storeCallback } from "./callback-data.ts";

/**
 * Pure text renderers for every bot message. They read the order's current state (plus the
 * outbox row's payload), so a message sent late still tells the truth. Plain text, no parse mode:
 * shop names and addresses never need escaping.
 */
export interface Rendered {
  text: string;
  keyboard: InlineKeyboardButton[][];
}

const buyerName = (o: LoadedOrder) =>
  o.buyer.username ? `${o.buyer.first_name} (@${o.buyer.username})` : o.buyer.first_name;

/**
 * The order's pickup window in the shop's zone, 24-hour (`18:00–21:00`, `until 21:00`, with the
 * date when it is not today there); null when its offers set none.
 */
export function windowText(
  o: Pick<LoadedOrder, "pickup_from" | "pickup_until" | "store">,
  lang: Lang,
  now: number = Date.now(),
): string | null {
  const zone = o.store.timezone;
  const { pickup_from: from, pickup_until: until } = o;
  if (from && until) {
    const day = (v: string) => {
      const p = zonedParts(v, zone);
      return `${p.year}-${p.month}-${p.day}`;
    };
    return t(lang, "bot.window.range", {
      from: formatClockOnDay(from, zone, now),
      // the end without its date when it is on the start's day
      until: day(from) === day(until) ? formatClock(until, zone) : formatClockOnDay(until, zone, now),
    });
  }
  if (until) return t(lang, "bot.window.until", { time: formatClockOnDay(until, zone, now) });
  return from ? t(lang, "bot.window.from", { time: formatClockOnDay(from, zone, now) }) : null;
}

/** What the owner can do next from the card: exactly what the lifecycle offers the shop. */
export function sellerActions(o: Pick<LoadedOrder, "status" | "delivery_type">): SellerAction[] {
  return offeredActions(o, "seller") as SellerAction[];
}

/**
 * The card's buttons while the seller picks a reason for `action` (reject or cancel): the quick
 * reasons that fit the order (no "cannot deliver" for pickup) and ↩️ back to the card's buttons.
 */
export function reasonKeyboard(
  o: Pick<LoadedOrder, "id" | "delivery_type">,
  action: SellerAction,
  lang: Lang,
): InlineKeyboardButton[][] {
  const reasons = SHOP_REASON_CODES.filter((r) => r !== "cannot_deliver" || o.delivery_type === "delivery");
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < reasons.length; i += 2)
    rows.push(
      reasons.slice(i, i + 2).map((r) => ({
        text: t(lang, `bot.reason.${r}`),
        callback_data: reasonCallback(action, o.id, r),
      })),
    );
  rows.push([{ text: t(lang, "bot.reason.back"), callback_data: backCallback(o.id) }]);
  return rows;
}

export function sellerKeyboard(
  o: Pick<LoadedOrder, "id" | "status" | "delivery_type">,
  lang: Lang,
): InlineKeyboardButton[][] {
  const buttons = sellerActions(o).map((a) => ({
    text: t(lang, `bot.action.${a}`),
    callback_data: orderCallback(a, o.id),
  }));
  return buttons.length ? [buttons] : [];
}

/** The seller's order card: one message, edited in place as the order moves on. */
export function renderSellerCard(o: LoadedOrder, lang: Lang, now: number = Date.now()): Rendered {
  const lines = [
    t(lang, o.status === "pending" ? "bot.card.new" : "bot.card.title", { id: o.id }),
    t(lang, "bot.card.shop", { name: o.store.name }),
    "",
    ...o.items.map((i) =>
      t(lang, "bot.card.item", {
        title: i.title,
        quantity:
          i.unit === "piece" ? formatNumber(lang, i.quantity) : formatAmount(lang, i.quantity, i.unit),
        price: perUnit(lang, formatSom(i.price, lang), i.unit),
        total: formatSom(i.total, lang),
      }),
    ),
  ];
  if (o.delivery_cost > 0)
    lines.push(t(lang, "bot.card.deliveryCost", { amount: formatSom(o.delivery_cost, lang) }));
  lines.push(t(lang, "bot.card.total", { amount: formatSom(o.total, lang) }), "");
  lines.push(
    t(lang, "bot.card.type", {
      type: t(lang, o.delivery_type === "delivery" ? "bot.card.delivery" : "bot.card.pickup"),
    }),
  );
  if (o.delivery_type === "delivery" && o.delivery_address)
    lines.push(t(lang, "bot.card.address", { address: o.delivery_address }));
  if (o.customer_phone) lines.push(t(lang, "bot.card.phone", { phone: o.customer_phone }));
  lines.push(t(lang, "bot.card.buyer", { name: buyerName(o) }));
  if (o.comment) lines.push(t(lang, "bot.card.comment", { comment: o.comment }));
  const window = o.delivery_type === "pickup" ? windowText(o, lang, now) : null;
  if (window) lines.push(t(lang, "bot.card.window", { window }));
  lines.push("", t(lang, "bot.card.status", { status: t(lang, `status.${o.status}`) }));
  if (o.status === "pending")
    lines.push(
      t(lang, "bot.card.acceptBy", { time: formatClockOnDay(o.accept_deadline, o.store.timezone, now) }),
    );
  if (o.code && CODE_SHOWN_STATUSES.includes(o.status))
    lines.push(t(lang, "bot.card.code", { code: o.code }));
  const reason = o.reason_code ? t(lang, `reason.${o.reason_code}`) : o.reason;
  if (reason && FAILED_STATUSES.includes(o.status)) lines.push(t(lang, "bot.card.reason", { reason }));
  if (o.rating) lines.push(t(lang, "bot.card.rating", { stars: o.rating.stars }));
  return { text: lines.join("\n"), keyboard: sellerKeyboard(o, lang) };
}

export interface BuyerMessage {
  text: string;
  /** Extra rows under the "open in the app" button (the rating stars). */
  keyboard: InlineKeyboardButton[][];
  /** When set, send a photo of this booking code's QR with `text` as its caption. */
  qrCode: string | null;
  /** Whether to add the button that opens the order in the Mini App. */
  openButton: boolean;
  /** When set, a last row with the button that copies this booking code ({@link copyCodeButton}). */
  copyCode?: string | null;
}

/**
 * One tap copies the booking code (Bot API 7.11 `copy_text`). A client too old for the button
 * still shows the code in the message itself.
 */
export function copyCodeButton(code: string, lang: Lang): InlineKeyboardButton {
  return { text: t(lang, "bot.button.copyCode", { code }), copy_text: { text: code } };
}

/** The buyer's message about a change to `status` (the event's status, not necessarily the current one). */
export function renderBuyerStatus(
  o: LoadedOrder,
  status: OrderStatus,
  reason: string | null,
  lang: Lang,
  now: number = Date.now(),
): BuyerMessage | null {
  const p = { id: o.id, shop: o.store.name, address: o.store.address, code: o.code ?? "—" };
  const window = o.delivery_type === "pickup" ? windowText(o, lang, now) : null;
  const withWindow = (text: string) =>
    window ? `${text}\n${t(lang, "bot.buyer.window", { window })}` : text;
  const withReason = (text: string) =>
    reason ? `${text}\n${t(lang, "bot.buyer.reason", { reason })}` : text;
  switch (status) {
    case "confirmed": {
      const pickup = o.delivery_type === "pickup";
      const tail = pickup
        ? t(lang, "bot.buyer.confirmedPickup", { address: o.store.address })
        : t(lang, "bot.buyer.confirmedDelivery", { address: o.delivery_address ?? "" });
      return {
        text: withWindow(`${t(lang, "bot.buyer.confirmed", p)}\n${tail}`),
        keyboard: [],
        qrCode: pickup && o.code ? o.code : null,
        copyCode: o.code,
        openButton: true,
      };
    }
    case "ready":
      return {
        text: withWindow(t(lang, "bot.buyer.ready", p)),
        keyboard: [],
        qrCode: null,
        copyCode: o.code,
        openButton: true,
      };
    case "delivering":
      return { text: t(lang, "bot.buyer.delivering", p), keyboard: [], qrCode: null, openButton: true };
    case "completed":
      return {
        text: t(lang, "bot.buyer.completed", p),
        keyboard: o.rating ? [] : ratingKeyboard(o),
        qrCode: null,
        openButton: false,
      };
    case "rejected":
      return {
        text: withReason(t(lang, "bot.buyer.rejected", p)),
        keyboard: [],
        qrCode: null,
        openButton: true,
      };
    case "cancelled":
      return {
        text: withReason(t(lang, "bot.buyer.cancelled", p)),
        keyboard: [],
        qrCode: null,
        openButton: true,
      };
    case "expired":
      return {
        text: withReason(t(lang, "bot.buyer.expired", p)),
        keyboard: [],
        qrCode: null,
        openButton: true,
      };
    default:
      return null;
  }
}

/** The buyer's thank-you message once rated: the stars replace the buttons. */
export function renderBuyerRated(o: LoadedOrder, stars: number, lang: Lang): string {
  const p = { id: o.id, shop: o.store.name };
  const first = t(lang, "bot.buyer.completed", p).split("\n")[0] ?? "";
  return `${first}\n${t(lang, "bot.buyer.rated", { stars: "⭐".repeat(stars) })}`;
}

/** A separate message so the seller notices what the buyer or the clock did. */
export function renderSellerNotice(
  o: LoadedOrder,
  status: OrderStatus,
  reason: string | null,
  lang: Lang,
): string | null {
  if (status === "cancelled") {
    const text = t(lang, "bot.seller.cancelledByBuyer", { id: o.id });
    return reason ? `${text}\n${t(lang, "bot.card.reason", { reason })}` : text;
  }
  if (status === "expired") return t(lang, "bot.seller.expired", { id: o.id, reason: reason ?? "" }).trim();
  return null;
}

export function renderSellerRating(
  o: LoadedOrder,
  stars: number,
  comment: string | null,
  lang: Lang,
): string {
  const text = t(lang, "bot.seller.rating", { buyer: o.buyer.first_name, id: o.id, stars });
  return comment ? `${text}\n${t(lang, "bot.seller.ratingComment", { comment })}` : text;
}

/** What a new-offer alert shows: the offer, its shop, and the zone its pickup times are in. */
export interface AlertOffer {
  id: number;
  title: string;
  price: number;
  original_price: number | null;
  pickup_from: string | null;
  pickup_until: string | null;
  store_name: string;
  time_zone: string;
}

/** An offer's price, with the usual price and the share off when it is discounted. */
function offerPrice(o: AlertOffer, lang: Lang): string {
  return o.original_price && o.original_price > o.price
    ? t(lang, "bot.alert.was", {
        price: formatSom(o.price, lang),
        original: formatSom(o.original_price, lang),
        percent: Math.round((1 - o.price / o.original_price) * 100),
      })
    : formatSom(o.price, lang);
}

/** "🕒 Pick up 18:00–21:00" in the shop's zone, when the offer has a window. */
function offerPickup(o: AlertOffer, lang: Lang): string | null {
  if (!o.pickup_from || !o.pickup_until) return null;
  return t(lang, "bot.alert.pickup", {
    from: formatClock(o.pickup_from, o.time_zone),
    until: formatClock(o.pickup_until, o.time_zone),
  });
}

/** A followed shop's new offer. The buttons (open it, stop these) are added by the worker. */
export function renderOfferAlert(o: AlertOffer, lang: Lang): string {
  const lines = [
    t(lang, "bot.alert.newOffer", { shop: o.store_name, title: o.title, price: offerPrice(o, lang) }),
  ];
  const pickup = offerPickup(o, lang);
  if (pickup) lines.push(pickup);
  return lines.join("\n");
}

/**
 * An offer as a buyer shares it into a chat (a prepared inline message): the message's text, and
 * the line under its title in Telegram's share sheet. The button is added by the caller.
 */
export function renderOfferShare(o: AlertOffer, lang: Lang): { text: string; description: string } {
  const price = offerPrice(o, lang);
  const lines = [t(lang, "bot.share.text", { shop: o.store_name, title: o.title, price })];
  const pickup = offerPickup(o, lang);
  if (pickup) lines.push(pickup);
  return {
    text: lines.join("\n"),
    description: t(lang, "bot.share.description", { shop: o.store_name, price: formatSom(o.price, lang) }),
  };
}

/** The stars a buyer rates with: each button's text starts with ⭐ and holds its number. */
export function ratingKeyboard(o: LoadedOrder): InlineKeyboardButton[][] {
  return [[1, 2, 3, 4, 5].map((n) => ({ text: `⭐${n}`, callback_data: rateCallback(o.id, n) }))];
}

/**
 * A reminder the clock sends (jobs/), or null when the order has moved on since it was written:
 * a reminder never goes out about something that no longer holds.
 */
export function renderReminder(
  kind:
    | "seller_accept_reminder"
    | "buyer_pickup_reminder"
    | "buyer_rating_reminder"
    | "seller_delivering_overdue",
  o: LoadedOrder,
  lang: Lang,
  now: number = Date.now(),
): Rendered | null {
  const zone = o.store.timezone;
  switch (kind) {
    case "seller_accept_reminder":
      if (o.status !== "pending" || Date.parse(o.accept_deadline) <= now) return null;
      return {
        text: t(lang, "bot.reminder.accept", {
          id: o.id,
          time: formatClockOnDay(o.accept_deadline, zone, now),
        }),
        keyboard: sellerKeyboard(o, lang),
      };
    case "buyer_pickup_reminder":
      if (!(o.status === "confirmed" || o.status === "ready") || !o.pickup_until) return null;
      if (Date.parse(o.pickup_until) <= now) return null;
      return {
        text: t(lang, "bot.reminder.pickup", {
          id: o.id,
          shop: o.store.name,
          address: o.store.address,
          code: o.code ?? "—",
          time: formatClockOnDay(o.pickup_until, zone, now),
        }),
        keyboard: [],
      };
    case "buyer_rating_reminder":
      if (o.status !== "completed" || o.rating) return null;
      return {
        text: t(lang, "bot.reminder.rating", { id: o.id, shop: o.store.name }),
        keyboard: ratingKeyboard(o),
      };
    case "seller_delivering_overdue":
      if (o.status !== "delivering") return null;
      return {
        text: t(lang, "bot.reminder.delivering", { id: o.id }),
        keyboard: [
          [{ text: t(lang, "bot.action.complete"), callback_data: orderCallback("complete", o.id) }],
        ],
      };
  }
}

/** A shop as the moderation messages show it. */
export interface ShopForReview {
  id: number;
  name: string;
  address: string;
  phone: string;
  description: string | null;
  category: StoreCategory | null;
  status: StoreStatus;
  owner_first_name: string;
  owner_username: string | null;
}

/**
 * An admin's card about a new shop: ✅/❌ while it is pending; the decision, without buttons, once
 * an admin has made it (whoever pressed).
 */
export function renderAdminStoreReview(s: ShopForReview, lang: Lang): Rendered {
  const owner = s.owner_username ? `${s.owner_first_name} (@${s.owner_username})` : s.owner_first_name;
  const lines = [
    t(lang, "bot.admin.newShop", { id: s.id }),
    t(lang, "bot.admin.shopName", { name: s.name }),
    t(lang, "bot.admin.shopAddress", { address: s.address }),
    t(lang, "bot.admin.shopPhone", { phone: s.phone }),
  ];
  if (s.category)
    lines.push(t(lang, "bot.admin.shopCategory", { category: t(lang, `store.category.${s.category}`) }));
  if (s.description) lines.push("", s.description);
  lines.push("", t(lang, "bot.admin.shopOwner", { name: owner }));
  lines.push(t(lang, "bot.admin.shopStatus", { status: t(lang, `store.status.${s.status}`) }));
  const keyboard =
    s.status === "pending"
      ? [
          [
            { text: t(lang, "bot.admin.approve"), callback_data: storeCallback("approve", s.id) },
            { text: t(lang, "bot.admin.reject"), callback_data: storeCallback("reject", s.id) },
          ],
        ]
      : [];
  return { text: lines.join("\n"), keyboard };
}

/** The owner hears whether their shop was approved. */
export function renderStoreDecision(
  s: Pick<ShopForReview, "name">,
  status: "active" | "rejected" | "suspended",
  lang: Lang,
  decision?: "approve" | "reject" | "suspend" | "reinstate",
) {
  const key =
    status === "suspended"
      ? "bot.owner.shopSuspended"
      : status === "rejected"
        ? "bot.owner.shopRejected"
        : decision === "reinstate"
          ? "bot.owner.shopReinstated"
          : "bot.owner.shopApproved";
  return t(lang, key, { name: s.name });
}
