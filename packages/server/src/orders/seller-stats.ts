import { FINAL_STATUSES, type SellerStats } from "@lastbite/shared";
import { sql } from "kysely";
import { z } from "zod";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";

const dayRow = z.object({
  date: z.string(),
  orders: z.coerce.number(),
  completed: z.coerce.number(),
  finished: z.coerce.number(),
  revenue: z.coerce.number(),
  items: z.coerce.number(),
  saved_amount: z.coerce.number(),
  no_shows: z.coerce.number(),
});

/**
 * A shop's figures per calendar day in its own time zone: orders placed that day, and of those the
 * completed ones with their revenue, items and what buyers saved against the original prices
 * ("saved from waste"). Days without orders are rows of zeros, oldest first.
 */
export class SellerStatsQuery {
  constructor(
    private readonly db: Database,
    private readonly adminIds: readonly number[],
    /** SHOP_TIMEZONE: the days of a shop without a zone of its own. */
    private readonly defaultTimeZone: string,
  ) {}

  async forShop(userId: number, storeId: number | undefined, days: number): Promise<Result<SellerStats>> {
    const k = kysely(this.db);
    const store = await k
      .selectFrom("stores")
      .select(["id", "owner_id", "timezone", "rating_sum", "ratings_count"])
      .$if(storeId !== undefined, (q) => q.where("id", "=", storeId as number))
      .$if(storeId === undefined, (q) => q.where("owner_id", "=", userId))
      .orderBy("id")
      .executeTakeFirst();
    if (!store)
      return fail("not_found", storeId ? `store ${storeId} does not exist` : "you have no shop yet");
    if (store.owner_id !== userId && !this.adminIds.includes(userId))
      return fail("forbidden", "only the shop's owner sees its figures");
    const tz = store.timezone ?? this.defaultTimeZone;
    const finals = sql.join(FINAL_STATUSES.map((s) => sql.lit(s)));
    const { rows } = await sql<z.input<typeof dayRow>>`
      with days as (
        select generate_series(
          (now() at time zone ${tz})::date - ${days - 1}::int,
          (now() at time zone ${tz})::date,
          interval '1 day'
        )::date as day
      ),
      shop_orders as (
        select o.id, o.status, o.reason_code, o.total, (o.created_at at time zone ${tz})::date as day,
          coalesce((select sum(i.quantity) from order_items i where i.order_id = o.id), 0) as items,
          coalesce((
            -- the original price the line was sold against (order_items keeps it)
            select sum(round(greatest(coalesce(i.original_price, i.price) - i.price, 0) * i.quantity))
            from order_items i
            where i.order_id = o.id
          ), 0) as saved
        from orders o
        where o.store_id = ${store.id}
          and o.created_at >= (((now() at time zone ${tz})::date - ${days - 1}::int)::timestamp at time zone ${tz})
      )
      select to_char(d.day, 'YYYY-MM-DD') as date,
        count(o.id) as orders,
        count(o.id) filter (where o.status = 'completed') as completed,
        count(o.id) filter (where o.status in (${finals})) as finished,
        coalesce(sum(o.total) filter (where o.status = 'completed'), 0) as revenue,
        coalesce(sum(o.items) filter (where o.status = 'completed'), 0) as items,
        coalesce(sum(o.saved) filter (where o.status = 'completed'), 0) as saved_amount,
        count(o.id) filter (where o.status = 'expired' and o.reason_code = 'no_show') as no_shows
      from days d left join shop_orders o on o.day = d.day
      group by d.day
      order by d.day
    `.execute(k);
    const parsed = rows.map((r) => dayRow.parse(r));
    const sum = (key: keyof Omit<z.output<typeof dayRow>, "date">) =>
      parsed.reduce((acc, r) => acc + r[key], 0);
    const totals = {
      orders: sum("orders"),
      completed: sum("completed"),
      revenue: sum("revenue"),
      items: Math.round(sum("items") * 10) / 10,
      saved_amount: sum("saved_amount"),
      no_shows: sum("no_shows"),
    };
    const finished = sum("finished");
    return ok({
      store_id: store.id,
      timezone: tz,
      days: parsed.map(({ finished: _f, ...d }) => ({ ...d, items: Math.round(d.items * 10) / 10 })),
      totals: { ...totals, completion_rate: finished > 0 ? totals.completed / finished : null },
      rating: store.ratings_count > 0 ? Math.round((store.rating_sum / store.ratings_count) * 10) / 10 : null,
      ratings_count: store.ratings_count,
    });
  }
}
