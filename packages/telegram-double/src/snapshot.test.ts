import { Api, InputFile } from "grammy";
import QRCode from "qrcode";
import { afterEach, describe, expect, it } from "vitest";
import { readSnapshot, TelegramDouble } from "./index.ts";
import { AZIZA, RUSTAM, startDouble } from "./test-support.ts";

const open: TelegramDouble[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

describe("TelegramDouble: snapshot and restore (the bot restarts, Telegram carries on)", () => {
  it("keeps chats, message ids, update ids, unconfirmed updates, files and fresh presses", async () => {
    const { tg, api } = await startDouble();
    open.push(tg);
    const card = await api.sendMessage(RUSTAM.id, "Order #7", {
      reply_markup: { inline_keyboard: [[{ text: "✅ Accept", callback_data: "o:7:accept" }]] },
    });
    const png = await QRCode.toBuffer("LASTBITE:ORDER:7:CODE:K7Q2XP", { type: "png", width: 120 });
    const photo = await api.sendPhoto(AZIZA.id, new InputFile(png, "qr.png"));
    tg.sendText(AZIZA.id, "/start");
    const [first] = await api.getUpdates({ timeout: 0 });
    await api.getUpdates({ offset: (first?.update_id ?? 0) + 1, timeout: 0 }); // confirmed
    const queryId = tg.pressButton(RUSTAM.id, RUSTAM.id, card.message_id, "o:7:accept"); // not yet fetched

    // through JSON, as it is kept on disk
    const saved = readSnapshot(JSON.parse(JSON.stringify(tg.snapshot())));
    await tg.close();
    const again = await TelegramDouble.start({ token: tg.token, restore: saved });
    open.push(again);
    const api2 = new Api(again.token, { apiRoot: again.apiRoot });

    expect(again.messages(RUSTAM.id).map((m) => m.text)).toEqual(["Order #7"]);
    expect(again.listUsers().map((u) => u.id)).toEqual([AZIZA.id, RUSTAM.id]);
    // the press made before the restart is still owed, and can still be answered
    const [owed] = await api2.getUpdates({ timeout: 0 });
    expect(owed?.callback_query?.id).toBe(queryId);
    expect(owed?.update_id).toBeGreaterThan(first?.update_id ?? 0);
    await api2.answerCallbackQuery(queryId, { text: "Accepted" });
    // update ids go on increasing; message ids go on from where they were
    again.sendText(RUSTAM.id, "/start");
    const [next] = await api2.getUpdates({ offset: (owed?.update_id ?? 0) + 1, timeout: 0 });
    expect(next?.update_id).toBe((owed?.update_id ?? 0) + 1);
    expect(next?.message?.message_id).toBe(card.message_id + 1);
    const reply = await api2.sendMessage(RUSTAM.id, "Hi");
    expect(reply.message_id).toBe(card.message_id + 2);
    // the old card is the same message: editing it edits it, not something sent after the restart
    await api2.editMessageText(RUSTAM.id, card.message_id, "Order #7 — accepted");
    expect(again.messages(RUSTAM.id).map((m) => m.text)).toEqual(["Order #7 — accepted", "/start", "Hi"]);
    // the photo's bytes came along
    const stored = again.messages(AZIZA.id).find((m) => m.photo);
    expect(stored?.photo?.at(-1)?.file_id).toBe(photo.photo.at(-1)?.file_id);
    expect(again.photoBytes(stored ?? {})?.equals(png)).toBe(true);
  });

  it("refuses what is not a snapshot", () => {
    expect(() => readSnapshot({ version: 2 })).toThrow(/not a TelegramDouble snapshot/);
    expect(() => readSnapshot(null)).toThrow(/not a TelegramDouble snapshot/);
    expect(() =>
      readSnapshot({ version: 1, users: [{}], nextUpdateId: 1, pending: [], files: [], presses: [] }),
    ).toThrow();
  });
});
