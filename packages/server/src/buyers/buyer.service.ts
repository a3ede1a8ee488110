import { CO2E_KG_PER_MEAL, type Impact, type Store } from "@lastbite/shared";
import { sql } from "kysely";
import { selectStores, toStore } from "../catalog/catalog.service.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";

const co2e = (meals: number) => Math.round(meals * CO2E_KG_PER_MEAL * 10) / 10;

/**
 * What a buyer keeps beyond single orders: the shops they follow, whether the bot may tell them
 * about those shops' new offers, and what their completed orders saved.
 */
export class BuyerService {
  constructor(
    private readonly db: Database,
    /** The zone a month of "my impact" is counted in (the shops' default zone). */
    private readonly timeZone: string,
  ) {}

  /** Follows the shop; following it again changes nothing. */
  async follow(userId: number, storeId: number): Promise<Result<void>> {
    const rows = await kysely(this.db)
      .insertInto("favourites")
      .columns(["user_id", "store_id"])
      .expression((eb) =>
        eb
          .selectFrom("stores")
          .select([sql.lit(userId).$castTo<number>().as("user_id"), "id"])
          .where("id", "=", storeId),
      )
      .onConflict((oc) => oc.columns(["user_id", "store_id"]).doNothing())
      .returning("store_id")
      .execute();
    if (rows.length > 0) return ok(undefined);
    const exists = await kysely(this.db)
      .selectFrom("stores")
      .select("id")
      .where("id", "=", storeId)
      .executeTakeFirst();
    return exists ? ok(undefined) : fail("not_found", `store ${storeId} does not exist`);
  }

  /** Stops following the shop; not following it is fine too. */
  async unfollow(userId: number, storeId: number): Promise<void> {
    await kysely(this.db)
      .deleteFrom("favourites")
      .where("user_id", "=", userId)
      .where("store_id", "=", storeId)
      .execute();
  }

  /** The shops the user follows, most recently followed first. */
  async favourites(userId: number): Promise<Store[]> {
    const rows = await selectStores(this.db)
      .innerJoin("favourites as f", "f.store_id", "s.id")
      .where("f.user_id", "=", userId)
      .orderBy("f.created_at", "desc")
      .orderBy("s.id", "desc")
      .execute();
    return rows.map(toStore);
  }

  async setOfferAlerts(userId: number, on: boolean): Promise<void> {
    await kysely(this.db)
      .updateTable("users")
      .set({ offer_alerts: on, updated_at: new Date() })
      .where("id", "=", userId)
      .execute();
  }

  async offerAlerts(userId: number): Promise<boolean> {
    const row = await kysely(this.db)
      .selectFrom("users")
      .select("offer_alerts")
      .where("id", "=", userId)
      .executeTakeFirst();
    return row?.offer_alerts ?? true;
  }

  /**
   * What the user's completed orders saved: the original prices minus what they paid (lines sold
   * without an original price saved nothing), meals rescued (one per completed order) and the CO2e
   * that avoided; by month of completion in the shops' zone, for the last 12 months with orders.
   */
  async impact(userId: number): Promise<Impact> {
    const rows = await kysely(this.db)
      .selectFrom("orders as o")
      .innerJoin("order_events as e", (j) =>
        j.onRef("e.order_id", "=", "o.id").on("e.to_status", "=", "completed"),
      )
      .select((eb) => [
        sql<string>`to_char(e.created_at at time zone ${this.timeZone}, 'YYYY-MM')`.as("month"),
        eb.fn.countAll<number>().as("orders_completed"),
        eb.fn.coalesce(eb.fn.sum<number>("o.total"), sql.lit(0)).as("spent"),
        eb.fn
          .coalesce(
            eb.fn.sum<number>(
              eb
                .selectFrom("order_items as i")
                .select(
                  sql<number>`sum(round(greatest(coalesce(i.original_price, i.price) - i.price, 0) * i.quantity))`.as(
                    "saved",
                  ),
                )
                .whereRef("i.order_id", "=", "o.id"),
            ),
            sql.lit(0),
          )
          .as("saved_amount"),
      ])
      .where("o.buyer_id", "=", userId)
      .where("o.status", "=", "completed")
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    const months = rows.map((r) => ({
      month: r.month,
      orders_completed: Number(r.orders_completed),
      saved_amount: Number(r.saved_amount),
      co2e_kg: co2e(Number(r.orders_completed)),
    }));
    const meals = months.reduce((n, m) => n + m.orders_completed, 0);
    return {
      orders_completed: meals,
      spent: rows.reduce((n, r) => n + Number(r.spent), 0),
      saved_amount: months.reduce((n, m) => n + m.saved_amount, 0),
      meals,
      co2e_kg: co2e(meals),
      months: months.slice(-12),
    };
  }
}
