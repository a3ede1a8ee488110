import { createHash } from "node:crypto";
import { type CreateOrderBody, isValidQuantity, itemsTotal, lineTotal, type Unit } from "@lastbite/shared";
import { type InferResult, sql } from "kysely";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import { z } from "zod";
import { offerOpen } from "../catalog/offer-rules.sql.ts";
import type { Config } from "../config.ts";
import { Batcher } from "../core/batcher.ts";
import type { Clock } from "../core/clock.ts";
import type { Metrics } from "../core/metrics.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { CompiledShapes } from "../db/compiled-shapes.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { type LoadedOrder, loadOrder } from "./order.repository.ts";
import { notificationsFor, type OrderChange, type OrderChanges, outboxRecords } from "./order-events.ts";
import { type JobTimes, jobsFor } from "./order-jobs.ts";

export interface CreatedOrder {
  order: LoadedOrder;
  /** True when an Idempotency-Key replay returned the order made earlier. */
  replayed: boolean;
}

/** What `place_orders()` (migration 012) answers for each order of a batch. */
const verdict = z.union([
  z.object({ idempotency_key_taken: z.literal(true) }),
  z.object({ insufficient_stock: z.number() }),
  z.object({
    order_id: z.number(),
    event_id: z.number(),
    created_at: z.string(),
    accept_deadline: z.string(),
  }),
]);
type Verdict = z.infer<typeof verdict> | { failed: unknown };

const iso = (v: string) => new Date(v).toISOString();

/** What one placement needs to know before it decides: the offers, the buyer, an earlier use of the key. */
interface PlacementRead {
  offers: OfferRow[];
  buyer: { first_name: string; username: string | null; language: string } | null;
  previous: { request_hash: string; order_id: number | null } | null;
}
interface PlacementKey {
  buyerId: number;
  offerIds: number[];
  key: string | null;
}
type OfferRow = Awaited<ReturnType<typeof readMany>>["offers"][number];

/**
 * At most 64 orders share one statement; one batch of reads and up to two of writes are in the
 * database at a time. Measured on two cores (BENCHMARKS.md, "Orders"): fewer batches in flight make
 * bigger batches, so fewer statements and commits — three of each gave fewer orders a second and a
 * tail several times longer at half that rate; a second write batch lets one commit while the next
 * one works.
 */
const READS = { maxBatch: 64, maxRunning: 1 } as const;
const WRITES = { maxBatch: 64, maxRunning: 2 } as const;

/**
 * Placing an order in two statements, shared under load: one read (the offers with their shop,
 * the buyer, a previous use of the Idempotency-Key), the decision in TypeScript, then one statement
 * — `place_orders()` — that takes the stock of every line of an order or of none and writes the
 * order, its items, its first event, its jobs and the seller's card to the outbox. The orders that
 * arrive while earlier ones are in the database wait for them and then go together: n orders are
 * two statements and one commit, not 2n and n (`core/batcher.ts`). The answer is built from what
 * the two statements returned.
 */
