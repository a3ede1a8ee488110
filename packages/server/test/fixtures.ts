import type { InitDataUser } from "../src/auth/init-data.ts";
import { newUser, type TestApp } from "./helpers.ts";

/** A shop with an owner and a few offers, made through the API as a user would. */
export async function makeShop(
  t: TestApp,
  opts: {
    delivery?: boolean;
    fee?: number;
    min?: number;
    offers?: { title: string; price: number; quantity: number; unit?: string }[];
  } = {},
) {
  const owner: InitDataUser = newUser({ username: `owner${Date.now() % 100000}` });
  const store = await t.as(owner).post("/api/stores", {
    name: "Test Bakery",
    address: "Tashkent, Navoi 1",
    phone: "+998901112233",
    delivery_enabled: opts.delivery ?? true,
    delivery_fee: opts.fee ?? 12000,
    min_order_amount: opts.min ?? 0,
  });
  if (store.status !== 201) throw new Error(`store: ${JSON.stringify(store.body)}`);
  const offers = [];
  for (const o of opts.offers ?? [
    { title: "Samsa", price: 6000, quantity: 100 },
    { title: "Tomatoes", price: 8000, quantity: 5.5, unit: "kg" },
  ]) {
    const res = await t.as(owner).post(`/api/stores/${store.body.id}/offers`, o);
    if (res.status !== 201) throw new Error(`offer: ${JSON.stringify(res.body)}`);
    offers.push(res.body);
  }
  return { owner, store: store.body, offers };
}

export async function stockOf(t: TestApp, offerId: number): Promise<number> {
  const [row] = await t.db.query<{ quantity: number }>("select quantity from offers where id = $1", [
    offerId,
  ]);
  return row?.quantity ?? Number.NaN;
}
