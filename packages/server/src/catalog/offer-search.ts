import type { Offer, OfferListQuery } from "@lastbite/shared";
import {
  type Expression,
  type ExpressionBuilder,
  type QueryCreator,
  type RawBuilder,
  type SqlBool,
  sql,
} from "kysely";
import { Batcher } from "../core/batcher.ts";
import type { Cursors } from "../core/cursor.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { CompiledShapes, type Slot } from "../db/compiled-shapes.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { DB } from "../db/schema.ts";
import type { IsoTimestamps } from "../db/timestamps.ts";
import { OFFER_COLUMNS, type OfferFields, toOffer } from "./catalog.service.ts";
import { inStock, offerTimely, onSale, SHOP_SELLING } from "./offer-rules.sql.ts";

const MAX_WORDS = 8;

/** A search's values, by the names its query's slots have. */
type Values = Record<string, unknown>;

/** Every value a search may have, as the columns of a batch's JSON rows (`n`: its place in the batch). */
const BATCH_COLUMNS = [
  "n int",
  "lat float8",
  "lng float8",
  "category text",
  "radius float8",
  "store bigint",
  "reach float8",
  "lat_min float8",
  "lat_max float8",
  "lng_min float8",
  "lng_max float8",
  ...Array.from({ length: MAX_WORDS }, (_, i) => `w${i} text`),
  "after0 float8",
  "after1 bigint",
  "after2 bigint",
].join(", ");

/**
 * Up to two batches of a shape in the database at once, of at most 16 searches: measured with 50
 * searches in flight (bench/search.ts), one batch at a time left a core idle, three or bigger
 * batches lengthened the tail (BENCHMARKS.md).
 */
const SEARCH_BATCHES = { maxBatch: 16, maxRunning: 2 } as const;
const MAX_SHAPES = 1000;

/** What a search's query text depends on: which filters are set, not their values. */
interface Shape {
  sort: "id" | "ending" | "price" | "discount" | "distance";
  near: boolean;
  words: number;
  category: boolean;
  radius: boolean;
  store: boolean;
  after: boolean;
  /** Only the shops within `reach` metres (a bounding box, then the exact distance)… */
  reach: boolean;
  /** …first, then the others (nearest first only). */
  far: boolean;
  ownView: boolean;
  limit: number;
}

/** A page's rows are only passed on: their times are read as the API's ISO strings, never as Dates. */
type PageRow = IsoTimestamps<OfferFields> & { sort_key: number; distance_m: number | null; store_id: number };
/** A page's offer, before it is read in full. */
type PageKey = { id: number; sort_key: number; distance_m: number | null; store_id: number };
/** A shop in nearest first's line; `shop_w<i>`: whether its name holds the search's i-th word. */
type ShopStep = { id: number; sort_key: number; distance_m: number | null } & Record<
  `shop_w${number}`,
  boolean
>;

export interface OfferPage {
  offers: Offer[];
  next_cursor: string | null;
}

/** Past every real time: offers that never end sort last under `ending`. */
const NEVER = 1e15;

/**
 * Each sort as one ascending number per offer, ties broken by id: the page's keyset is
 * (key, id), so a cursor is two numbers and any sort pages the same way. Price, discount and
 * ending are indexed as these very expressions, with id (migration 016): change one here, change it
 * there, or the catalogue sorts every offer again.
 */
const SORT_KEYS: Record<"id" | "ending" | "price" | "discount", () => RawBuilder<number>> = {
  id: () => sql<number>`offers.id::float8`,
  // The epoch at time zone 'UTC' is the same number, and unlike a timestamptz's it can be indexed.
  ending: () =>
    sql<number>`coalesce(extract(epoch from least(offers.pickup_until, offers.expires_at) at time zone 'UTC')::float8, ${sql.lit(NEVER)})`,
  price: () => sql<number>`offers.price::float8`,
  // The largest share off first: its negative, ascending.
  discount: () =>
    sql<number>`-coalesce((offers.original_price - offers.price)::float8 / nullif(offers.original_price, 0), 0)`,
};

