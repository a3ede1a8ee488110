import type { Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";

/** Which Telegram updates were acted on: a re-delivered update (webhook retry, restart) acts once. */
export class ProcessedUpdates {
  constructor(private readonly sql: Sql) {}

  /** Claims the update; false when it was claimed before. */
  async claim(updateId: number): Promise<boolean> {
    const fresh = await kysely(this.sql)
      .insertInto("processed_updates")
      .values({ update_id: updateId })
      .onConflict((oc) => oc.doNothing())
      .returning("update_id")
      .execute();
    return fresh.length > 0;
  }

  /** Forgets a claim whose handling failed, so a re-delivery is acted on. */
  async release(updateId: number): Promise<void> {
    await kysely(this.sql).deleteFrom("processed_updates").where("update_id", "=", updateId).execute();
  }
}
