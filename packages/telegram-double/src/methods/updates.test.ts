import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { type Api, Bot, type GrammyError, InlineKeyboard } from "grammy";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "../index.ts";
import { AZIZA, rejection, withDouble } from "../test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
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

  it("keeps allowed_updates as Telegram does: until a call names it again, applied to new updates only", async () => {
    tg.sendText(AZIZA.id, "before");
    // Updates made before the call stay, whatever it allows.
    const first = await api.getUpdates({ allowed_updates: ["callback_query"], timeout: 0 });
    expect(first.map((u) => u.message?.text)).toEqual(["before"]);
    const offset = (first[0]?.update_id ?? 0) + 1;
    tg.sendText(AZIZA.id, "not wanted");
    // A call that leaves allowed_updates out keeps the last setting: the message never became an update.
    expect(await api.getUpdates({ offset, timeout: 0 })).toEqual([]);
    expect(tg.pendingUpdates()).toEqual([]);
    // An empty list is Telegram's default again (everything but chat_member and reactions).
    await api.getUpdates({ offset, allowed_updates: [], timeout: 0 });
    tg.sendText(AZIZA.id, "wanted");
    expect((await api.getUpdates({ offset, timeout: 0 })).map((u) => u.message?.text)).toEqual(["wanted"]);
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
