import { type Api, GrammyError, InlineKeyboard } from "grammy";
import { describe, expect, it } from "vitest";
import type { ChangeEvent, TelegramDouble } from "../index.ts";
import { AZIZA, RUSTAM, rejection, withDouble } from "../test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
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

  it("takes a copy_text button (1-256 characters) and refuses a bad one, changing nothing", async () => {
    const ok = await api.sendMessage(AZIZA.id, "Code: K7Q2XP", {
      reply_markup: { inline_keyboard: [[{ text: "📋 Copy", copy_text: { text: "K7Q2XP" } }]] },
    });
    expect(ok.reply_markup?.inline_keyboard[0]?.[0]).toEqual({
      text: "📋 Copy",
      copy_text: { text: "K7Q2XP" },
    });
    for (const copy_text of [{ text: "" }, { text: "x".repeat(257) }, {}, "K7Q2XP"]) {
      const err = (await rejection(
        api.sendMessage(AZIZA.id, "Code", {
          // biome-ignore lint/suspicious/noExplicitAny: a malformed button on purpose
          reply_markup: { inline_keyboard: [[{ text: "📋 Copy", copy_text } as any]] },
        }),
      )) as GrammyError;
      expect(err.error_code, JSON.stringify(copy_text)).toBe(400);
    }
    expect(tg.messages(AZIZA.id).map((m) => m.message_id)).toEqual([ok.message_id]);
    await api.sendMessage(AZIZA.id, "Long", {
      reply_markup: { inline_keyboard: [[{ text: "📋", copy_text: { text: "x".repeat(256) } }]] },
    });
  });
});