export class OrderPlacement {
  private readonly reads: Batcher<PlacementKey, PlacementRead>;
  private readonly writes: Batcher<object, Verdict>;

  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "orderAcceptTimeout" | "shopTimezone"> & JobTimes,
    private readonly changes: OrderChanges,
    private readonly clock: Clock,
    metrics?: Metrics,
  ) {
    this.reads = new Batcher((keys) => readForPlacement(this.db, keys), READS);
    this.writes = new Batcher((inputs) => placeOrders(this.db, inputs), {
      ...WRITES,
      ...(metrics ? { observe: (n: number) => metrics.orderBatch.observe(n) } : {}),
    });
  }

  async create(
    buyerId: number,
    body: CreateOrderBody,
    idempotencyKey?: string,
  ): Promise<Result<CreatedOrder>> {
    const requestHash = createHash("sha256").update(JSON.stringify(body)).digest("hex");
    for (let attempt = 0; ; attempt++) {
      const r = await this.attempt(buyerId, body, requestHash, idempotencyKey);
      // The key was claimed by a request that committed meanwhile: read it again and replay.
      if (r !== "again" || attempt >= 2) return r === "again" ? this.replay(buyerId, idempotencyKey) : r;
    }
  }

  private async attempt(
    buyerId: number,
    body: CreateOrderBody,
    requestHash: string,
    idempotencyKey: string | undefined,
  ): Promise<Result<CreatedOrder> | "again"> {
    const items = [...body.items].sort((a, b) => a.offer_id - b.offer_id);
    const read = await this.reads.submit({
      buyerId,
      offerIds: items.map((i) => i.offer_id),
      key: idempotencyKey ?? null,
    });

    if (idempotencyKey && read.previous) {
      if (read.previous.request_hash !== requestHash)
        return fail("idempotency_conflict", "this Idempotency-Key was used with a different request");
      if (read.previous.order_id) return this.replay(buyerId, idempotencyKey);
    }
    const byId = new Map(read.offers.map((o) => [o.id, { ...o, quantity: Number(o.quantity) }]));
    for (const i of items) {
      const o = byId.get(i.offer_id);
      if (!o) return fail("not_found", `offer ${i.offer_id} does not exist`);
      if (!o.open) return fail("offer_unavailable", `"${o.title}" is no longer on sale`);
      if (!isValidQuantity(i.quantity, o.unit as Unit))
        return fail(
          "invalid_quantity",
          `"${o.title}" is sold ${o.unit === "piece" ? "in whole pieces" : `in steps of 0.1 ${o.unit}`}`,
        );
    }
    if (new Set(read.offers.map((o) => o.store_id)).size !== 1)
      return fail("mixed_stores", "all items of an order must come from one shop");
    const store = read.offers[0] as (typeof read.offers)[number];
    const buyer = read.buyer;
    if (!buyer) return fail("not_found", "the buyer is unknown");
    const lines = items.map((i) => {
      const o = byId.get(i.offer_id) as NonNullable<ReturnType<typeof byId.get>>;
      return {
        offer_id: i.offer_id,
        title: o.title,
        unit: o.unit as Unit,
        quantity: i.quantity,
        price: o.price,
        total: lineTotal(o.price, i.quantity),
      };
    });
    const total = itemsTotal(lines);
    let deliveryCost = 0;
    if (body.delivery_type === "delivery") {
      if (!store.delivery_enabled)
        return fail("delivery_unavailable", `${store.store_name} does not deliver; choose pickup`);
      if (total < store.min_order_amount)
        return fail(
          "below_min_order",
          `delivery from ${store.store_name} needs an order of at least ${store.min_order_amount} so'm; this one is ${total}`,
        );
      deliveryCost = store.delivery_fee;
    }
    const change: OrderChange = {
      buyerId,
      ownerId: store.owner_id,
      from: null,
      to: "pending",
      actor: { type: "buyer", id: buyerId },
      reason: null,
      reasonCode: null,
    };
    const deliveryAddress = body.delivery_type === "delivery" ? (body.delivery_address ?? null) : null;
    const now = this.clock.now();
    const acceptDeadline = new Date(now.getTime() + this.config.orderAcceptTimeout * 1000).toISOString();
    const window = pickupWindow(
      items.map((i) => byId.get(i.offer_id) as NonNullable<ReturnType<typeof byId.get>>),
    );
    const deliveryType = body.delivery_type ?? "pickup";
    const input = {
      buyer_id: buyerId,
      store_id: store.store_id,
      delivery_type: deliveryType,
      delivery_address: deliveryAddress,
      customer_phone: body.customer_phone ?? null,
      delivery_cost: deliveryCost,
      items_total: total,
      total: total + deliveryCost,
      comment: body.comment ?? null,
      accept_deadline: acceptDeadline,
      pickup_from: window.from,
      pickup_until: window.until,
      timezone: store.timezone ?? this.config.shopTimezone,
      jobs: jobsFor(
        "pending",
        { delivery_type: deliveryType, accept_deadline: acceptDeadline, pickup_until: window.until },
        this.config,
        now,
      ),
      idempotency_key: idempotencyKey ?? null,
      request_hash: requestHash,
      lines,
      outbox: outboxRecords(notificationsFor(change)),
    };
    const result = await this.writes.submit(input);
    if ("failed" in result) throw result.failed;
    if ("idempotency_key_taken" in result) return "again";
    if ("insufficient_stock" in result) {
      const short = byId.get(result.insufficient_stock);
      return fail(
        "insufficient_stock",
        `only ${short?.quantity ?? 0} left of "${short?.title ?? "an item"}"`,
      );
    }
    const at = iso(result.created_at);
    const order: LoadedOrder = {
      id: result.order_id,
      status: "pending",
      delivery_type: input.delivery_type,
      delivery_address: deliveryAddress,
      customer_phone: input.customer_phone,
      delivery_cost: deliveryCost,
      comment: input.comment,
      items: lines,
      items_total: total,
      total: input.total,
      code: null,
      store: {
        id: store.store_id,
        name: store.store_name,
        address: store.store_address,
        phone: store.store_phone,
        owner_username: store.owner_username,
        timezone: input.timezone,
      },
      buyer: { id: buyerId, first_name: buyer.first_name, username: buyer.username },
      timeline: [{ status: "pending", at, reason: null, reason_code: null }],
      reason: null,
      reason_code: null,
      rating: null,
      pickup_from: window.from,
      pickup_until: window.until,
      accept_deadline: iso(result.accept_deadline),
      created_at: at,
      updated_at: at,
      owner_id: store.owner_id,
      buyer_language: buyer.language,
    };
    this.changes.committed({
      notice: {
        id: result.event_id,
        order_id: order.id,
        buyer_id: buyerId,
        owner_id: store.owner_id,
        status: "pending",
      },
      order,
    });
    return ok({ order, replayed: false });
  }

  /** The order an earlier request with this Idempotency-Key placed. */
  private async replay(buyerId: number, key: string | undefined): Promise<Result<CreatedOrder>> {
    const prev = key
      ? await kysely(this.db)
          .selectFrom("idempotency_keys")
          .select(["request_hash", "order_id"])
          .where("user_id", "=", buyerId)
          .where("key", "=", key)
          .executeTakeFirst()
      : undefined;
    const order = prev?.order_id ? await loadOrder(this.db, prev.order_id) : null;
    if (!order)
      return fail("idempotency_conflict", "a request with this Idempotency-Key is still being processed");
    return ok({ order, replayed: true });
  }
}

