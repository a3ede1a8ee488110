-- Shops within a box of latitudes and longitudes (nearest first's first look, and any search with a
-- radius) come from this index instead of a scan of every shop. A shop without a location has no
-- entry, and is in no box.
create index stores_location on stores using gist (point(lng, lat));
