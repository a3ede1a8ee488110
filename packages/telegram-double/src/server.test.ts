import type { Api } from "grammy";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "./index.ts";
import { AZIZA, RUSTAM, withDouble } from "./test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
});

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
