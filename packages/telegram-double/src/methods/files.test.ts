import { type Api, InputFile } from "grammy";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "../index.ts";
import { AZIZA, withDouble } from "../test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
});

describe("TelegramDouble: files", () => {
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
