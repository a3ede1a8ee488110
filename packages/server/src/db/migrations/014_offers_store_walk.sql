-- "Nearest first" walks the shops in order of distance and looks at each one's offers. This index
-- holds what decides whether an offer shows (its words, active, expiry and pickup end), so a shop's
-- offers are judged from the index alone (an index-only scan wherever the table's pages are marked
-- all-visible by (auto)vacuum) and only the matching ones are read from the table, for their stock.
-- The stock (quantity) is kept out on purpose: every order changes it, and an indexed column would
-- turn each order's heap-only update into one that also writes every index of the table.
-- It replaces offers_store (store_id, id): same key, so everything that used that still can.
create index offers_store_walk on offers (store_id, id) include (search_key, active, expires_at, pickup_until);
drop index offers_store;
