/**
 * Sharing an offer in Chromium: a Telegram client of Bot API 8.0 gets the message the server
 * prepared with the (fake) Telegram and sends it with shareMessage; an older client, or a failure
 * on the way, shares the t.me link instead, quietly.
 */
import { TelegramDouble } from "@lastbite/telegram-double";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  BOT_TOKEN,
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
let tg: TelegramDouble;
let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const seller = newUser({ first_name: "Aziz" });
let offerId: number;

type Answer = "sent" | "declined" | "failed" | "none";
type Events = [string, Record<string, unknown>][];

/**
 * The Mini App inside a stand-in for Telegram's native client of `version`: postEvent calls are
 * recorded, and a prepared message is answered as the client would after the user's choice
 * (`window.__answer`).
 */
async function openInClient(
  user: ReturnType<typeof newUser>,
  version: string,
  answer: Answer,
): Promise<Page> {
  const context = await phoneContext(browser, contexts);
  await context.addInitScript((answerWith: Answer) => {
    const w = window as unknown as {
      __tg: Events;
      TelegramWebviewProxy: unknown;
      Telegram?: { WebView?: { receiveEvent?: (t: string, d: unknown) => void } };
    };
    w.__tg = [];
    w.TelegramWebviewProxy = {
      postEvent: (type: string, raw: string) => {
        w.__tg.push([type, JSON.parse(raw || "{}")]);
        if (type !== "web_app_send_prepared_message" || answerWith === "none") return;
        const reply = (t: string, d: unknown) =>
          setTimeout(() => w.Telegram?.WebView?.receiveEvent?.(t, d), 50);
        if (answerWith === "sent") reply("prepared_message_sent", {});
        else
          reply("prepared_message_failed", {
            error: answerWith === "declined" ? "USER_DECLINED" : "MESSAGE_EXPIRED",
          });
      },
    };
  }, answer);
  const page = await openMiniApp(context, server.url, user, {
    platform: "ios",
    version,
    startParam: `offer_${offerId}`,
  });
  await page.getByTestId("offer-detail").waitFor();
  return page;
}

const events = (page: Page) => page.evaluate(() => (window as unknown as { __tg: Events }).__tg);
const sent = (page: Page, type: string) => events(page).then((e) => e.filter(([t]) => t === type));
const telegramUser = (u: ReturnType<typeof newUser>) => tg.addUser({ id: u.id, first_name: u.first_name });

describe.skipIf(!enabled)("sharing an offer from the Mini App", () => {
  beforeAll(async () => {
    tg = await TelegramDouble.start({ token: BOT_TOKEN, bot: { username: "lastbite_e2e_bot" } });
    server = await startServer({ env: { TELEGRAM_API_ROOT: tg.apiRoot } });
    browser = await launchBrowser();
    const store = await apiAs<{ id: number }>(server.url, seller, "POST", "/api/stores", {
      name: "Non Bakery",
      address: "Tashkent",
      phone: "+998901112233",
    });
    expect(store.status, JSON.stringify(store.body)).toBe(201);
    const offer = await apiAs<{ id: number }>(
      server.url,
      seller,
      "POST",
      `/api/stores/${store.body.id}/offers`,
      {
        title: "Patir non",
        price: 4000,
        original_price: 8000,
        quantity: 10,
      },
    );
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    offerId = offer.body.id;
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await tg?.close();
  });

  it("a Bot API 8.0 client sends the message the server prepared, with shareMessage", async () => {
    const buyer = newUser({ language_code: "ru" });
    telegramUser(buyer);
    const page = await openInClient(buyer, "8.0", "sent");
    await page.getByTestId("share").click();
    await expect.poll(() => sent(page, "web_app_send_prepared_message")).toHaveLength(1);
    const [prepared] = tg.preparedMessages(buyer.id);
    expect((await sent(page, "web_app_send_prepared_message"))[0]?.[1]).toEqual({ id: prepared?.id });
    const result = prepared?.result as {
      title: string;
      input_message_content: { message_text: string };
      reply_markup: { inline_keyboard: { text: string; url: string }[][] };
    };
    expect(result.title).toBe("Patir non");
    expect(result.input_message_content.message_text).toContain("«Non Bakery»");
    expect(result.reply_markup.inline_keyboard[0]?.[0]?.url).toBe(
      `https://t.me/lastbite_e2e_bot?startapp=offer_${offerId}`,
    );
    // Sent: a success tap, and the link is not shared as well.
    await expect
      .poll(async () =>
        (await sent(page, "web_app_trigger_haptic_feedback")).some(
          ([, d]) => d.notification_type === "success",
        ),
      )
      .toBe(true);
    expect(await sent(page, "web_app_open_tg_link")).toEqual([]);
    await page.screenshot({ path: screenshotPath("share-prepared") });
  });

  it("closing Telegram's share sheet is not an error: no toast, no link", async () => {
    const buyer = newUser();
    telegramUser(buyer);
    const page = await openInClient(buyer, "9.1", "declined");
    await page.getByTestId("share").click();
    await expect.poll(() => sent(page, "web_app_send_prepared_message")).toHaveLength(1);
    await page.waitForTimeout(300);
    expect(await sent(page, "web_app_open_tg_link")).toEqual([]);
    expect(await page.getByTestId("toast").count()).toBe(0);
  });

  it("an older client shares the t.me link, and the server prepares nothing", async () => {
    const buyer = newUser();
    telegramUser(buyer);
    const page = await openInClient(buyer, "7.10", "none");
    await page.getByTestId("share").click();
    await expect.poll(() => sent(page, "web_app_open_tg_link")).toHaveLength(1);
    const path = String((await sent(page, "web_app_open_tg_link"))[0]?.[1].path_full);
    expect(path.startsWith("/share/url?")).toBe(true);
    expect(decodeURIComponent(path)).toContain(`startapp=offer_${offerId}`);
    expect(await sent(page, "web_app_send_prepared_message")).toEqual([]);
    expect(tg.preparedMessages(buyer.id)).toEqual([]);
  });

  it("when Telegram refuses to prepare it, or the client cannot send it, the link is shared quietly", async () => {
    // Telegram does not know this user (never opened the bot): the server's 502, then the link.
    const stranger = newUser();
    const page = await openInClient(stranger, "8.0", "sent");
    await page.getByTestId("share").click();
    await expect.poll(() => sent(page, "web_app_open_tg_link")).toHaveLength(1);
    expect(await sent(page, "web_app_send_prepared_message")).toEqual([]);
    expect(await page.getByTestId("toast").count()).toBe(0);

    // Prepared, but the client fails to send it (expired): the link too.
    const buyer = newUser();
    telegramUser(buyer);
    const late = await openInClient(buyer, "8.0", "failed");
    await late.getByTestId("share").click();
    await expect.poll(() => sent(late, "web_app_open_tg_link")).toHaveLength(1);
    expect(await sent(late, "web_app_send_prepared_message")).toHaveLength(1);
    expect(await late.getByTestId("toast").count()).toBe(0);
  });
});
