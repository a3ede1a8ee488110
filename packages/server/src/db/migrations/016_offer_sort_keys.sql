-- The catalogue's sorts other than nearest first, each in the order of its key and offer id, so
-- PostgreSQL walks an index to the page's end instead of sorting every offer on sale. Each
-- expression is the sort's key in catalog/offer-search.ts (SORT_KEYS), written the same way: the
-- planner uses an index only for the very expression it holds. Orders change only the stock, in no
-- index here, so their updates stay heap-only.
create index offers_by_price on offers ((price::float8), id);
create index offers_by_discount on offers
  ((-coalesce((original_price - price)::float8 / nullif(original_price, 0), 0)), id);
-- What ends first: the epoch of the earlier of pickup end and expiry, 1e15 (never) without either.
-- Taken at time zone 'UTC' (the same seconds) so that the expression is immutable and indexable.
create index offers_by_end on offers
  ((coalesce(extract(epoch from least(pickup_until, expires_at) at time zone 'UTC')::float8, 1000000000000000)), id);
