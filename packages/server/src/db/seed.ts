import { sql } from "kysely";
import type { Database } from "./database.ts";
import { kysely } from "./kysely.ts";

/** Demo people: the sandbox lets you act as each of them. Ids are far below real Telegram ids' range of collisions we care about. */
export const DEMO_USERS = [
  {
    id: 700000001,
    first_name: "Aziza",
    last_name: "Karimova",
    username: "aziza_k",
    language_code: "uz",
    role: "buyer",
  },
  {
    id: 700000002,
    first_name: "Rustam",
    last_name: "Aliyev",
    username: "rustam_non",
    language_code: "ru",
    role: "owner",
  },
  {
    id: 700000003,
    first_name: "Dilnoza",
    last_name: "Yusupova",
    username: null,
    language_code: "en",
    role: "owner",
  },
  {
    id: 700000004,
    first_name: "John",
    last_name: "Smith",
    username: "johnsmith",
    language_code: "en",
    role: "buyer",
  },
] as const;

const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** Shops in Tashkent with offers priced in so'm. */
const SHOPS = [
  {
    owner: 700000002,
    name: "Non Bakery",
    address: "Tashkent, Amir Temur ko'chasi 15",
    phone: "+998901234567",
    description: "Fresh bread and pastries from our tandir, baked this morning.",
    delivery_enabled: true,
    delivery_fee: 15000,
    min_order_amount: 20000,
    offers: [
      { title: "Tandir non (3 pcs)", price: 9000, original_price: 15000, quantity: 12, unit: "piece" },
      { title: "Samsa with beef", price: 6000, original_price: 10000, quantity: 20, unit: "piece" },
      { title: "Croissant box (6)", price: 25000, original_price: 48000, quantity: 5, unit: "piece" },
      { title: "Honey cake slice", price: 12000, original_price: 22000, quantity: 8, unit: "piece" },
    ],
  },
  {
    owner: 700000003,
    name: "Chorsu Fresh Market",
    address: "Tashkent, Chorsu bozori, 2-qator",
    phone: "+998712345678",
    description: "Fruit and vegetables that are perfectly good, just not perfectly shaped.",
    delivery_enabled: false,
    delivery_fee: 0,
    min_order_amount: 0,
    offers: [
      { title: "Tomatoes", price: 8000, original_price: 14000, quantity: 25.5, unit: "kg" },
      { title: "Apples (Golden)", price: 10000, original_price: 18000, quantity: 15, unit: "kg" },
      { title: "Ayran", price: 5000, original_price: 9000, quantity: 10, unit: "l" },
    ],
  },
  {
    owner: 700000003,
    name: "Plov Center Kafe",
    address: "Tashkent, Yunusobod, Amir Temur 107",
    phone: "+998935556677",
    description: "Evening plov portions left after lunch service.",
    delivery_enabled: true,
    delivery_fee: 10000,
    min_order_amount: 30000,
    offers: [
      { title: "Plov portion", price: 22000, original_price: 38000, quantity: 15, unit: "piece" },
      { title: "Manti (5 pcs)", price: 18000, original_price: 30000, quantity: 10, unit: "piece" },
    ],
  },
] as const;

/** Fills an empty database with demo users, shops and offers. Does nothing when any shop exists. */
export async function seedIfEmpty(db: Database): Promise<boolean> {
  return db.transaction(async (tx) => {
    const k = kysely(tx);
    await k.selectNoFrom((eb) => eb.fn("pg_advisory_xact_lock", [eb.lit(7452020)]).as("locked")).execute();
    const row = await k
      .selectFrom("stores")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirst();
    if ((row?.n ?? 0) > 0) return false;
    for (const u of DEMO_USERS)
      await k
        .insertInto("users")
        .values({
          id: u.id,
          first_name: u.first_name,
          last_name: u.last_name,
          username: u.username,
          language: u.language_code,
        })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
    for (const s of SHOPS) {
      const store = await k
        .insertInto("stores")
        .values({
          owner_id: s.owner,
          name: s.name,
          address: s.address,
          phone: s.phone,
          description: s.description,
          delivery_enabled: s.delivery_enabled,
          delivery_fee: s.delivery_fee,
          min_order_amount: s.min_order_amount,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      for (const o of s.offers)
        await k
          .insertInto("offers")
          .values({
            store_id: store.id,
            title: o.title,
            price: o.price,
            original_price: o.original_price,
            quantity: o.quantity,
            unit: o.unit,
            pickup_from: hours(1),
            pickup_until: hours(5),
            expires_at: hours(24),
          })
          .execute();
    }
    return true;
  });
}

/** `now()` plus whole hours, on the database's clock. */
const inHours = (h: number) => sql<Date>`now() + make_interval(hours => ${h})`;

/**
 * Sandbox only: demo offers whose pickup window or expiry has passed (a `./data` from another day)
 * get today's window again, so the demo never opens on an empty or expired catalogue.
 */
export async function refreshDemoOffers(db: Database): Promise<number> {
  const rows = await kysely(db)
    .updateTable("offers")
    .set({
      pickup_from: inHours(1),
      pickup_until: inHours(5),
      expires_at: inHours(24),
      updated_at: sql<Date>`now()`,
    })
    .where("store_id", "in", (eb) =>
      eb
        .selectFrom("stores")
        .select("id")
        .where("owner_id", "=", eb.fn.any(eb.val(DEMO_USERS.map((u) => u.id)))),
    )
    .where((eb) => eb.or([eb("expires_at", "<=", inHours(1)), eb("pickup_until", "<=", inHours(1))]))
    .returning("id")
    .execute();
  return rows.length;
}
