-- The seller's side (issue 14): shops carry a moderation status, a location, a category and a time
-- zone; offers' photos live in the database, so every instance serves them; people's reasons for
-- rejecting or cancelling can be quick choices of the catalogue; admins get a card per new shop.

-- Existing shops (and shops made without admins) are active; with ADMIN_IDS a new one starts pending.
alter table stores add column status text not null default 'active'
  check (status in ('pending','active','rejected','suspended'));
alter table stores add column lat double precision check (lat between -90 and 90);
alter table stores add column lng double precision check (lng between -180 and 180);
alter table stores add constraint stores_location_whole check ((lat is null) = (lng is null));
alter table stores add column category text
  check (category in ('bakery','cafe','restaurant','grocery','confectionery','other'));
-- The same line as migration 005 (issue 13), so either may come first.
alter table stores add column if not exists timezone text;
create index stores_pending on stores(id) where status = 'pending';

-- Resized copies of an offer's photo (webp). A new upload is a new row, so its URL never changes
-- meaning and may be cached for ever.
create table offer_photos (
  id bigint generated always as identity primary key,
  offer_id bigint not null references offers(id) on delete cascade,
  width integer not null check (width > 0),
  height integer not null check (height > 0),
  small bytea not null,
  large bytea not null,
  created_at timestamptz not null default now()
);
create index offer_photos_offer on offer_photos(offer_id);

alter table orders drop constraint if exists orders_reason_code_check;
alter table orders add constraint orders_reason_code_check
  check (reason_code in ('accept_timeout','no_show','sold_out','closing_soon','cannot_deliver','other'));
alter table order_events drop constraint if exists order_events_reason_code_check;
alter table order_events add constraint order_events_reason_code_check
  check (reason_code in ('accept_timeout','no_show','sold_out','closing_soon','cannot_deliver','other'));

alter table outbox drop constraint outbox_kind_known;
alter table outbox add constraint outbox_kind_known
  check (kind in ('seller_new_order','seller_card','seller_notice','seller_rating','buyer_status',
    'seller_accept_reminder','buyer_pickup_reminder','buyer_rating_reminder','seller_delivering_overdue',
    'admin_store_review','store_decision'));
