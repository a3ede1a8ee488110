import type { AddressInfo } from "node:net";
import { TelegramDouble } from "@lastbite/telegram-double";
import Fastify, { type FastifyInstance } from "fastify";
import { Api, InlineKeyboard, InputFile } from "grammy";
import QRCode from "qrcode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type SandboxUser, sandboxRoutes } from "./sandbox.routes.ts";

const USERS: SandboxUser[] = [
  { id: 700000001, first_name: "Aziza", username: "aziza_k", language_code: "uz", role: "buyer" },
  {
    id: 700000002,
    first_name: "Rustam",
    username: null,
    language_code: "ru",
    label: "Rustam (owner of Non Bakery)",
  },
];
const [AZIZA, RUSTAM] = USERS as [SandboxUser, SandboxUser];

// a stand-in for auth/init-data.ts: readable, so the test can see what was signed
const fakeSign = (user: SandboxUser, startParam?: string) =>
  new URLSearchParams({
    user: JSON.stringify({
      id: user.id,
      first_name: user.first_name,
      ...(user.language_code ? { language_code: user.language_code } : {}),
    }),
    ...(startParam ? { start_param: startParam } : {}),
    hash: "fake",
  }).toString();

let tg: TelegramDouble;
let app: FastifyInstance;
let api: Api;

beforeEach(async () => {
  tg = await TelegramDouble.start();
  api = new Api(tg.token, { apiRoot: tg.apiRoot });
  app = Fastify();
  await app.register(sandboxRoutes, {
    double: tg,
    users: USERS,
    signInitData: fakeSign,
    publicUrl: "http://localhost:8080/",
  });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await tg.close();
});

const fragmentOf = (url: string) => new URLSearchParams(url.slice(url.indexOf("#") + 1));

