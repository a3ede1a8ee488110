-- When one admin decides about a new shop, every other admin's review card is edited to show the
-- decision and loses its ✅/❌ (before, those cards kept their buttons until pressed).
alter table outbox drop constraint outbox_kind_known;
alter table outbox add constraint outbox_kind_known
  check (kind in ('seller_new_order','seller_card','seller_notice','seller_rating','buyer_status',
    'seller_accept_reminder','buyer_pickup_reminder','buyer_rating_reminder','seller_delivering_overdue',
    'admin_store_review','store_decision','favourite_offer','admin_store_decided'));
