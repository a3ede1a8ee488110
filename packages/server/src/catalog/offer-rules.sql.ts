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

/** The status a shop's offers are on sale in (the others: pending, rejected, suspended). */
export const SHOP_SELLING = "active";

/**
 * The offer's own half of `offerOpen`: active, and neither expired nor past its pickup window. Only
 * columns the covering index `offers_store_walk` holds, so a walk over a shop's offers can decide
 * it from the index alone.
 */
export function offerTimely(eb: Offers, now: Expression<Date> = NOW) {
  const before = (column: "offers.expires_at" | "offers.pickup_until") =>
    eb.or([eb(column, "is", null), eb(column, ">", now)]);
  return eb
    .and([eb.ref("offers.active"), before("offers.expires_at"), before("offers.pickup_until")])
    .$castTo<boolean>();
}

/** In stock: the half of `onSale` that changes with every order. */
export function inStock(eb: Offers) {
  return eb("offers.quantity", ">", sql.lit(0)).$castTo<boolean>();
}

/**
 * The offer may be sold now, stock aside: active, its shop active (not pending moderation, rejected
 * or suspended), and neither expired nor past its pickup window.
 */
export function offerOpen(eb: Offers, now: Expression<Date> = NOW) {
  const shopActive = eb.exists(
    eb
      .selectFrom("stores as sale_store")
      .select(sql.lit(1).as("one"))
      .whereRef("sale_store.id", "=", "offers.store_id")
      .where("sale_store.status", "=", sql.lit(SHOP_SELLING)),
  );
  return eb.and([offerTimely(eb, now), shopActive]).$castTo<boolean>();
}

/** An offer row that can be ordered now: open and in stock. */
export function onSale(eb: Offers, now: Expression<Date> = NOW) {
  return eb.and([inStock(eb), offerOpen(eb, now)]).$castTo<boolean>();
}
