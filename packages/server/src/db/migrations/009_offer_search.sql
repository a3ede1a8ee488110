-- Search: words in an offer's title and description or its shop's name, any case, in Uzbek Latin or
-- Cyrillic, Russian or English. Both sides are folded to one Latin skeleton by search_key() — the
-- same function for what is stored and what is asked, so "non" finds "Non Bakery" and "нон", "xleb"
-- finds "хлеб" — and matched with LIKE on trigram (pg_trgm) GIN indexes, on PostgreSQL and PGlite.

create extension if not exists pg_trgm;

-- Upper-case Cyrillic is folded by hand: lower() only knows ASCII under the C locale.
create function search_key(t text) returns text language sql immutable strict parallel safe as $$
  select translate(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(translate(lower(t), 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЎҚҒҲ', 'абвгдеёжзийклмнопрстуфхцчшщъыьэюяўқғҳ'), 'щ', 'sh'), 'ш', 'sh'), 'ч', 'ch'), 'ж', 'j'), 'ю', 'yu'), 'я', 'ya'), 'ё', 'yo'), 'ц', 's'), 'kh', 'h'), 'zh', 'j'), 'ts', 's'), 'абвгдезийклмнопрстуфхыэўқғҳxqwcъь''‘’ʻʼ`', 'abvgdeziyklmnoprstufhieokghhkvs')
$$;

alter table offers add column search_key text
  generated always as (search_key(title || ' ' || coalesce(description, ''))) stored;
alter table stores add column search_key text generated always as (search_key(name)) stored;
create index offers_search on offers using gin (search_key gin_trgm_ops);
create index stores_search on stores using gin (search_key gin_trgm_ops);

