-- Placing an order in one round trip: the service validates (offers on sale, quantities, one shop,
-- delivery rules) and computes the lines and totals in TypeScript; this function is only the atomic
-- write: the idempotency key, the order, its items, its first event, its outbox rows, and last the
-- stock of every line or of none. No NOTIFY here: PostgreSQL serialises the commits of notifying
-- transactions on one lock, so announcing happens after commit, in batches (realtime/change-feed.ts).
-- Outbox dedupe keys may hold {order} and {event}, filled with the ids drawn here.
create function place_order(p jsonb) returns jsonb language plpgsql as $$
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
      delivery_cost, items_total, total, comment, accept_deadline)
    values ((p->>'store_id')::bigint, (p->>'buyer_id')::bigint, 'pending', p->>'delivery_type',
      p->>'delivery_address', p->>'customer_phone', (p->>'delivery_cost')::int, (p->>'items_total')::int,
      (p->>'total')::int, p->>'comment', now() + make_interval(secs => (p->>'accept_timeout')::int))
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
