import type { Database } from "./database.ts";

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
];

/** Fills an empty database with demo users, shops and offers. Does nothing when any shop exists. */
export async function seedIfEmpty(db: Database): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(7452020)");
    const [row] = await tx.query<{ n: number }>("select count(*)::int as n from stores");
    if ((row?.n ?? 0) > 0) return false;
    for (const u of DEMO_USERS)
      await tx.query(
        `insert into users (id, first_name, last_name, username, language) values ($1,$2,$3,$4,$5) on conflict (id) do nothing`,
        [u.id, u.first_name, u.last_name, u.username, u.language_code],
      );
    for (const s of SHOPS) {
      const [store] = await tx.query<{ id: number }>(
        `insert into stores (owner_id, name, address, phone, description, delivery_enabled, delivery_fee, min_order_amount)
         values ($1,$2,$3,$4,$5,$6,$7,$8) returning id`,
        [
          s.owner,
          s.name,
          s.address,
          s.phone,
          s.description,
          s.delivery_enabled,
          s.delivery_fee,
          s.min_order_amount,
        ],
      );
      for (const o of s.offers)
        await tx.query(
          `insert into offers (store_id, title, price, original_price, quantity, unit, pickup_from, pickup_until, expires_at)
           values ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
          [store?.id, o.title, o.price, o.original_price, o.quantity, o.unit, hours(1), hours(5), hours(24)],
        );
    }
    return true;
  });
}

/**
 * Sandbox only: demo offers whose pickup window or expiry has passed (a `./data` from another day)
 * get today's window again, so the demo never opens on an empty or expired catalogue.
 */
export async function refreshDemoOffers(db: Database): Promise<number> {
  const rows = await db.query(
    `update offers set pickup_from = now() + interval '1 hour', pickup_until = now() + interval '5 hours',
       expires_at = now() + interval '24 hours', updated_at = now()
     where store_id in (select id from stores where owner_id = any($1))
       and (expires_at <= now() + interval '1 hour' or pickup_until <= now() + interval '1 hour')
     returning id`,
    [DEMO_USERS.map((u) => u.id)],
  );
  return rows.length;
}
