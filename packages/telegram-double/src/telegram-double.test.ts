import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Api, Bot, GrammyError, HttpError, InlineKeyboard, InputFile } from "grammy";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ChangeEvent, TelegramDouble } from "./index.ts";

const AZIZA = { id: 1001, first_name: "Aziza", username: "aziza_t", language_code: "uz" };
const RUSTAM = { id: 1002, first_name: "Rustam", language_code: "ru" };

let tg: TelegramDouble;
let api: Api;

beforeEach(async () => {
  tg = await TelegramDouble.start({ webhookRetryDelaysMs: [20, 40, 80] });
  tg.addUser(AZIZA);
  tg.addUser(RUSTAM);
  api = new Api(tg.token, { apiRoot: tg.apiRoot });
});

afterEach(async () => {
  await tg.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("TelegramDouble: the basics", () => {
  it("generates a real-looking token and answers getMe", async () => {
    expect(tg.token).toMatch(/^\d{9,10}:AA[A-Za-z0-9_-]{33}$/);
    expect(tg.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const me = await api.getMe();
    expect(me).toMatchObject({ is_bot: true, username: "lastbite_sandbox_bot", id: tg.bot.id });
  });

  it("answers 401 for a wrong token and 404 for an unknown method", async () => {
    const wrong = await fetch(`${tg.apiRoot}/bot123:nope/getMe`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
    const unknown = await fetch(`${tg.apiRoot}/bot${tg.token}/sendTelepathy`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: "Not Found" });
  });

  it("accepts application/x-www-form-urlencoded and query strings", async () => {
    const res = await fetch(`${tg.apiRoot}/bot${tg.token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        chat_id: String(AZIZA.id),
        text: "hi <b>there</b>",
        parse_mode: "HTML",
        reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "Go", callback_data: "go" }]] }),
      }),
    });
    const body = (await res.json()) as { ok: boolean; result: { text: string; reply_markup: unknown } };
    expect(body.ok).toBe(true);
    expect(body.result.text).toBe("hi there");
    expect(body.result.reply_markup).toEqual({ inline_keyboard: [[{ text: "Go", callback_data: "go" }]] });
    const viaQuery = await fetch(`${tg.apiRoot}/bot${tg.token}/sendMessage?chat_id=${RUSTAM.id}&text=yo`);
    expect(((await viaQuery.json()) as { result: { text: string } }).result.text).toBe("yo");
  });
});

describe("TelegramDouble: messages", () => {
  it("sends HTML messages with keyboards, numbering per chat, and keeps raw and plain text", async () => {
    const events: ChangeEvent[] = [];
    tg.events.on("change", (e) => events.push(e));
    const keyboard = new InlineKeyboard().text("✅ Accept", "accept:1").text("❌ Reject", "reject:1");
    const m1 = await api.sendMessage(RUSTAM.id, "<b>New order</b> #1\n2 × Non &amp; tea", {
      parse_mode: "HTML",
      reply_markup: keyboard,
    });
    const m2 = await api.sendMessage(RUSTAM.id, "second");
    const other = await api.sendMessage(AZIZA.id, "hello");
    expect([m1.message_id, m2.message_id, other.message_id]).toEqual([1, 2, 1]);
    expect(m1.text).toBe("New order #1\n2 × Non & tea");
    expect(m1.entities).toEqual([{ type: "bold", offset: 0, length: 9 }]);
    expect(m1.chat).toEqual({ id: RUSTAM.id, type: "private", first_name: "Rustam" });
    expect(m1.from?.is_bot).toBe(true);
    expect(m1).not.toHaveProperty("rawText");

    const [stored] = tg.messages(RUSTAM.id);
    expect(stored).toMatchObject({
      outgoing: true,
      edited: false,
      editCount: 0,
      rawText: "<b>New order</b> #1\n2 × Non &amp; tea",
      plainText: "New order #1\n2 × Non & tea",
      parseMode: "HTML",
    });
    expect(stored?.reply_markup?.inline_keyboard[0]?.map((b) => b.text)).toEqual(["✅ Accept", "❌ Reject"]);
    expect(events.map((e) => [e.chatId, e.kind])).toEqual([
      [RUSTAM.id, "new"],
      [RUSTAM.id, "new"],
      [AZIZA.id, "new"],
    ]);
  });

  it("edits text, caption-less markup, and deletes, with Telegram's errors", async () => {
    const sent = await api.sendMessage(RUSTAM.id, "Order #1", {
      reply_markup: new InlineKeyboard().text("✅", "accept:1"),
    });
    const edited = await api.editMessageText(RUSTAM.id, sent.message_id, "Order #1 — accepted", {
      reply_markup: new InlineKeyboard().text("Handed over", "done:1"),
    });
    expect(edited).toMatchObject({ text: "Order #1 — accepted", edit_date: expect.any(Number) });

    const notModified = await rejection(
      api.editMessageText(RUSTAM.id, sent.message_id, "Order #1 — accepted", {
        reply_markup: new InlineKeyboard().text("Handed over", "done:1"),
      }),
    );
    expect(notModified).toBeInstanceOf(GrammyError);
    expect((notModified as GrammyError).error_code).toBe(400);
    expect((notModified as GrammyError).description).toMatch(/^Bad Request: message is not modified: /);

    // editing text without reply_markup removes the keyboard, as on Telegram
    await api.editMessageText(RUSTAM.id, sent.message_id, "Order #1 — completed");
    const [msg] = tg.messages(RUSTAM.id);
    expect(msg).toMatchObject({ text: "Order #1 — completed", edited: true, editCount: 2 });
    expect(msg?.reply_markup).toBeUndefined();

    await api.editMessageReplyMarkup(RUSTAM.id, sent.message_id, {
      reply_markup: new InlineKeyboard().text("⭐5", "rate:5"),
    });
    expect(tg.messages(RUSTAM.id)[0]?.editCount).toBe(3);

    const missing = (await rejection(api.editMessageText(RUSTAM.id, 99, "x"))) as GrammyError;
    expect(missing.description).toBe("Bad Request: message to edit not found");
    const empty = (await rejection(api.sendMessage(RUSTAM.id, ""))) as GrammyError;
    expect(empty.description).toBe("Bad Request: message text is empty");
    const noChat = (await rejection(api.sendMessage(4242, "hi"))) as GrammyError;
    expect(noChat.description).toBe("Bad Request: chat not found");
    const badHtml = (await rejection(
      api.sendMessage(RUSTAM.id, "<div>x</div>", { parse_mode: "HTML" }),
    )) as GrammyError;
    expect(badHtml.description).toMatch(/^Bad Request: can't parse entities: Unsupported start tag "div"/);

    expect(await api.deleteMessage(RUSTAM.id, sent.message_id)).toBe(true);
    expect(tg.messages(RUSTAM.id)).toEqual([]);
    const gone = (await rejection(api.deleteMessage(RUSTAM.id, sent.message_id))) as GrammyError;
    expect(gone.description).toBe("Bad Request: message to delete not found");
  });

  it("stores uploaded photos (multipart) so a QR code can be decoded back", async () => {
    const png = await QRCode.toBuffer("LASTBITE:ORDER:42:CODE:K7Q2XP", { type: "png", width: 300 });
    const sent = await api.sendPhoto(AZIZA.id, new InputFile(png, "qr.png"), {
      caption: "Your code: <b>K7Q2XP</b>",
      parse_mode: "HTML",
    });
    expect(sent.caption).toBe("Your code: K7Q2XP");
    expect(sent.photo?.at(-1)).toMatchObject({ width: 300, height: 300, file_size: png.length });

    const stored = tg.messages(AZIZA.id).at(-1);
    const bytes = stored ? tg.photoBytes(stored) : undefined;
    expect(bytes?.equals(png)).toBe(true);
    const image = PNG.sync.read(bytes as Buffer);
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe("LASTBITE:ORDER:42:CODE:K7Q2XP");

    expect(tg.callsTo("sendPhoto")[0]?.params.photo).toEqual({ file: "qr.png", size: png.length });

    // getFile + download like a real bot would
    const largest = sent.photo?.at(-1)?.file_id as string;
    const file = await api.getFile(largest);
    const download = await fetch(`${tg.apiRoot}/file/bot${tg.token}/${file.file_path}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);

    // re-sending by file_id works; the caption can be edited
    const again = await api.sendPhoto(AZIZA.id, largest);
    expect(again.photo?.at(-1)?.file_id).toBe(largest);
    const recaptioned = await api.editMessageCaption(AZIZA.id, sent.message_id, { caption: "Picked up" });
    expect(recaptioned).toMatchObject({ caption: "Picked up" });
  });
});

describe("TelegramDouble: bot settings and replies", () => {
  it("stores commands and menu buttons, accepts chat actions, and nests replies", async () => {
    await api.setMyCommands([{ command: "start", description: "Start" }]);
    await api.setMyCommands([{ command: "start", description: "Boshlash" }], { language_code: "uz" });
    expect(await api.getMyCommands()).toEqual([{ command: "start", description: "Start" }]);
    expect(await api.getMyCommands({ language_code: "uz" })).toEqual([
      { command: "start", description: "Boshlash" },
    ]);
    const bad = (await rejection(
      api.setMyCommands([{ command: "Start!", description: "x" }]),
    )) as GrammyError;
    expect(bad.error_code).toBe(400);

    await api.setChatMenuButton({
      chat_id: AZIZA.id,
      menu_button: { type: "web_app", text: "Shop", web_app: { url: "https://example.uz/" } },
    });
    expect(tg.menuButton(AZIZA.id)).toMatchObject({ type: "web_app", text: "Shop" });
    expect(tg.menuButton(RUSTAM.id)).toEqual({ type: "default" });
    expect(await api.sendChatAction(AZIZA.id, "typing")).toBe(true);

    const question = tg.sendText(AZIZA.id, "Where is my order?");
    const reply = await api.sendMessage(AZIZA.id, "On its way", {
      reply_parameters: { message_id: question.message_id },
    });
    expect(reply.reply_to_message).toMatchObject({
      message_id: question.message_id,
      text: "Where is my order?",
    });
    const gone = (await rejection(
      api.sendMessage(AZIZA.id, "x", { reply_parameters: { message_id: 999 } }),
    )) as GrammyError;
    expect(gone.description).toBe("Bad Request: message to be replied not found");
  });
});

describe("TelegramDouble: faults", () => {
  it("answers 429 with retry_after, then recovers", async () => {
    tg.failNext(1, { status: 429, retryAfter: 3, method: "sendMessage" });
    await expect(api.getMe()).resolves.toBeTruthy(); // filtered by method
    const err = (await rejection(api.sendMessage(AZIZA.id, "hi"))) as GrammyError;
    expect(err).toBeInstanceOf(GrammyError);
    expect(err.error_code).toBe(429);
    expect(err.description).toBe("Too Many Requests: retry after 3");
    expect(err.parameters.retry_after).toBe(3);
    await expect(api.sendMessage(AZIZA.id, "hi")).resolves.toMatchObject({ text: "hi" });
    expect(tg.messages(AZIZA.id)).toHaveLength(1);
    expect(tg.callsTo("sendMessage").map((c) => c.outcome)).toEqual(["fault", "ok"]);
  });

  it("injects 500, 502, network errors and time-boxed failures", async () => {
    tg.failNext(1, { status: 500 });
    expect(((await rejection(api.getMe())) as GrammyError).error_code).toBe(500);
    tg.failNext(1, { status: 502 });
    expect(await rejection(api.getMe())).toBeInstanceOf(Error);
    tg.failNext(1, { networkError: true });
    expect(await rejection(api.sendMessage(AZIZA.id, "lost"))).toBeInstanceOf(HttpError);
    expect(tg.messages(AZIZA.id)).toHaveLength(0);
    tg.failFor(150, { status: 429, retryAfter: 1 });
    expect(((await rejection(api.getMe())) as GrammyError).error_code).toBe(429);
    expect(((await rejection(api.getMe())) as GrammyError).error_code).toBe(429);
    await new Promise((r) => setTimeout(r, 200));
    await expect(api.getMe()).resolves.toBeTruthy();
  });

  it("answers 403 once the user blocked the bot", async () => {
    tg.blockBot(AZIZA.id);
    const err = (await rejection(api.sendMessage(AZIZA.id, "hi"))) as GrammyError;
    expect(err.error_code).toBe(403);
    expect(err.description).toBe("Forbidden: bot was blocked by the user");
    tg.unblockBot(AZIZA.id);
    await expect(api.sendMessage(AZIZA.id, "hi")).resolves.toBeTruthy();
  });
});

describe("TelegramDouble: updates", () => {
  it("holds getUpdates until an update arrives and confirms by offset", async () => {
    const started = Date.now();
    const poll = api.getUpdates({ timeout: 5 });
    setTimeout(() => tg.sendText(AZIZA.id, "/start order_42"), 100);
    const updates = await poll;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(updates).toHaveLength(1);
    const message = updates[0]?.message;
    expect(message).toMatchObject({
      text: "/start order_42",
      from: { id: AZIZA.id, is_bot: false, language_code: "uz" },
      chat: { id: AZIZA.id, type: "private" },
      entities: [{ type: "bot_command", offset: 0, length: 6 }],
    });
    // not confirmed yet: returned again
    const again = await api.getUpdates({ timeout: 0 });
    expect(again.map((u) => u.update_id)).toEqual([updates[0]?.update_id]);
    // confirmed: gone; an empty long poll times out with []
    const empty = await api.getUpdates({ offset: (updates[0]?.update_id ?? 0) + 1, timeout: 1 });
    expect(empty).toEqual([]);
    expect(tg.pendingUpdates()).toEqual([]);
  });

  it("delivers button presses and tracks their answers", async () => {
    const sent = await api.sendMessage(RUSTAM.id, "Order", {
      reply_markup: new InlineKeyboard().text("✅", "accept:1"),
    });
    const id = tg.pressButton(RUSTAM.id, RUSTAM.id, sent.message_id, "accept:1");
    const stale = tg.pressButton(RUSTAM.id, RUSTAM.id, sent.message_id, "no-such-button");
    const updates = await api.getUpdates({ timeout: 1 });
    expect(updates[0]?.callback_query).toMatchObject({
      id,
      data: "accept:1",
      from: { id: RUSTAM.id },
      message: { message_id: sent.message_id, text: "Order" },
    });
    expect(tg.presses.map((p) => p.matchedButton)).toEqual([true, false]);
    expect(tg.unansweredPresses().map((p) => p.id)).toEqual([id, stale]);

    await api.answerCallbackQuery(id, { text: "Accepted", show_alert: true });
    expect(tg.callbackAnswers).toEqual([
      expect.objectContaining({ callbackQueryId: id, text: "Accepted", showAlert: true, data: "accept:1" }),
    ]);
    const twice = (await rejection(api.answerCallbackQuery(id))) as GrammyError;
    expect(twice.description).toBe(
      "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
    tg.advanceTime(16 * 60 * 1000);
    const old = (await rejection(api.answerCallbackQuery(stale))) as GrammyError;
    expect(old.error_code).toBe(400);
    expect(tg.unansweredPresses().map((p) => p.id)).toEqual([stale]);
  });

  it("posts updates to a webhook with the secret header, retrying on errors", async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: unknown }> = [];
    let failures = 2;
    const hook = createServer((req, res) => {
      let data = "";
      req.on("data", (c) => {
        data += c;
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body: JSON.parse(data) });
        if (failures-- > 0) res.writeHead(500).end();
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/telegram/webhook`;
    try {
      await api.setWebhook(url, { secret_token: "s3cret", allowed_updates: ["message", "callback_query"] });
      const info = await api.getWebhookInfo();
      expect(info).toMatchObject({ url, allowed_updates: ["message", "callback_query"] });
      const conflict = (await rejection(api.getUpdates())) as GrammyError;
      expect(conflict.error_code).toBe(409);

      tg.sendText(AZIZA.id, "hello");
      await tg.waitFor(() => received.length === 3 && tg.pendingUpdates().length === 0);
      expect(received.map((r) => r.headers["x-telegram-bot-api-secret-token"])).toEqual([
        "s3cret",
        "s3cret",
        "s3cret",
      ]);
      expect(received[2]?.body).toMatchObject({ message: { text: "hello" } });
      expect((await api.getWebhookInfo()).last_error_message).toMatch(/500/);

      await api.deleteWebhook();
      tg.sendText(AZIZA.id, "polled");
      const updates = await api.getUpdates({ timeout: 1 });
      expect(updates.map((u) => u.message?.text)).toEqual(["polled"]);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it("runs a real grammY bot by long polling", async () => {
    const bot = new Bot(tg.token, { client: { apiRoot: tg.apiRoot } });
    bot.command("start", (ctx) =>
      ctx.reply(`Salom, <b>${ctx.from?.first_name}</b>! payload=${ctx.match}`, {
        parse_mode: "HTML",
        reply_markup: new InlineKeyboard().text("Ping", "ping"),
      }),
    );
    bot.callbackQuery("ping", async (ctx) => {
      await ctx.answerCallbackQuery({ text: "pong" });
      await ctx.editMessageText("pinged");
    });
    void bot.start({ timeout: 1, drop_pending_updates: true });
    try {
      await tg.waitFor(() => tg.callsTo("getUpdates").length > 0);
      tg.sendText(AZIZA.id, "/start order_7");
      const reply = await tg.waitFor((t) => t.botMessages(AZIZA.id)[0]);
      expect(reply.plainText).toBe("Salom, Aziza! payload=order_7");
      tg.pressButton(AZIZA.id, AZIZA.id, reply.message_id, "ping");
      await tg.waitFor((t) => t.botMessages(AZIZA.id)[0]?.text === "pinged");
      expect(tg.callbackAnswers.map((a) => a.text)).toEqual(["pong"]);
      expect(tg.unansweredPresses()).toEqual([]);
    } finally {
      await bot.stop();
    }
  });
});
