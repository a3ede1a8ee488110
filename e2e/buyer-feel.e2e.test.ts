/**
 * The Mini App as a buyer feels it (issue 16): legible forms, an honest connection state, a cart per
 * Telegram user, one event stream per browser, numbers and units per language, weighed goods,
 * phone and address input. Real server, real Chromium.
 * Run: `npm run build && npx vitest run --config e2e/vitest.config.ts e2e/buyer-feel.e2e.test.ts`.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Order, Store } from "@lastbite/shared";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  apiWithInitData,
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
  startSandboxServer,
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

const newContext = () => phoneContext(browser, contexts);

async function open(
  user: ReturnType<typeof newUser>,
  opts: LaunchOptions & { context?: BrowserContext } = {},
): Promise<Page> {
  const { context, ...launch } = opts;
  return openMiniApp(context ?? (await newContext()), server.url, user, launch);
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

  it("3. each Telegram user on one device has their own cart", async () => {
    const context = await newContext(); // one browser profile: shared localStorage
    const john = newUser({ first_name: "John" });
    const aziza = newUser({ first_name: "Aziza" });
    const jp = await open(john, { context });
    await jp.getByTestId(`offer-${offers.bread}`).click();
    await jp.getByTestId("add-to-cart").click();
    await jp.getByTestId("back").click();
    await jp.getByTestId("cart-badge").waitFor();
    await jp.close();

    const ap = await open(aziza, { context });
    await ap.getByTestId(`offer-${offers.bread}`).waitFor();
    expect(await ap.getByTestId("cart-badge").count()).toBe(0);
    await ap.getByTestId("tab-cart").click();
    await ap.getByTestId("empty").waitFor();
    await ap.close();

    const jp2 = await open(john, { context });
    await jp2.getByTestId("cart-badge").waitFor();
    await jp2.getByTestId("tab-cart").click();
    await jp2.getByTestId("checkout").waitFor();
    expect(await jp2.getByTestId("checkout").textContent()).toContain("Croissants");
  });

  it("3. inside a Telegram client with DeviceStorage the cart is kept there too, and restored from it", async () => {
    const context = await newContext();
    await context.addInitScript(() => {
      const w = window as unknown as {
        __tg: [string, Record<string, unknown>][];
        __device: Record<string, string>;
        TelegramWebviewProxy: unknown;
        Telegram?: { WebView?: { receiveEvent?: (t: string, d: unknown) => void } };
      };
      w.__tg = [];
      // The client's DeviceStorage, kept across page loads of this test in sessionStorage.
      w.__device = JSON.parse(sessionStorage.getItem("__device") ?? "{}");
      w.TelegramWebviewProxy = {
        postEvent: (type: string, raw: string) => {
          const d = JSON.parse(raw || "{}");
          w.__tg.push([type, d]);
          const answer = (t: string, data: unknown) =>
            setTimeout(() => w.Telegram?.WebView?.receiveEvent?.(t, data), 0);
          if (type === "web_app_device_storage_save_key") {
            w.__device[d.key] = d.value;
            sessionStorage.setItem("__device", JSON.stringify(w.__device));
            answer("device_storage_key_saved", { req_id: d.req_id });
          }
          if (type === "web_app_device_storage_get_key")
            answer("device_storage_key_received", { req_id: d.req_id, value: w.__device[d.key] ?? null });
        },
      };
    });
    const buyer = newUser();
    const page = await context.newPage();
    await page.goto(launchUrl(server.url, buyer, { platform: "ios", version: "9.0" }));
    await page.getByTestId(`offer-${offers.bread}`).click();
    await page.getByTestId("offer-detail").waitFor();
    // A user presses the Main Button once Telegram shows it: the page shows the offer before it
    // knows its shop, and only then offers "Add to cart" (a press before that was lost, once in CI).
    await expect
      .poll(() =>
        page.evaluate(() => {
          const sent = (window as unknown as { __tg: [string, Record<string, unknown>][] }).__tg;
          const last = sent.filter(([t]) => t === "web_app_setup_main_button").at(-1)?.[1];
          return !!last?.is_visible && !!last?.is_active;
        }),
      )
      .toBe(true);
    await page.evaluate(() =>
      (
        window as unknown as { Telegram: { WebView: { receiveEvent: (t: string, d: unknown) => void } } }
      ).Telegram.WebView.receiveEvent("main_button_pressed", {}),
    );
    await expect
      .poll(() =>
        page.evaluate(() => (window as unknown as { __device: Record<string, string> }).__device.cart ?? ""),
      )
      .toContain(String(offers.bread));
    // The WebView's storage is cleared (as a client may do); DeviceStorage still has the cart.
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await expect
      .poll(() => page.evaluate((id) => localStorage.getItem(`lastbite.cart.${id}`) ?? "", buyer.id))
      .toContain(String(offers.bread));
  });

  it("4. seven open tabs share one event stream: every tab loads and every tab gets the live change", async () => {
    const context = await newContext();
    const buyer = newUser();
    const placed = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offers.bread, quantity: 1 }],
      delivery_type: "pickup",
    });
    expect(placed.status).toBe(201);
    const streams: string[] = [];
    context.on("request", (r) => {
      if (r.url().includes("/api/events")) streams.push(r.url());
    });
    const tabs: Page[] = [];
    for (let i = 0; i < 7; i++) {
      const tab = await open(buyer, { context, startParam: `order_${placed.body.id}` });
      // Each tab loads its order: with six streams held open, the seventh would wait forever.
      await tab.waitForSelector('[data-testid="order-page"][data-status="pending"]', { timeout: 15_000 });
      tabs.push(tab);
    }
    for (const tab of tabs)
      await expect.poll(() => tab.getByTestId("live-state").getAttribute("data-state")).toBe("live");
    expect(streams).toHaveLength(1);
    const r = await apiAs(server.url, seller, "POST", `/api/seller/orders/${placed.body.id}/accept`, {});
    expect(r.status).toBe(200);
    for (const tab of tabs)
      await tab.waitForSelector('[data-testid="order-page"][data-status="confirmed"]', { timeout: 10_000 });

    // The leading tab closes: another takes over the stream, resuming where it left off.
    await tabs[0]?.close();
    await expect.poll(() => streams.length, { timeout: 10_000 }).toBe(2);
    expect(streams[1]).toContain("last_event_id=");
    await apiAs(server.url, seller, "POST", `/api/seller/orders/${placed.body.id}/complete`, {});
    for (const tab of tabs.slice(1))
      await tab.waitForSelector('[data-testid="order-page"][data-status="completed"]', { timeout: 10_000 });
  }, 120_000);

  it("6. numbers and units follow the language: ru and uz decimals, unit names, no 'ta' for kilograms", async () => {
    const nb = (s: string | null) => (s ?? "").replace(/[\u00a0\u202f]/g, " ");
    // Its own offer: the other tests take croissants, and 3 is a plural form of its own in Russian.
    const made = await apiAs<{ id: number }>(server.url, seller, "POST", `/api/stores/${store.id}/offers`, {
      title: "Samsa",
      price: 5000,
      quantity: 3,
    });
    expect(made.status).toBe(201);
    const samsa = made.body.id;
    const ru = await open(newUser({ language_code: "ru" }));
    const card = ru.getByTestId(`offer-${offers.apples}`);
    await card.waitFor();
    const ruText = nb(await card.textContent());
    expect(ruText).toContain("Осталось 25,5 кг");
    expect(ruText).toContain("10 000 сум/кг");
    expect(ruText).not.toMatch(/25\.5|\bkg\b/);
    expect(nb(await ru.getByTestId(`offer-${samsa}`).textContent())).toContain("Осталось 3 штуки");
    await card.click();
    await ru.getByTestId("offer-detail").waitFor();
    expect(nb(await ru.getByTestId("qty").inputValue())).toBe("1 кг");
    await ru.screenshot({ path: screenshotPath("feel-offer-kg-ru") });
    const uz = await open(newUser({ language_code: "uz" }));
    const uzCard = uz.getByTestId(`offer-${offers.apples}`);
    await uzCard.waitFor();
    const uzText = nb(await uzCard.textContent());
    expect(uzText).toContain("25,5 kg qoldi");
    expect(uzText).not.toContain(" ta ");
    expect(uzText).toContain("so'm/kg");
    await uz.screenshot({ path: screenshotPath("feel-catalog-uz") });

    const en = await open(newUser({ language_code: "en" }));
    const enCard = en.getByTestId(`offer-${offers.apples}`);
    await enCard.waitFor();
    expect(nb(await enCard.textContent())).toContain("25.5 kg left");
  });

  it("7. weighed goods: half-kilogram taps and typed amounts", async () => {
    const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");
    const buyer = newUser({ language_code: "ru" });
    const page = await open(buyer);
    await page.getByTestId(`offer-${offers.apples}`).click();
    await page.getByTestId("offer-detail").waitFor();
    const qty = page.getByTestId("qty");
    expect(nb(await qty.inputValue())).toBe("1 кг");
    await page.getByTestId("qty-plus").click();
    await page.getByTestId("qty-plus").click();
    expect(nb(await qty.inputValue())).toBe("2 кг"); // two taps, not ten
    await qty.fill("3,7");
    await qty.press("Enter");
    await expect.poll(async () => nb(await qty.inputValue())).toBe("3,7 кг");
    await page.getByTestId("add-to-cart").click();
    await expect
      .poll(() => page.evaluate((id) => localStorage.getItem(`lastbite.cart.${id}`) ?? "", buyer.id))
      .toContain('"quantity":3.7');
    // More than is left is capped at what is left.
    await qty.fill("99");
    await qty.press("Enter");
    await expect.poll(async () => nb(await qty.inputValue())).toBe("25,5 кг");
    await page.screenshot({ path: screenshotPath("feel-offer-weighed-ru") });
  });

  it("8, 9. phone in any common Uzbek form, shown formatted; an address over the limit is called too long, with a counter", async () => {
    const buyer = newUser();
    const page = await open(buyer);
    await toCheckout(page, offers.bread);
    await page.getByTestId("delivery-type-delivery").click();

    // 9: 355 characters is not "too short": it says the real limit, and the counter shows it.
    const long = "Tashkent, Chilonzor district, block 9, house 14, apartment 33, entrance 2, floor 4; "
      .repeat(5)
      .slice(0, 355);
    await page.getByTestId("address").fill(long);
    await page.getByTestId("phone").fill("(90) 123-45-67");
    await page.getByTestId("place-order").click();
    const addressError = page.getByTestId("address-error");
    await addressError.waitFor();
    expect(await addressError.textContent()).toMatch(/too long.*300/);
    expect(await page.getByTestId("address-count").textContent()).toBe("355/300");
    await page.screenshot({ path: screenshotPath("feel-address-too-long-light"), fullPage: true });
    await page.getByTestId("address").fill("Tashkent, Chilonzor 9, house 14, apt 33");
    expect(await page.getByTestId("address-count").textContent()).toBe("39/300");

    // 8: a foreign number must be valid for its country; a local one is shown formatted.
    await page.getByTestId("phone").fill("+7 123");
    await page.getByTestId("place-order").click();
    await page.getByTestId("phone-error").waitFor();
    await page.getByTestId("phone").fill("(90) 123-45-67");
    await page.getByTestId("comment").click(); // leaves the phone field
    await expect.poll(() => page.getByTestId("phone").inputValue()).toBe("+998 90 123 45 67");
    await page.getByTestId("place-order").click();
    await page.getByTestId("order-page").waitFor();
    const mine = await apiAs<{ orders: Order[] }>(server.url, buyer, "GET", "/api/orders?filter=all");
    expect(mine.body.orders[0]?.customer_phone).toBe("+998901234567");
    expect(await page.getByTestId("order-page").textContent()).toContain("+998 90 123 45 67");
  });

  it("8. the server takes the same phone rule: a foreign number valid for its country, not one that is not", async () => {
    const body = (phone: string) => ({
      items: [{ offer_id: offers.bread, quantity: 1 }],
      delivery_type: "delivery",
      delivery_address: "Tashkent, Chilonzor 9",
      customer_phone: phone,
    });
    const ok = await apiAs<Order>(server.url, newUser(), "POST", "/api/orders", body("+7 912 345 67 89"));
    expect(ok.status).toBe(201);
    expect(ok.body.customer_phone).toBe("+79123456789");
    const bad = await apiAs<{ code: string }>(
      server.url,
      newUser(),
      "POST",
      "/api/orders",
      body("+7 123 45"),
    );
    expect(bad.status).toBe(400);
  });

  it("10. contact the seller: the owner's Telegram chat and the shop's phone, both shown plainly", async () => {
    const buyer = newUser();
    const placed = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offers.bread, quantity: 1 }],
      delivery_type: "pickup",
    });
    const page = await open(buyer, { startParam: `order_${placed.body.id}` });
    const contact = page.getByTestId("contact-seller");
    await contact.waitFor();
    expect(await contact.getByTestId("contact-chat").textContent()).toContain("@aziza_bakery");
    expect(await contact.getByTestId("contact-phone").textContent()).toContain("+998 90 111 22 44");
    expect(await contact.getByTestId("contact-phone").getAttribute("href")).toBe("tel:+998901112244");
  });

  it("11. toasts keep clear of the title and Back button; future timeline dots show in dark; the badge counts items", async () => {
    const buyer = newUser();
    const placed = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offers.bread, quantity: 1 }],
      delivery_type: "pickup",
    });
    const page = await open(buyer, { theme: DARK_THEME, startParam: `order_${placed.body.id}` });
    await page.waitForSelector('[data-testid="order-page"][data-status="pending"]');
    // Future steps: a ring in the hint colour, at least 3:1 against the card (non-text contrast).
    const ring = await page
      .locator(".step.todo .dot")
      .first()
      .evaluate((el) => {
        const cs = getComputedStyle(el);
        return {
          border: cs.borderTopColor,
          width: cs.borderTopWidth,
          card: getComputedStyle(el.closest(".card") as Element).backgroundColor,
        };
      });
    const lum = (c: string) => {
      const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
        const x = Number(v) / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
    };
    const [hi, lo] = [lum(ring.border), lum(ring.card)].sort((a, b) => b - a) as [number, number];
    expect((hi + 0.05) / (lo + 0.05)).toBeGreaterThanOrEqual(3);
    expect(ring.width).toBe("2px");

    await apiAs(server.url, seller, "POST", `/api/seller/orders/${placed.body.id}/accept`, {});
    const toast = page.getByTestId("toast").first();
    await toast.waitFor();
    const t = await toast.boundingBox();
    const title = await page.locator(".page-header").boundingBox();
    expect(t && title && t.y > title.y + title.height).toBe(true);
    await page.screenshot({ path: screenshotPath("feel-tracking-toast-dark") });

    // Two croissants and a kilogram of apples: three items, not two lines.
    const shopper = await open(newUser());
    await shopper.getByTestId(`offer-${offers.bread}`).click();
    await shopper.getByTestId("qty-plus").click();
    await shopper.getByTestId("add-to-cart").click();
    await shopper.getByTestId("back").click();
    await shopper.getByTestId(`offer-${offers.apples}`).click();
    await shopper.getByTestId("add-to-cart").click();
    await shopper.getByTestId("back").click();
    await expect.poll(() => shopper.getByTestId("cart-badge").textContent()).toBe("3");
  });

  it("11. a code already handed over says so, with the time, instead of 'no confirmed order'", async () => {
    const buyer = newUser();
    const placed = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offers.bread, quantity: 1 }],
      delivery_type: "pickup",
    });
    const accepted = await apiAs<Order>(
      server.url,
      seller,
      "POST",
      `/api/seller/orders/${placed.body.id}/accept`,
      {},
    );
    await apiAs(server.url, seller, "POST", `/api/seller/orders/${placed.body.id}/complete`, {});
    const page = await open(seller);
    await page.getByTestId("tab-seller").click();
    await page.getByTestId("code-input").fill(accepted.body.code ?? "");
    await page.getByTestId("code-check").click();
    const error = page.getByTestId("code-error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/already handed over \(today \d\d:\d\d\)/);
  });

  it("11, 12. sandbox: every chat fits at 1280 px; theme and language per user; the QR scan can be simulated", async () => {
    const sbx = await startSandboxServer();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${sbx.url}/sandbox`);
      await page.locator("#dot.on").waitFor({ timeout: 45_000 });
      const chats = page.locator("section.chat");
      await expect.poll(() => chats.count()).toBeGreaterThanOrEqual(4);
      for (const box of await Promise.all((await chats.all()).map((c) => c.boundingBox())))
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: screenshotPath("feel-sandbox-1280") });

      // Rustam (owner of Non Bakery) in night mode and Russian.
      const rustam = page.locator("#chat-700000002");
      await rustam.locator("select.look-theme").selectOption("dark");
      await rustam.locator("select.look-lang").selectOption("ru");
      // Aziza (uz) switches her Telegram to English: the bot answers her in English from then on.
      const azizaChat = page.locator("#chat-700000001");
      await azizaChat.locator("select.look-lang").selectOption("en");
      await expect.poll(() => azizaChat.locator(".who .meta").textContent()).toContain("en");
      await azizaChat.locator(".quick").getByRole("button", { name: "/start" }).click();
      await azizaChat.locator(".msg", { hasText: "Hi, Aziza" }).waitFor();
      const [app] = await Promise.all([
        context.waitForEvent("page"),
        rustam.getByRole("button", { name: "Open Mini App" }).click(),
      ]);
      await app.waitForURL(/#tgWebAppData=/);
      await expect.poll(() => app.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
      await expect.poll(() => app.evaluate(() => document.documentElement.lang)).toBe("ru");

      // Aziza orders from Rustam's shop; Rustam accepts; his "scanner" reads her QR's text.
      const launch = async (id: number) => {
        const r = (await (await fetch(`${sbx.url}/sandbox/api/launch/${id}`)).json()) as { url: string };
        return new URLSearchParams(new URL(r.url, sbx.url).hash.slice(1)).get("tgWebAppData") ?? "";
      };
      const [aziza, rustamInit] = [await launch(700000001), await launch(700000002)];
      const me = await apiWithInitData<{ stores: { id: number }[] }>(sbx.url, rustamInit, "GET", "/api/me");
      const storeId = me.body.stores[0]?.id ?? 0;
      const list = await apiWithInitData<{ offers: { id: number; unit: string }[] }>(
        sbx.url,
        aziza,
        "GET",
        `/api/offers?store_id=${storeId}`,
      );
      const offer = list.body.offers.find((o) => o.unit === "piece") ?? list.body.offers[0];
      const placed = await apiWithInitData<Order>(sbx.url, aziza, "POST", "/api/orders", {
        items: [{ offer_id: offer?.id, quantity: 1 }],
        delivery_type: "pickup",
      });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      const accepted = await apiWithInitData<Order>(
        sbx.url,
        rustamInit,
        "POST",
        `/api/seller/orders/${placed.body.id}/accept`,
        {},
      );
      expect(accepted.body.code).toMatch(/^[A-Z0-9]{6}$/);
      // Aziza's chat: the booking code's copy_text button copies it, as Telegram does
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: sbx.url });
      const copy = page.locator(`#chat-700000001 button[data-copy="${accepted.body.code}"]`);
      await copy.click();
      await expect
        .poll(() => page.locator("#chat-700000001 .toast").textContent())
        .toBe(`Copied to clipboard: ${accepted.body.code}`);
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(accepted.body.code);
      await app.getByTestId("tab-seller").click();
      await app.getByTestId("scan-qr").click();
      await app.getByTestId("scan-text").fill(`lastbite:${placed.body.id}:${accepted.body.code}`);
      await app.getByTestId("scan-read").click();
      await app.getByTestId("handover").getByTestId(`seller-order-${placed.body.id}`).waitFor();
      await app.screenshot({ path: screenshotPath("feel-sandbox-seller-scan-dark-ru") });
    } finally {
      await sbx.stop();
    }
  }, 120_000);

  it("2. the tracking page says when its stream is lost and back, and asks to reopen from Telegram on 401", async () => {
    // A server with its database on disk, so the order outlives a restart.
    const env = { DATABASE_URL: "", DATA_DIR: mkdtempSync(path.join(tmpdir(), "lastbite-e2e-restart-")) };
    let srv = await startServer({ env });
    const owner = newUser({ first_name: "Rustam" });
    const buyer = newUser({ first_name: "John" });
    try {
      const s = await apiAs<Store>(srv.url, owner, "POST", "/api/stores", {
        name: "Non Bakery",
        address: "Tashkent, Chorsu 1",
        phone: "+998901110000",
      });
      const o = await apiAs<{ id: number }>(srv.url, owner, "POST", `/api/stores/${s.body.id}/offers`, {
        title: "Non",
        price: 4000,
        quantity: 10,
      });
      const placed = await apiAs<Order>(srv.url, buyer, "POST", "/api/orders", {
        items: [{ offer_id: o.body.id, quantity: 1 }],
        delivery_type: "pickup",
      });
      expect(placed.status).toBe(201);
      const page = await (await newContext()).newPage();
      await page.goto(launchUrl(srv.url, buyer, { startParam: `order_${placed.body.id}` }));
      const live = page.getByTestId("live-state");
      await expect.poll(() => live.getAttribute("data-state"), { timeout: 20_000 }).toBe("live");

      // The server goes away: the page no longer claims to be live.
      await srv.stop();
      await expect
        .poll(() => live.getAttribute("data-state"), { timeout: 20_000 })
        .toMatch(/^(reconnecting|offline)$/);
      await page.screenshot({ path: screenshotPath("feel-tracking-reconnecting-light") });

      // Back on the same port: live again, and a change made meanwhile arrives.
      srv = await startServer({ env, port: srv.port });
      await expect.poll(() => live.getAttribute("data-state"), { timeout: 40_000 }).toBe("live");
      await apiAs(srv.url, owner, "POST", `/api/seller/orders/${placed.body.id}/accept`, {});
      await page.waitForSelector('[data-testid="order-page"][data-status="confirmed"]', { timeout: 30_000 });
      expect(await page.getByTestId("session-expired").count()).toBe(0);

      // Restarted with another bot token: this launch's init data is no longer valid.
      await srv.stop();
      srv = await startServer({
        env: { ...env, BOT_TOKEN: "777000111:another_token_for_the_restart_test" },
        port: srv.port,
      });
      await page.getByTestId("session-expired").waitFor({ timeout: 40_000 });
      expect(await page.getByTestId("session-expired").textContent()).toMatch(/Telegram/);
      expect(await live.count()).toBe(0);
      await page.screenshot({ path: screenshotPath("feel-tracking-session-expired-light") });
    } finally {
      await srv.stop();
    }
  }, 180_000);

  it("2. the sandbox keeps its generated bot token in DATA_DIR, so a restart signs nobody out", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "lastbite-e2e-sandbox-"));
    const env = { DATABASE_URL: "", DATA_DIR: dataDir };
    let sbx = await startSandboxServer({ env });
    try {
      const launch = (await (await fetch(`${sbx.url}/sandbox/api/launch/700000001`)).json()) as {
        url: string;
      };
      const initData =
        new URLSearchParams(new URL(launch.url, sbx.url).hash.slice(1)).get("tgWebAppData") ?? "";
      const me = () => fetch(`${sbx.url}/api/me`, { headers: { authorization: `tma ${initData}` } });
      expect((await me()).status).toBe(200);
      const file = path.join(dataDir, "sandbox-bot-token");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, "utf8").trim();
      await sbx.stop();
      sbx = await startSandboxServer({ env, port: sbx.port });
      expect((await me()).status).toBe(200);
      expect(sbx.logs()).not.toContain(token);
    } finally {
      await sbx.stop();
    }
  }, 120_000);
});