/**
 * The window in which every item can be collected: the latest start and the earliest end of the
 * offers' windows (an offer without one does not narrow it). Null ends where no offer set one.
 */
export function pickupWindow(
  offers: readonly { pickup_from: Date | string | null; pickup_until: Date | string | null }[],
): { from: string | null; until: string | null } {
  const times = (vs: (Date | string | null)[]) =>
    vs.filter((v): v is Date | string => v !== null).map((v) => new Date(v).getTime());
  const froms = times(offers.map((o) => o.pickup_from));
  const untils = times(offers.map((o) => o.pickup_until));
  return {
    from: froms.length ? new Date(Math.max(...froms)).toISOString() : null,
    until: untils.length ? new Date(Math.min(...untils)).toISOString() : null,
  };
}

/** A JSON list of ids as a bigint[] the planner can take to an index (`id = any(…)`). */
const idsOf = (json: string) => sql`array(select jsonb_array_elements_text(${json}::jsonb)::bigint)`;

/**
 * The read of a batch of placements: its three inputs are JSON lists (the offers, the buyers, the
 * (buyer, key) pairs), so its shape never changes and it is compiled once (`readMany`).
 */
function readQuery(db: Database, offerIds: string, buyerIds: string, used: string) {
  return kysely(db).selectNoFrom((eb) => [
    jsonArrayFrom(
      eb
        .selectFrom("offers")
        .innerJoin("stores as s", "s.id", "offers.store_id")
        .innerJoin("users as ow", "ow.id", "s.owner_id")
        .select((e) => [
          "offers.id",
          "offers.store_id",
          "offers.title",
          "offers.price",
          "offers.unit",
          "offers.quantity",
          "offers.pickup_from",
          "offers.pickup_until",
          // "On sale" stock aside: running out is insufficient_stock, not offer_unavailable.
          offerOpen(e).as("open"),
          "s.owner_id",
          "s.name as store_name",
          "s.address as store_address",
          "s.phone as store_phone",
          "s.delivery_enabled",
          "s.delivery_fee",
          "s.min_order_amount",
          "s.timezone",
          "ow.username as owner_username",
        ])
        .where(sql<boolean>`offers.id = any(${idsOf(offerIds)})`),
    ).as("offers"),
    jsonArrayFrom(
      eb
        .selectFrom("users")
        .select(["id", "first_name", "username", "language"])
        .where(sql<boolean>`users.id = any(${idsOf(buyerIds)})`),
    ).as("buyers"),
    // Each (user, key) asked for, found by primary key: a LATERAL lookup per pair (its `limit 1`
    // keeps the planner from flattening it into a hash join over every key there is).
    sql<{ user_id: number; key: string; request_hash: string; order_id: number | null }[]>`(
        select coalesce(json_agg(json_build_object('user_id', r.user_id, 'key', r.key,
          'request_hash', k.request_hash, 'order_id', k.order_id)), '[]')
        from jsonb_to_recordset(${used}::jsonb) as r(user_id bigint, key text)
        join lateral (select k.request_hash, k.order_id from idempotency_keys k
                      where k.user_id = r.user_id and k.key = r.key limit 1) k on true)`.as("previous"),
  ]);
}
type ReadResult = InferResult<ReturnType<typeof readQuery>>[number];

