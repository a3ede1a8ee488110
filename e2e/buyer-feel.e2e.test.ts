/**
 * The Mini App as a buyer feels it (issue 16): legible forms, an honest connection state, a cart per
 * Telegram user, one event stream per browser, numbers and units per language, weighed goods,
 * phone and address input. Real server, real Chromium.
 * Run: `npm run build && npx vitest run --config e2e/vitest.config.ts e2e/buyer-feel.e2e.test.ts`.
 */
import type { Order, Store } from "@lastbite/shared";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  browserAvailable,
  DARK_THEME,
  LIGHT_THEME,
  launchBrowser,
  launchUrl,
  newUser,
  type RunningServer,
  screenshotPath,
  startServer,
} from "./support.ts";

const enabled = browserAvailable();
const seller = newUser({ first_name: "Aziza", username: "aziza_bakery" });
let server: RunningServer;
let browser: Browser;
let store: Store;
const offers = { bread: 0, apples: 0 };
const contexts: BrowserContext[] = [];
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  contexts.push(context);
  return context;
}

async function open(
  user: ReturnType<typeof newUser>,
  opts: { theme?: Record<string, string>; startParam?: string; context?: BrowserContext } = {},
): Promise<Page> {
  const context = opts.context ?? (await newContext());
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(launchUrl(server.url, user, opts));
  return page;
}

/** WCAG contrast ratio of the element's computed text colour on its computed background. */
async function contrastOf(page: Page, testId: string): Promise<number> {
  return page.getByTestId(testId).evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const lum = (c: number[]) => {
      const [r, g, b] = c.map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
    };
    // The first opaque background from the element up.
    let bg = "rgb(255, 255, 255)";
    for (let n: Element | null = el; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c && c !== "transparent" && !/rgba\(.*,\s*0\)$/.test(c)) {
        bg = c;
        break;
      }
    }
    const a = lum(rgb(getComputedStyle(el).color));
    const b = lum(rgb(bg));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

async function toCheckout(page: Page, offerId: number): Promise<void> {
  await page.getByTestId(`offer-${offerId}`).click();
  await page.getByTestId("add-to-cart").click();
  await expect.poll(() => page.getByTestId("add-to-cart").textContent()).toMatch(/cart|savat|корзин/i);
  await page.getByTestId("add-to-cart").click();
  await page.getByTestId("checkout").waitFor();
}

describe.skipIf(!enabled)("The Mini App as a buyer feels it", () => {
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const s = await apiAs<Store>(server.url, seller, "POST", "/api/stores", {
      name: "Aziza's Bakery",
      address: "Tashkent, Yunusobod 4, 17",
      phone: "+998901112244",
      delivery_enabled: true,
      delivery_fee: 10000,
      min_order_amount: 0,
    });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    store = s.body;
    const make = async (body: Record<string, unknown>) => {
      const r = await apiAs<{ id: number }>(server.url, seller, "POST", `/api/stores/${store.id}/offers`, {
        pickup_from: hours(0.5),
        pickup_until: hours(4),
        ...body,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id;
    };
    offers.bread = await make({ title: "Croissants", price: 6000, original_price: 12000, quantity: 40 });
    offers.apples = await make({
      title: "Apples",
      price: 10000,
      original_price: 16000,
      quantity: 25.5,
      unit: "kg",
    });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it("1. typed text in the checkout fields is legible (contrast ≥ 4.5:1) in light and dark themes", async () => {
    for (const [name, theme] of [
      ["light", LIGHT_THEME],
      ["dark", DARK_THEME],
    ] as const) {
      const page = await open(newUser(), { theme });
      await toCheckout(page, offers.bread);
      await page.getByTestId("delivery-type-delivery").click();
      await page.getByTestId("address").fill("Tashkent, Chilonzor 9, house 14");
      await page.getByTestId("phone").fill("90 123 45 67");
      await page.getByTestId("comment").fill("Ring twice");
      for (const id of ["address", "phone", "comment"]) {
        const ratio = await contrastOf(page, id);
        expect(ratio, `${id} in ${name}: ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(4.5);
      }
      // Typed text differs from the placeholder's colour.
      const [typed, placeholder] = await page
        .getByTestId("phone")
        .evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el, "::placeholder").color]);
      expect(typed).not.toBe(placeholder);
      await page.screenshot({ path: screenshotPath(`feel-checkout-typed-${name}`), fullPage: true });
    }
  });
});

void ({} as Order);
