import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_PATH } from "../src/bot/telegram.ts";
import { deriveWebhookSecret } from "../src/config.ts";
import { type BotHarness, startBotHarness } from "./bot-harness.ts";
import { api, DATABASES, Res, TEST_TOKEN } from "./helpers.ts";

const SECRET = deriveWebhookSecret(TEST_TOKEN);
let nextUpdateId = 900_000;

describe.each(DATABASES)("the webhook on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind, { mode: "off" });
  });
  afterAll(async () => h?.close());

  const post = (update: unknown, secret?: string) =>
    h.app.inject({
      method: "POST",
      url: WEBHOOK_PATH,
      headers: secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret },
      payload: update as object,
    });

  const startUpdate = (userId: number, text = "/start") => ({
    update_id: ++nextUpdateId,
    message: {
      message_id: nextUpdateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: "private", first_name: "Web" },
      from: { id: userId, is_bot: false, first_name: "Web", language_code: "en" },
      text,
      entities: [{ type: "bot_command", offset: 0, length: 6 }],
    },
  });

  it("refuses a missing or wrong secret with 401 problem+json and does not process the update", async () => {
    const user = await h.person();
    const update = startUpdate(user.id);
    for (const secret of [undefined, "wrong", `${SECRET}x`]) {
      const res = await post(update, secret);
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(Res.of(res).problem).toMatchObject({ status: 401, code: "unauthorized" });
    }
    const seen = await h.db.query("select 1 from processed_updates where update_id = $1", [update.update_id]);
    expect(seen).toHaveLength(0);
    expect(h.tg.botMessages(user.id)).toHaveLength(0);
  });

  it("processes an update with the right secret, and a re-delivered update only once", async () => {
    const user = await h.person();
    const update = startUpdate(user.id);
    const first = await post(update, SECRET);
    expect(first.statusCode).toBe(200);
    await h.tg.waitFor((d) => d.botMessages(user.id).length === 1);
    const again = await post(update, SECRET);
    expect(again.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.tg.botMessages(user.id)).toHaveLength(1);
  });

  it("acts once on a button press delivered twice", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    // A real press (so the fake Telegram knows the query id), taken from its queue and posted twice.
    h.tg.pressButton(seller.id, seller.id, card.message_id, `o:accept:${id}`);
    const press = h.tg.pendingUpdates().find((u) => u.callback_query?.data === `o:accept:${id}`);
    const queryId = press?.callback_query?.id;
    if (!press || !queryId) throw new Error("no press queued");
    expect((await post(press, SECRET)).statusCode).toBe(200);
    expect((await post(press, SECRET)).statusCode).toBe(200);
    await h.settle();
    expect(
      h.tg.callsTo("answerCallbackQuery").filter((c) => c.params.callback_query_id === queryId),
    ).toHaveLength(1);
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("confirmed");
    const events = await h.db.query(
      "select 1 from order_events where order_id = $1 and to_status = 'confirmed'",
      [id],
    );
    expect(events).toHaveLength(1);
    expect(h.tg.botMessages(buyer.id)).toHaveLength(1);
  });

  it("receives updates the fake Telegram delivers to the webhook over HTTP", async () => {
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = h.app.server.address() as AddressInfo;
    await h.telegram.bot.api.setWebhook(`http://127.0.0.1:${port}${WEBHOOK_PATH}`, { secret_token: SECRET });
    try {
      const user = await h.person({ language_code: "uz" });
      h.tg.sendText(user.id, "/start order_77");
      const reply = await h.tg.waitFor((d) => d.botMessages(user.id)[0]);
      expect(reply.text).toContain("77");
      expect(JSON.stringify(reply.reply_markup)).toContain("startapp=order_77");
      await h.tg.waitFor((d) => d.pendingUpdates().length === 0);
    } finally {
      await h.telegram.bot.api.deleteWebhook();
    }
  });
});

describe.each(DATABASES)("webhook mode on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind, {
      mode: "webhook",
      config: { PUBLIC_URL: "https://lastbite.example", WEBHOOK_SECRET: "s3cret_for-tests" },
    });
  });
  afterAll(async () => h?.close());

  it("registers the webhook with the secret token and does not poll", async () => {
    const info = await h.tg.waitFor((d) => d.webhookInfo());
    expect(info).toMatchObject({
      url: `https://lastbite.example${WEBHOOK_PATH}`,
      secretToken: "s3cret_for-tests",
    });
    expect(h.tg.callsTo("getUpdates")).toHaveLength(0);
    const user = await h.person();
    const res = await h.app.inject({
      method: "POST",
      url: WEBHOOK_PATH,
      headers: { "x-telegram-bot-api-secret-token": "s3cret_for-tests" },
      payload: {
        update_id: 7_000_001,
        message: {
          message_id: 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: user.id, type: "private", first_name: "W" },
          from: { id: user.id, is_bot: false, first_name: "W" },
          text: "/start",
          entities: [{ type: "bot_command", offset: 0, length: 6 }],
        },
      },
    });
    expect(res.statusCode).toBe(200);
    await h.tg.waitFor((d) => d.botMessages(user.id)[0]);
  });
});