/**
 * Metres from a point to the offer's shop (haversine on a 6,371 km sphere: within 0.5% of WGS 84,
 * plenty for "how far is it"); null when the shop set no location.
 */
function distanceTo(p: { lat: number; lng: number }): RawBuilder<number | null> {
  // sin²(x/2) written as (1 - cos x) / 2: power() was the dearest call here, and a distance is
  // computed for every shop near the point. (1 - cos x loses digits for a tiny x, never a metre.)
  return sql<number | null>`round(12742000 * asin(sqrt(
    (1 - cos(radians(stores.lat - ${p.lat}::float8))) / 2 +
    cos(radians(${p.lat}::float8)) * cos(radians(stores.lat)) * (1 - cos(radians(stores.lng - ${p.lng}::float8))) / 2)))`;
}

/** Within the search's bounding box (`reachBox`). */
function inBox(slot: Slot) {
  // The expression the GiST index stores_location (migration 015) holds: (x, y) = (lng, lat).
  return sql<boolean>`point(stores.lng, stores.lat) <@ box(point(${slot<number>("lng_min")}, ${slot<number>("lat_min")}), point(${slot<number>("lng_max")}, ${slot<number>("lat_max")}))`;
}

/** How far nearest first looks before it looks at every shop (see `search`). */
const REACH_M = 5_000;

/**
 * The latitudes and longitudes within `metres` of a point, as a box that holds the whole circle
 * (its longitude span taken where the box is farthest from the equator), for the database to find
 * the shops in it without a distance for each; none near a pole or across the 180th meridian.
 */
export function reachBox(p: { lat: number; lng: number }, metres: number) {
  const perDegree = 111_194; // metres in a degree of latitude on the 6,371 km sphere, rounded down
  // A metre more: a shop counts as within `metres` when its distance rounds to no more than that.
  const dLat = (metres + 1) / perDegree;
  const far = Math.abs(p.lat) + dLat;
  if (!Number.isFinite(dLat) || far >= 89) return null;
  const dLng = (metres + 1) / (perDegree * Math.cos((far * Math.PI) / 180));
  if (Math.abs(p.lng) + dLng >= 180) return null;
  return {
    reach: metres,
    lat_min: p.lat - dLat,
    lat_max: p.lat + dLat,
    lng_min: p.lng - dLng,
    lng_max: p.lng + dLng,
  };
}

/** The words of a query, as LIKE patterns need them: no wildcards of their own, at most eight. */
export function queryWords(q: string | undefined): string[] {
  return (q ?? "")
    .replace(/[\\%_]/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, MAX_WORDS);
}

/**
 * The catalogue: what is on sale now, filtered by shop and words, in the order asked, a page at a
 * time. The shop's owner with `all=1` sees every offer of their shop in any state.
 */
export class OfferSearch {
  private readonly shapes = new CompiledShapes();
  private readonly batches = new Map<string, Batcher<Values, PageRow[]>>();

  constructor(
    private readonly db: Database,
    private readonly cursors: Cursors,
  ) {}

