/**
 * The SQL twins of the shared `isOnSale` rule (packages/shared/src/order-lifecycle.ts), for queries
 * over `offers`. A test holds the two to the same answers.
 */

/** The offer may be sold now, stock aside: active and neither expired nor past its pickup window. */
export const OFFER_OPEN_SQL =
  "(active and coalesce(expires_at > now(), true) and coalesce(pickup_until > now(), true))";

/** An offer row that can be ordered now: open and in stock. */
export const ON_SALE_SQL = `(quantity > 0 and ${OFFER_OPEN_SQL})`;
