import { SELLER_ACTIONS, type SellerAction } from "@lastbite/shared";

/**
 * A parsed inline-button press: `o:<action>:<order>` (seller card), `r:<order>:<stars>` (rating) or
 * `a:off` (stop the new-offer alerts).
 */
export type CallbackCommand =
  | { type: "order"; action: SellerAction; orderId: number }
  | { type: "rate"; orderId: number; stars: number }
  | { type: "alertsOff" };

export const ALERTS_OFF_CALLBACK = "a:off";

/** Callback data of the seller's buttons: short, well under Telegram's 64 bytes. */
export const orderCallback = (action: SellerAction, orderId: number) => `o:${action}:${orderId}`;
export const rateCallback = (orderId: number, stars: number) => `r:${orderId}:${stars}`;

// Built from the lifecycle's actions: a new action's buttons parse without touching this file.
const ORDER = new RegExp(`^o:(${SELLER_ACTIONS.join("|")}):(\\d{1,15})$`);
const RATE = /^r:(\d{1,15}):([1-5])$/;

export function parseCallbackData(data: string | undefined): CallbackCommand | null {
  if (!data) return null;
  const o = ORDER.exec(data);
  if (o) return { type: "order", action: o[1] as SellerAction, orderId: Number(o[2]) };
  if (data === ALERTS_OFF_CALLBACK) return { type: "alertsOff" };
  const r = RATE.exec(data);
  if (r) return { type: "rate", orderId: Number(r[1]), stars: Number(r[2]) };
  return null;
}