  async search(query: OfferListQuery, viewerId: number): Promise<Result<OfferPage>> {
    const sort = query.sort ?? "id";
    const near = query.near;
    if (!near && (sort === "distance" || query.radius_m !== undefined))
      return fail(
        "invalid_request",
        `${sort === "distance" ? "sort=distance" : "radius_m"} needs near=<lat>,<lng>`,
      );
    const ownView =
      query.all === "1" && query.store_id !== undefined && (await this.owns(viewerId, query.store_id));
    const scope = `offers:${JSON.stringify([
      query.store_id ?? null,
      ownView ? viewerId : null,
      query.q ?? "",
      query.category ?? null,
      near ?? null,
      query.radius_m ?? null,
      sort,
    ])}`;
    // The position after which the page starts: (sort key, offer id), or for "nearest first"
    // (distance, shop id, offer id), as the shops are walked nearest first.
    let after: readonly number[] | null = null;
    if (query.cursor !== undefined) {
      const position = this.cursors.decode(scope, query.cursor);
      if (!position.ok) return position;
      const values = position.value;
      if (values.length !== (sort === "distance" ? 3 : 2) || !values.every((v) => typeof v === "number"))
        return fail("invalid_request", "cursor is not one this list gave out; start again without it");
      after = values as number[];
    }
    const words = queryWords(query.q);
    // Nearest first looks at the shops within REACH_M of the point (or of where the page starts)
    // first: a bounding box that spares the database a distance to every shop. If they do not fill
    // the page, the same statement goes on to every other shop (`nearestFirst`). With radius_m no
    // wider (or any sort with radius_m), that first look is the whole answer.
    const within =
      near && query.store_id === undefined
        ? query.radius_m !== undefined && (sort !== "distance" || query.radius_m <= REACH_M)
          ? { metres: query.radius_m, whole: true }
          : sort === "distance"
            ? { metres: (after?.[0] ?? 0) + REACH_M, whole: false }
            : null
        : null;
    const box = near && within ? reachBox(near, within.metres) : null;
    // The query's text depends only on which filters are set (its shape); the values go in as
    // parameters. The page size is part of the text: with LIMIT as a parameter PostgreSQL prices
    // the prepared statement's generic plan for an unknown limit and plans every search afresh.
    const shape: Shape = {
      sort,
      near: near !== undefined,
      words: words.length,
      category: query.category !== undefined,
      radius: query.radius_m !== undefined,
      store: query.store_id !== undefined,
      after: after !== null,
      reach: box !== null,
      far: box !== null && within?.whole === false,
      ownView,
      limit: query.limit,
    };
    const values: Record<string, unknown> = {
      lat: near?.lat,
      lng: near?.lng,
      category: query.category,
      radius: query.radius_m,
      store: query.store_id,
      ...box,
      ...Object.fromEntries(words.map((w, i) => [`w${i}`, w])),
      ...(after ? Object.fromEntries(after.map((v, i) => [`after${i}`, v])) : {}),
    };
    const rows = await this.batchOf(shape).submit(values);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return ok({
      offers: page.map((r) => {
        const offer = toOffer(r);
        if (near) offer.distance_m = r.distance_m === null ? null : Number(r.distance_m);
        return offer;
      }),
      next_cursor:
        rows.length > query.limit && last
          ? this.cursors.encode(
              scope,
              sort === "distance"
                ? [Number(last.sort_key), last.store_id, last.id]
                : [Number(last.sort_key), last.id],
            )
          : null,
    });
  }

  /**
   * Searches of one shape go to the database together: those that arrive while earlier ones of
   * their shape are in the database wait for them and then share one statement (`runBatch`), so
   * a busy catalogue pays one round trip and one statement's overhead for many searches.
   */
  private batchOf(shape: Shape): Batcher<Values, PageRow[]> {
    const key = Object.values(shape).join(":");
    let batcher = this.batches.get(key);
    if (!batcher) {
      batcher = new Batcher((items) => this.runBatch(key, shape, items), SEARCH_BATCHES);
      // The shapes in use are few; odd combinations past the limit still work, unbatched by shape.
      if (this.batches.size < MAX_SHAPES) this.batches.set(key, batcher);
    }
    return batcher;
  }

