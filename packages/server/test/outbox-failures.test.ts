/**
 * The outbox worker's paths off the happy one: a row that runs out of attempts, a card edit that
 * comes before its card, a card the seller deleted, and rows this code cannot read.
 */

import type { ChatMessage } from "@lastbite/telegram-double";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTBOX_KINDS } from "../src/outbox/outbox-messages.ts";
import { type BotHarness, buttons, callbackOf, startBotHarness } from "./bot-harness.ts";
import { api, DATABASES } from "./helpers.ts";

const MAX_ATTEMPTS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASES)("outbox failures on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind, {
      worker: { maxAttempts: MAX_ATTEMPTS, backoffMs: () => 20, pollMs: 50 },
    });
  });
  afterAll(async () => h?.close());

  /** A counter of the worker's metrics for one kind (0 when it was never incremented). */
  const counter = async (name: string, kind: string) => {
    // awaited: on main, Metrics.render() has become async
    const text = await h.app.services.metrics.render();
    const m = new RegExp(`^${name}\\{kind="${kind}"\\} (\\d+)$`, "m").exec(text);
    return Number(m?.[1] ?? 0);
  };
  const row = async (orderId: number, kind: string) => {
    const rows = await h.db.query<{
      id: number;
      status: string;
      attempts: number;
      last_error: string | null;
      message_id: number | null;
    }>("select id, status, attempts, last_error, message_id from outbox where order_id = $1 and kind = $2", [
      orderId,
      kind,
    ]);
    expect(rows, `one ${kind} row of order ${orderId}`).toHaveLength(1);
    return rows[0] as (typeof rows)[number];
  };
  /** Telegram calls that reached a chat and succeeded. */
  const delivered = (chatId: number) =>
    h.tg.calls.filter((c) => c.outcome === "ok" && Number(c.params.chat_id) === chatId);
  const cardMessage = async (orderId: number, chatId: number) =>
    (
      await h.db.query<{ message_id: number }>(
        "select message_id from order_messages where order_id = $1 and chat_id = $2 and role = 'card'",
        [orderId, chatId],
      )
    ).map((r) => Number(r.message_id));

  it("gives a row up as failed after maxAttempts network errors and 5xx, counts it, and never sends it later", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    await h.settle();
    const failedBefore = await counter("lastbite_outbox_failed_total", "seller_new_order");
    const retriesBefore = await counter("lastbite_outbox_retries_total", "seller_new_order");
    const sentBefore = await counter("lastbite_outbox_sent_total", "seller_new_order");

    // Telegram is down for the seller's card: the connection drops, then 500s, then 502s.
    h.tg.failNext(1, { networkError: true, method: "sendMessage" });
    h.tg.failNext(1, { status: 500, method: "sendMessage" });
    h.tg.failFor(60_000, { status: 502, method: "sendMessage" });
    try {
      const id = await h.order(buyer, offerId);
      await h.settle();
      const card = await row(id, "seller_new_order");
      expect(card).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, message_id: null });
      // Telegram's 502 is nginx's HTML page: grammY reports it as a response that is no JSON.
      expect(card.last_error).toMatch(
        /^network: invalid json response body at .*\/bot\[redacted\]\/sendMessage/,
      );
      const tries = h.tg.calls.filter(
        (c) => c.method === "sendMessage" && Number(c.params.chat_id) === seller.id,
      );
      expect(tries.map((c) => c.status)).toEqual([0, 500, 502]);
      expect(await counter("lastbite_outbox_failed_total", "seller_new_order")).toBe(failedBefore + 1);
      expect(await counter("lastbite_outbox_retries_total", "seller_new_order")).toBe(
        retriesBefore + MAX_ATTEMPTS - 1,
      );

      // Telegram is back: the given-up row stays given up, through many more passes of the worker.
      h.tg.clearFaults();
      await h.telegram.worker.drain();
      await sleep(300);
      await h.settle();
      expect(await row(id, "seller_new_order")).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
      expect(h.tg.botMessages(seller.id)).toEqual([]);
      expect(delivered(seller.id)).toEqual([]);
      expect(await counter("lastbite_outbox_sent_total", "seller_new_order")).toBe(sentBefore);
    } finally {
      h.tg.clearFaults();
    }
  });

  it("notes a card edit that comes before its card, and the card, when it goes out, shows the order as it is", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    await h.settle();

    // The seller had blocked the bot when the order came: the card was refused for good.
    h.tg.blockBot(seller.id);
    const id = await h.order(buyer, offerId);
    await h.settle();
    const newOrder = await row(id, "seller_new_order");
    expect(newOrder).toMatchObject({ status: "failed", attempts: 1 });

    // Back in the bot, the seller accepts in the Mini App: there is no card to edit yet.
    h.tg.unblockBot(seller.id);
    expect((await h.as(seller).post(`/api/seller/orders/${id}/accept`, {}, api.order)).body.status).toBe(
      "confirmed",
    );
    await h.settle();
    expect(await row(id, "seller_card")).toMatchObject({
      status: "sent",
      attempts: 1,
      last_error: "card not sent yet",
      message_id: null,
    });
    expect(delivered(seller.id)).toEqual([]);
    expect(await cardMessage(id, seller.id)).toEqual([]);

    // An operator puts the refused card back in the queue: it goes out once, showing the accepted
    // order (its code and the next buttons), not the pending one it was written for.
    await h.db.query(
      "update outbox set status = 'pending', attempts = 0, last_error = null, next_attempt_at = now() where id = $1",
      [newOrder.id],
    );
    h.telegram.worker.wake();
    await h.settle();
    const code = (await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.code as string;
    const cards = h.tg.botMessages(seller.id);
    expect(cards).toHaveLength(1);
    const card = cards[0] as ChatMessage;
    expect(card.text).toContain(code);
    expect(buttons(card).map((b) => b.text)).toEqual(["🔔 Ready", "✅ Handed over", "❌ Cancel"]);
    expect(await cardMessage(id, seller.id)).toEqual([card.message_id]);

    // Later changes edit that card.
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const done = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    expect(done.message_id).toBe(card.message_id);
    expect(done.text).toContain("Completed");
    expect(h.tg.botMessages(seller.id)).toHaveLength(1);
  });

  it("sends a fresh card when the old one was deleted, and edits the new one from then on", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const first = await h.cardOf(seller.id, id);
    await h.settle();
    expect(await cardMessage(id, seller.id)).toEqual([first.message_id]);

    // The card disappears from the chat: Telegram now answers edits with "message to edit not found".
    expect(
      await new Api(h.tg.token, { apiRoot: h.tg.apiRoot }).deleteMessage(seller.id, first.message_id),
    ).toBe(true);
    expect(h.tg.botMessages(seller.id)).toEqual([]);

    expect((await h.as(seller).post(`/api/seller/orders/${id}/accept`, {}, api.order)).status).toBe(200);
    const second = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "✅ Handed over"));
    await h.settle();
    expect(second.message_id).not.toBe(first.message_id);
    const refused = h.tg
      .callsTo("editMessageText")
      .filter(
        (c) => Number(c.params.chat_id) === seller.id && Number(c.params.message_id) === first.message_id,
      );
    expect(refused.map((c) => [c.status, c.description])).toEqual([
      [400, "Bad Request: message to edit not found"],
    ]);
    expect(await row(id, "seller_card")).toMatchObject({ status: "sent", message_id: second.message_id });
    expect(await cardMessage(id, seller.id)).toEqual([second.message_id]);
    expect(h.tg.botMessages(seller.id)).toHaveLength(1);

    // The next change edits the new card in place.
    h.tg.pressButton(seller.id, seller.id, second.message_id, callbackOf(second, "✅"));
    const done = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    await h.settle(); // the edit is on screen; let its call finish too
    expect(done.message_id).toBe(second.message_id);
    expect(done.editCount).toBeGreaterThanOrEqual(1);
    expect(h.tg.botMessages(seller.id)).toHaveLength(1);
    const edits = h.tg.callsTo("editMessageText").filter((c) => Number(c.params.chat_id) === seller.id);
    expect(edits.map((c) => [Number(c.params.message_id), c.status]).at(-1)).toEqual([
      second.message_id,
      200,
    ]);
  });

  it("fails a row of an unknown kind or with a payload its kind cannot read at once, saying why, and never sends it", async () => {
    // The schema allows only the kinds this code knows …
    const [check] = await h.db.query<{ def: string }>(
      "select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'outbox_kind_known'",
    );
    expect([...(check?.def ?? "").matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort()).toEqual(
      [...OUTBOX_KINDS].sort(),
    );
    // … so this test's own database drops that guard, to see what the worker does with a row it cannot read.
    await h.db.query("alter table outbox drop constraint outbox_kind_known");

    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    await h.cardOf(seller.id, id);
    await h.settle();
    const callsBefore = h.tg.calls.length;

    const bad: { kind: string; payload: string; orderId: number | null; chatId: number; error: RegExp }[] = [
      {
        kind: "seller_fax",
        payload: "{}",
        orderId: id,
        chatId: seller.id,
        error: /^unknown outbox kind "seller_fax"$/,
      },
      // a name every object has, which a kind lookup must not mistake for a known kind
      {
        kind: "constructor",
        payload: "{}",
        orderId: null,
        chatId: buyer.id,
        error: /^unknown outbox kind "constructor"$/,
      },
      {
        kind: "buyer_status",
        payload: '{"status":"teleported","reason":null}',
        orderId: id,
        chatId: buyer.id,
        error: /^bad buyer_status payload: /,
      },
      {
        kind: "seller_rating",
        payload: '{"stars":9,"comment":null}',
        orderId: id,
        chatId: seller.id,
        error: /^bad seller_rating payload: /,
      },
      {
        kind: "seller_card",
        payload: "[]",
        orderId: id,
        chatId: seller.id,
        error: /^bad seller_card payload: /,
      },
    ];
    const failedBefore = new Map<string, number>();
    for (const b of bad) failedBefore.set(b.kind, await counter("lastbite_outbox_failed_total", b.kind));
    const ids: number[] = [];
    for (const [i, b] of bad.entries()) {
      const [r] = await h.db.query<{ id: number }>(
        "insert into outbox (dedupe_key, kind, order_id, chat_id, payload) values ($1, $2, $3, $4, $5::jsonb) returning id",
        [`test:unreadable:${id}:${i}`, b.kind, b.orderId, b.chatId, b.payload],
      );
      ids.push(Number(r?.id));
    }
    h.telegram.worker.wake();
    await h.settle();
    // More passes change nothing: a row that cannot be read is not retried.
    await h.telegram.worker.drain();
    await sleep(200);

    const rows = await h.db.query<{
      id: number;
      status: string;
      attempts: number;
      last_error: string | null;
    }>("select id, status, attempts, last_error from outbox where id = any($1) order by id", [ids]);
    expect(rows).toHaveLength(bad.length);
    for (const [i, b] of bad.entries()) {
      const r = rows[i];
      expect(r, b.kind).toMatchObject({
        status: "failed",
        attempts: 1,
        last_error: expect.stringMatching(b.error),
      });
    }
    for (const b of new Set(bad.map((x) => x.kind)))
      expect(await counter("lastbite_outbox_failed_total", b), b).toBe(
        (failedBefore.get(b) ?? 0) + bad.filter((x) => x.kind === b).length,
      );
    // Nothing went to Telegram for them.
    expect(h.tg.calls.slice(callsBefore).filter((c) => c.method !== "getUpdates")).toEqual([]);
  });
});
