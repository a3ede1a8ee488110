/**
 * `POST /api/offers/:id/share`: the server asks Telegram (the double, over HTTP) to keep a message
 * sharing the offer, for the Mini App's shareMessage; every failure is a clear problem.
 */
import { preparedShareSchema } from "@lastbite/shared";
import { TelegramDouble } from "@lastbite/telegram-double";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { createTelegram, type Telegram } from "../src/bot/telegram.ts";
import { sharePhoto } from "../src/catalog/offer-share.ts";
import { api, authHeader, createTestApp, DATABASES, newUser, TEST_TOKEN, type TestApp } from "./helpers.ts";

describe("sharePhoto: what Telegram is given to fetch", () => {
  it("serves an uploaded photo as JPEG from an https PUBLIC_URL, and nothing it could not reach", () => {
    expect(sharePhoto("/photos/12/large.webp", "https://lastbite.example.uz")).toEqual({
      url: "https://lastbite.example.uz/photos/12/large.jpg",
      thumbnail: "https://lastbite.example.uz/photos/12/small.jpg",
    });
    expect(sharePhoto("/photos/12/large.webp", "http://localhost:8080")).toBeNull();
    expect(sharePhoto("/photos/12/large.webp", null)).toBeNull();
    expect(sharePhoto("https://cdn.example.uz/a.jpg", null)).toEqual({
      url: "https://cdn.example.uz/a.jpg",
      thumbnail: "https://cdn.example.uz/a.jpg",
    });
    expect(sharePhoto(null, "https://lastbite.example.uz")).toBeNull();
  });
});