  /**
   * One statement for a batch of searches of one shape: the searches' values as rows of a JSON
   * list, and for each row the shape's query (`build`, its values read from that row) as a
   * LATERAL subquery. Each search's rows come back in its page order, tagged with its number.
   */
  private async runBatch(key: string, shape: Shape, items: Values[]): Promise<PageRow[][]> {
    const { sql: text, parameters } = this.shapes.fill(
      key,
      (slot) => {
        const column = <T>(name: string) => sql.ref(`q.${name}`) as unknown as T;
        const one = this.build(column, shape);
        // No ORDER BY here: each search's rows come from its own subquery, sorted there, and a
        // lateral subquery's rows come out in its order (the rows are grouped by `n` below); sorting
        // the whole batch again copied every row of it into a sort.
        const raw = sql`select q.n, r.* from jsonb_to_recordset(${slot("searches")}::jsonb) as q(${sql.raw(
          BATCH_COLUMNS,
        )}) cross join lateral (${one}) as r`;
        return { compile: () => raw.compile(kysely(this.db)) };
      },
      { searches: JSON.stringify(items.map((values, n) => ({ ...values, n }))) },
    );
    const rows = await this.db.query<PageRow & { n: number }>(text, parameters, { timestamps: "iso" });
    const pages: PageRow[][] = items.map(() => []);
    // Each row keeps its `n` (toOffer reads only the offer's fields): copying every row without it
    // was a measurable part of a busy server's time.
    for (const row of rows) pages[row.n]?.push(row);
    return pages;
  }

  /**
   * The query of one shape. Only the shape (which filters are set, the sort, the page size) may
   * steer what is built here; every value goes in through `slot`. The page is chosen in the CTE `k`;
   * the other sorts choose it on narrow rows (offer, sort key, distance, shop) and read only its rows
   * in full.
   */
  private build(slot: Slot, shape: Shape) {
    // Nearest first pages by (distance, shop, offer): the shops are walked in that order. Its `k`
    // holds the offers' rows already.
    if (shape.sort === "distance")
      return this.nearestFirst(slot, shape)
        .selectFrom("k")
        .selectAll("k")
        .orderBy("k.sort_key")
        .orderBy("k.store_id")
        .orderBy("k.id");
    return this.sorted(slot, shape)
      .selectFrom("k")
      .innerJoin("offers", "offers.id", "k.id")
      .select(OFFER_COLUMNS)
      .select(["k.sort_key", "k.distance_m"])
      .orderBy("k.sort_key")
      .orderBy("k.id");
  }

  /** The search's words as LIKE patterns, each folded once per search (a sub-select), not once per row. */
  private patterns(slot: Slot, shape: Shape) {
    return Array.from(
      { length: shape.words },
      (_, i) => sql<string>`(select '%' || search_key(${slot<string>(`w${i}`)}) || '%')`,
    );
  }

  /** The search's words, each matching an offer's title and description or its shop's name. */
  private wordsMatch(slot: Slot, shape: Shape) {
    const patterns = this.patterns(slot, shape);
    return (eb: ExpressionBuilder<DB & { s: { search_key: string | null } }, "offers" | "s">) =>
      patterns.map((like) =>
        eb.or([eb("offers.search_key", "like", like), eb("s.search_key", "like", like)]),
      );
  }

