import {
  type CreateOfferBody,
  type CreateStoreBody,
  isValidQuantity,
  type Offer,
  type PatchOfferBody,
  type PatchStoreBody,
  QUANTITY_RULE,
  type RepostOfferBody,
  STOCK_RETURNING_STATUSES,
  type Store,
} from "@lastbite/shared";
import { type InferResult, type Selectable, sql } from "kysely";
import type { Config } from "../config.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database, Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { inTransaction } from "../db/result-transaction.ts";
import type { DB } from "../db/schema.ts";
import type { IsoTimestamps } from "../db/timestamps.ts";
import type { OrderChanges } from "../orders/order-events.ts";
import { enqueue } from "../outbox/outbox.writer.ts";
import { type PhotoSize, photoUrl, resizePhoto } from "./offer-photo.ts";

/**
 * A time as the API sends it. A string is one the database already wrote in that form (a query read
 * with `timestamps: "iso"`), passed on as it is.
 */
const iso = (d: Date | string | null): string | null =>
  d == null ? null : typeof d === "string" ? d : d.toISOString();

const now = () => sql<Date>`now()`;

/** Stores with their owner's username, as `toStore` reads them. */
export const selectStores = (db: Sql) =>
  kysely(db)
    .selectFrom("stores as s")
    .innerJoin("users as u", "u.id", "s.owner_id")
    .select([
      "s.id",
      "s.name",
      "s.address",
      "s.phone",
      "s.description",
      "s.owner_id",
      "u.username as owner_username",
      "s.delivery_enabled",
      "s.delivery_fee",
      "s.min_order_amount",
      "s.rating_sum",
      "s.ratings_count",
      "s.timezone",
      "s.created_at",
      "s.status",
      "s.lat",
      "s.lng",
      "s.category",
      "s.timezone",
    ]);

/** A store as selected by `selectStores`: the API shape, with the rating still as sum and count. */
type StoreRow = InferResult<ReturnType<typeof selectStores>>[number];

export function toStore(r: StoreRow): Store {
  return {
    id: r.id,
    status: r.status,
    lat: r.lat,
    lng: r.lng,
    category: r.category,
    timezone: r.timezone,
    name: r.name,
    address: r.address,
    phone: r.phone,
    description: r.description,
    owner_id: r.owner_id,
    owner_username: r.owner_username,
    delivery_enabled: r.delivery_enabled,
    delivery_fee: r.delivery_fee,
    min_order_amount: r.min_order_amount,
    rating: r.ratings_count > 0 ? Math.round((r.rating_sum / r.ratings_count) * 10) / 10 : null,
    ratings_count: r.ratings_count,
    created_at: iso(r.created_at) as string,
  };
}

export type OfferRow = Selectable<DB["offers"]>;

/** The columns an answer's offer is made of (`toOffer`): what a list selects, not `offers.*`. */
export const OFFER_COLUMNS = [
  "offers.id",
  "offers.store_id",
  "offers.title",
  "offers.description",
  "offers.price",
  "offers.original_price",
  "offers.quantity",
  "offers.unit",
  "offers.photo_url",
  "offers.pickup_from",
  "offers.pickup_until",
  "offers.expires_at",
  "offers.active",
  "offers.created_at",
  "offers.updated_at",
] as const;
type OfferColumn = (typeof OFFER_COLUMNS)[number] extends `offers.${infer C}` ? C : never;
export type OfferFields = Pick<OfferRow, OfferColumn>;

export function toOffer(r: OfferFields | IsoTimestamps<OfferFields>): Offer {
  return {
    id: r.id,
    store_id: r.store_id,
    title: r.title,
    description: r.description,
    price: r.price,
    original_price: r.original_price,
    quantity: r.quantity,
    unit: r.unit,
    photo_url: r.photo_url,
    pickup_from: iso(r.pickup_from),
    pickup_until: iso(r.pickup_until),
    expires_at: iso(r.expires_at),
    active: r.active,
    created_at: iso(r.created_at) as string,
    updated_at: iso(r.updated_at) as string,
  };
}

/**
 * What an admin may decide about a shop, and the status each decision moves it from and to: a new
 * shop is approved or rejected; an active one can be suspended (its offers leave the catalogue and
 * cannot be ordered; orders already placed go on) and reinstated.
 */
export const STORE_DECISIONS = {
  approve: { from: "pending", to: "active" },
  reject: { from: "pending", to: "rejected" },
  suspend: { from: "active", to: "suspended" },
  reinstate: { from: "suspended", to: "active" },
} as const;
export type StoreDecision = keyof typeof STORE_DECISIONS;