/** The read has one shape: compiled once, its three inputs filled in per batch. */
const readShape = new CompiledShapes(1);

/** One statement for the reads of a whole batch of placements. */
async function readMany(db: Database, keys: readonly PlacementKey[]): Promise<ReadResult> {
  const { sql: text, parameters } = readShape.fill(
    "read",
    (slot) => readQuery(db, slot<string>("offers"), slot<string>("buyers"), slot<string>("used")),
    {
      offers: JSON.stringify([...new Set(keys.flatMap((k) => k.offerIds))]),
      buyers: JSON.stringify([...new Set(keys.map((k) => k.buyerId))]),
      used: JSON.stringify(
        keys.filter((k) => k.key !== null).map((k) => ({ user_id: k.buyerId, key: k.key })),
      ),
    },
  );
  const [row] = await db.query<ReadResult>(text, parameters);
  if (!row) throw new Error("the placement read returned no row");
  return row;
}

async function readForPlacement(db: Database, keys: PlacementKey[]): Promise<PlacementRead[]> {
  const read = await readMany(db, keys);
  const offers = new Map(read.offers.map((o) => [Number(o.id), o]));
  const buyers = new Map(read.buyers.map((b) => [Number(b.id), b]));
  const previous = new Map(read.previous.map((p) => [`${p.user_id}:${p.key}`, p]));
  return keys.map((k) => ({
    offers: k.offerIds.flatMap((id) => offers.get(id) ?? []),
    buyer: buyers.get(k.buyerId) ?? null,
    previous: (k.key !== null && previous.get(`${k.buyerId}:${k.key}`)) || null,
  }));
}

/**
 * Writes a batch of decided orders: one order alone through `place_order()`, several through
 * `place_orders()`. If a batch fails as a whole (which no order's own shortfall does), each of its
 * orders is tried alone, so one order's fault is that order's answer only.
 */
export async function placeOrders(db: Database, inputs: object[]): Promise<Verdict[]> {
  if (inputs.length > 1) {
    try {
      const res = await sql<{
        result: unknown;
      }>`select place_orders(${JSON.stringify(inputs)}::jsonb) as result`.execute(kysely(db));
      return z.array(verdict).length(inputs.length).parse(res.rows[0]?.result);
    } catch {
      // fall through: one by one
    }
  }
  const out: Verdict[] = [];
  for (const input of inputs) out.push(await placeOne(db, input));
  return out;
}

async function placeOne(db: Database, input: object): Promise<Verdict> {
  try {
    const res = await sql<{
      result: unknown;
    }>`select place_order(${JSON.stringify(input)}::jsonb) as result`.execute(kysely(db));
    return verdict.parse(res.rows[0]?.result);
  } catch (err) {
    const e = err as { code?: string; message?: string; detail?: string };
    if (e.code === "P0001" && e.message === "insufficient_stock")
      return { insufficient_stock: Number(e.detail) };
    return { failed: err };
  }
}
