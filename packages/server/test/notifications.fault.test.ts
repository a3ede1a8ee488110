import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { miniAppLinks } from "../src/notifications/links.ts";
import { OutboxWorker } from "../src/notifications/outbox-worker.ts";
import { type BotHarness, callbackOf, startBotHarness } from "./bot-harness.ts";
import { api, DATABASES } from "./helpers.ts";

const SENDS = ["sendMessage", "sendPhoto", "editMessageText"];

describe.each(DATABASES)("notifications through a flaky Telegram on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind);
  });
  afterAll(async () => h?.close());

  /** Successful sends (and edits) to a chat, as the fake Telegram recorded them. */
  const okCalls = (chatId: number, method?: string) =>
    h.tg.calls.filter(
      (c) =>
        (method ? c.method === method : SENDS.includes(c.method)) &&
        c.outcome === "ok" &&
        c.status === 200 &&
        Number(c.params.chat_id) === chatId,
    );

  it("429s and 500s for a while, then every notification is delivered exactly once", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);

    // Telegram answers 500 for 1.5 s while the order comes in.
    h.tg.failFor(1500, { status: 500, method: SENDS });
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    expect(h.tg.calls.some((c) => c.outcome === "fault" && c.status === 500)).toBe(true);

    // Then floods: 429 with retry_after, and a dropped connection.
    h.tg.failNext(2, { status: 429, retryAfter: 1, method: SENDS });
    h.tg.failNext(1, { networkError: true, method: SENDS });
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const confirmed = await h.cardOf(
      seller.id,
      id,
      (m) => m.reply_markup?.inline_keyboard[0]?.some((b) => b.text === "✅ Handed over") === true,
    );
    await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.photo), 10_000);

    h.tg.failFor(800, { status: 502, method: SENDS });
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(confirmed, "✅"));
    const thanks = await h.tg.waitFor(
      (d) => d.botMessages(buyer.id).find((m) => m.text?.includes("completed")),
      10_000,
    );
    h.tg.failNext(1, { status: 429, retryAfter: 1, method: SENDS });
    h.tg.pressButton(buyer.id, buyer.id, thanks.message_id, callbackOf(thanks, "⭐4"));
    // (the seller's note on the rating: settling alone may look before the press has been handled)
    await h.tg.waitFor((d) => d.botMessages(seller.id).length === 2, 10_000);
    await h.settle(20_000);

    const rows = await h.db.query<{ kind: string; status: string; attempts: number }>(
      "select kind, status, attempts from outbox where order_id = $1 order by id",
      [id],
    );
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => "sent"));
    expect(rows.some((r) => r.attempts > 1)).toBe(true);
    // Exactly once: the seller has the card and the rating note, the buyer the QR and the thanks.
    expect(h.tg.botMessages(seller.id)).toHaveLength(2);
    expect(h.tg.botMessages(buyer.id)).toHaveLength(2);
    expect(okCalls(seller.id, "sendMessage")).toHaveLength(2);
    expect(okCalls(buyer.id, "sendPhoto")).toHaveLength(1);
    expect(okCalls(buyer.id, "sendMessage")).toHaveLength(1);
    // the card was edited for accept and hand-over
    expect(okCalls(seller.id, "editMessageText").length).toBeGreaterThanOrEqual(2);
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.rating).toMatchObject({ stars: 4 });

    // retry_after was obeyed: after each 429 the next send came no sooner than a second later.
    // All three injected 429s were hit, and each was followed by a send (the retry, at the least).
    const calls = h.tg.calls.filter((c) => SENDS.includes(c.method));
    const floods = [...calls.entries()].filter(([, c]) => c.status === 429);
    expect(floods).toHaveLength(3);
    for (const [i, c] of floods) {
      const next = calls.slice(i + 1).find((n) => n.status !== 429);
      expect(next, `a send after the 429 at ${c.at.toISOString()}`).toBeDefined();
      expect((next?.at.getTime() ?? 0) - c.at.getTime()).toBeGreaterThanOrEqual(900);
    }
    const metrics = await h.app.services.metrics.render();
    expect(metrics).toMatch(/lastbite_outbox_retries_total\{kind="[a-z_]+"\} [1-9]/);
    expect(metrics).toMatch(/lastbite_outbox_sent_total\{kind="seller_new_order"\} [1-9]/);
  }, 40_000);

  it("records a permanent refusal (the buyer blocked the bot) and does not retry it", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    h.tg.blockBot(buyer.id);
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    await h.settle();
    await new Promise((r) => setTimeout(r, 300));
    const [row] = await h.db.query<{ status: string; attempts: number; last_error: string }>(
      "select status, attempts, last_error from outbox where order_id = $1 and kind = 'buyer_status'",
      [id],
    );
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row?.last_error).toMatch(/403.*blocked/);
    // the seller's card still moved on
    await h.cardOf(
      seller.id,
      id,
      (m) => m.reply_markup?.inline_keyboard[0]?.some((b) => b.text === "✅ Handed over") === true,
    );
    expect(await h.app.services.metrics.render()).toMatch(
      /lastbite_outbox_failed_total\{kind="buyer_status"\} [1-9]/,
    );
  });

  it("loses nothing when a worker dies between commit and send: the lease runs out and the row goes out once", async () => {
    await h.telegram.worker.stop();
    try {
      const seller = await h.person();
      const buyer = await h.person();
      const { offerId } = await h.shop(seller);
      const id = await h.order(buyer, offerId);
      // A worker claimed the row and died before sending: its lease has run out.
      await h.db.query(
        "update outbox set status = 'sending', attempts = 1, locked_until = now() - interval '1 second' where order_id = $1",
        [id],
      );
      expect(h.tg.botMessages(seller.id)).toHaveLength(0);
      await h.telegram.worker.start();
      await h.cardOf(seller.id, id);
      await h.settle();
      expect(h.tg.botMessages(seller.id)).toHaveLength(1);
    } finally {
      await h.telegram.worker.start();
    }
  });

  it("two workers draining together send each notification once", async () => {
    await h.telegram.worker.stop();
    const seller = await h.person();
    const { offerId } = await h.shop(seller);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await h.order(await h.person(), offerId));
    const make = () =>
      new OutboxWorker({
        db: h.db,
        api: new Api(h.tg.token, { apiRoot: h.tg.apiRoot }),
        links: miniAppLinks(null, async () => h.tg.bot.username),
        batchSize: 2,
      });
    const [a, b] = [make(), make()];
    const handled = await Promise.all([a.drain(), b.drain()]);
    expect(handled[0] + handled[1]).toBe(6);
    expect(h.tg.botMessages(seller.id)).toHaveLength(6);
    await h.telegram.worker.start();
  });
});
