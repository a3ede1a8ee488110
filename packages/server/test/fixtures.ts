import type { Offer, Store } from "@lastbite/shared";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { api, newUser, type TestApp } from "./helpers.ts";

export interface OfferInput {
  title: string;
  price: number;
  quantity: number;
  unit?: string;
  original_price?: number;
  pickup_from?: string;
  pickup_until?: string;
}

const DEFAULT_OFFERS = [
  { title: "Samsa", price: 6000, quantity: 100 },
  { title: "Tomatoes", price: 8000, quantity: 5.5, unit: "kg" },
] as const satisfies readonly OfferInput[];

/** What makeShop made: the owner, the shop, and one Offer per offer asked for, in order. */
export interface Shop<O extends readonly OfferInput[] = typeof DEFAULT_OFFERS> {
  owner: InitDataUser;
  store: Store;
  offers: { -readonly [K in keyof O]: Offer };
}

/**
 * A shop with an owner and a few offers, made through the API as a user would. `offers` has one
 * Offer for each offer asked for, in order (two by default: Samsa by the piece, Tomatoes by the kg).
 */
export async function makeShop<const O extends readonly OfferInput[] = typeof DEFAULT_OFFERS>(
  t: TestApp,
  opts: {
    delivery?: boolean;
    fee?: number;
    min?: number;
    offers?: O;
  } = {},
): Promise<Shop<O>> {
  const owner: InitDataUser = newUser({ username: `owner${Date.now() % 100000}` });
  const store = await t.as(owner).post(
    "/api/stores",
    {
      name: "Test Bakery",
      address: "Tashkent, Navoi 1",
      phone: "+998901112233",
      delivery_enabled: opts.delivery ?? true,
      delivery_fee: opts.fee ?? 12000,
      min_order_amount: opts.min ?? 0,
    },
    api.store,
  );
  if (store.status !== 201) throw new Error(`store: ${JSON.stringify(store.json)}`);
  const offers: Offer[] = [];
  for (const o of opts.offers ?? DEFAULT_OFFERS) {
    const res = await t.as(owner).post(`/api/stores/${store.body.id}/offers`, o, api.offer);
    if (res.status !== 201) throw new Error(`offer: ${JSON.stringify(res.json)}`);
    offers.push(res.body);
  }
  return { owner, store: store.body, offers: offers as Shop<O>["offers"] };
}

/** With ADMIN_IDS set, new shops may wait for moderation: approve one, so its offers sell. */
export async function approveStore(t: Pick<TestApp, "db">, storeId: number): Promise<void> {
  const [col] = await t.db.query(
    "select 1 from information_schema.columns where table_name = 'stores' and column_name = 'status'",
  );
  if (col) await t.db.query("update stores set status = 'active' where id = $1", [storeId]);
}

/** The ids of `xs`, as a tuple as long as `xs`. */
export const idsOf = <T extends readonly { id: number }[]>(xs: T) =>
  xs.map((x) => x.id) as { -readonly [K in keyof T]: number };

export async function stockOf(t: TestApp, offerId: number): Promise<number> {
  const [row] = await t.db.query<{ quantity: number }>("select quantity from offers where id = $1", [
    offerId,
  ]);
  return row?.quantity ?? Number.NaN;
}
