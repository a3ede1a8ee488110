-- Buyers follow shops (favourites) and may turn off the bot's "new offer" alerts; order lines keep
-- the original price they were sold against, so what a buyer saved stays true after the shop edits
-- the offer.

create table favourites (
  user_id bigint not null references users(id) on delete cascade,
  store_id bigint not null references stores(id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, store_id)
);
-- the alert fan-out reads a shop's followers
create index favourites_store on favourites(store_id, user_id);

alter table users add column offer_alerts boolean not null default true;

alter table order_items add column original_price bigint;
alter table order_items add constraint order_items_original_price
  check (original_price is null or original_price >= price);
update order_items i set original_price = o.original_price
  from offers o where o.id = i.offer_id and o.original_price >= i.price;

-- Every way an order line is written (place_order() and whatever replaces it) gets the offer's
-- original price as it was at that moment.
create function order_items_original_price() returns trigger language plpgsql as $$
begin
  if new.original_price is null then
    select case when o.original_price >= new.price then o.original_price end
      into new.original_price from offers o where o.id = new.offer_id;
  end if;
  return new;
end $$;
create trigger order_items_original_price before insert on order_items
  for each row execute function order_items_original_price();


-- the new-offer alert to a shop's followers
alter table outbox drop constraint outbox_kind_known;
alter table outbox add constraint outbox_kind_known
  check (kind in ('seller_new_order','seller_card','seller_notice','seller_rating','buyer_status',
    'seller_accept_reminder','buyer_pickup_reminder','buyer_rating_reminder','seller_delivering_overdue',
    'admin_store_review','store_decision','favourite_offer'));
