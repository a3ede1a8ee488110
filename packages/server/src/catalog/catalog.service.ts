import {
  type CreateOfferBody,
  type CreateStoreBody,
  isValidQuantity,
  type Offer,
  type PatchOfferBody,
  type PatchStoreBody,
  QUANTITY_RULE,
  type Store,
} from "@lastbite/shared";
import { type InferResult, type Selectable, sql } from "kysely";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database, Sql } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { DB } from "../db/schema.ts";

const iso = (d: Date | string | null): string | null => (d == null ? null : new Date(d).toISOString());

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
      "s.lat",
      "s.lng",
      "s.category",
    ]);

/** A store as selected by `selectStores`: the API shape, with the rating still as sum and count. */
type StoreRow = InferResult<ReturnType<typeof selectStores>>[number];

export function toStore(r: StoreRow): Store {
  return {
    id: r.id,
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
    timezone: r.timezone,
    created_at: iso(r.created_at) as string,
    lat: r.lat,
    lng: r.lng,
    category: r.category,
  };
}

export type OfferRow = Selectable<DB["offers"]>;

export function toOffer(r: OfferRow): Offer {
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

/** Shops and their offers: anyone signed in reads, only the owner writes. */
export class CatalogService {
  constructor(private readonly db: Database) {}

  async listStores(): Promise<Store[]> {
    const rows = await selectStores(this.db).orderBy("s.id").execute();
    return rows.map(toStore);
  }

  async storesOwnedBy(userId: number, sql: Sql = this.db): Promise<Store[]> {
    const rows = await selectStores(sql).where("s.owner_id", "=", userId).orderBy("s.id").execute();
    return rows.map(toStore);
  }

  async getStore(id: number, sql: Sql = this.db): Promise<Result<Store>> {
    const row = await selectStores(sql).where("s.id", "=", id).executeTakeFirst();
    return row ? ok(toStore(row)) : fail("not_found", `store ${id} does not exist`);
  }

  async createStore(ownerId: number, b: CreateStoreBody): Promise<Store> {
    const row = await kysely(this.db)
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
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const store = await this.getStore(row.id);
    if (!store.ok) throw new Error("store vanished after insert");
    return store.value;
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

/** The keys present in a validated patch, as column assignments (column names come from our list, never the client). */
function patchOf<T extends object, K extends keyof T>(patch: T, allowed: readonly K[]): Partial<Pick<T, K>> {
  const sets: Partial<Pick<T, K>> = {};
  for (const key of allowed) if (patch[key] !== undefined) sets[key] = patch[key];
  return sets;
}
