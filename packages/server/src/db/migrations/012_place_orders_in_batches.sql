-- Orders placed in batches (issue 12): under load the server hands the orders that arrived while
-- the previous batch was in the database to one call of place_orders(), so a batch of n orders is one
-- statement, one transaction and one commit instead of n. Each order still gets all of its stock or
-- none, exactly as place_order() (migration 005) decides it for one order, which stays for single
-- orders and as the fallback when a batch fails as a whole.
--
-- Input: a JSON array of place_order() inputs. Output: a JSON array of the same length and order,
-- each element one of
--   {"order_id", "event_id", "created_at", "accept_deadline"}   placed
--   {"idempotency_key_taken": true}                             the key was claimed by another request
--   {"insufficient_stock": <offer id>}                          the first line that could not be served
create function place_orders(batch jsonb) returns jsonb language plpgsql as $$
declare
  n int := jsonb_array_length(batch);
  verdict jsonb[] := array_fill(null::jsonb, array[n]);
  placed int[] := '{}';
  offer_ids bigint[];
  left_qty numeric[];
  trial numeric[];
  pos int;
  e jsonb;
  l jsonb;
  i int;
  short bigint;
  out jsonb;
  wanted bigint[];
  take numeric[];
  key_users bigint[] := '{}';
  key_names text[] := '{}';
  one_offer bigint;
  one_qty numeric;
  freed text[] := '{}';
  order_ids bigint[];
