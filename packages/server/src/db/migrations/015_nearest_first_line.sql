-- Shops within a box of latitudes and longitudes (nearest first's first look, and any search with a
-- radius) come from this index instead of a scan of every shop. A shop without a location has no
-- entry, and is in no box.
create index stores_location on stores using gist (point(lng, lat));

-- One shop of a nearest-first walk. The shops to walk are kept as one array of these, sorted once
-- by (sort_key, id); parallel arrays of each field took a sort each.
create type shop_step as (id bigint, sort_key float8, distance_m float8, search_key text);
