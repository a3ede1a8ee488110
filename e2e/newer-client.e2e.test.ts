/**
 * Newer Telegram clients' features, used where the client has them and quietly left out where it
 * does not (issue 16): fullscreen safe-area insets (Mini Apps 8.0), the Secondary button for
 * "cancel order" (7.10), and "add to home screen" offered once after the first completed order
 * (8.0). The Telegram client is emulated the way a native one talks to the page: a
 * `TelegramWebviewProxy` receiving the page's events, and `Telegram.WebView.receiveEvent` answering.
 * Run: `npm run build && npx vitest run --config e2e/vitest.config.ts e2e/newer-client.e2e.test.ts`.
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
const seller = newUser({ first_name: "Rustam" });
let server: RunningServer;
let browser: Browser;
let offerId = 0;
const contexts: BrowserContext[] = [];
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

type Sent = [string, Record<string, unknown>][];

/**
 * A phone's Telegram client: records what the page posts (`window.__tg`) and answers like the
 * client would. Its DeviceStorage survives reloads of the context (sessionStorage stands in).
 */
async function telegramClient(client: { homeScreen?: string } = {}): Promise<BrowserContext> {
  const context = await phoneContext(browser, contexts);
  await context.addInitScript((homeScreen: string) => {
    const w = window as unknown as {
      __tg: [string, Record<string, unknown>][];
      __device: Record<string, string>;
      TelegramWebviewProxy: unknown;
      Telegram?: { WebView?: { receiveEvent?: (t: string, d: unknown) => void } };
    };
    w.__tg = [];
    w.__device = JSON.parse(sessionStorage.getItem("__device") ?? "{}");
    const answer = (t: string, data: unknown) =>
      setTimeout(() => w.Telegram?.WebView?.receiveEvent?.(t, data), 0);
    w.TelegramWebviewProxy = {
      postEvent: (type: string, raw: string) => {
        const d = JSON.parse(raw || "{}");
        w.__tg.push([type, d]);
        // fullscreen on an iPhone: status bar and home indicator, and Telegram's header over the content
        if (type === "web_app_request_safe_area")
          answer("safe_area_changed", { top: 47, bottom: 34, left: 0, right: 0 });
        if (type === "web_app_request_content_safe_area")
          answer("content_safe_area_changed", { top: 46, bottom: 0, left: 0, right: 0 });
        if (type === "web_app_check_home_screen") answer("home_screen_checked", { status: homeScreen });
        if (type === "web_app_device_storage_save_key") {
          w.__device[d.key] = d.value;
          sessionStorage.setItem("__device", JSON.stringify(w.__device));
          answer("device_storage_key_saved", { req_id: d.req_id });
        }
        // CloudStorage (6.9), which an 8.0 client offers: "" for a key never saved
        if (type === "web_app_invoke_custom_method" && d.method === "getStorageValues") {
          const result: Record<string, string> = {};
          for (const k of d.params.keys as string[]) result[k] = w.__device[`cloud:${k}`] ?? "";
          answer("custom_method_invoked", { req_id: d.req_id, result });
        }
        if (type === "web_app_invoke_custom_method" && d.method === "saveStorageValue") {
          w.__device[`cloud:${d.params.key}`] = d.params.value;
          sessionStorage.setItem("__device", JSON.stringify(w.__device));
          answer("custom_method_invoked", { req_id: d.req_id, result: true });
        }
        if (type === "web_app_device_storage_get_key")
          answer("device_storage_key_received", { req_id: d.req_id, value: w.__device[d.key] ?? null });
      },
    };
  }, client.homeScreen ?? "missed");
  return context;
}

async function open(
  context: BrowserContext,
  user: ReturnType<typeof newUser>,
  opts: { version: string; startParam?: string },
): Promise<Page> {
  return openMiniApp(context, server.url, user, { platform: "ios", ...opts });
}

const sent = (page: Page): Promise<Sent> => page.evaluate(() => (window as unknown as { __tg: Sent }).__tg);
const sentOf = async (page: Page, type: string) =>
  (await sent(page)).filter(([t]) => t === type).map(([, d]) => d);
const receive = (page: Page, type: string, data: unknown = {}) =>
  page.evaluate(
    ([t, d]) =>
      (
        window as unknown as { Telegram: { WebView: { receiveEvent: (t: string, d: unknown) => void } } }
      ).Telegram.WebView.receiveEvent(t as string, d),
    [type, data] as const,
  );

