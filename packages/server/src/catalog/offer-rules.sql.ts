import { type Expression, type ExpressionBuilder, sql } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * The SQL twins of the shared `isOnSale` rule (packages/shared/src/order-lifecycle.ts), for queries
 * over `offers`. A test holds the two to the same answers (test/offer-rules.test.ts).
 *
 * Columns are qualified by `offers`, so the helpers fit any query with `offers` (unaliased) in its
 * from, joins included. `now` is the database's clock unless a caller (the test) pins an instant.
 */
type Offers = ExpressionBuilder<DB, "offers">;

const NOW = sql<Date>`now()`;

/**
 * The offer may be sold now, stock aside: active, its shop active (not pending moderation, rejected
 * or suspended), and neither expired nor past its pickup window.
 */
export function offerOpen(eb: Offers, now: Expression<Date> = NOW) {
  const before = (column: "offers.expires_at" | "offers.pickup_until") =>
    eb.or([eb(column, "is", null), eb(column, ">", now)]);
  const shopActive = eb.exists(
    eb
      .selectFrom("stores as sale_store")
      .select(sql.lit(1).as("one"))
      .whereRef("sale_store.id", "=", "offers.store_id")
      .where("sale_store.status", "=", "active"),
  );
  return eb
    .and([eb.ref("offers.active"), shopActive, before("offers.expires_at"), before("offers.pickup_until")])
    .$castTo<boolean>();
}

/** An offer row that can be ordered now: open and in stock. */
export function onSale(eb: Offers, now: Expression<Date> = NOW) {
  return eb.and([eb("offers.quantity", ">", 0), offerOpen(eb, now)]).$castTo<boolean>();
}
