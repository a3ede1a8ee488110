import type { Sql } from "../db/database.ts";

/** What a notification is about; the worker renders the text from the order's current state. */
export type OutboxKind =
  | "seller_new_order" // the order card with ✅/❌ in the owner's chat
  | "seller_card" // edit that card to the new state and buttons
  | "seller_notice" // a separate message so the seller notices (buyer cancelled, order expired)
  | "seller_rating" // the buyer rated the shop
  | "buyer_status"; // the buyer hears about a status change

export interface OutboxRow {
  kind: OutboxKind;
  dedupeKey: string;
  chatId: number;
  orderId: number | null;
  eventId?: number | null;
  payload?: Record<string, unknown>;
}

/**
 * Writes notifications inside the caller's transaction: they exist exactly when the change that
 * caused them commits. The dedupe key makes a retried write a no-op.
 */
export async function enqueue(tx: Sql, rows: OutboxRow[]): Promise<void> {
  for (const r of rows)
    await tx.query(
      `insert into outbox (dedupe_key, kind, order_id, event_id, chat_id, payload)
       values ($1,$2,$3,$4,$5,$6) on conflict (dedupe_key) do nothing`,
      [r.dedupeKey, r.kind, r.orderId, r.eventId ?? null, r.chatId, JSON.stringify(r.payload ?? {})],
    );
  if (rows.length > 0) await tx.query("select pg_notify('outbox', '')");
}
