/**
 * The Mini App in Chromium against the real server (packages/server/src/main.ts, embedded DB).
 * Run: `npm run build && npx vitest run --config e2e/vitest.config.ts`.
 * Screenshots (light and dark) land in test-results/screenshots/.
 */
import type { Order, Store } from "@lastbite/shared";
import jsQR from "jsqr";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  browserAvailable,
  DARK_THEME,
  type LaunchOptions,
  LIGHT_THEME,
  launchBrowser,
  launchUrl,
  newUser,
  openMiniApp,
  phoneContext,
  type RunningServer,
  screenshotPath,
  startServer,
} from "./support.ts";

const enabled = browserAvailable();
const seller = newUser({ first_name: "Madina", username: "madina_shop" });
let server: RunningServer;
let browser: Browser;
let store: Store;
const offers: Record<"bread" | "salad" | "cake", number> = { bread: 0, salad: 0, cake: 0 };
const contexts: BrowserContext[] = [];

const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

const open = async (user: ReturnType<typeof newUser>, opts: LaunchOptions = {}): Promise<Page> =>
  openMiniApp(await phoneContext(browser, contexts), server.url, user, opts);

async function placeOrderViaApi(buyer: ReturnType<typeof newUser>, offerId: number): Promise<Order> {
  const r = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
    items: [{ offer_id: offerId, quantity: 1 }],
    delivery_type: "pickup",
  });
  expect(r.status).toBe(201);
  return r.body;
}

