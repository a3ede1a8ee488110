import { sql } from "kysely";
import type { Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";

/**
 * Which Telegram updates were acted on: a re-delivered update (webhook retry, restart before the
 * offset was confirmed) acts once. A claim is finished when its handling ends; one that never
 * finished (its process was killed mid-way) is claimed again when Telegram delivers the update
 * again, so the update is not lost either.
 */
export class ProcessedUpdates {
  constructor(private readonly sql: Sql) {}

  /** Claims the update; false when it was handled before (or is being handled). */
  async claim(updateId: number): Promise<boolean> {
    const fresh = await kysely(this.sql)
      .insertInto("processed_updates")
      .values({ update_id: updateId })
      .onConflict((oc) =>
        oc
          .column("update_id")
          .doUpdateSet({ processed_at: sql`now()` })
          .where("processed_updates.done", "=", false),
      )
      .returning("update_id")
      .execute();
    return fresh.length > 0;
  }

  /** The update was handled: a re-delivery is not acted on. */
  async finish(updateId: number): Promise<void> {
    await kysely(this.sql)
      .updateTable("processed_updates")
      .set({ done: true })
      .where("update_id", "=", updateId)
      .execute();
  }

  /** Forgets a claim whose handling failed, so a re-delivery is acted on. */
  async release(updateId: number): Promise<void> {
    await kysely(this.sql).deleteFrom("processed_updates").where("update_id", "=", updateId).execute();
  }
}
