-- Time rules (issue 13): the order's pickup window and time zone stored on the order, the shop's
-- own time zone, scheduled jobs as rows (instead of a scan of every order every few seconds), and
-- the reminder messages they send.

alter table stores add column if not exists timezone text;

-- The window in which all of the order's items can be collected: the latest pickup_from and the
-- earliest pickup_until of its offers at placement (null where none of them set one). `timezone` is
-- the shop's zone when the order was placed (SHOP_TIMEZONE for shops without one); a zone the shop
-- sets later wins when the order is shown.
alter table orders add column pickup_from timestamptz;
alter table orders add column pickup_until timestamptz;
alter table orders add column timezone text;
update orders o set
  pickup_from = (select max(f.pickup_from) from order_items i join offers f on f.id = i.offer_id where i.order_id = o.id),
  pickup_until = (select min(f.pickup_until) from order_items i join offers f on f.id = i.offer_id where i.order_id = o.id),
  timezone = coalesce((select s.timezone from stores s where s.id = o.store_id), 'Asia/Tashkent');
alter table orders alter column timezone set not null;

-- One row per (kind, order): the unique key makes scheduling idempotent. A runner claims due rows
-- with FOR UPDATE SKIP LOCKED and a lease (locked_until), runs the effect (whose own guard or dedupe
-- key keeps it at most once) and marks the row done; a crash before that only means the row is
-- claimed again after its lease and finds its effect already there.
create table jobs (
  id bigint generated always as identity primary key,
  kind text not null,
  order_id bigint not null references orders(id) on delete cascade,
  due_at timestamptz not null,
  done_at timestamptz,
  locked_until timestamptz,
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  constraint jobs_kind_known check (kind in ('accept_expiry','accept_reminder','pickup_reminder','no_show',
    'rating_reminder','delivering_overdue')),
  constraint jobs_once unique (kind, order_id)
);
-- the runner's claim and its "when is the next one due" both read this index only
create index jobs_due on jobs(due_at) where done_at is null;
-- retention: finished jobs by age
create index jobs_done on jobs(done_at) where done_at is not null;

-- Orders that were waiting when this migration ran get the jobs the sweep used to stand in for. (A
-- job that runs early moves itself to its real due time, here pickup_until + NO_SHOW_GRACE.)
insert into jobs (kind, order_id, due_at)
  select 'accept_expiry', id, accept_deadline from orders where status = 'pending'
  on conflict do nothing;
insert into jobs (kind, order_id, due_at)
  select 'no_show', id, pickup_until from orders
  where status in ('confirmed','ready') and delivery_type = 'pickup' and pickup_until is not null
  on conflict do nothing;

-- the sweeps are gone; the jobs table replaces their indexes
drop index if exists orders_pending_deadline;
drop index if exists orders_open_pickup;

alter table outbox drop constraint outbox_kind_known;
alter table outbox add constraint outbox_kind_known
  check (kind in ('seller_new_order','seller_card','seller_notice','seller_rating','buyer_status',
    'seller_accept_reminder','buyer_pickup_reminder','buyer_rating_reminder','seller_delivering_overdue'));

-- place_order (migration 004) now also stores the window, the zone and the deadline it is given
-- (computed with the server's clock), and schedules the order's first jobs in the same statement.
create or replace function place_order(p jsonb) returns jsonb language plpgsql as $$
declare
  v_order bigint;
  v_event bigint;
  v_created timestamptz;
  v_deadline timestamptz;
  v_line jsonb;
begin
  if p->>'idempotency_key' is not null then
    insert into idempotency_keys (user_id, key, request_hash)
      values ((p->>'buyer_id')::bigint, p->>'idempotency_key', p->>'request_hash')
      on conflict do nothing;
    if not found then
      return jsonb_build_object('idempotency_key_taken', true);
    end if;
  end if;
  insert into orders (store_id, buyer_id, status, delivery_type, delivery_address, customer_phone,
      delivery_cost, items_total, total, comment, accept_deadline, pickup_from, pickup_until, timezone)
    values ((p->>'store_id')::bigint, (p->>'buyer_id')::bigint, 'pending', p->>'delivery_type',
      p->>'delivery_address', p->>'customer_phone', (p->>'delivery_cost')::int, (p->>'items_total')::int,
      (p->>'total')::int, p->>'comment', (p->>'accept_deadline')::timestamptz,
      (p->>'pickup_from')::timestamptz, (p->>'pickup_until')::timestamptz, p->>'timezone')
    returning id, created_at, accept_deadline into v_order, v_created, v_deadline;
  insert into order_items (order_id, offer_id, title, unit, quantity, price, total)
    select v_order, x.offer_id, x.title, x.unit, x.quantity, x.price, x.total
    from jsonb_to_recordset(p->'lines') as x(offer_id bigint, title text, unit text, quantity numeric, price int, total int);
  insert into order_events (order_id, store_id, buyer_id, from_status, to_status, actor_type, actor_id)
    values (v_order, (p->>'store_id')::bigint, (p->>'buyer_id')::bigint, null, 'pending', 'buyer', (p->>'buyer_id')::bigint)
    returning id into v_event;
  insert into outbox (dedupe_key, kind, order_id, event_id, chat_id, payload)
    select replace(replace(r.dedupe_key, '{order}', v_order::text), '{event}', v_event::text),
      r.kind, v_order, v_event, r.chat_id, r.payload
    from jsonb_to_recordset(p->'outbox') as r(dedupe_key text, kind text, chat_id bigint, payload jsonb)
    on conflict (dedupe_key) do nothing;
  insert into jobs (kind, order_id, due_at)
    select j.kind, v_order, j.due_at from jsonb_to_recordset(coalesce(p->'jobs', '[]'::jsonb)) as j(kind text, due_at timestamptz)
    on conflict do nothing;
  -- The stock last, so a popular offer's row is locked only from here to the commit; all or
  -- nothing (an exception undoes the inserts above), in offer-id order so orders never deadlock.
  for v_line in select value from jsonb_array_elements(p->'lines') order by (value->>'offer_id')::bigint loop
    update offers set quantity = quantity - (v_line->>'quantity')::numeric, updated_at = now()
      where id = (v_line->>'offer_id')::bigint and quantity >= (v_line->>'quantity')::numeric;
    if not found then
      raise exception 'insufficient_stock' using errcode = 'P0001', detail = v_line->>'offer_id';
    end if;
  end loop;
  if p->>'idempotency_key' is not null then
    update idempotency_keys set order_id = v_order
      where user_id = (p->>'buyer_id')::bigint and key = p->>'idempotency_key';
  end if;
  return jsonb_build_object('order_id', v_order, 'event_id', v_event, 'created_at', v_created,
    'accept_deadline', v_deadline);
end
$$;
