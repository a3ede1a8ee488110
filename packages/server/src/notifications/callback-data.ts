import { SELLER_ACTIONS, type SellerAction, SHOP_REASON_CODES, type ShopReasonCode } from "@lastbite/shared";

/**
 * A parsed inline-button press: `o:<action>:<order>` (seller card), `x:<action>:<order>:<reason>`
 * (the reason chosen for a reject or cancel), `b:<order>` (back from the reasons to the card's
 * buttons), `r:<order>:<stars>` (rating), `s:<approve|reject>:<store>` (an admin on a new shop),
 * `a:off` (stop the new-offer alerts).
 */
export type CallbackCommand =
  | { type: "order"; action: SellerAction; orderId: number }
  | { type: "reason"; action: SellerAction; orderId: number; reason: ShopReasonCode }
  | { type: "back"; orderId: number }
  | { type: "rate"; orderId: number; stars: number }
  | { type: "store"; decision: "approve" | "reject"; storeId: number }
  | { type: "alertsOff" };

export const ALERTS_OFF_CALLBACK = "a:off";

/** Callback data of the seller's buttons: short, well under Telegram's 64 bytes. */
export const orderCallback = (action: SellerAction, orderId: number) => `o:${action}:${orderId}`;
export const reasonCallback = (action: SellerAction, orderId: number, reason: ShopReasonCode) =>
  `x:${action}:${orderId}:${reason}`;
export const backCallback = (orderId: number) => `b:${orderId}`;
export const rateCallback = (orderId: number, stars: number) => `r:${orderId}:${stars}`;
export const storeCallback = (decision: "approve" | "reject", storeId: number) => `s:${decision}:${storeId}`;

// Built from the lifecycle's actions and reasons: a new one parses without touching this file.
const ORDER = new RegExp(`^o:(${SELLER_ACTIONS.join("|")}):(\\d{1,15})$`);
const REASON = new RegExp(`^x:(${SELLER_ACTIONS.join("|")}):(\\d{1,15}):(${SHOP_REASON_CODES.join("|")})$`);
const BACK = /^b:(\d{1,15})$/;
const RATE = /^r:(\d{1,15}):([1-5])$/;
const STORE = /^s:(approve|reject):(\d{1,15})$/;

export function parseCallbackData(data: string | undefined): CallbackCommand | null {
  if (!data) return null;
  const o = ORDER.exec(data);
  if (o) return { type: "order", action: o[1] as SellerAction, orderId: Number(o[2]) };
  if (data === ALERTS_OFF_CALLBACK) return { type: "alertsOff" };
  const x = REASON.exec(data);
  if (x)
    return {
      type: "reason",
      action: x[1] as SellerAction,
      orderId: Number(x[2]),
      reason: x[3] as ShopReasonCode,
    };
  const b = BACK.exec(data);
  if (b) return { type: "back", orderId: Number(b[1]) };
  const r = RATE.exec(data);
  if (r) return { type: "rate", orderId: Number(r[1]), stars: Number(r[2]) };
  const s = STORE.exec(data);
  if (s) return { type: "store", decision: s[1] as "approve" | "reject", storeId: Number(s[2]) };
  return null;
}