async function placeOrder(buyer: ReturnType<typeof newUser>): Promise<number> {
  const r = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
    items: [{ offer_id: offerId, quantity: 1 }],
    delivery_type: "pickup",
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

async function complete(id: number): Promise<void> {
  for (const step of ["accept", "complete"]) {
    const r = await apiAs(server.url, seller, "POST", `/api/seller/orders/${id}/${step}`, {});
    expect(r.status, `${step}: ${JSON.stringify(r.body)}`).toBe(200);
  }
}

describe.skipIf(!enabled)("Newer Telegram clients' features, with quiet fallbacks", () => {
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const s = await apiAs<Store>(server.url, seller, "POST", "/api/stores", {
      name: "Rustam's Bakery",
      address: "Tashkent, Chilonzor 9",
      phone: "+998901112255",
    });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    const o = await apiAs<{ id: number }>(server.url, seller, "POST", `/api/stores/${s.body.id}/offers`, {
      title: "Somsa",
      price: 5000,
      original_price: 9000,
      quantity: 200,
      pickup_from: hours(0.5),
      pickup_until: hours(4),
    });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    offerId = o.body.id;
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it("fullscreen (8.0): the header clears the status bar and Telegram's header, the dock the home indicator; older clients are not asked", async () => {
    const page = await open(await telegramClient(), newUser(), { version: "8.0" });
    await page.locator(".page").first().waitFor();
    await expect
      .poll(() =>
        page
          .locator(".page")
          .first()
          .evaluate((el) => getComputedStyle(el).paddingTop),
      )
      .toBe(`${12 + 47 + 46}px`);
    const title = await page.locator(".page h1, .page-header").first().boundingBox();
    expect(title?.y ?? 0).toBeGreaterThanOrEqual(47 + 46);
    expect(await page.locator(".dock").evaluate((el) => getComputedStyle(el).paddingBottom)).toBe("34px");
    await page.screenshot({ path: screenshotPath("newer-fullscreen-safe-area") });

    const old = await open(await telegramClient(), newUser(), { version: "7.0" });
    await old.locator(".page").first().waitFor();
    expect(await sentOf(old, "web_app_request_safe_area")).toEqual([]);
    expect(
      await old
        .locator(".page")
        .first()
        .evaluate((el) => getComputedStyle(el).paddingTop),
    ).toBe("12px");
  });

  it("cancel order (7.10): Telegram's Secondary button, confirmed on the page; older clients get the page's link", async () => {
    const buyer = newUser({ language_code: "en" });
    const id = await placeOrder(buyer);
    const page = await open(await telegramClient(), buyer, { version: "8.0", startParam: `order_${id}` });
    await page.getByTestId("order-page").waitFor();
    await expect
      .poll(async () => (await sentOf(page, "web_app_setup_secondary_button")).at(-1))
      .toMatchObject({ is_visible: true, is_active: true, text: "Cancel order" });
    expect(await page.getByTestId("cancel-order").count()).toBe(0);
    await receive(page, "secondary_button_pressed");
    await page.getByTestId("cancel-confirm").waitFor();
    // while the page asks to confirm, the bottom bar holds nothing that could cancel twice
    expect((await sentOf(page, "web_app_setup_secondary_button")).at(-1)).toMatchObject({
      is_visible: false,
    });
    await page.getByTestId("cancel-yes").click();
    await expect.poll(() => page.getByTestId("order-page").getAttribute("data-status")).toBe("cancelled");

    const other = await placeOrder(buyer);
    const old = await open(await telegramClient(), buyer, { version: "7.7", startParam: `order_${other}` });
    await old.getByTestId("cancel-order").waitFor();
    expect(await sentOf(old, "web_app_setup_secondary_button")).toEqual([]);
  });

  it("add to home screen (8.0): offered once, after the first completed order; not when it is there already", async () => {
    const buyer = newUser();
    const first = await placeOrder(buyer);
    const context = await telegramClient();
    const page = await open(context, buyer, { version: "8.0", startParam: `order_${first}` });
    await page.getByTestId("order-page").waitFor();
    await page.waitForTimeout(300);
    expect(await sentOf(page, "web_app_check_home_screen")).toEqual([]); // not completed yet
    await complete(first);
    await expect.poll(() => page.getByTestId("order-page").getAttribute("data-status")).toBe("completed");
    await expect.poll(async () => (await sentOf(page, "web_app_add_to_home_screen")).length).toBe(1);

    // the next completed order, in a fresh page load: not offered again
    const second = await placeOrder(buyer);
    await complete(second);
    const again = await open(context, buyer, { version: "8.0", startParam: `order_${second}` });
    await expect.poll(() => again.getByTestId("order-page").getAttribute("data-status")).toBe("completed");
    await again.waitForTimeout(500);
    expect(await sentOf(again, "web_app_add_to_home_screen")).toEqual([]);

    // already on the home screen: nothing offered; an older client is not even asked
    const added = newUser();
    const done = await placeOrder(added);
    await complete(done);
    const there = await open(await telegramClient({ homeScreen: "added" }), added, {
      version: "8.0",
      startParam: `order_${done}`,
    });
    await expect.poll(async () => (await sentOf(there, "web_app_check_home_screen")).length).toBe(1);
    await there.waitForTimeout(300);
    expect(await sentOf(there, "web_app_add_to_home_screen")).toEqual([]);
    const older = await open(await telegramClient(), added, { version: "7.10", startParam: `order_${done}` });
    await expect.poll(() => older.getByTestId("order-page").getAttribute("data-status")).toBe("completed");
    await older.waitForTimeout(300);
    expect(await sentOf(older, "web_app_check_home_screen")).toEqual([]);
  });
});
