import { type Api, GrammyError } from "grammy";
import { describe, expect, it } from "vitest";
import { ApiError } from "./api-error.ts";
import type { TelegramDouble } from "./index.ts";
import { RateLimiter } from "./rate-limit.ts";
import { AZIZA, RUSTAM, rejection, withDouble } from "./test-support.ts";

/** A limiter on a clock the test moves by hand. */
function limiter(opts: ConstructorParameters<typeof RateLimiter>[0]) {
  let now = 1_000;
  const l = new RateLimiter(opts, () => now);
  const attempt = (method: string, chatId: unknown) => {
    try {
      l.check(method, chatId);
      return "ok";
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return `${err.code} ${err.description} ${JSON.stringify(err.parameters)}`;
    }
  };
  return { l, attempt, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter", () => {
  it("lets a second's worth through at once overall, then the steady rate; refusals take nothing", () => {
    const { l, attempt, advance } = limiter({ perSecond: 30, perChatPerSecond: 1 });
    for (let chat = 1; chat <= 30; chat++) expect(attempt("sendmessage", chat)).toBe("ok");
    expect(attempt("sendmessage", 31)).toBe('429 Too Many Requests: retry after 1 {"retry_after":1}');
    expect(attempt("sendphoto", 32)).toMatch(/^429 /);
    advance(34); // one token back
    expect(attempt("sendmessage", 33)).toBe("ok");
    expect(attempt("sendmessage", 34)).toMatch(/^429 /);
    advance(1000); // 30 more
    for (let chat = 40; chat < 70; chat++) expect(attempt("sendmessage", chat)).toBe("ok");
    expect(attempt("sendmessage", 70)).toMatch(/^429 /);
    expect(l.snapshot()).toEqual({ allowed: 61, refused: 4, refusedPerChat: 0, refusedOverall: 4 });
  });

  it("allows a short burst in one chat, then one a second; other chats are not held up", () => {
    const { l, attempt, advance } = limiter({ perSecond: 30, perChatPerSecond: 1, perChatBurst: 3 });
    expect([1, 2, 3].map(() => attempt("sendmessage", AZIZA.id))).toEqual(["ok", "ok", "ok"]);
    expect(attempt("editmessagetext", AZIZA.id)).toBe(
      '429 Too Many Requests: retry after 1 {"retry_after":1}',
    );
    expect(attempt("sendmessage", String(RUSTAM.id))).toBe("ok");
    advance(999);
    expect(attempt("sendmessage", AZIZA.id)).toMatch(/^429 /);
    advance(1);
    expect(attempt("sendmessage", AZIZA.id)).toBe("ok");
    expect(attempt("sendmessage", AZIZA.id)).toMatch(/^429 /);
    // chat ids as numbers and numeric strings are the same chat
    expect(attempt("sendmessage", String(AZIZA.id))).toMatch(/^429 /);
    expect(l.snapshot()).toMatchObject({ allowed: 5, refusedPerChat: 4, refusedOverall: 0 });
  });

  it("rounds retry_after up to whole seconds, at least 1", () => {
    const { attempt, advance } = limiter({ perChatPerSecond: 0.2, perChatBurst: 1 });
    expect(attempt("sendmessage", 7)).toBe("ok");
    expect(attempt("sendmessage", 7)).toBe('429 Too Many Requests: retry after 5 {"retry_after":5}');
    advance(4_100);
    expect(attempt("sendmessage", 7)).toBe('429 Too Many Requests: retry after 1 {"retry_after":1}');
    advance(900);
    expect(attempt("sendmessage", 7)).toBe("ok");
  });

  it("counts only methods that send or edit messages; edits of inline messages count overall", () => {
    const { l, attempt } = limiter({ perSecond: 2, perChatPerSecond: 1, perChatBurst: 1 });
    for (let i = 0; i < 10; i++) {
      expect(attempt("answercallbackquery", undefined)).toBe("ok");
      expect(attempt("getupdates", undefined)).toBe("ok");
      expect(attempt("deletemessage", 5)).toBe("ok");
    }
    expect(attempt("editmessagetext", undefined)).toBe("ok");
    expect(attempt("editmessagereplymarkup", undefined)).toBe("ok");
    expect(attempt("sendmessage", 9)).toMatch(/^429 /);
    expect(l.snapshot()).toMatchObject({ allowed: 2, refused: 1, refusedOverall: 1 });
  });

  it("refuses nonsense settings", () => {
    expect(() => new RateLimiter({ perSecond: 0 })).toThrow(/perSecond must be positive/);
  });
});

let tg: TelegramDouble;
let api: Api;

withDouble((d) => {
  ({ tg, api } = d);
});

describe("TelegramDouble: flood limits", () => {
  it("is off by default", async () => {
    for (let i = 0; i < 40; i++) await api.sendMessage(AZIZA.id, `hi ${i}`);
    expect(tg.botMessages(AZIZA.id)).toHaveLength(40);
    expect(tg.rateLimitStats().refused).toBe(0);
  });

  it("answers 429 with retry_after over HTTP like Telegram, stores nothing, and counts it", async () => {
    tg.setRateLimit({ perSecond: 30, perChatPerSecond: 1, perChatBurst: 1 });
    const first = await api.sendMessage(AZIZA.id, "one");
    const err = (await rejection(api.sendMessage(AZIZA.id, "two"))) as GrammyError;
    expect(err).toBeInstanceOf(GrammyError);
    expect(err.error_code).toBe(429);
    expect(err.description).toBe("Too Many Requests: retry after 1");
    expect(err.parameters).toEqual({ retry_after: 1 });
    const edit = (await rejection(
      api.editMessageText(AZIZA.id, first.message_id, "one, edited"),
    )) as GrammyError;
    expect(edit.error_code).toBe(429);
    await expect(api.sendMessage(RUSTAM.id, "elsewhere")).resolves.toMatchObject({ message_id: 1 });
    await expect(api.getMe()).resolves.toBeTruthy();
    expect(tg.botMessages(AZIZA.id).map((m) => m.text)).toEqual(["one"]);
    const refused = tg.calls.filter((c) => c.status === 429);
    expect(refused.map((c) => [c.method, c.outcome, c.description])).toEqual([
      ["sendMessage", "error", "Too Many Requests: retry after 1"],
      ["editMessageText", "error", "Too Many Requests: retry after 1"],
    ]);
    expect(tg.rateLimitStats()).toEqual({ allowed: 2, refused: 2, refusedPerChat: 2, refusedOverall: 0 });
    // after retry_after the chat takes messages again, with the next message id
    await new Promise((r) => setTimeout(r, 1000));
    await expect(api.sendMessage(AZIZA.id, "two")).resolves.toMatchObject({ message_id: 2 });
    tg.setRateLimit(null);
    await expect(api.sendMessage(AZIZA.id, "three")).resolves.toMatchObject({ message_id: 3 });
  });
});