begin
  -- 1. Idempotency keys, all at once. Within the batch the first use of a (buyer, key) claims it; a
  --    key already in the table (or used earlier in the batch) means "taken", as in place_order().
  with wanted as (
    select distinct on ((x->>'buyer_id')::bigint, x->>'idempotency_key')
      k::int as k, (x->>'buyer_id')::bigint as user_id, x->>'idempotency_key' as key, x->>'request_hash' as hash
    from jsonb_array_elements(batch) with ordinality as t(x, k)
    where x->>'idempotency_key' is not null
    order by (x->>'buyer_id')::bigint, x->>'idempotency_key', k
  ), claimed as (
    insert into idempotency_keys (user_id, key, request_hash)
      select user_id, key, hash from wanted
      on conflict do nothing
      returning user_id, key
  )
  select coalesce(array_agg(w.k), '{}') into placed
    from wanted w join claimed c on c.user_id = w.user_id and c.key = w.key;
  for i in 1..n loop
    e := batch->(i - 1);
    if e->>'idempotency_key' is not null and not (i = any(placed)) then
      verdict[i] := '{"idempotency_key_taken": true}';
    end if;
  end loop;

  -- 2. The stock: every offer the batch asks for, locked in id order (as place_order() takes its
  --    lines, so batches and single orders never deadlock), then handed out order by order in the
  --    batch's order, all of an order's lines or none of them.
  --    Every statement on a table below reaches one row by its primary key: a statement joined to
  --    the batch could be planned as a scan of the whole table while the table is small, and
  --    plpgsql keeps that plan as the table grows.
  select array_agg(distinct (ln->>'offer_id')::bigint order by (ln->>'offer_id')::bigint) into wanted
    from jsonb_array_elements(batch) x, jsonb_array_elements(x->'lines') ln;
  offer_ids := '{}';
  left_qty := '{}';
  foreach one_offer in array coalesce(wanted, '{}') loop
    select f.quantity into one_qty from offers f where f.id = one_offer for update;
    if found then
      offer_ids := offer_ids || one_offer;
      left_qty := left_qty || one_qty;
    end if;
  end loop;
  placed := '{}';
  for i in 1..n loop
    continue when verdict[i] is not null;
    e := batch->(i - 1);
    short := null;
    trial := left_qty;
    for l in select value from jsonb_array_elements(e->'lines') order by (value->>'offer_id')::bigint loop
      pos := array_position(offer_ids, (l->>'offer_id')::bigint);
      if pos is null or trial[pos] < (l->>'quantity')::numeric then
        short := (l->>'offer_id')::bigint;
        exit;
      end if;
      trial[pos] := trial[pos] - (l->>'quantity')::numeric;
    end loop;
    if short is not null then
      verdict[i] := jsonb_build_object('insufficient_stock', short);
      continue;
    end if;
    left_qty := trial;
    placed := placed || i;
  end loop;

  -- Keys claimed by orders that could not be served are given back, as place_order()'s exception
  -- would have undone them: a retry with the same key may try again.
  for i in 1..n loop
    e := batch->(i - 1);
    if verdict[i] ? 'insufficient_stock' and e->>'idempotency_key' is not null then
      key_users := key_users || (e->>'buyer_id')::bigint;
      key_names := key_names || (e->>'idempotency_key');
      freed := freed || ((e->>'buyer_id') || ':' || (e->>'idempotency_key'));
    end if;
  end loop;
  for i in 1..cardinality(freed) loop
    delete from idempotency_keys k
      where k.user_id = key_users[i] and k.key = key_names[i] and k.order_id is null;
  end loop;

  if cardinality(placed) = 0 then
    return to_jsonb(verdict);
  end if;

  -- 3. Everything the placed orders write, in one statement: ids drawn first so each row knows its
  --    order and first event.
  select array_agg(nextval(pg_get_serial_sequence('orders', 'id'))) into order_ids
    from generate_series(1, cardinality(placed));
  with src as materialized (
    select p.k, batch->(p.k - 1) as x, order_ids[p.n] as order_id,
      nextval(pg_get_serial_sequence('order_events', 'id')) as event_id
    from unnest(placed) with ordinality as p(k, n)
  ), o as (
    insert into orders (id, store_id, buyer_id, status, delivery_type, delivery_address, customer_phone,
        delivery_cost, items_total, total, comment, accept_deadline, pickup_from, pickup_until, timezone)
      overriding system value
      select order_id, (x->>'store_id')::bigint, (x->>'buyer_id')::bigint, 'pending', x->>'delivery_type',
        x->>'delivery_address', x->>'customer_phone', (x->>'delivery_cost')::int, (x->>'items_total')::int,
        (x->>'total')::int, x->>'comment', (x->>'accept_deadline')::timestamptz,
        (x->>'pickup_from')::timestamptz, (x->>'pickup_until')::timestamptz, x->>'timezone'
      from src
      returning id, created_at, accept_deadline
  ), items as (
    insert into order_items (order_id, offer_id, title, unit, quantity, price, total)
      select src.order_id, ln.offer_id, ln.title, ln.unit, ln.quantity, ln.price, ln.total
      from src, jsonb_to_recordset(src.x->'lines')
        as ln(offer_id bigint, title text, unit text, quantity numeric, price int, total int)
  ), events as (
    insert into order_events (id, order_id, store_id, buyer_id, from_status, to_status, actor_type, actor_id)
      overriding system value
      select event_id, order_id, (x->>'store_id')::bigint, (x->>'buyer_id')::bigint, null, 'pending', 'buyer',
        (x->>'buyer_id')::bigint
      from src
  ), messages as (
    insert into outbox (dedupe_key, kind, order_id, event_id, chat_id, payload)
      select replace(replace(r.dedupe_key, '{order}', src.order_id::text), '{event}', src.event_id::text),
        r.kind, src.order_id, src.event_id, r.chat_id, r.payload
      from src, jsonb_to_recordset(src.x->'outbox') as r(dedupe_key text, kind text, chat_id bigint, payload jsonb)
      on conflict (dedupe_key) do nothing
  ), scheduled as (
    insert into jobs (kind, order_id, due_at)
      select j.kind, src.order_id, j.due_at
      from src, jsonb_to_recordset(coalesce(src.x->'jobs', '[]'::jsonb)) as j(kind text, due_at timestamptz)
      on conflict do nothing
  )
  select jsonb_object_agg(src.k::text, jsonb_build_object('order_id', o.id, 'event_id', src.event_id,
      'created_at', o.created_at, 'accept_deadline', o.accept_deadline))
    into out
    from src join o on o.id = src.order_id;
  -- The stock the placed orders take, per offer.
  take := array_fill(0::numeric, array[cardinality(offer_ids)]);
  foreach i in array placed loop
    e := batch->(i - 1);
    for l in select value from jsonb_array_elements(e->'lines') loop
      pos := array_position(offer_ids, (l->>'offer_id')::bigint);
      take[pos] := take[pos] + (l->>'quantity')::numeric;
    end loop;
  end loop;
  for pos in 1..cardinality(offer_ids) loop
    if take[pos] > 0 then
      update offers set quantity = quantity - take[pos], updated_at = now() where id = offer_ids[pos];
    end if;
  end loop;
  foreach i in array placed loop
    e := batch->(i - 1);
    if e->>'idempotency_key' is not null then
      update idempotency_keys set order_id = (out->(i::text)->>'order_id')::bigint
        where user_id = (e->>'buyer_id')::bigint and key = e->>'idempotency_key';
    end if;
  end loop;
  foreach i in array placed loop
    verdict[i] := out->(i::text);
  end loop;
  return to_jsonb(verdict);
end
$$;