describe("sandbox routes", () => {
  it("adds a new user to act as: listed with an empty chat, able to open the Mini App", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/sandbox/api/users",
      payload: { first_name: "Dilnoza", language_code: "uz" },
    });
    expect(res.statusCode).toBe(201);
    const { id } = res.json() as { id: number };
    const state = (await app.inject("/sandbox/api/state")).json() as {
      users: { id: number; first_name: string; messages: unknown[] }[];
    };
    expect(state.users.map((u) => u.first_name)).toEqual(["Aziza", "Rustam", "Dilnoza"]);
    expect(state.users.find((u) => u.id === id)?.messages).toEqual([]);
    const launch = (await app.inject(`/sandbox/api/launch/${id}`)).json() as { url: string };
    expect(
      JSON.parse(
        fragmentOf(launch.url).get("tgWebAppData")
          ? (new URLSearchParams(fragmentOf(launch.url).get("tgWebAppData") as string).get("user") as string)
          : "{}",
      ),
    ).toMatchObject({ id, first_name: "Dilnoza" });
    for (const bad of [
      {},
      { first_name: "" },
      { first_name: "x\u0007" },
      { first_name: "Ali", language_code: "de" },
    ]) {
      const r = await app.inject({ method: "POST", url: "/sandbox/api/users", payload: bad });
      expect(r.statusCode).toBe(400);
    }
    expect(((await app.inject("/sandbox/api/state")).json() as { users: unknown[] }).users).toHaveLength(3);
  });

  it("serves the page", async () => {
    const res = await app.inject("/sandbox");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("<title>Lastbite sandbox</title>");
    // Its inline script and style must survive the app-wide CSP.
    expect(res.headers["content-security-policy"]).toMatch(/script-src [^;]*'unsafe-inline'/);
    expect(res.body).toContain("/sandbox/api/stream");
  });

  it("shows users and their chats, with rendered HTML and photo links", async () => {
    expect(tg.listUsers().map((u) => u.id)).toEqual([AZIZA.id, RUSTAM.id]);
    await api.sendMessage(
      RUSTAM.id,
      "<b>New order</b> <script>x</script>".replace("<script>x</script>", "&lt;x&gt;"),
      {
        parse_mode: "HTML",
        reply_markup: new InlineKeyboard().text("✅ Accept", "accept:1"),
      },
    );
    const png = await QRCode.toBuffer("K7Q2XP", { type: "png" });
    await api.sendPhoto(AZIZA.id, new InputFile(png, "qr.png"), { caption: "Code K7Q2XP" });

    const res = await app.inject("/sandbox/api/state");
    expect(res.statusCode).toBe(200);
    const state = res.json();
    expect(state.bot.username).toBe("lastbite_sandbox_bot");
    expect(state.users.map((u: { label: string }) => u.label)).toEqual([
      "Aziza (buyer)",
      "Rustam (owner of Non Bakery)",
    ]);
    const rustamMsg = state.users[1].messages[0];
    expect(rustamMsg.html).toBe("<b>New order</b> &lt;x&gt;");
    expect(rustamMsg.reply_markup.inline_keyboard[0][0].callback_data).toBe("accept:1");
    const photo = state.users[0].messages[0];
    expect(photo.html).toBe("Code K7Q2XP");
    const file = await app.inject(photo.photoUrl);
    expect(file.statusCode).toBe(200);
    expect(file.headers["content-type"]).toBe("image/png");
    expect(file.rawPayload.equals(png)).toBe(true);
    const missing = await app.inject("/sandbox/api/file/nope");
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("presses buttons and sends text as a user, delivering updates to the bot", async () => {
    const sent = await api.sendMessage(RUSTAM.id, "Order", {
      reply_markup: new InlineKeyboard().text("✅", "accept:1"),
    });
    const press = await app.inject({
      method: "POST",
      url: "/sandbox/api/press",
      payload: { userId: RUSTAM.id, messageId: sent.message_id, data: "accept:1" },
    });
    expect(press.statusCode).toBe(200);
    const { callbackQueryId } = press.json();
    const send = await app.inject({
      method: "POST",
      url: "/sandbox/api/send",
      payload: { userId: AZIZA.id, text: "/start" },
    });
    expect(send.statusCode).toBe(200);
    expect(send.json().message).toMatchObject({ text: "/start", outgoing: false });

    const updates = await api.getUpdates({ timeout: 1 });
    expect(updates.map((u) => u.callback_query?.id ?? u.message?.text)).toEqual([callbackQueryId, "/start"]);
    expect(updates[0]?.callback_query?.from.id).toBe(RUSTAM.id);
  });

  it("validates bodies with problem+json", async () => {
    const cases = [
      {
        url: "/sandbox/api/press",
        payload: { userId: "x", messageId: 1, data: "a" },
        status: 400,
        code: "invalid_request",
      },
      {
        url: "/sandbox/api/press",
        payload: { userId: AZIZA.id, messageId: 1, data: "x".repeat(65) },
        status: 400,
        code: "invalid_request",
      },
      {
        url: "/sandbox/api/press",
        payload: { userId: 1, messageId: 1, data: "a" },
        status: 404,
        code: "not_found",
      },
      {
        url: "/sandbox/api/press",
        payload: { userId: AZIZA.id, messageId: 99, data: "a" },
        status: 404,
        code: "not_found",
      },
      {
        url: "/sandbox/api/send",
        payload: { userId: AZIZA.id, text: "   " },
        status: 400,
        code: "invalid_request",
      },
      { url: "/sandbox/api/send", payload: { userId: 5, text: "hi" }, status: 404, code: "not_found" },
      { url: "/sandbox/api/send", payload: [1, 2], status: 400, code: "invalid_request" },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: "POST", url: c.url, payload: c.payload });
      expect(res.statusCode, JSON.stringify(c)).toBe(c.status);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        status: c.status,
        code: c.code,
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      });
    }
  });

  it("builds Mini App launch URLs with freshly signed init data", async () => {
    const plain = (await app.inject(`/sandbox/api/launch/${AZIZA.id}`)).json().url as string;
    expect(plain.startsWith("http://localhost:8080/#tgWebAppData=")).toBe(true);
    const params = fragmentOf(plain);
    expect(JSON.parse(new URLSearchParams(params.get("tgWebAppData") ?? "").get("user") ?? "")).toMatchObject(
      { id: AZIZA.id },
    );
    expect(params.get("tgWebAppVersion")).toBe("8.0");
    expect(params.get("tgWebAppPlatform")).toBe("web");
    expect(JSON.parse(params.get("tgWebAppThemeParams") ?? "")).toMatchObject({ bg_color: "#ffffff" });
    expect(params.has("tgWebAppStartParam")).toBe(false);

    const deep = fragmentOf(
      (await app.inject(`/sandbox/api/launch/${AZIZA.id}?startapp=order_42`)).json().url,
    );
    expect(deep.get("tgWebAppStartParam")).toBe("order_42");
    expect(new URLSearchParams(deep.get("tgWebAppData") ?? "").get("start_param")).toBe("order_42");

    // a web_app button URL from the bot is re-signed for whoever taps it
    const button = (
      await app.inject(
        `/sandbox/api/launch/${RUSTAM.id}?button=web_app&url=${encodeURIComponent("http://localhost:8080/?screen=seller#old")}`,
      )
    ).json().url as string;
    expect(button.startsWith("http://localhost:8080/?screen=seller#tgWebAppData=")).toBe(true);
    expect(
      JSON.parse(new URLSearchParams(fragmentOf(button).get("tgWebAppData") ?? "").get("user") ?? "").id,
    ).toBe(RUSTAM.id);

    // t.me links: startapp opens the Mini App, start sends /start
    const tme = (
      await app.inject(
        `/sandbox/api/launch/${AZIZA.id}?url=${encodeURIComponent("https://t.me/lastbite_sandbox_bot/app?startapp=order_7")}`,
      )
    ).json();
    expect(fragmentOf(tme.url).get("tgWebAppStartParam")).toBe("order_7");
    const start = (
      await app.inject(
        `/sandbox/api/launch/${AZIZA.id}?url=${encodeURIComponent("https://t.me/lastbite_sandbox_bot?start=hello")}`,
      )
    ).json();
    expect(start).toEqual({ send: "/start hello" });

    expect((await app.inject("/sandbox/api/launch/123")).statusCode).toBe(404);
    expect(
      (await app.inject(`/sandbox/api/launch/${AZIZA.id}?startapp=${encodeURIComponent("<x>")}`)).statusCode,
    ).toBe(400);
  });

  it("launches the Mini App in the theme and language the page chose for the user", async () => {
    const url = (
      await app.inject(`/sandbox/api/launch/${AZIZA.id}?theme=dark&lang=ru&startapp=order_3`)
    ).json().url as string;
    const params = fragmentOf(url);
    expect(JSON.parse(params.get("tgWebAppThemeParams") ?? "")).toMatchObject({ bg_color: "#212121" });
    const user = JSON.parse(new URLSearchParams(params.get("tgWebAppData") ?? "").get("user") ?? "");
    expect(user).toMatchObject({ id: AZIZA.id, language_code: "ru" });
    expect(params.get("tgWebAppStartParam")).toBe("order_3");
    for (const bad of ["theme=sepia", "lang=de"])
      expect((await app.inject(`/sandbox/api/launch/${AZIZA.id}?${bad}`)).statusCode, bad).toBe(400);
  });

  it("switches a user's Telegram language: their updates carry it (the bot answers in it) and the Mini App opens in it", async () => {
    const set = await app.inject({
      method: "POST",
      url: "/sandbox/api/language",
      payload: { userId: AZIZA.id, language_code: "en" },
    });
    expect(set.json()).toEqual({ userId: AZIZA.id, language_code: "en" });
    // the updates Telegram sends on her behalf carry the new language, as they would in Telegram
    await app.inject({
      method: "POST",
      url: "/sandbox/api/send",
      payload: { userId: AZIZA.id, text: "/start" },
    });
    const msg = await api.sendMessage(AZIZA.id, "card", {
      reply_markup: new InlineKeyboard().text("⭐5", "rate:5"),
    });
    await app.inject({
      method: "POST",
      url: "/sandbox/api/press",
      payload: { userId: AZIZA.id, messageId: msg.message_id, data: "rate:5" },
    });
    const froms = tg.pendingUpdates().map((u) => (u.message ?? u.callback_query)?.from);
    expect(froms.map((f) => f?.language_code)).toEqual(["en", "en"]);
    const state = (await app.inject("/sandbox/api/state")).json();
    expect(state.users.find((u: { id: number }) => u.id === AZIZA.id).language_code).toBe("en");
    const url = (await app.inject(`/sandbox/api/launch/${AZIZA.id}`)).json().url as string;
    const user = JSON.parse(new URLSearchParams(fragmentOf(url).get("tgWebAppData") ?? "").get("user") ?? "");
    expect(user.language_code).toBe("en");
    // the caller's list of people is not changed behind its back
    expect(AZIZA.language_code).toBe("uz");

    for (const payload of [
      { userId: AZIZA.id, language_code: "de" },
      { userId: AZIZA.id },
      { userId: "x", language_code: "ru" },
    ]) {
      const bad = await app.inject({ method: "POST", url: "/sandbox/api/language", payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.headers["content-type"]).toMatch(/problem\+json/);
    }
    const missing = await app.inject({
      method: "POST",
      url: "/sandbox/api/language",
      payload: { userId: 42, language_code: "ru" },
    });
    expect(missing.statusCode).toBe(404);
    expect(tg.listUsers().find((u) => u.id === AZIZA.id)?.language_code).toBe("en");
  });

  it("streams changes and callback answers as server-sent events", async () => {
    await app.listen({ port: 0, host: "127.0.0.1" });
    const port = (app.server.address() as AddressInfo).port;
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/sandbox/api/stream`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const readUntil = async (needle: string) => {
      while (!buffer.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
    };
    await readUntil("event: ready");
    const sent = await api.sendMessage(AZIZA.id, "hi <i>there</i>", {
      parse_mode: "HTML",
      reply_markup: new InlineKeyboard().text("⭐5", "rate:5"),
    });
    await readUntil("event: change");
    await api.editMessageText(AZIZA.id, sent.message_id, "rated");
    await readUntil('"kind":"edited"');
    const id = tg.pressButton(AZIZA.id, AZIZA.id, sent.message_id, "rate:5");
    await api.answerCallbackQuery(id, { text: "Thanks!" });
    await readUntil("event: answer");
    const events = buffer
      .split("\n\n")
      .filter((b) => b.startsWith("event: "))
      .map((b) => ({
        event: b.split("\n")[0]?.slice(7),
        data: JSON.parse(b.split("\n")[1]?.slice(6) ?? "null"),
      }));
    expect(events.map((e) => e.event)).toEqual(["ready", "change", "change", "answer"]);
    expect(events[1]?.data).toMatchObject({
      chatId: AZIZA.id,
      kind: "new",
      message: { html: "hi <i>there</i>" },
    });
    expect(events[2]?.data).toMatchObject({ kind: "edited", message: { text: "rated", edited: true } });
    expect(events[3]?.data).toMatchObject({ callbackQueryId: id, userId: AZIZA.id, text: "Thanks!" });
    controller.abort();
  });
});
