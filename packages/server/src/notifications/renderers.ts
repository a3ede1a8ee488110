import {
  CODE_SHOWN_STATUSES,
  FAILED_STATUSES,
  formatQuantity,
  formatSom,
  type Lang,
  type OrderStatus,
  offeredActions,
  type SellerAction,
  SHOP_REASON_CODES,
  type StoreCategory,
  type StoreStatus,
  t,
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
export function renderSellerCard(o: LoadedOrder, lang: Lang): Rendered {
  const lines = [
    t(lang, o.status === "pending" ? "bot.card.new" : "bot.card.title", { id: o.id }),
    t(lang, "bot.card.shop", { name: o.store.name }),
    "",
    ...o.items.map((i) =>
      t(lang, "bot.card.item", {
        title: i.title,
        quantity: formatQuantity(i.quantity, i.unit),
        price: formatSom(i.price, lang),
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
  lines.push("", t(lang, "bot.card.status", { status: t(lang, `status.${o.status}`) }));
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
}

/** The buyer's message about a change to `status` (the event's status, not necessarily the current one). */
export function renderBuyerStatus(
  o: LoadedOrder,
  status: OrderStatus,
  reason: string | null,
  lang: Lang,
): BuyerMessage | null {
  const p = { id: o.id, shop: o.store.name, address: o.store.address, code: o.code ?? "—" };
  const withReason = (text: string) =>
    reason ? `${text}\n${t(lang, "bot.buyer.reason", { reason })}` : text;
  switch (status) {
    case "confirmed": {
      const pickup = o.delivery_type === "pickup";
      const tail = pickup
        ? t(lang, "bot.buyer.confirmedPickup", { address: o.store.address })
        : t(lang, "bot.buyer.confirmedDelivery", { address: o.delivery_address ?? "" });
      return {
        text: `${t(lang, "bot.buyer.confirmed", p)}\n${tail}`,
        keyboard: [],
        qrCode: pickup && o.code ? o.code : null,
        openButton: true,
      };
    }
    case "ready":
      return { text: t(lang, "bot.buyer.ready", p), keyboard: [], qrCode: null, openButton: true };
    case "delivering":
      return { text: t(lang, "bot.buyer.delivering", p), keyboard: [], qrCode: null, openButton: true };
    case "completed":
      return {
        text: t(lang, "bot.buyer.completed", p),
        keyboard: o.rating
          ? []
          : [[1, 2, 3, 4, 5].map((n) => ({ text: `⭐${n}`, callback_data: rateCallback(o.id, n) }))],
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
  status: "active" | "rejected",
  lang: Lang,
) {
  return t(lang, status === "active" ? "bot.owner.shopApproved" : "bot.owner.shopRejected", { name: s.name });
}