/** Shops and their offers: anyone signed in reads, only the owner writes; admins moderate new shops. */
export class CatalogService {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "adminIds">,
    private readonly changes: Pick<OrderChanges, "outboxWritten">,
  ) {}

  /** Shops buyers can see (active ones), plus the viewer's own in any state. */
  async listStores(viewerId?: number): Promise<Store[]> {
    const rows = await selectStores(this.db)
      .where((eb) =>
        viewerId === undefined
          ? eb("s.status", "=", "active")
          : eb.or([eb("s.status", "=", "active"), eb("s.owner_id", "=", viewerId)]),
      )
      .orderBy("s.id")
      .execute();
    return rows.map(toStore);
  }

  /** A shop with its owner's name, as the moderation card shows it. */
  shopForReview(storeId: number) {
    return loadShopForReview(this.db, storeId);
  }

  isAdmin(userId: number): boolean {
    return this.config.adminIds.includes(userId);
  }

  /** Shops in one status for an admin (admins only): by default those waiting for a decision. */
  async storesForAdmin(
    userId: number,
    status: "pending" | "active" | "rejected" | "suspended" = "pending",
  ): Promise<Result<Store[]>> {
    if (!this.isAdmin(userId)) return fail("forbidden", "only admins moderate shops");
    const rows = await selectStores(this.db).where("s.status", "=", status).orderBy("s.id").execute();
    return ok(rows.map(toStore));
  }

  /**
   * An admin decides about a shop (`STORE_DECISIONS`). The update is conditional on the shop still
   * being in the status the decision starts from, so two admins pressing at once make one decision:
   * the second finds nothing to change. The owner is told in the same transaction (an outbox row).
   */
  async decideStore(adminId: number, storeId: number, decision: StoreDecision): Promise<Result<Store>> {
    if (!this.isAdmin(adminId)) return fail("forbidden", "only admins moderate shops");
    const { from, to: status } = STORE_DECISIONS[decision];
    const r = await inTransaction(this.db, async (tx) => {
      const row = await kysely(tx)
        .updateTable("stores")
        .set({ status, updated_at: now() })
        .where("id", "=", storeId)
        .where("status", "=", from)
        .returning(["id", "owner_id", "updated_at"])
        .executeTakeFirst();
      if (!row) {
        const current = await this.getStore(storeId, tx);
        if (!current.ok) return current;
        return fail(
          "invalid_transition",
          current.value.status === status
            ? `the shop is already ${status}`
            : `the shop is ${current.value.status}; ${decision} applies to ${from} shops`,
        );
      }
      await enqueue(tx, [
        {
          kind: "store_decision",
          payload: { store_id: storeId, status, decision },
          // A shop can be suspended and reinstated more than once: one message per change.
          dedupeKey:
            decision === "approve" || decision === "reject"
              ? `s${storeId}:decision`
              : `s${storeId}:${decision}:${new Date(row.updated_at).getTime()}`,
          chatId: row.owner_id,
          orderId: null,
        },
        // Every admin's review card follows the decision (the presser's own is edited at once too).
        ...(from === "pending"
          ? this.config.adminIds.map((admin) => ({
              kind: "admin_store_decided" as const,
              payload: { store_id: storeId },
              dedupeKey: `s${storeId}:decided:${admin}`,
              chatId: admin,
              orderId: null,
            }))
          : []),
      ]);
      return this.getStore(storeId, tx);
    });
    if (r.ok) this.changes.outboxWritten();
    return r;
  }

  async storesOwnedBy(userId: number, sql: Sql = this.db): Promise<Store[]> {
    const rows = await selectStores(sql).where("s.owner_id", "=", userId).orderBy("s.id").execute();
    return rows.map(toStore);
  }

  async getStore(id: number, sql: Sql = this.db): Promise<Result<Store>> {
    const row = await selectStores(sql).where("s.id", "=", id).executeTakeFirst();
    return row ? ok(toStore(row)) : fail("not_found", `store ${id} does not exist`);
  }

  /**
   * Opens a shop. Without admins it is active at once; with admins it waits `pending` and each admin
   * gets a card with ✅/❌ (outbox rows written in the same transaction).
   */
  async createStore(ownerId: number, b: CreateStoreBody): Promise<Store> {
    const moderated = this.config.adminIds.length > 0;
    const store = await this.db.transaction(async (tx) => {
      const row = await kysely(tx)
        .insertInto("stores")
        .values({
          owner_id: ownerId,
          name: b.name,
          address: b.address,
          phone: b.phone,
          description: b.description ?? null,
          delivery_enabled: b.delivery_enabled ?? false,
          delivery_fee: b.delivery_fee ?? 0,
          min_order_amount: b.min_order_amount ?? 0,
          lat: b.lat ?? null,
          lng: b.lng ?? null,
          category: b.category ?? null,
          timezone: b.timezone ?? null,
          status: moderated ? "pending" : "active",
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await enqueue(
        tx,
        this.config.adminIds.map((admin) => ({
          kind: "admin_store_review" as const,
          payload: { store_id: row.id },
          dedupeKey: `s${row.id}:review:${admin}`,
          chatId: admin,
          orderId: null,
        })),
      );
      const created = await this.getStore(row.id, tx);
      if (!created.ok) throw new Error("store vanished after insert");
      return created.value;
    });
    if (moderated) this.changes.outboxWritten();
    return store;
  }

  async updateStore(userId: number, id: number, b: PatchStoreBody): Promise<Result<Store>> {
    const owned = await this.ownedStore(userId, id);
    if (!owned.ok) return owned;
    const sets = patchOf(b, [
      "name",
      "address",
      "phone",
      "description",
      "delivery_enabled",
      "delivery_fee",
      "min_order_amount",
      "lat",
      "lng",
      "category",
      "timezone",
    ]);
    if (Object.keys(sets).length > 0)
      await kysely(this.db)
        .updateTable("stores")
        .set({ ...sets, updated_at: now() })
        .where("id", "=", id)
        .execute();
    return this.getStore(id);
  }

  /** The store, if `userId` owns it. Someone else's store answers 403, a missing one 404. */
  async ownedStore(userId: number, storeId: number): Promise<Result<Store>> {
    const store = await this.getStore(storeId);
    if (!store.ok) return store;
    if (store.value.owner_id !== userId) return fail("forbidden", "only the shop's owner may change it");
    return store;
  }

  async getOffer(id: number): Promise<Result<Offer>> {
    const row = await kysely(this.db)
      .selectFrom("offers")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? ok(toOffer(row)) : fail("not_found", `offer ${id} does not exist`);
  }

  async createOffer(userId: number, storeId: number, b: CreateOfferBody): Promise<Result<Offer>> {
    const owned = await this.ownedStore(userId, storeId);
    if (!owned.ok) return owned;
    const row = await kysely(this.db)
      .insertInto("offers")
      .values({
        store_id: storeId,
        title: b.title,
        description: b.description ?? null,
        price: b.price,
        original_price: b.original_price ?? null,
        quantity: b.quantity,
        unit: b.unit ?? "piece",
        photo_url: b.photo_url ?? null,
        pickup_from: b.pickup_from ?? null,
        pickup_until: b.pickup_until ?? null,
        expires_at: b.expires_at ?? null,
        active: b.active ?? true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return ok(toOffer(row));
  }

  /** The offer, if `userId` owns its shop (403 otherwise, 404 when there is none). */
  async ownedOffer(userId: number, offerId: number): Promise<Result<Offer>> {
    const offer = await this.getOffer(offerId);
    if (!offer.ok) return offer;
    const owned = await this.ownedStore(userId, offer.value.store_id);
    return owned.ok ? offer : owned;
  }

  /**
   * "Post again": a copy of an (ended) offer, with its times moved to the next window that has not
   * closed yet (see `repostShiftDays`) and, unless given, the stock it was listed with last time
   * (what is left plus what was sold and not given back). The photo comes along.
   */
  async repostOffer(userId: number, id: number, b: RepostOfferBody): Promise<Result<Offer>> {
    const current = await this.ownedOffer(userId, id);
    if (!current.ok) return current;
    const o = current.value;
    const days = repostShiftDays(o, Date.now());
    const shift = (t: string | null) =>
      t === null ? null : new Date(Date.parse(t) + days * DAY_MS).toISOString();
    let quantity = b.quantity;
    if (quantity === undefined) {
      const sold = await kysely(this.db)
        .selectFrom("order_items as i")
        .innerJoin("orders as o", "o.id", "i.order_id")
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("i.quantity"), sql<number>`0`).as("sold"))
        .where("i.offer_id", "=", id)
        .where("o.status", "not in", STOCK_RETURNING_STATUSES)
        .executeTakeFirstOrThrow();
      quantity = Math.round((o.quantity + Number(sold.sold)) * 10) / 10;
    }
    if (!isValidQuantity(quantity, o.unit)) return fail("invalid_request", `quantity ${QUANTITY_RULE}`);
    const times = {
      pickup_from: b.pickup_from !== undefined ? b.pickup_from : shift(o.pickup_from),
      pickup_until: b.pickup_until !== undefined ? b.pickup_until : shift(o.pickup_until),
      expires_at: b.expires_at !== undefined ? b.expires_at : shift(o.expires_at),
    };
    if (
      times.pickup_from &&
      times.pickup_until &&
      Date.parse(times.pickup_from) >= Date.parse(times.pickup_until)
    )
      return fail("invalid_request", "pickup_until must be after pickup_from");
    const row = await kysely(this.db)
      .insertInto("offers")
      .values({
        store_id: o.store_id,
        title: o.title,
        description: o.description,
        price: o.price,
        original_price: o.original_price,
        quantity,
        unit: o.unit,
        photo_url: o.photo_url,
        ...times,
        active: true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return ok(toOffer(row));
  }

  /**
   * Stores a new photo of the offer (the owner's): resized copies in the database, so any
   * instance serves them, and `photo_url` pointing at the large one. A bad image stores nothing.
   */
  async setOfferPhoto(userId: number, id: number, image: Buffer): Promise<Result<Offer>> {
    const current = await this.ownedOffer(userId, id);
    if (!current.ok) return current;
    const resized = await resizePhoto(image);
    if (!resized.ok) return resized;
    const p = resized.value;
    const row = await this.db.transaction(async (tx) => {
      const k = kysely(tx);
      const photo = await k
        .insertInto("offer_photos")
        .values({ offer_id: id, width: p.width, height: p.height, small: p.small, large: p.large })
        .returning("id")
        .executeTakeFirstOrThrow();
      const updated = await k
        .updateTable("offers")
        .set({ photo_url: photoUrl(photo.id), updated_at: now() })
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
      // Earlier photos of this offer that no offer shows any more (a reposted copy may still).
      await k
        .deleteFrom("offer_photos as p")
        .where("p.offer_id", "=", id)
        .where("p.id", "<>", photo.id)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("offers as o")
                .select(sql.lit(1).as("one"))
                .whereRef("o.photo_url", "like", sql<string>`'/photos/' || p.id || '/%'`),
            ),
          ),
        )
        .execute();
      return updated;
    });
    return ok(toOffer(row));
  }

  /** One stored size of a photo, for `GET /photos/:id/:size.webp`. */
  async photo(photoId: number, size: PhotoSize): Promise<Result<Uint8Array>> {
    const row = await kysely(this.db)
      .selectFrom("offer_photos")
      .select(size === "small" ? "small as bytes" : "large as bytes")
      .where("id", "=", photoId)
      .executeTakeFirst();
    return row ? ok(row.bytes) : fail("not_found", `photo ${photoId} does not exist`);
  }

  async updateOffer(userId: number, id: number, b: PatchOfferBody): Promise<Result<Offer>> {
    const current = await this.getOffer(id);
    if (!current.ok) return current;
    const owned = await this.ownedStore(userId, current.value.store_id);
    if (!owned.ok) return owned;
    const merged = { ...current.value, ...b };
    if (merged.quantity !== 0 && !isValidQuantity(merged.quantity, merged.unit))
      return fail("invalid_request", `quantity ${QUANTITY_RULE}`);
    if (merged.original_price != null && merged.original_price < merged.price)
      return fail("invalid_request", "original_price must not be below the price");
    if (
      merged.pickup_from &&
      merged.pickup_until &&
      Date.parse(merged.pickup_from) >= Date.parse(merged.pickup_until)
    )
      return fail("invalid_request", "pickup_until must be after pickup_from");
    const sets = patchOf(b, [
      "title",
      "description",
      "price",
      "original_price",
      "quantity",
      "unit",
      "photo_url",
      "pickup_from",
      "pickup_until",
      "expires_at",
      "active",
    ]);
    if (Object.keys(sets).length === 0) return current;
    const row = await kysely(this.db)
      .updateTable("offers")
      .set({ ...sets, updated_at: now() })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return ok(toOffer(row));
  }
}

