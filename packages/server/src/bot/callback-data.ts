import type { OrderAction } from "../orders/order-state-machine.ts";

/** A parsed inline-button press: `o:<action>:<order>` (seller card) or `r:<order>:<stars>` (rating). */
export type CallbackCommand =
  | { type: "order"; action: Exclude<OrderAction, "expire">; orderId: number }
  | { type: "rate"; orderId: number; stars: number };

const ORDER = /^o:(accept|reject|ready|delivering|complete|cancel):(\d{1,15})$/;
const RATE = /^r:(\d{1,15}):([1-5])$/;

export function parseCallbackData(data: string | undefined): CallbackCommand | null {
  if (!data) return null;
  const o = ORDER.exec(data);
  if (o) return { type: "order", action: o[1] as Exclude<OrderAction, "expire">, orderId: Number(o[2]) };
  const r = RATE.exec(data);
  if (r) return { type: "rate", orderId: Number(r[1]), stars: Number(r[2]) };
  return null;
}
