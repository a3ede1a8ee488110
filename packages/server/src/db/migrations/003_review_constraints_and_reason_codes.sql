-- What the design review found missing: indexes for the outbox claim, the card lookup and the expiry
-- sweeps; CHECKs on outbox kinds and order items; foreign keys on order_events; indexes that let
-- retention delete old outbox rows, idempotency keys and processed updates cheaply; and reason codes,
-- so reasons the system gives are shown in each reader's language.

-- the claim scans pending/sending rows in id order and checks for an earlier row of the same (order, chat);
-- it replaces outbox_due, which served a claim by due time. ("Has the seller's card gone out yet?" is
-- answered by the dedupe key's unique index.) Every index here is paid for on each order's insert.
create index outbox_claim on outbox(id) where status in ('pending','sending');
create index outbox_order_chat on outbox(order_id, chat_id, id) where status in ('pending','sending');
drop index outbox_due;
-- retention: finished rows by age
create index outbox_finished on outbox(created_at) where status in ('sent','failed');
create index idempotency_keys_created on idempotency_keys(created_at);
create index processed_updates_at on processed_updates(processed_at);

alter table outbox add constraint outbox_kind_known
  check (kind in ('seller_new_order','seller_card','seller_notice','seller_rating','buyer_status'));

alter table order_items add constraint order_items_unit check (unit in ('piece','kg','l'));
alter table order_items add constraint order_items_price check (price > 0);
alter table order_items add constraint order_items_total check (total >= 0);

alter table order_events add constraint order_events_store foreign key (store_id) references stores(id);
alter table order_events add constraint order_events_buyer foreign key (buyer_id) references users(id);

-- the no-show sweep looks at open pickup orders only
create index orders_open_pickup on orders(id) where status in ('confirmed','ready') and delivery_type = 'pickup';

alter table orders add column reason_code text check (reason_code in ('accept_timeout','no_show'));
alter table order_events add column reason_code text check (reason_code in ('accept_timeout','no_show'));
update orders set reason_code = 'accept_timeout', reason = null
  where status = 'expired' and reason = 'the shop did not answer in time';
update orders set reason_code = 'no_show', reason = null
  where status = 'expired' and reason = 'the order was not picked up in time';
update order_events set reason_code = 'accept_timeout', reason = null
  where to_status = 'expired' and reason = 'the shop did not answer in time';
update order_events set reason_code = 'no_show', reason = null
  where to_status = 'expired' and reason = 'the order was not picked up in time';