const DAY_MS = 86_400_000;

/**
 * How many whole days to move an ended offer's times so that they end in the future: a window that
 * closed yesterday evening is this evening's; one that closed an hour ago is tomorrow's. (Whole
 * 24-hour days keep the window's clock times in zones without daylight saving, as Uzbekistan's.)
 */
export function repostShiftDays(
  o: { pickup_from: string | null; pickup_until: string | null; expires_at: string | null },
  now: number,
): number {
  const ref = o.pickup_until ?? o.expires_at ?? o.pickup_from;
  if (!ref) return 0;
  return Math.max(0, Math.ceil((now - Date.parse(ref)) / DAY_MS));
}

/** The keys present in a validated patch, as column assignments (column names come from our list, never the client). */
function patchOf<T extends object, K extends keyof T>(patch: T, allowed: readonly K[]): Partial<Pick<T, K>> {
  const sets: Partial<Pick<T, K>> = {};
  for (const key of allowed) if (patch[key] !== undefined) sets[key] = patch[key];
  return sets;
}

/** A shop with its owner's name, as the moderation messages show it; null when there is none. */
export async function loadShopForReview(db: Sql, storeId: number) {
  return (
    (await kysely(db)
      .selectFrom("stores as s")
      .innerJoin("users as u", "u.id", "s.owner_id")
      .select([
        "s.id",
        "s.name",
        "s.address",
        "s.phone",
        "s.description",
        "s.category",
        "s.status",
        "u.first_name as owner_first_name",
        "u.username as owner_username",
      ])
      .where("s.id", "=", storeId)
      .executeTakeFirst()) ?? null
  );
}
