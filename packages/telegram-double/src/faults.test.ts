import { type Api, GrammyError, HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import type { TelegramDouble } from "./index.ts";
import { AZIZA, rejection, withDouble } from "./test-support.ts";

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
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