describe.each(DATABASES)("sharing an offer with a prepared message on %s", (kind) => {
  let tg: TelegramDouble;
  let t: TestApp;
  let telegram: Telegram;
  const lines: string[] = [];
  const seller = newUser({ first_name: "Baker" });
  const buyer = newUser({ first_name: "Aziza", language_code: "ru" });
  let storeId: number;
  let offerId: number;

  const share = (user: InitDataUser, id: number | string) => t.as(user).post(`/api/offers/${id}/share`);

  beforeAll(async () => {
    tg = await TelegramDouble.start({ token: TEST_TOKEN, bot: { username: "lastbite_test_bot" } });
    t = await createTestApp(kind, {
      config: {
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_URL: "https://lastbite.example.uz",
        RATE_LIMIT_PER_MINUTE: "40",
      },
      deps: {
        // Everything the app logs, unredacted: the test looks for secrets in it.
        logger: { level: "trace", stream: { write: (l: string) => lines.push(l) } },
        plugins: [
          async (_app, services) => {
            telegram = createTelegram({
              services,
              config: services.config,
              token: tg.token,
              apiRoot: tg.apiRoot,
              mode: "off",
            });
          },
        ],
      },
    });
    for (const u of [seller, buyer]) {
      tg.addUser({ id: u.id, first_name: u.first_name, language_code: u.language_code ?? null });
      await t.as(u).get("/api/me");
    }
    const s = await t
      .as(seller)
      .post(
        "/api/stores",
        { name: "Non Uyi", address: "Tashkent, Chilonzor 5", phone: "+998901234567" },
        api.store,
      );
    storeId = s.body.id;
    const o = await t.as(seller).post(
      `/api/stores/${storeId}/offers`,
      {
        title: "Patir non",
        price: 4000,
        original_price: 8000,
        quantity: 5,
        pickup_from: new Date(Date.now() + 3_600_000).toISOString(),
        pickup_until: new Date(Date.now() + 7_200_000).toISOString(),
      },
      api.offer,
    );
    offerId = o.body.id;
  });
  afterAll(async () => {
    await telegram?.stop();
    await t?.close();
    await tg?.close();
  });

  it("prepares an article in the user's language with a button that opens the offer", async () => {
    const r = await share(buyer, offerId);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const body = preparedShareSchema.parse(r.json);
    const prepared = tg.preparedMessage(body.prepared_message_id);
    expect(prepared?.user_id).toBe(buyer.id);
    expect(new Date(body.expires_at).getTime()).toBe((prepared?.expiration_date ?? 0) * 1000);
    expect(prepared).toMatchObject({
      allow_user_chats: true,
      allow_group_chats: true,
      allow_channel_chats: true,
      allow_bot_chats: false,
    });
    const result = prepared?.result as {
      type: string;
      id: string;
      title: string;
      description: string;
      input_message_content: { message_text: string };
      reply_markup: { inline_keyboard: { text: string; url: string }[][] };
    };
    expect(result.type).toBe("article");
    expect(result.id).toBe(`offer_${offerId}`);
    expect(result.title).toBe("Patir non");
    expect(result.description).toContain("Non Uyi");
    const text = result.input_message_content.message_text;
    expect(text).toContain("Patir non в «Non Uyi»"); // Russian, as the buyer's Telegram is
    expect(text).toContain("−50%");
    expect(text).toMatch(/🕒 Забрать \d\d:\d\d–\d\d:\d\d/);
    expect(result.reply_markup.inline_keyboard).toEqual([
      [
        {
          text: "🛍 Открыть предложение",
          url: `https://t.me/lastbite_test_bot?startapp=offer_${offerId}`,
        },
      ],
    ]);
  });

  it("prepares a photo, served to Telegram as JPEG, when the offer has one", async () => {
    const png = await sharp({
      create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 120, b: 40 } },
    })
      .png()
      .toBuffer();
    const up = await t.app.inject({
      method: "PUT",
      url: `/api/offers/${offerId}/photo`,
      headers: { authorization: authHeader(seller), "content-type": "image/png" },
      payload: png,
    });
    expect(up.statusCode, up.body).toBe(200);
    const r = await share(buyer, offerId);
    const prepared = tg.preparedMessage(preparedShareSchema.parse(r.json).prepared_message_id);
    const result = prepared?.result as {
      type: string;
      photo_url: string;
      thumbnail_url: string;
      caption: string;
    };
    expect(result.type).toBe("photo");
    expect(result.caption).toContain("Patir non");
    const path = new URL(result.photo_url).pathname;
    expect(result.photo_url).toMatch(/^https:\/\/lastbite\.example\.uz\/photos\/\d+\/large\.jpg$/);
    const jpeg = await t.app.inject({ method: "GET", url: path });
    expect(jpeg.statusCode).toBe(200);
    expect(jpeg.headers["content-type"]).toBe("image/jpeg");
    expect((await sharp(jpeg.rawPayload).metadata()).format).toBe("jpeg");
    const thumb = await t.app.inject({ method: "GET", url: new URL(result.thumbnail_url).pathname });
    expect(thumb.statusCode).toBe(200);
  });

  it("answers 404 for an unknown offer, 400 for a bad id, 409 for one not on sale", async () => {
    const before = tg.callsTo("savePreparedInlineMessage").length;
    const unknown = await share(buyer, 987_654_321);
    expect([unknown.status, unknown.problem.code]).toEqual([404, "not_found"]);
    for (const bad of ["abc", "0", "-3", "1.5"]) {
      const r = await share(buyer, bad);
      expect([r.status, r.problem.code], bad).toEqual([400, "invalid_request"]);
    }
    const extra = await t.as(buyer).post(`/api/offers/${offerId}/share`, { chat: "anything" });
    expect(extra.status).toBe(400);
    const paused = await t
      .as(seller)
      .post(`/api/stores/${storeId}/offers`, { title: "Old bread", price: 1000, quantity: 1 }, api.offer);
    await t.as(seller).patch(`/api/offers/${paused.body.id}`, { active: false }, api.offer);
    const r = await share(buyer, paused.body.id);
    expect([r.status, r.problem.code]).toEqual([409, "offer_unavailable"]);
    expect(tg.callsTo("savePreparedInlineMessage")).toHaveLength(before);
  });

  it("Telegram refusing is a 502, Telegram away a 503; neither leaks the token or the init data", async () => {
    // A user Telegram does not know (never opened the bot): Telegram's own 400.
    const stranger = newUser();
    const refused = await share(stranger, offerId);
    expect([refused.status, refused.problem.code]).toEqual([502, "telegram_error"]);
    expect(refused.problem.detail).toContain("USER_ID_INVALID");

    tg.failNext(1, { networkError: true, method: "savePreparedInlineMessage" });
    const away = await share(buyer, offerId);
    expect([away.status, away.problem.code]).toEqual([503, "service_unavailable"]);
    tg.failNext(1, { status: 429, retryAfter: 3, method: "savePreparedInlineMessage" });
    const busy = await share(buyer, offerId);
    expect([busy.status, busy.problem.code]).toEqual([503, "service_unavailable"]);

    const initData = authHeader(buyer).slice("tma ".length);
    for (const text of [JSON.stringify([refused.json, away.json, busy.json]), lines.join("")]) {
      expect(text).not.toContain(TEST_TOKEN);
      expect(text).not.toContain(TEST_TOKEN.split(":")[1]);
      expect(text).not.toContain(initData);
    }
    expect(lines.join("")).toMatch(/could not prepare a share/);
    // Nothing was kept for those three.
    expect(tg.preparedMessages(stranger.id)).toEqual([]);
  });

  it("is rate-limited per user like every other API call", async () => {
    const hasty = newUser();
    tg.addUser({ id: hasty.id, first_name: hasty.first_name });
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await share(hasty, offerId)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe.each(DATABASES)("sharing without a Telegram connection on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it("answers 503 and the Mini App falls back to the link", async () => {
    const seller = newUser();
    const s = await t
      .as(seller)
      .post("/api/stores", { name: "Shop", address: "Tashkent 1", phone: "+998901234567" }, api.store);
    const o = await t
      .as(seller)
      .post(`/api/stores/${s.body.id}/offers`, { title: "Somsa", price: 5000, quantity: 2 }, api.offer);
    const r = await t.as(newUser()).post(`/api/offers/${o.body.id}/share`);
    expect([r.status, r.problem.code]).toEqual([503, "service_unavailable"]);
  });
});
