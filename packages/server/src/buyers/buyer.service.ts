import { CO2E_KG_PER_MEAL, type Impact, type Store } from "@lastbite/shared";
import { sql } from "kysely";
import { selectStores, toStore } from "../catalog/catalog.service.ts";
import { onSale } from "../catalog/offer-rules.sql.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { AlertOffer } from "../notifications/renderers.ts";
import type { ChangeFeed } from "../realtime/change-feed.ts";

/** The offer a new-offer alert is about, if it is still on sale when the alert goes out. */
export async function loadAlertOffer(
  db: Database,
  alert: { offerId: number; storeId: number },
  timeZone: string,
): Promise<AlertOffer | null> {
  const row = await kysely(db)
    .selectFrom("offers")
    .innerJoin("stores as s", "s.id", "offers.store_id")
    .select([
      "offers.id",
      "offers.title",
      "offers.price",
      "offers.original_price",
      "offers.pickup_from",
      "offers.pickup_until",
      "s.name as store_name",
      "s.timezone",
    ])
    // The offer announced, or if it left sale before its turn came, the shop's newest offer posted
    // since (whose own alert that day was folded into this one): never an older offer.
    .where("offers.store_id", "=", alert.storeId)
    .where("offers.id", ">=", alert.offerId)
    .where((w) => onSale(w))
    .orderBy(sql`offers.id = ${alert.offerId}`, "desc")
    .orderBy("offers.id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  const { timezone: _zone, ...offer } = row;
  return {
    ...offer,
    pickup_from: iso(row.pickup_from),
    pickup_until: iso(row.pickup_until),
    time_zone: row.timezone ?? timeZone,
  };
}

const co2e = (meals: number) => Math.round(meals * CO2E_KG_PER_MEAL * 10) / 10;

/**
 * What a buyer keeps beyond single orders: the shops they follow, whether the bot may tell them
 * about those shops' new offers, and what their completed orders saved.
 */
export class BuyerService {
  constructor(
    private readonly db: Database,
    private readonly changes: Pick<ChangeFeed, "outboxWritten">,
    /** The zone a day of alerts and a month of "my impact" are counted in (the shops' default zone). */
    private readonly timeZone: string,
  ) {}

  /**
   * The offer went on sale: each follower of its shop (alerts on, the owner aside) gets one bot
   * message about it, at most one per shop per day — the dedupe key holds the shop's calendar day, so
   * a second offer the same day, or the same one paused and resumed, adds nothing. One statement;
   * the outbox worker sends them at Telegram's pace. Returns how many messages it queued.
   */
  async announceOffer(offerId: number): Promise<number> {
    // The shop's calendar day, in its own zone.
    const day = sql<string>`to_char(now() at time zone coalesce(s.timezone, ${this.timeZone}), 'YYYY-MM-DD')`;
    const r = await kysely(this.db)
      .insertInto("outbox")
      .columns(["dedupe_key", "kind", "order_id", "chat_id", "payload"])
      .expression((eb) =>
        eb
          .selectFrom("offers")
          .innerJoin("stores as s", "s.id", "offers.store_id")
          .innerJoin("favourites as f", "f.store_id", "offers.store_id")
          .innerJoin("users as u", "u.id", "f.user_id")
          .select([
            sql<string>`'fav:' || offers.store_id || ':' || f.user_id || ':' || ${day}`.as("dedupe_key"),
            sql.lit("favourite_offer").as("kind"),
            sql<null>`null`.as("order_id"),
            "f.user_id",
            sql<string>`jsonb_build_object('offer_id', offers.id, 'store_id', offers.store_id)`.as("payload"),
          ])
          .where("offers.id", "=", offerId)
          .where((w) => onSale(w))
          .where("u.offer_alerts", "=", true)
          .whereRef("f.user_id", "<>", "s.owner_id"),
      )
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .returning("id")
      .execute();
    const queued = r.length;
    if (queued > 0) this.changes.outboxWritten();
    return queued;
  }

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
