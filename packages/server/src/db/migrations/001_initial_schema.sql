-- The initial schema. Never edit a migration that has shipped: add a new file.
create table users (
  id bigint primary key,                       -- the Telegram user id
  first_name text not null,
  last_name text,
  username text,
  language text not null default 'en',
  phone text,                                  -- shared through the bot's contact button
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table stores (
  id bigint generated always as identity primary key,
  owner_id bigint not null references users(id),
  name text not null,
  address text not null,
  phone text not null,
  description text,
  delivery_enabled boolean not null default false,
  delivery_fee integer not null default 0 check (delivery_fee >= 0),
  min_order_amount integer not null default 0 check (min_order_amount >= 0),
  rating_sum integer not null default 0,
  ratings_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index stores_owner on stores(owner_id);

create table offers (
  id bigint generated always as identity primary key,
  store_id bigint not null references stores(id),
  title text not null,
  description text,
  price integer not null check (price > 0),
  original_price integer check (original_price > 0),
  quantity numeric(12,1) not null check (quantity >= 0),   -- stock left; never negative
  unit text not null default 'piece' check (unit in ('piece','kg','l')),
  photo_url text,
  pickup_from timestamptz,
  pickup_until timestamptz,
  expires_at timestamptz,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index offers_store on offers(store_id, id);

create table orders (
  id bigint generated always as identity primary key,
  store_id bigint not null references stores(id),
  buyer_id bigint not null references users(id),
  status text not null check (status in ('pending','confirmed','ready','delivering','completed','rejected','cancelled','expired')),
  delivery_type text not null default 'pickup' check (delivery_type in ('pickup','delivery')),
  delivery_address text,
  customer_phone text,
  delivery_cost integer not null default 0 check (delivery_cost >= 0),
  items_total integer not null check (items_total >= 0),
  total integer not null check (total >= 0),
  comment text,
  code text,                                   -- booking code, set on confirm
  reason text,                                 -- why it was rejected/cancelled
  accept_deadline timestamptz not null,        -- pending orders expire after it
  stock_returned boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_buyer on orders(buyer_id, id desc);
create index orders_store on orders(store_id, id desc);
create index orders_pending_deadline on orders(accept_deadline) where status = 'pending';
-- a booking code is unique among a shop's active orders
create unique index orders_active_code on orders(store_id, code)
  where code is not null and status in ('confirmed','ready','delivering');

create table order_items (
  order_id bigint not null references orders(id),
  offer_id bigint not null references offers(id),
  title text not null,
  unit text not null,
  quantity numeric(12,1) not null check (quantity > 0),
  price integer not null,
  total integer not null,
  primary key (order_id, offer_id)
);

-- every status change, in order; its id is the SSE event id
create table order_events (
  id bigint generated always as identity primary key,
  order_id bigint not null references orders(id),
  store_id bigint not null,
  buyer_id bigint not null,
  from_status text,
  to_status text not null,
  actor_type text not null check (actor_type in ('buyer','seller','system','admin')),
  actor_id bigint,
  reason text,
  created_at timestamptz not null default now()
);
create index order_events_order on order_events(order_id, id);
create index order_events_buyer on order_events(buyer_id, id);
create index order_events_store on order_events(store_id, id);

create table ratings (
  order_id bigint primary key references orders(id),
  store_id bigint not null references stores(id),
  buyer_id bigint not null references users(id),
  stars smallint not null check (stars between 1 and 5),
  comment text,
  created_at timestamptz not null default now()
);

-- the transactional outbox: every Telegram message is a row written with the change that caused it
create table outbox (
  id bigint generated always as identity primary key,
  dedupe_key text not null unique,             -- (order, event, recipient, kind): sent at most once
  kind text not null,
  order_id bigint references orders(id),
  event_id bigint,
  chat_id bigint not null,
  payload jsonb not null default '{}',
  status text not null default 'pending' check (status in ('pending','sending','sent','failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  last_error text,
  message_id bigint,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index outbox_due on outbox(next_attempt_at) where status in ('pending','sending');

-- where a chat message about an order lives, so later changes edit it in place
create table order_messages (
  order_id bigint not null references orders(id),
  chat_id bigint not null,
  role text not null,
  message_id bigint not null,
  primary key (order_id, chat_id, role)
);

create table processed_updates (
  update_id bigint primary key,
  processed_at timestamptz not null default now()
);

create table idempotency_keys (
  user_id bigint not null references users(id),
  key text not null,
  request_hash text not null,
  order_id bigint references orders(id),
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
