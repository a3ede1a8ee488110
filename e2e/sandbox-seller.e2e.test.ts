/**
 * The README's "sell from the sandbox" walkthrough in Chromium, with no BOT_TOKEN: a new sandbox
 * user opens a shop in the Mini App, posts an offer with a photo, gets an order in their chat,
 * marks it 🔔 ready and hands it over there, and sees the day on the stats chart.
 */
import type { Offer, Order } from "@lastbite/shared";
import type { Browser, BrowserContext } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiWithInitData,
  browserAvailable,
  launchBrowser,
  type RunningServer,
  screenshotPath,
  startSandboxServer,
} from "./support.ts";

const enabled = browserAvailable();
const AZIZA = 700000001;
const LONG = { timeout: 45_000 };

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;

describe.skipIf(!enabled)("selling from the sandbox as a new user (no BOT_TOKEN)", () => {
  beforeAll(async () => {
    server = await startSandboxServer();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  });
  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it("opens a shop, posts an offer with a photo, gets an order, 🔔 ready, hands over, sees the figures", async () => {
    const sandbox = await context.newPage();
    await sandbox.goto(`${server.url}/sandbox`);
    await sandbox.locator("#dot.on").waitFor(LONG);
    await sandbox.getByTestId("new-user-name").fill("Dilshod");
    await sandbox.getByTestId("new-user-add").click();
    const state = async () =>
      (await (await fetch(`${server.url}/sandbox/api/state`)).json()) as {
        users: { id: number; first_name: string }[];
      };
    await expect
      .poll(async () => (await state()).users.some((u) => u.first_name === "Dilshod"), LONG)
      .toBe(true);
    const me = (await state()).users.find((u) => u.first_name === "Dilshod") as { id: number };
    const chat = sandbox.locator(`#chat-${me.id}`);
    await chat.waitFor();

    // The Mini App, as Dilshod: "My shop" opens a shop.
    const [app] = await Promise.all([
      context.waitForEvent("page", LONG),
      chat.getByRole("button", { name: "Open Mini App" }).click(),
    ]);
    await app.waitForURL(/#tgWebAppData=/, LONG);
    await app.getByTestId("tab-seller").click();
    await app.getByTestId("shop-name").fill("Dilshod Somsa");
    await app.getByTestId("shop-address").fill("Tashkent, Chorsu bozori 3");
    await app.getByTestId("shop-phone").fill("+998 93 111 22 33");
    await app.getByTestId("shop-category").selectOption("bakery");
    await app.getByTestId("shop-submit").click();
    await app.getByTestId("shop-section").waitFor(LONG);

    await app.getByTestId("shop-section").getByText("Offers").click();
    await app.getByTestId("offer-new").click();
    await app.getByTestId("offer-title").fill("Tandir somsa");
    await app.getByTestId("offer-price").fill("5000");
    await app.getByTestId("offer-original_price").fill("9000");
    await app.getByTestId("offer-quantity").fill("20");
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: "#c0803a" } })
      .jpeg()
      .toBuffer();
    await app
      .getByTestId("offer-photo")
      .setInputFiles({ name: "somsa.jpg", mimeType: "image/jpeg", buffer: photo });
    await app.getByTestId("offer-submit").click();
    const own = app.locator('[data-testid^="own-offer-"][data-state="onSale"]');
    await own.waitFor(LONG);
    const offerId = Number((await own.getAttribute("data-testid"))?.replace("own-offer-", ""));

    // Aziza orders it (through the API with her own signed launch data).
    const launch = (await (await fetch(`${server.url}/sandbox/api/launch/${AZIZA}`)).json()) as {
      url: string;
    };
    const azizaData =
      new URLSearchParams(new URL(launch.url, server.url).hash.slice(1)).get("tgWebAppData") ?? "";
    const offer = await apiWithInitData<Offer>(server.url, azizaData, "GET", `/api/offers/${offerId}`);
    expect(offer.body.photo_url).toMatch(/^\/photos\//);
    const placed = await apiWithInitData<Order>(server.url, azizaData, "POST", "/api/orders", {
      items: [{ offer_id: offerId, quantity: 3 }],
      delivery_type: "pickup",
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const id = placed.body.id;

    // Dilshod's chat: the card; ✅ accept, 🔔 ready, ✅ handed over, all on the same message.
    const press = async (action: string) => {
      const b = chat.locator(`.kb button[title="callback: o:${action}:${id}"]`);
      await b.waitFor(LONG);
      await b.click();
    };
    await press("accept");
    await press("ready");
    await expect
      .poll(
        async () =>
          (await apiWithInitData<Order>(server.url, azizaData, "GET", `/api/orders/${id}`)).body.status,
        LONG,
      )
      .toBe("ready");
    await sandbox
      .locator(`#chat-${AZIZA}`)
      .locator(".msg", { hasText: "olib ketishga tayyor" })
      .first()
      .waitFor(LONG);
    await press("complete");
    await expect
      .poll(
        async () =>
          (await apiWithInitData<Order>(server.url, azizaData, "GET", `/api/orders/${id}`)).body.status,
        LONG,
      )
      .toBe("completed");
    await sandbox.screenshot({ path: screenshotPath("sandbox-seller-chat") });

    // The day's figures on the chart.
    await app.getByTestId("shop-section").getByText("Stats").click();
    await expect
      .poll(() => app.getByTestId("stat-revenue").textContent(), LONG)
      .toMatch(/15[\s,.\u00a0\u202f]?000/);
    await app.getByTestId("chart-revenue").locator("canvas").waitFor(LONG);
    await app.screenshot({ path: screenshotPath("sandbox-seller-stats"), fullPage: true });
  });
});