async function sellerDoes(orderId: number, action: string): Promise<Order> {
  const r = await apiAs<Order>(server.url, seller, "POST", `/api/seller/orders/${orderId}/${action}`, {});
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe.skipIf(!enabled)("Mini App in Chromium", () => {
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const s = await apiAs<Store>(server.url, seller, "POST", "/api/stores", {
      name: "Madina's Kitchen",
      address: "Tashkent, Mirobod, Nukus ko'chasi 12",
      phone: "+998901112233",
      delivery_enabled: true,
      delivery_fee: 12000,
      min_order_amount: 0,
    });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    store = s.body;
    const make = async (title: string, price: number, original: number, quantity: number) => {
      const r = await apiAs<{ id: number }>(server.url, seller, "POST", `/api/stores/${store.id}/offers`, {
        title,
        price,
        original_price: original,
        quantity,
        pickup_from: hours(0.5),
        pickup_until: hours(4),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id;
    };
    offers.bread = await make("Lepyoshka bundle", 8000, 14000, 50);
    offers.salad = await make("Achichuk salad", 12000, 20000, 50);
    offers.cake = await make("Napoleon cake", 30000, 55000, 50);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it("without launch parameters shows the open-from-Telegram screen", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByTestId("no-telegram").waitFor();
    await page.screenshot({ path: screenshotPath("no-telegram-light") });
  });

  it("orders for pickup and sees the order confirmed live, with the QR code", async () => {
    const buyer = newUser();
    const page = await open(buyer);
    await page.getByTestId(`offer-${offers.bread}`).waitFor();
    await page.screenshot({ path: screenshotPath("catalog-light") });

    await page.getByTestId(`offer-${offers.bread}`).click();
    await page.getByTestId("offer-detail").waitFor();
    await page.getByTestId("qty-plus").click();
    await page.screenshot({ path: screenshotPath("offer-light") });
    await page.getByTestId("add-to-cart").click();
    // Once added, the Main button leads to the cart.
    await expect.poll(() => page.getByTestId("add-to-cart").textContent()).toContain("Go to cart");
    await page.getByTestId("back").click();
    await expect.poll(() => page.getByTestId("cart-badge").textContent()).toBe("2"); // two bundles

    // The cart survives a reload.
    await page.reload();
    await page.getByTestId("tab-cart").click();
    await page.getByTestId("checkout").waitFor();
    expect(await page.getByTestId("items-total").textContent()).toContain("16");
    await page.screenshot({ path: screenshotPath("cart-light") });

    // Double tap: one order only (in-flight guard + one Idempotency-Key per checkout).
    await page.getByTestId("place-order").dblclick();
    await page.getByTestId("order-page").waitFor();
    await expect.poll(() => page.getByTestId("order-page").getAttribute("data-status")).toBe("pending");
    const mine = await apiAs<{ orders: Order[] }>(server.url, buyer, "GET", "/api/orders?filter=all");
    expect(mine.body.orders).toHaveLength(1);
    const order = mine.body.orders[0] as Order;
    await page.screenshot({ path: screenshotPath("tracking-pending-light") });

    // The seller accepts through the API; the page updates without a reload.
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    await sellerDoes(order.id, "accept");
    await page.waitForSelector('[data-testid="order-page"][data-status="confirmed"]', { timeout: 45_000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await page.getByTestId("toast").first().waitFor();
    await page.locator('[data-testid="qr"] svg').waitFor();
    const box = await page.getByTestId("qr").boundingBox();
    expect(box?.width ?? 0).toBeGreaterThanOrEqual(200);
    const code = (await page.getByTestId("booking-code").textContent())?.trim();
    expect(code).toMatch(/^[A-Z0-9]{6}$/);
    // The QR code on screen really scans to the booking code.
    const shot = PNG.sync.read(await page.getByTestId("qr").screenshot());
    expect(jsQR(new Uint8ClampedArray(shot.data), shot.width, shot.height)?.data).toBe(code);
    await page.screenshot({ path: screenshotPath("tracking-confirmed-light"), fullPage: true });

    // Orders list: active tab, newest first, status chip.
    await page.getByTestId("back").click();
    await page.getByTestId(`order-row-${order.id}`).waitFor();
    expect(
      await page.getByTestId(`order-row-${order.id}`).getByTestId("status-chip").getAttribute("data-status"),
    ).toBe("confirmed");
    await page.screenshot({ path: screenshotPath("orders-light") });
  }, 120_000);

  it("orders for delivery: validation errors first, then delivery cost and total", async () => {
    const buyer = newUser();
    const page = await open(buyer);
    await page.getByTestId(`offer-${offers.salad}`).click();
    await page.getByTestId("add-to-cart").click();
    await expect.poll(() => page.getByTestId("add-to-cart").textContent()).toContain("Go to cart");
    await page.getByTestId("add-to-cart").click();
    await page.getByTestId("delivery-type-delivery").click();
    await page.getByTestId("address").waitFor();
    expect(await page.getByTestId("delivery-cost").textContent()).toContain("12");
    expect(await page.getByTestId("total").textContent()).toContain("24");

    await page.getByTestId("place-order").click();
    await page.getByTestId("address-error").waitFor();
    await page.getByTestId("phone-error").waitFor();
    expect(await page.getByTestId("checkout-error").isVisible()).toBe(true);
    await page.screenshot({ path: screenshotPath("cart-delivery-errors-light"), fullPage: true });

    await page.getByTestId("address").fill("Tashkent, Chilonzor 9, house 14, apt 33");
    await page.getByTestId("phone").fill("12");
    expect(await page.getByTestId("address-error").count()).toBe(0);
    await page.getByTestId("place-order").click();
    await page.getByTestId("phone-error").waitFor();
    expect(await page.getByTestId("address-error").count()).toBe(0);

    await page.getByTestId("phone").fill("90 123 45 67");
    await page.getByTestId("place-order").click();
    await page.getByTestId("order-page").waitFor();
    expect(await page.getByTestId("delivery-address").textContent()).toContain("Chilonzor 9");
    expect(await page.getByTestId("order-delivery-cost").textContent()).toContain("12");
    expect(await page.getByTestId("order-total").textContent()).toContain("24");
    const list = await apiAs<{ orders: Order[] }>(server.url, buyer, "GET", "/api/orders?filter=all");
    expect(list.body.orders[0]?.customer_phone).toBe("+998901234567");
  });

  it("cancels a pending order", async () => {
    const buyer = newUser();
    const order = await placeOrderViaApi(buyer, offers.cake);
    const page = await open(buyer, { startParam: `order_${order.id}` });
    await page.getByTestId("order-page").waitFor();
    await page.getByTestId("cancel-order").click();
    await page.getByTestId("cancel-yes").click();
    await page.waitForSelector('[data-testid="order-page"][data-status="cancelled"]');
    expect(await page.getByTestId("cancel-order").count()).toBe(0);
    const r = await apiAs<Order>(server.url, buyer, "GET", `/api/orders/${order.id}`);
    expect(r.body.status).toBe("cancelled");
  });

  it("rates a completed order opened from the bot's deep link", async () => {
    const buyer = newUser();
    const order = await placeOrderViaApi(buyer, offers.bread);
    await sellerDoes(order.id, "accept");
    await sellerDoes(order.id, "complete");
    // As the bot's web_app "open order" button does: `?startapp=order_<id>` in the query.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    contexts.push(context);
    const page = await context.newPage();
    const hash = launchUrl(server.url, buyer).split("#")[1];
    await page.goto(`${server.url}/?startapp=order_${order.id}#${hash}`);
    await page.waitForSelector('[data-testid="order-page"][data-status="completed"]');
    await page.getByTestId("star-4").click();
    await page.getByTestId("rating-comment").fill("Fresh and warm, thank you!");
    await page.screenshot({ path: screenshotPath("rating-light"), fullPage: true });
    await page.getByTestId("rating-send").click();
    await page.getByTestId("rating-done").waitFor();
    const r = await apiAs<Order>(server.url, buyer, "GET", `/api/orders/${order.id}`);
    expect(r.body.rating?.stars).toBe(4);
  });

  it("seller view: live incoming order, accept, verify the code, hand over", async () => {
    const page = await open(seller);
    await page.getByTestId("tab-seller").click();
    await page.getByTestId("handover").waitFor();
    const buyer = newUser({ first_name: "Bobur" });
    const order = await placeOrderViaApi(buyer, offers.salad);
    const card = page.getByTestId(`seller-order-${order.id}`);
    await card.waitFor({ timeout: 45_000 });
    await page.screenshot({ path: screenshotPath("seller-light"), fullPage: true });
    await card.getByTestId("seller-action-accept").click();
    await page.waitForSelector(`[data-testid="seller-order-${order.id}"][data-status="confirmed"]`);
    const confirmed = await apiAs<Order>(server.url, buyer, "GET", `/api/orders/${order.id}`);
    await page.getByTestId("code-input").fill(confirmed.body.code ?? "");
    await page.getByTestId("code-check").click();
    const found = page.getByTestId("handover").getByTestId(`seller-order-${order.id}`);
    await found.waitFor();
    await found.getByTestId("seller-action-complete").click();
    await expect
      .poll(async () => (await apiAs<Order>(server.url, buyer, "GET", `/api/orders/${order.id}`)).body.status)
      .toBe("completed");

    // The bot's "open order" deep link works for the seller too.
    const other = await placeOrderViaApi(buyer, offers.salad);
    const deep = await open(seller, { startParam: `order_${other.id}`, theme: DARK_THEME });
    await deep.getByTestId(`seller-order-${other.id}`).waitFor();
    await deep.screenshot({ path: screenshotPath("seller-order-dark") });
  }, 120_000);

  it("inside Telegram: talks to the client through the bridge (Main button, theme, phone, QR scanner)", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    contexts.push(context);
    // A stand-in for the native client: records postEvent calls.
    await context.addInitScript(() => {
      const w = window as unknown as { __tg: [string, unknown][]; TelegramWebviewProxy: unknown };
      w.__tg = [];
      w.TelegramWebviewProxy = {
        postEvent: (type: string, data: string) => w.__tg.push([type, JSON.parse(data || "{}")]),
      };
    });
    const events = async (page: Page) =>
      page.evaluate(() => (window as unknown as { __tg: [string, Record<string, unknown>][] }).__tg);
    const receive = (page: Page, type: string, data: unknown) =>
      page.evaluate(
        ([t, d]) => {
          (
            window as unknown as { Telegram: { WebView: { receiveEvent: (t: string, d: unknown) => void } } }
          ).Telegram.WebView.receiveEvent(t as string, d);
        },
        [type, data] as const,
      );

    const buyer = newUser();
    const page = await context.newPage();
    await page.goto(launchUrl(server.url, buyer, { platform: "ios" }));
    await page.getByTestId(`offer-${offers.cake}`).click();
    await page.getByTestId("offer-detail").waitFor();
    await expect
      .poll(async () =>
        (await events(page)).some(([t, d]) => t === "web_app_setup_main_button" && d.is_visible),
      )
      .toBe(true);
    const types = (await events(page)).map(([t]) => t);
    for (const t of ["web_app_ready", "web_app_expand", "web_app_request_theme", "web_app_setup_back_button"])
      expect(types).toContain(t);
    expect(await page.getByTestId("add-to-cart").count()).toBe(0); // the native button, not an in-page one
    expect(await page.getByTestId("back").count()).toBe(0);

    await receive(page, "main_button_pressed", {});
    expect(types.length).toBeGreaterThan(0);
    await expect
      .poll(() => page.evaluate((id) => localStorage.getItem(`lastbite.cart.${id}`) ?? "", buyer.id))
      .toContain(String(offers.cake));
    expect((await events(page)).some(([t]) => t === "web_app_trigger_haptic_feedback")).toBe(true);

    await receive(page, "theme_changed", { theme_params: DARK_THEME });
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");

    await receive(page, "back_button_pressed", {});
    await page.getByTestId(`offer-${offers.cake}`).waitFor();

    // Checkout: "share my Telegram phone" asks the client for the phone.
    await page.getByTestId("tab-cart").click();
    await page.getByTestId("delivery-type-delivery").click();
    await page.getByTestId("share-phone").click();
    await expect
      .poll(async () => (await events(page)).some(([t]) => t === "web_app_request_phone"))
      .toBe(true);
    await receive(page, "phone_requested", { status: "cancelled" });

    // Seller: the QR scanner popup hands the scanned code to verify.
    const order = await placeOrderViaApi(buyer, offers.bread);
    const confirmed = await sellerDoes(order.id, "accept");
    const sp = await context.newPage();
    await sp.goto(launchUrl(server.url, seller, { platform: "android" }));
    await sp.getByTestId("tab-seller").click();
    await sp.getByTestId("scan-qr").click();
    await expect
      .poll(async () => (await events(sp)).some(([t]) => t === "web_app_open_scan_qr_popup"))
      .toBe(true);
    await receive(sp, "qr_text_received", { data: confirmed.code });
    await sp.getByTestId("handover").getByTestId(`seller-order-${order.id}`).waitFor();
    expect((await events(sp)).some(([t]) => t === "web_app_close_scan_qr_popup")).toBe(true);
  });

  it("takes dark-theme screenshots of the main pages", async () => {
    const buyer = newUser({ language_code: "ru" });
    const order = await placeOrderViaApi(buyer, offers.cake);
    await sellerDoes(order.id, "accept");
    const page = await open(buyer, { theme: DARK_THEME });
    await page.getByTestId(`offer-${offers.cake}`).waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.screenshot({ path: screenshotPath("catalog-dark") });
    await page.getByTestId(`offer-${offers.cake}`).click();
    await page.getByTestId("offer-detail").waitFor();
    await page.screenshot({ path: screenshotPath("offer-dark") });
    await page.getByTestId("add-to-cart").click();
    await page.getByTestId("toast").first().waitFor();
    await page.getByTestId("add-to-cart").click();
    await page.getByTestId("checkout").waitFor();
    await page.getByTestId("delivery-type-delivery").click();
    await page.screenshot({ path: screenshotPath("cart-dark"), fullPage: true });
    await page.getByTestId("tab-orders").click();
    await page.getByTestId(`order-row-${order.id}`).click();
    await page.locator('[data-testid="qr"] svg').waitFor();
    await page.screenshot({ path: screenshotPath("tracking-confirmed-dark"), fullPage: true });
    await page.getByTestId("back").click();
    await page.getByTestId("orders-list").waitFor();
    await page.screenshot({ path: screenshotPath("orders-dark") });
    void LIGHT_THEME;
  });
});
