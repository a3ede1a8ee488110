import { type Lang, pickLang } from "@lastbite/shared";
import type { Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";

/** A Telegram user as we keep them: names cleaned, language as Telegram reported it. */
export interface UserProfile {
  id: number;
  first_name: string;
  last_name: string | null;
  username: string | null;
  language: string;
}

/** The only place that reads or writes `users`. */
export class UserRepository {
  constructor(private readonly sql: Sql) {}

  /** Creates the user or brings their profile up to date. */
  async upsert(u: UserProfile): Promise<void> {
    await kysely(this.sql)
      .insertInto("users")
      .values(u)
      .onConflict((oc) =>
        oc.column("id").doUpdateSet((eb) => ({
          first_name: eb.ref("excluded.first_name"),
          last_name: eb.ref("excluded.last_name"),
          username: eb.ref("excluded.username"),
          language: eb.ref("excluded.language"),
          updated_at: new Date(),
        })),
      )
      .execute();
  }

  /** Stores the phone the user shared through the bot's contact button. */
  async setPhone(id: number, phone: string): Promise<void> {
    await kysely(this.sql)
      .updateTable("users")
      .set({ phone, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
  }

  async phoneOf(id: number): Promise<string | null> {
    const row = await kysely(this.sql)
      .selectFrom("users")
      .select("phone")
      .where("id", "=", id)
      .executeTakeFirst();
    return row?.phone ?? null;
  }

  /** The language the bot speaks to this user in (English for strangers). */
  async langOf(id: number): Promise<Lang> {
    const row = await kysely(this.sql)
      .selectFrom("users")
      .select("language")
      .where("id", "=", id)
      .executeTakeFirst();
    return pickLang(row?.language);
  }
}
