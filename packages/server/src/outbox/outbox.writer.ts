import type { Sql } from "../db/database.ts";
import type { OutboxRow } from "./outbox-messages.ts";

export type { OutboxRow } from "./outbox-messages.ts";

/**
 * Writes notifications inside the caller's transaction: they exist exactly when the change that
 * caused them commits. The dedupe key makes a retried write a no-op. Nothing is announced here:
 * the caller tells the change feed after commit (`outboxWritten()`), which wakes the senders.
 */
export async function enqueue(tx: Sql, rows: readonly OutboxRow[]): Promise<void> {
  for (const r of rows)
    await tx.query(
      `insert into outbox (dedupe_key, kind, order_id, event_id, chat_id, payload)
       values ($1,$2,$3,$4,$5,$6) on conflict (dedupe_key) do nothing`,
      [r.dedupeKey, r.kind, r.orderId, r.eventId ?? null, r.chatId, JSON.stringify(r.payload)],
    );
}
