import { sql } from "kysely";
import type { Sql } from "./database.ts";
import { kysely } from "./kysely.ts";

/** How long finished bookkeeping rows are kept. */
export const RETENTION = {
  /** Sent or failed outbox rows: long enough to answer "did the buyer get the code?". */
  outboxDays: 30,
  /** Idempotency keys: far longer than any client retries a request. */
  idempotencyKeyDays: 7,
  /** Telegram re-delivers an update for at most a day. */
  processedUpdateDays: 3,
  /** Jobs that have run: their order's rows tell what they did. */
  doneJobDays: 30,
} as const;

const olderThan = (days: number) => sql<Date>`now() - make_interval(days => ${days})`;

/**
 * Deletes bookkeeping rows nobody needs any more, so the outbox claim, the idempotency lookup and
 * the update de-duplication stay fast however long the system runs. Safe to run on every instance.
 */
export async function pruneOldRows(
  db: Sql,
  r = RETENTION,
): Promise<{ outbox: number; keys: number; updates: number; jobs: number }> {
  const k = kysely(db);
  const outbox = await k
    .deleteFrom("outbox")
    .where("status", "in", ["sent", "failed"])
    .where("created_at", "<", olderThan(r.outboxDays))
    .returning("id")
    .execute();
  const keys = await k
    .deleteFrom("idempotency_keys")
    .where("created_at", "<", olderThan(r.idempotencyKeyDays))
    .returning("key")
    .execute();
  const updates = await k
    .deleteFrom("processed_updates")
    .where("processed_at", "<", olderThan(r.processedUpdateDays))
    .returning("update_id")
    .execute();
  const jobs = await k
    .deleteFrom("jobs")
    .where("done_at", "<", olderThan(r.doneJobDays))
    .returning("id")
    .execute();
  return { outbox: outbox.length, keys: keys.length, updates: updates.length, jobs: jobs.length };
}