  /** Every sort but nearest first: the matching offers sorted by the sort's key, a page of them. */
  private sorted(slot: Slot, shape: Shape): QueryCreator<DB & { k: PageKey }> {
    const { sort, limit, ownView } = shape;
    const after = shape.after ? [0, 1].map((i) => slot<number>(`after${i}`)) : null;
    const point = shape.near ? { lat: slot<number>("lat"), lng: slot<number>("lng") } : null;
    const key = SORT_KEYS[sort as keyof typeof SORT_KEYS];
    const wordsMatch = this.wordsMatch(slot, shape);
    // The default order, by id, is the primary key's: PostgreSQL walks it and stops at the page's
    // end instead of sorting every match (the catalogue's first page: 3.3 -> 0.15 ms).
    const byId = sort === "id";
    return (
      kysely(this.db)
        // Near a point, each shop's distance once (a few hundred shops), not once per offer (tens
        // of thousands). Without one, the shops are only a filter (selling, category, name), each
        // looked up by its key as the walk meets its offers: materialized, every offer scanned the
        // list of shops.
        .with(
          (cte) => (point ? cte("s").materialized() : cte("s").notMaterialized()),
          (db) =>
            db
              .selectFrom("stores")
              .select([
                "stores.id",
                "stores.category",
                "stores.search_key",
                (point ? distanceTo(point) : sql<number | null>`null::float8`).as("distance_m"),
              ])
              .$if(!ownView, (q) => q.where("stores.status", "=", sql.lit(SHOP_SELLING)))
              .$if(shape.reach, (q) => q.where(inBox(slot))),
        )
        .with("k", (db) =>
          db
            .selectFrom("offers")
            .innerJoin("s", "s.id", "offers.store_id")
            .select(["offers.id", key().as("sort_key"), "s.distance_m", "offers.store_id"])
            .where((eb) => {
              const conditions: Expression<SqlBool>[] = [...wordsMatch(eb)];
              if (shape.store) conditions.push(eb("offers.store_id", "=", slot<number>("store")));
              if (shape.category) conditions.push(eb("s.category", "=", slot<never>("category")));
              if (shape.radius) conditions.push(eb("s.distance_m", "<=", slot<number>("radius")));
              if (shape.reach) conditions.push(eb("s.distance_m", "<=", slot<number>("reach")));
              if (!ownView) conditions.push(onSale(eb as unknown as ExpressionBuilder<DB, "offers">));
              if (after)
                conditions.push(
                  byId
                    ? sql<boolean>`offers.id > ${after[1]}::bigint`
                    : sql<boolean>`(${key()}, offers.id) > (${after[0]}::float8, ${after[1]}::bigint)`,
                );
              return eb.and(conditions);
            })
            .$if(!byId, (q) => q.orderBy(sql`sort_key`))
            .orderBy("offers.id")
            .limit(sql.lit(limit + 1) as never),
        ) as unknown as QueryCreator<DB & { k: PageKey }>
    );
  }

