import { ORDER_STATUSES, REASON_CODES } from "@lastbite/shared";
import { z } from "zod";

/**
 * Every kind of bot message the outbox carries, with the payload each needs, as one discriminated
 * union: the writer cannot store a payload its kind does not expect, and the worker's switch over
 * the kinds is exhaustive (a kind added here fails to compile until it is rendered). The text is
 * rendered at send time from the order's current state; the payload keeps what the event said.
 */
const statusChange = z.object({
  status: z.enum(ORDER_STATUSES),
  reason: z.string().nullable(),
  reason_code: z.enum(REASON_CODES).nullable().default(null),
});

export const OUTBOX_PAYLOADS = {
  /** The order card with its buttons in the owner's chat. */
  seller_new_order: z.object({}),
  /** Edit that card to the order's new state and buttons. */
  seller_card: z.object({}),
  /** A separate message so the seller notices (the buyer cancelled, the order expired). */
  seller_notice: statusChange,
  /** The buyer rated the shop. */
  seller_rating: z.object({ stars: z.number().int().min(1).max(5), comment: z.string().nullable() }),
  /** The buyer hears about a change of status. */
  buyer_status: statusChange,
  /** A shop the chat follows put a new offer on sale (not about an order: `order_id` is null). */
  favourite_offer: z.object({ offer_id: z.number().int(), store_id: z.number().int() }),
  /** A pending order is halfway to its accept deadline: the seller is reminded (jobs: accept_reminder). */
  seller_accept_reminder: z.object({}),
  /** The pickup window closes soon: the buyer is reminded (jobs: pickup_reminder). */
  buyer_pickup_reminder: z.object({}),
  /** A completed order is not rated yet: the buyer is asked once more (jobs: rating_reminder). */
  buyer_rating_reminder: z.object({}),
  /** A delivery has been under way for hours: the seller is asked to close it (jobs: delivering_overdue). */
  seller_delivering_overdue: z.object({}),
  /** An admin's card about a new shop waiting for approval, with ✅/❌ (no order: `order_id` is null). */
  admin_store_review: z.object({ store_id: z.number().int() }),
  /** An admin decided about that shop: this admin's review card is edited to show it, without buttons. */
  admin_store_decided: z.object({ store_id: z.number().int() }),
  /** The shop's owner hears an admin's decision. */
  store_decision: z.object({
    store_id: z.number().int(),
    status: z.enum(["active", "rejected", "suspended"]),
    /** Which decision made it so (absent on rows written before suspension existed: approve/reject). */
    decision: z.enum(["approve", "reject", "suspend", "reinstate"]).optional(),
  }),
} as const;

export type OutboxKind = keyof typeof OUTBOX_PAYLOADS;
export const OUTBOX_KINDS = Object.keys(OUTBOX_PAYLOADS) as OutboxKind[];
export type OutboxPayload<K extends OutboxKind> = z.output<(typeof OUTBOX_PAYLOADS)[K]>;

/** A message about an order, as the worker handles it: kind and payload travel together. */
export type OutboxMessage = {
  [K in OutboxKind]: { kind: K; payload: OutboxPayload<K> };
}[OutboxKind];

/** One message to write: who gets it, about what, and the key that makes a second write a no-op. */
export type OutboxRow = OutboxMessage & {
  dedupeKey: string;
  chatId: number;
  orderId: number | null;
  eventId?: number | null;
};

/**
 * Reads a stored row back into a message. A kind this code does not know, or a payload that does
 * not fit its kind, is an error (the row fails loudly) rather than a message silently marked sent.
 */
export function parseOutboxMessage(kind: string, payload: unknown): OutboxMessage | { error: string } {
  if (!Object.hasOwn(OUTBOX_PAYLOADS, kind)) return { error: `unknown outbox kind ${JSON.stringify(kind)}` };
  const k = kind as OutboxKind;
  const parsed = OUTBOX_PAYLOADS[k].safeParse(payload ?? {});
  if (!parsed.success) return { error: `bad ${k} payload: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  return { kind: k, payload: parsed.data } as OutboxMessage;
}

/** For exhaustive switches: a kind added to the union and not handled fails to compile here. */
export function assertNever(x: never): never {
  throw new Error(`unhandled outbox message ${JSON.stringify(x)}`);
}
