/**
 * Discovery in Chromium: search across scripts, infinite scroll, near me (granted and refused),
 * following a shop, "My impact", order again and the offer deep link.
 */
import type { Order, Store } from "@lastbite/shared";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  browserAvailable,
  launchBrowser,
  newUser,
  openMiniApp,
  phoneContext,
  type RunningServer,
  screenshotPath,
  startServer,
} from "./support.ts";

const enabled = browserAvailable();
let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const bakerA = newUser({ first_name: "Aziz" });
const bakerB = newUser({ first_name: "Nodira" });
const grocer = newUser({ first_name: "Rustam" });
const ids: Record<string, number> = {};
let nonBakery: Store;

// Chorsu bazaar and Amir Temur square, about 4 km apart.
const CHORSU = { lat: 41.3262, lng: 69.2352 };
const TEMUR = { lat: 41.3111, lng: 69.2797 };

async function shop(owner: ReturnType<typeof newUser>, body: Record<string, unknown>): Promise<Store> {
  const r = await apiAs<Store>(server.url, owner, "POST", "/api/stores", {
    address: "Tashkent",
    phone: "+998901112233",
    ...body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}
async function offer(owner: ReturnType<typeof newUser>, storeId: number, body: Record<string, unknown>) {
  const r = await apiAs<{ id: number }>(server.url, owner, "POST", `/api/stores/${storeId}/offers`, {
    quantity: 10,
    ...body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  ids[String(body.title)] = r.body.id;
  return r.body.id;
}

async function open(
  user: ReturnType<typeof newUser>,
  opts: { startParam?: string; geolocation?: { latitude: number; longitude: number } } = {},
): Promise<Page> {
  const context = await phoneContext(
    browser,
    contexts,
    opts.geolocation ? { geolocation: opts.geolocation, permissions: ["geolocation"] } : {},
  );
  return openMiniApp(context, server.url, user, opts.startParam ? { startParam: opts.startParam } : {});
}

const cardTitles = (page: Page) => page.locator('[data-testid="offer-list"] .offer-title').allTextContents();

describe.skipIf(!enabled)("finding food in the Mini App", () => {
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    nonBakery = await shop(bakerA, { name: "Non Bakery", ...CHORSU, category: "bakery" });
    await offer(bakerA, nonBakery.id, { title: "Patir non", price: 4000, original_price: 8000 });
    await offer(bakerA, nonBakery.id, {
      title: "Croissant",
      price: 9000,
      original_price: 10000,
      quantity: 1,
    });
    const uyi = await shop(bakerB, { name: "Нон уйи", ...TEMUR, category: "bakery" });
    await offer(bakerB, uyi.id, { title: "Хлеб белый", price: 3000 });
    const market = await shop(grocer, { name: "Green Market", category: "grocery" });
    for (let i = 1; i <= 25; i++)
      await offer(grocer, market.id, { title: `Apple box ${i}`, price: 20000 + i });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it("searches across Latin and Cyrillic, and loads the rest of a long list as it scrolls", async () => {
    const page = await open(newUser());
    // (The demo shops of an empty database sell non too: the test's own shops are "bakery".)
    await page.getByTestId(`offer-${ids["Patir non"]}`).waitFor();
    await page.getByTestId("category-bakery").click();
    await page.getByTestId("search").fill("нон");
    await expect
      .poll(() => cardTitles(page).then((t) => t.sort()))
      .toEqual(["Croissant", "Patir non", "Хлеб белый"]);
    await page.getByTestId("search").fill("xleb");
    await expect.poll(() => cardTitles(page)).toEqual(["Хлеб белый"]);
    await page.screenshot({ path: screenshotPath("search-light") });
    await page.getByTestId("search").fill("");
    await page.getByTestId("category-grocery").click();
    await expect.poll(async () => (await cardTitles(page)).length).toBe(20);
    await page.getByTestId("load-more").scrollIntoViewIfNeeded();
    await expect.poll(async () => (await cardTitles(page)).length).toBe(25);
    await page.getByTestId("category-bakery").click();
    await page.getByTestId("sort-price").click();
    await expect.poll(() => cardTitles(page)).toEqual(["Хлеб белый", "Patir non", "Croissant"]);
  });

  it("near me: with the location granted, shows distances and sorts nearest first", async () => {
    const page = await open(newUser(), { geolocation: { latitude: TEMUR.lat, longitude: TEMUR.lng } });
    await page.getByTestId("near-me").click();
    await expect.poll(() => page.getByTestId("sort-distance").getAttribute("aria-pressed")).toBe("true");
    await expect.poll(async () => (await cardTitles(page))[0]).toBe("Хлеб белый");
    expect(await page.getByTestId(`distance-${ids["Хлеб белый"]}`).textContent()).toContain("10 m");
    expect(await page.getByTestId(`distance-${ids["Patir non"]}`).textContent()).toMatch(/4(\.\d)? km/);
    await page.screenshot({ path: screenshotPath("near-me-light") });
    // The shop page offers directions to it.
    await page.getByTestId(`offer-${ids["Patir non"]}`).click();
    await page.getByTestId("offer-detail").waitFor();
    await page.getByText("Non Bakery").first().click();
    expect(await page.getByTestId("directions").getAttribute("href")).toContain("41.326200%2C69.235200");
  });

  it("near me: with the location refused, says so and keeps the whole list", async () => {
    const page = await open(newUser());
    await page.getByTestId(`offer-${ids["Patir non"]}`).waitFor();
    await page.getByTestId("near-me").click();
    await expect.poll(() => page.getByTestId("toast").first().textContent()).toContain("No location");
    expect(await page.getByTestId("sort-distance").count()).toBe(0);
    expect((await cardTitles(page)).length).toBe(20);
  });

  it("follows a shop, lists it on 'Me', and turns the bot's alerts off", async () => {
    const buyer = newUser();
    const page = await open(buyer);
    await page.getByTestId(`offer-${ids["Patir non"]}`).waitFor();
    await page.getByTestId(`offer-${ids["Patir non"]}`).click();
    await page.getByTestId("offer-detail").waitFor();
    await page.getByText("Non Bakery").first().click();
    await page.getByTestId("follow").click();
    await expect.poll(() => page.getByTestId("follow").getAttribute("aria-pressed")).toBe("true");
    await page.goBack(); // to the offer
    await page.goBack(); // to the catalogue, with the tab bar
    await page.getByTestId("tab-profile").click();
    await page.getByTestId(`favourite-${nonBakery.id}`).waitFor();
    await page.getByTestId("alerts-toggle").uncheck();
    await expect
      .poll(
        async () =>
          (await apiAs<{ user: { offer_alerts: boolean } }>(server.url, buyer, "GET", "/api/me")).body.user
            .offer_alerts,
      )
      .toBe(false);
    const favs = await apiAs<{ stores: Store[] }>(server.url, buyer, "GET", "/api/me/favourites");
    expect(favs.body.stores.map((s) => s.id)).toEqual([nonBakery.id]);
  });

  it("shows what completed orders saved, and orders again what is still on sale", async () => {
    const buyer = newUser();
    const placed = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [
        { offer_id: ids["Patir non"], quantity: 2 },
        { offer_id: ids.Croissant, quantity: 1 },
      ],
      delivery_type: "pickup",
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    for (const a of ["accept", "complete"])
      expect(
        (await apiAs(server.url, bakerA, "POST", `/api/seller/orders/${placed.body.id}/${a}`, {})).status,
      ).toBe(200);

    const page = await open(buyer, { startParam: `order_${placed.body.id}` });
    await page.getByTestId("order-again").click();
    // The croissant sold out with this order: the cart gets the bread, and says so.
    await page.getByTestId(`cart-line-${ids["Patir non"]}`).waitFor();
    expect(await page.getByTestId(`cart-line-${ids.Croissant}`).count()).toBe(0);
    await expect
      .poll(() => page.getByTestId("toast").allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining("Croissant")]));

    await page.getByTestId("tab-profile").click();
    await expect.poll(() => page.getByTestId("impact-saved").textContent()).toContain("9");
    expect(await page.getByTestId("impact-meals").textContent()).toBe("1");
    expect(await page.getByTestId("impact-co2").textContent()).toContain("2.7");
    await page.getByTestId("impact-chart").waitFor();
    await page.screenshot({ path: screenshotPath("impact-light") });
  });

  it("opens an offer from a startapp=offer_<id> link", async () => {
    const page = await open(newUser(), { startParam: `offer_${ids["Хлеб белый"]}` });
    await page.getByTestId("offer-detail").waitFor();
    expect(await page.getByTestId("offer-detail").textContent()).toContain("Хлеб белый");
  });
});
