/**
 * The seller's side in Chromium against the real server: a new user opens a shop, posts an offer
 * with a photo, a buyer (another browser context) sees it in the catalogue, the seller pauses it and
 * it disappears; the stats page draws its charts from real orders.
 */
import type { Offer, Order } from "@lastbite/shared";
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
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
const seller = newUser({ first_name: "Gulnora" });
const buyer = newUser({ first_name: "Jasur" });

const open = async (user: ReturnType<typeof newUser>): Promise<Page> =>
  openMiniApp(await phoneContext(browser, contexts), server.url, user);

const inHours = (h: number) => {
  const d = new Date(Date.now() + h * 3_600_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

describe.skipIf(!enabled)("the seller's side in Chromium", () => {
  let sellerPage: Page;
  let offerId: number;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it("a new user opens a shop from My shop: errors beside the fields, input kept", async () => {
    sellerPage = await open(seller);
    const p = sellerPage;
    await p.getByTestId("tab-seller").click();
    await p.getByTestId("shop-form").waitFor();
    await p.getByTestId("shop-address").fill("Tashkent, Yakkasaroy, Bobur 7");
    await p.getByTestId("shop-phone").fill("12");
    await p.getByTestId("shop-submit").click();
    await p.getByTestId("error-name").waitFor();
    await p.getByTestId("error-phone").waitFor();
    expect(await p.getByTestId("shop-address").inputValue()).toBe("Tashkent, Yakkasaroy, Bobur 7");

    await p.getByTestId("shop-name").fill("Gulnora's Bakery");
    await p.getByTestId("shop-phone").fill("+998 90 765 43 21");
    await p.getByTestId("shop-category").selectOption("bakery");
    await p.getByTestId("shop-lat").fill("41.2995");
    await p.getByTestId("shop-lng").fill("69.2401");
    await p.getByTestId("shop-delivery").check();
    await p.getByTestId("shop-fee").fill("10000");
    await p.screenshot({ path: screenshotPath("shop-form-light"), fullPage: true });
    await p.getByTestId("shop-submit").click();
    await p.getByTestId("shop-section").waitFor();
    const me = await apiAs<{ stores: { id: number; name: string; category: string; lat: number }[] }>(
      server.url,
      seller,
      "GET",
      "/api/me",
    );
    expect(me.body.stores).toMatchObject([{ name: "Gulnora's Bakery", category: "bakery", lat: 41.2995 }]);
  });

  it("posts an offer with a photo; a buyer sees it in the catalogue; paused, it disappears", async () => {
    const p = sellerPage;
    await p.getByTestId("shop-section").getByText("Offers").click();
    await p.getByTestId("offer-new").click();
    await p.getByTestId("offer-title").fill("Box of pastries");
    await p.getByTestId("offer-price").fill("15000");
    await p.getByTestId("offer-original_price").fill("40000");
    await p.getByTestId("offer-quantity").fill("6");
    await p.getByTestId("offer-pickup_from").fill(inHours(0.5));
    await p.getByTestId("offer-pickup_until").fill(inHours(4));
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: "#d9a441" } })
      .jpeg()
      .toBuffer();
    await p
      .getByTestId("offer-photo")
      .setInputFiles({ name: "pastries.jpg", mimeType: "image/jpeg", buffer: photo });
    await p.getByTestId("offer-photo-preview").waitFor();
    await p.screenshot({ path: screenshotPath("offer-form-light"), fullPage: true });
    await p.getByTestId("offer-submit").click();
    const card = p.locator('[data-testid^="own-offer-"][data-state="onSale"]');
    await card.waitFor();
    offerId = Number((await card.getAttribute("data-testid"))?.replace("own-offer-", ""));
    const offer = await apiAs<Offer>(server.url, buyer, "GET", `/api/offers/${offerId}`);
    expect(offer.body.photo_url).toMatch(/^\/photos\/\d+\/large\.webp$/);

    const bp = await open(buyer);
    const tile = bp.getByTestId(`offer-${offerId}`);
    await tile.waitFor();
    const img = tile.locator("img");
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(await img.getAttribute("src")).toMatch(/small\.webp$/);
    await bp.screenshot({ path: screenshotPath("catalogue-with-photo-light"), fullPage: true });

    await p.getByTestId(`own-offer-${offerId}`).getByTestId("offer-pause").click();
    await p.waitForSelector(`[data-testid="own-offer-${offerId}"][data-state="paused"]`);
    await bp.reload();
    await bp.locator(".offer-card, .state").first().waitFor();
    expect(await bp.getByTestId(`offer-${offerId}`).count()).toBe(0);

    await p.getByTestId(`own-offer-${offerId}`).getByTestId("offer-resume").click();
    await p.waitForSelector(`[data-testid="own-offer-${offerId}"][data-state="onSale"]`);
  });

  it("the stats page draws its charts from real orders", async () => {
    const placed = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offerId, quantity: 2 }],
      delivery_type: "pickup",
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    for (const a of ["accept", "ready", "complete"]) {
      const r = await apiAs(server.url, seller, "POST", `/api/seller/orders/${placed.body.id}/${a}`, {});
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const p = sellerPage;
    await p.getByTestId("shop-section").getByText("Stats").click();
    await p.getByTestId("stats").waitFor();
    await expect.poll(() => p.getByTestId("stat-revenue").textContent()).toMatch(/30[\s,.\u00a0\u202f]?000/);
    expect(await p.getByTestId("stat-completed").textContent()).toContain("1");
    await p.getByTestId("chart-orders").locator("canvas").waitFor();
    await p.getByTestId("chart-revenue").locator("canvas").waitFor();
    await p.screenshot({ path: screenshotPath("shop-stats-light"), fullPage: true });
  });
});
