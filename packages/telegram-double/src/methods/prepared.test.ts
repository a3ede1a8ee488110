import type { Api, GrammyError } from "grammy";
import type { InlineQueryResult } from "grammy/types";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "../index.ts";
import { AZIZA, rejection, withDouble } from "../test-support.ts";
import { PREPARED_MESSAGE_TTL_S } from "./prepared.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
});

const article = (over: Record<string, unknown> = {}) =>
  ({
    type: "article",
    id: "offer_7",
    title: "Patir non",
    input_message_content: { message_text: "Patir non at Non Bakery" },
    reply_markup: { inline_keyboard: [[{ text: "Open", url: "https://t.me/some_bot?startapp=offer_7" }]] },
    ...over,
  }) as unknown as InlineQueryResult;

const refusal = async (p: Promise<unknown>) => {
  const e = (await rejection(p)) as GrammyError;
  return { code: e.error_code, description: e.description };
};

describe("TelegramDouble: savePreparedInlineMessage", () => {
  it("stores the message for the user and answers its id and expiry", async () => {
    const before = Math.floor(Date.now() / 1000);
    const prepared = await api.savePreparedInlineMessage(AZIZA.id, article(), {
      allow_user_chats: true,
      allow_group_chats: true,
    });
    expect(prepared.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(prepared.expiration_date).toBeGreaterThanOrEqual(before + PREPARED_MESSAGE_TTL_S);
    expect(prepared.expiration_date).toBeLessThanOrEqual(
      Math.ceil(Date.now() / 1000) + PREPARED_MESSAGE_TTL_S,
    );
    const kept = tg.preparedMessage(prepared.id);
    expect(kept).toMatchObject({
      id: prepared.id,
      user_id: AZIZA.id,
      allow_user_chats: true,
      allow_bot_chats: false,
      allow_group_chats: true,
      allow_channel_chats: false,
      result: { type: "article", title: "Patir non" },
    });
    // A second one is a new id; both are listed for the user, oldest first.
    const again = await api.savePreparedInlineMessage(AZIZA.id, article({ id: "offer_8" }));
    expect(again.id).not.toBe(prepared.id);
    expect(tg.preparedMessages(AZIZA.id).map((m) => m.id)).toEqual([prepared.id, again.id]);
  });

  it("takes a photo with its URLs", async () => {
    const photo = {
      type: "photo",
      id: "offer_9",
      photo_url: "https://example.uz/p.jpg",
      thumbnail_url: "https://example.uz/p-small.jpg",
      caption: "Somsa",
    } as InlineQueryResult;
    const prepared = await api.savePreparedInlineMessage(AZIZA.id, photo);
    expect(tg.preparedMessage(prepared.id)?.result).toMatchObject({ type: "photo", caption: "Somsa" });
  });

  it("refuses an unknown user and a bad result as Telegram does, storing nothing", async () => {
    expect(await refusal(api.savePreparedInlineMessage(999_999, article()))).toEqual({
      code: 400,
      description: "Bad Request: USER_ID_INVALID",
    });
    const bad: [Record<string, unknown>, string][] = [
      [{ type: "poll" }, "RESULT_TYPE_INVALID"],
      [{ id: "" }, "RESULT_ID_EMPTY"],
      [{ id: "x".repeat(65) }, "RESULT_ID_INVALID"],
      [{ title: "" }, "ARTICLE_TITLE_EMPTY"],
      [{ input_message_content: undefined }, "MESSAGE_EMPTY"],
      [{ input_message_content: { message_text: "  " } }, "MESSAGE_EMPTY"],
      [{ input_message_content: { message_text: "x".repeat(4097) } }, "MESSAGE_TOO_LONG"],
      [{ thumbnail_url: "not a url" }, "THUMBNAIL_URL_INVALID"],
      [{ type: "photo", photo_url: "nope", thumbnail_url: "https://example.uz/t.jpg" }, "PHOTO_INVALID"],
      [
        { reply_markup: { inline_keyboard: [[{ text: "Open", web_app: { url: "https://example.uz/" } }]] } },
        "BUTTON_TYPE_INVALID",
      ],
      [{ reply_markup: { inline_keyboard: [[{ text: "", url: "https://t.me/x" }]] } }, "BUTTON_TEXT_EMPTY"],
    ];
    for (const [over, description] of bad)
      expect(await refusal(api.savePreparedInlineMessage(AZIZA.id, article(over))), description).toEqual({
        code: 400,
        description: `Bad Request: ${description}`,
      });
    expect(tg.preparedMessages()).toEqual([]);
    expect(tg.callsTo("savePreparedInlineMessage").every((c) => c.status === 400)).toBe(true);
  });
});
