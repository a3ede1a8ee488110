/**
 * The tracking page's pickup window in Chromium against the real server: shown in the shop's time
 * zone (not the browser's), counting down live, then "window closed".
 */
import type { Order, Store } from "@lastbite/shared";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  browserAvailable,
  launchBrowser,
  launchUrl,
  newUser,
  type RunningServer,
  screenshotPath,
  startServer,
} from "./support.ts";

const enabled = browserAvailable();
let server: RunningServer;
let browser: Browser;

describe.skipIf(!enabled)("the pickup window on the tracking page", () => {
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("shows the window in the shop's zone and counts down to 'window closed'", async () => {
    const seller = newUser({ first_name: "Rustam" });
    const buyer = newUser();
    const store = await apiAs<Store>(server.url, seller, "POST", "/api/stores", {
      name: "Moscow Bakery",
      address: "Tverskaya 1",
      phone: "+998901112233",
      timezone: "Europe/Moscow",
    });
    expect(store.status, JSON.stringify(store.body)).toBe(201);
    const until = new Date(Date.now() + 6_000);
    const offer = await apiAs<{ id: number }>(
      server.url,
      seller,
      "POST",
      `/api/stores/${store.body.id}/offers`,
      {
        title: "Bublik",
        price: 5000,
        quantity: 5,
        pickup_until: until.toISOString(),
      },
    );
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    const order = await apiAs<Order>(server.url, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offer.body.id, quantity: 1 }],
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body.pickup_until).toBe(until.toISOString());
    expect(
      (await apiAs(server.url, seller, "POST", `/api/seller/orders/${order.body.id}/accept`, {})).status,
    ).toBe(200);

    // The browser runs in another zone than the shop: the page must still show Moscow's clock.
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      timezoneId: "America/New_York",
    });
    const page = await context.newPage();
    await page.goto(launchUrl(server.url, buyer, { startParam: `order_${order.body.id}` }));
    await page.getByTestId("pickup-window").waitFor();
    const moscow = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Moscow",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(until);
    expect(await page.getByTestId("pickup-window-range").textContent()).toContain(moscow);
    const countdown = page.getByTestId("pickup-countdown");
    await expect.poll(() => countdown.getAttribute("data-state")).toBe("closes");
    const first = (await countdown.textContent()) ?? "";
    expect(first).toMatch(/^closes in \d s$/);
    await page.screenshot({ path: screenshotPath("tracking-window-countdown") });
    // It ticks by itself, with no reload and no new data from the server.
    await expect.poll(() => countdown.textContent(), { timeout: 5_000 }).not.toBe(first);
    await expect.poll(() => countdown.textContent(), { timeout: 10_000 }).toBe("window closed");
    await page.screenshot({ path: screenshotPath("tracking-window-closed") });
    await context.close();
  });
});
