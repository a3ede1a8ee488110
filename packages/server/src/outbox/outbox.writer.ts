import type { Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { OutboxRow } from "./outbox-messages.ts";

export type { OutboxRow } from "./outbox-messages.ts";

/**
 * Writes notifications inside the caller's transaction: they exist exactly when the change that
 * caused them commits. The dedupe key makes a retried write a no-op. Nothing is announced here:
 * the caller tells the change feed after commit (`outboxWritten()`), which wakes the senders.
 * (Order changes write their rows in their own statement: see orders/.)
 */
export async function enqueue(tx: Sql, rows: readonly OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await kysely(tx)
    .insertInto("outbox")
    .values(
      rows.map((r) => ({
        dedupe_key: r.dedupeKey,
        kind: r.kind,
        order_id: r.orderId,
        event_id: r.eventId ?? null,
        chat_id: r.chatId,
        payload: JSON.stringify(r.payload),
      })),
    )
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .execute();
}