  /**
   * Nearest first: the shops in order of distance, each followed by its matches in id order, and
   * the first page and one of that stream. The database stops there: nothing in the stream is
   * sorted (the shops come sorted from a CTE, each shop's matches from the index in id order), so
   * it looks at the few shops nearest the point and, in the last, only as far as the page needs,
   * whatever it guesses of how many shops are near. (The page is sorted again at the end.) This
   * leans on how PostgreSQL runs such a plan — a materialized CTE read in the order it was
   * written, a nested loop's rows in its outer side's order — not on anything SQL promises; the
   * tests hold the pages to a brute-force reference, near and far, so a PostgreSQL that did
   * otherwise would be caught.
   *
   * The shops come from two lines. `line`: those within `reach` of the point (a bounding box spares
   * the database a distance to every shop, then the exact distance), or, without a reach, every
   * shop. `far`, where the shape has it: every other shop, ordered only if the stream runs past the
   * end of `line` — PostgreSQL computes a CTE when it is first read — so a search that finds its
   * page nearby never looks further, and one that does not still takes one statement.
   *
   * A shop's offers are judged from the covering index (offers_store_walk) alone; only those that
   * match are read from the table, for their stock, which changes with every order and is kept out
   * of the index so that an order's update stays a heap-only one.
   */
  private nearestFirst(slot: Slot, shape: Shape): QueryCreator<DB & { k: PageKey & OfferFields }> {
    const { limit, ownView } = shape;
    const point = { lat: slot<number>("lat"), lng: slot<number>("lng") };
    const after = shape.after ? [0, 1, 2].map((i) => slot<number>(`after${i}`)) : null;
    const db = kysely(this.db);
    const key = sql<number>`coalesce(x.distance_m, ${sql.lit(NEVER)})`;
    const patterns = this.patterns(slot, shape);
    // One line of shops with their distance, in walking order (distance, then id).
    const lineOf = (part: "line" | "far") => {
      const shops = db
        .selectFrom("stores")
        .select(["stores.id", "stores.search_key", distanceTo(point).as("distance_m")])
        .$if(!ownView, (q) => q.where("stores.status", "=", sql.lit(SHOP_SELLING)))
        .$if(shape.category, (q) => q.where("stores.category", "=", slot<never>("category")))
        .$if(shape.store, (q) => q.where("stores.id", "=", slot<number>("store")))
        .$if(shape.reach && part === "line", (q) => q.where(inBox(slot)))
        .$if(part === "far", (q) => q.select(inBox(slot).as("boxed")))
        // A fence (OFFSET 0 keeps PostgreSQL from pulling the subquery up into the one below): each
        // shop's distance is computed once, here. Pulled up, the distance's expression was copied
        // into the filter, the sort key and the column, and computed up to three times a shop (a
        // batch of 16: 8% more PostgreSQL time in pgbench).
        .offset(sql.lit(0) as never);
      const within = sql`x.distance_m <= ${slot<number>("reach")}`;
      const conditions: RawBuilder<unknown>[] = [];
      if (shape.radius) conditions.push(sql`x.distance_m <= ${slot<number>("radius")}`);
      if (shape.reach)
        conditions.push(part === "line" ? within : sql`not coalesce(x.boxed and ${within}, false)`);
      if (after) conditions.push(sql`${key} >= ${after[0]}::float8`);
      // Whether the shop's name holds each word, once a shop: a shop whose name matches sells
      // matches only, and the walk need not test its name again for every offer.
      const shopMatches = patterns.map(
        (like, i) => sql`, x.search_key like ${like} as ${sql.ref(`shop_w${i}`)}`,
      );
      return sql<ShopStep>`(select x.id, ${key} as sort_key, x.distance_m${sql.join(shopMatches, sql``)}
        from (${shops}) as x${conditions.length ? sql` where ${sql.join(conditions, sql` and `)}` : sql``}
        order by ${key}, x.id)`;
    };
    // The shops in walking order: `line`'s, then `far`'s (each CTE is read in the order it was
    // written, sorted).
    const shops = sql<ShopStep>`(select * from line${shape.far ? sql` union all select * from far` : sql``})`;
    // That shop's matches in stock, at most a page and one, in id order.
    const matches = db
      .selectFrom((m) =>
        m
          .selectFrom("offers")
          .select("offers.id")
          .where("offers.store_id", "=", sql.ref<number>("s.id"))
          .where((w) => {
            const c: Expression<SqlBool>[] = patterns.map((like, i) =>
              w.or([sql<boolean>`${sql.ref(`s.shop_w${i}`)}`, w("offers.search_key", "like", like)]),
            );
            if (!ownView) c.push(offerTimely(w));
            if (after)
              c.push(
                sql<boolean>`(s.sort_key, s.id, offers.id) > (${after[0]}::float8, ${after[1]}::bigint, ${after[2]}::bigint)`,
              );
            return w.and(c);
          })
          .as("o"),
      )
      .innerJoinLateral(
        (st) =>
          st
            .selectFrom("offers")
            .select(OFFER_COLUMNS)
            .whereRef("offers.id", "=", "o.id")
            .where((w) => w.and(ownView ? [] : [inStock(w as unknown as ExpressionBuilder<DB, "offers">)]))
            .as("stock"),
        (join) => join.onTrue(),
      )
      // The row read for the stock is the page's row: no second look-up by id.
      .selectAll("stock")
      .orderBy("o.id")
      .limit(sql.lit(limit + 1) as never);
    const lines = db.with(
      (cte) => cte("line").materialized(),
      () => lineOf("line"),
    );
    return (shape.far
      ? lines.with(
          (cte) => cte("far").materialized(),
          () => lineOf("far"),
        )
      : (lines as unknown as QueryCreator<DB & { line: ShopStep; far: ShopStep }>)
    ).with("k", (q) =>
      q
        .selectFrom(shops.as("s"))
        .innerJoinLateral(matches.as("o"), (join) => join.onTrue())
        .selectAll("o")
        .select(["s.sort_key", "s.distance_m"])
        // No ORDER BY: the stream is already in page order, and a sort would read all of it.
        .limit(sql.lit(limit + 1) as never),
    ) as unknown as QueryCreator<DB & { k: PageKey & OfferFields }>;
  }

  private async owns(userId: number, storeId: number): Promise<boolean> {
    const row = await kysely(this.db)
      .selectFrom("stores")
      .select("id")
      .where("id", "=", storeId)
      .where("owner_id", "=", userId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
