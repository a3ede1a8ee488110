import {
  type CreateOfferBody,
  type CreateStoreBody,
  isValidQuantity,
  type Offer,
  type PatchOfferBody,
  type PatchStoreBody,
  QUANTITY_RULE,
  type Store,
  type Unit,
} from "@lastbite/shared";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database, Sql } from "../db/database.ts";
import { ON_SALE_SQL } from "./offer-rules.sql.ts";

const iso = (d: Date | string | null): string | null => (d == null ? null : new Date(d).toISOString());

const STORE_COLUMNS = `s.id, s.name, s.address, s.phone, s.description, s.owner_id, u.username as owner_username,
  s.delivery_enabled, s.delivery_fee, s.min_order_amount, s.rating_sum, s.ratings_count, s.created_at`;

/** A store as selected by STORE_COLUMNS: the API shape, with the rating still as sum and count. */
type StoreRow = Omit<Store, "rating" | "created_at"> & { rating_sum: number; created_at: Date };

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
    created_at: iso(r.created_at) as string,
  };
}

export interface OfferRow {
  id: number;
  store_id: number;
  title: string;
  description: string | null;
  price: number;
  original_price: number | null;
  quantity: number;
  unit: Unit;
  photo_url: string | null;
  pickup_from: Date | null;
  pickup_until: Date | null;
  expires_at: Date | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

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
    const rows = await this.db.query<StoreRow>(
      `select ${STORE_COLUMNS} from stores s join users u on u.id = s.owner_id order by s.id`,
    );
    return rows.map(toStore);
  }

  async storesOwnedBy(userId: number, sql: Sql = this.db): Promise<Store[]> {
    const rows = await sql.query<StoreRow>(
      `select ${STORE_COLUMNS} from stores s join users u on u.id = s.owner_id where s.owner_id = $1 order by s.id`,
      [userId],
    );
    return rows.map(toStore);
  }

  async getStore(id: number, sql: Sql = this.db): Promise<Result<Store>> {
    const [row] = await sql.query<StoreRow>(
      `select ${STORE_COLUMNS} from stores s join users u on u.id = s.owner_id where s.id = $1`,
      [id],
    );
    return row ? ok(toStore(row)) : fail("not_found", `store ${id} does not exist`);
  }

  async createStore(ownerId: number, b: CreateStoreBody): Promise<Store> {
    const [row] = await this.db.query<{ id: number }>(
      `insert into stores (owner_id, name, address, phone, description, delivery_enabled, delivery_fee, min_order_amount)
       values ($1,$2,$3,$4,$5,$6,$7,$8) returning id`,
      [
        ownerId,
        b.name,
        b.address,
        b.phone,
        b.description ?? null,
        b.delivery_enabled ?? false,
        b.delivery_fee ?? 0,
        b.min_order_amount ?? 0,
      ],
    );
    const store = await this.getStore((row as { id: number }).id);
    if (!store.ok) throw new Error("store vanished after insert");
    return store.value;
  }

  async updateStore(userId: number, id: number, b: PatchStoreBody): Promise<Result<Store>> {
    const owned = await this.ownedStore(userId, id);
    if (!owned.ok) return owned;
    const sets = patchAssignments(b, [
      "name",
      "address",
      "phone",
      "description",
      "delivery_enabled",
      "delivery_fee",
      "min_order_amount",
    ]);
    if (sets.columns.length > 0)
      await this.db.query(`update stores set ${sets.columns.join(", ")}, updated_at = now() where id = $1`, [
        id,
        ...sets.values,
      ]);
    return this.getStore(id);
  }

  /** The store, if `userId` owns it. Someone else's store answers 403, a missing one 404. */
  async ownedStore(userId: number, storeId: number): Promise<Result<Store>> {
    const store = await this.getStore(storeId);
    if (!store.ok) return store;
    if (store.value.owner_id !== userId) return fail("forbidden", "only the shop's owner may change it");
    return store;
  }

  /**
   * What can be ordered now (optionally of one shop). With `allOf` set to a user who owns the shop,
   * every offer of it, in any state: the owner's own view.
   */
  async listOffers(storeId?: number, allOf?: number): Promise<Offer[]> {
    if (storeId && allOf !== undefined) {
      const [own] = await this.db.query<{ id: number }>(
        "select id from stores where id = $1 and owner_id = $2",
        [storeId, allOf],
      );
      if (own)
        return (
          await this.db.query<OfferRow>("select * from offers where store_id = $1 order by id", [storeId])
        ).map(toOffer);
    }
    const rows = storeId
      ? await this.db.query<OfferRow>(
          `select * from offers where store_id = $1 and ${ON_SALE_SQL} order by id`,
          [storeId],
        )
      : await this.db.query<OfferRow>(`select * from offers where ${ON_SALE_SQL} order by id`);
    return rows.map(toOffer);
  }

  async getOffer(id: number): Promise<Result<Offer>> {
    const [row] = await this.db.query<OfferRow>("select * from offers where id = $1", [id]);
    return row ? ok(toOffer(row)) : fail("not_found", `offer ${id} does not exist`);
  }

  async createOffer(userId: number, storeId: number, b: CreateOfferBody): Promise<Result<Offer>> {
    const owned = await this.ownedStore(userId, storeId);
    if (!owned.ok) return owned;
    const [row] = await this.db.query<OfferRow>(
      `insert into offers (store_id, title, description, price, original_price, quantity, unit, photo_url,
         pickup_from, pickup_until, expires_at, active)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) returning *`,
      [
        storeId,
        b.title,
        b.description ?? null,
        b.price,
        b.original_price ?? null,
        b.quantity,
        b.unit ?? "piece",
        b.photo_url ?? null,
        b.pickup_from ?? null,
        b.pickup_until ?? null,
        b.expires_at ?? null,
        b.active ?? true,
      ],
    );
    return ok(toOffer(row as OfferRow));
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
    const sets = patchAssignments(b, [
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
    if (sets.columns.length === 0) return current;
    const [row] = await this.db.query<OfferRow>(
      `update offers set ${sets.columns.join(", ")}, updated_at = now() where id = $1 returning *`,
      [id, ...sets.values],
    );
    return ok(toOffer(row as OfferRow));
  }
}

/** `col = $n` assignments for the keys present in a validated patch (column names come from our list, never the client). */
function patchAssignments<T extends object>(
  patch: T,
  allowed: string[],
): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const key of allowed) {
    if (!(key in patch) || (patch as Record<string, unknown>)[key] === undefined) continue;
    values.push((patch as Record<string, unknown>)[key]);
    columns.push(`${key} = $${values.length + 1}`);
  }
  return { columns, values };
}
