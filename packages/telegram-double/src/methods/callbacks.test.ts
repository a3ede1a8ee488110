import { type Api, type GrammyError, InlineKeyboard } from "grammy";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "../index.ts";
import { RUSTAM, rejection, withDouble } from "../test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
});

describe("TelegramDouble: callback queries", () => {
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
});
