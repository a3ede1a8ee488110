import type { Api, GrammyError } from "grammy";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "../index.ts";
import { AZIZA, RUSTAM, rejection, withDouble } from "../test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
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
