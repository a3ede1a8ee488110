/**
 * The outbox worker against a fake Telegram that enforces the flood limits (429 with retry_after
 * beyond N messages a second overall and 1 a second per chat): a burst drains at the limits without
 * provoking a single 429, a chat with a backlog does not hold up the others, and a stop while rows
 * wait for their turn loses nothing.
 */
import type { ApiCall } from "@lastbite/telegram-double";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { type BotHarness, startBotHarness } from "./bot-harness.ts";
import { DATABASES } from "./helpers.ts";

/** Overall, on both sides: lower than Telegram's 30 so that 30-odd chats already reach it. */
const PER_SECOND = 10;
const HOT_CHATS = 3;
const PER_HOT_CHAT = 30;
const COLD_CHATS = 30;

describe.each(DATABASES)("paced notifications on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind, { worker: { messagesPerSecond: PER_SECOND } });
  });
  afterAll(async () => h?.close());

  /** Messages that reached a chat (sends and edits Telegram accepted), in order. */
  const delivered = (chatId: number) =>
    h.tg.calls.filter(
      (c) => c.status === 200 && /^(send|edit)/.test(c.method) && Number(c.params.chat_id) === chatId,
    );
  const order = (buyer: InitDataUser, offerId: number) =>
    h.order(buyer, offerId, { items: [{ offer_id: offerId, quantity: 1 }] });

  it(`a burst of ${HOT_CHATS * PER_HOT_CHAT} notifications to ${HOT_CHATS} chats (and ${COLD_CHATS} to others) drains at Telegram's pace without one 429`, async () => {
    await h.telegram.worker.stop();
    h.tg.setRateLimit({ perSecond: PER_SECOND, perChatPerSecond: 1 });
    // Three busy shops get 30 orders each; thirty quiet shops one each, written after the others.
    const hot = await Promise.all(Array.from({ length: HOT_CHATS }, () => h.person()));
    const cold = await Promise.all(Array.from({ length: COLD_CHATS }, () => h.person()));
    const buyers = await Promise.all(Array.from({ length: PER_HOT_CHAT }, () => h.person()));
    const hotOffers = await Promise.all(hot.map(async (s) => (await h.shop(s)).offerId));
    const coldOffers = await Promise.all(cold.map(async (s) => (await h.shop(s)).offerId));
    for (const b of buyers) for (const offer of hotOffers) await order(b, offer);
    for (const [i, offer] of coldOffers.entries()) await order(buyers[i] as InitDataUser, offer);
    const total = HOT_CHATS * PER_HOT_CHAT + COLD_CHATS;
    expect((await h.outbox()).filter((r) => r.status === "pending")).toHaveLength(total);

    const started = Date.now();
    await h.telegram.worker.start();
    // The quiet shops are not queued behind the busy ones' 90 cards: they hear within seconds.
    await h.tg.waitFor((d) => cold.every((s) => d.botMessages(s.id).length === 1), 10_000);
    const coldDone = Date.now() - started;
    await h.tg.waitFor(
      (d) => hot.every((s) => d.botMessages(s.id).length === PER_HOT_CHAT),
      (PER_HOT_CHAT + 20) * 1000,
    );
    const drained = Date.now() - started;
    await h.settle();

    // Not one 429: the worker kept under both limits by itself.
    expect(h.tg.rateLimitStats()).toMatchObject({ refused: 0, allowed: total });
    expect(h.tg.calls.filter((c) => c.status === 429)).toEqual([]);
    // Everything delivered, once.
    for (const s of hot) expect(delivered(s.id)).toHaveLength(PER_HOT_CHAT);
    for (const s of cold) expect(delivered(s.id)).toHaveLength(1);
    expect((await h.outbox()).filter((r) => r.status !== "sent")).toEqual([]);
    // One a second per chat: consecutive messages to a busy chat ~1 s apart or more. (The worker
    // spaces them by a second when they leave; the double stamps their arrival, in whole
    // milliseconds, in a process it shares with the worker and the embedded database.)
    const gaps = hot.flatMap((s) => spacing(delivered(s.id)));
    const busiest = busiestSecond(h.tg.calls.filter((c) => c.status === 200 && /^send/.test(c.method)));
    console.log(
      `paced burst on ${kind}: ${total} messages, the quiet chats done in ${coldDone} ms, all in ${drained} ms; ` +
        `busy chats' messages ${Math.min(...gaps)} ms apart at least; at most ${busiest} sends in a second`,
    );
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    // … and no slower than that: 30 messages a chat take 29 s at best.
    expect(drained).toBeGreaterThanOrEqual((PER_HOT_CHAT - 1) * 950);
    expect(drained).toBeLessThan((PER_HOT_CHAT - 1) * 1000 + 8000);
    expect(coldDone).toBeLessThan(8000);
    // Overall: PER_SECOND in any second, give or take an arrival held up by a busy event loop.
    expect(busiest).toBeLessThanOrEqual(PER_SECOND + 2);
    h.tg.setRateLimit(null);
  }, 120_000);

  it("stopping while rows wait for their chat's turn is prompt, and they go out once after a restart", async () => {
    h.tg.setRateLimit({ perSecond: PER_SECOND, perChatPerSecond: 1 });
    await h.telegram.worker.stop();
    const seller = await h.person();
    const { offerId } = await h.shop(seller);
    const buyers = await Promise.all(Array.from({ length: 4 }, () => h.person()));
    const ids = [];
    for (const b of buyers) ids.push(await order(b, offerId));
    await h.telegram.worker.start();
    await h.tg.waitFor((d) => d.botMessages(seller.id).length >= 2, 10_000);
    const t0 = Date.now();
    await h.telegram.worker.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    const open = await h.db.query<{ status: string; attempts: number; sending: boolean }>(
      "select status, attempts, sending_since is not null as sending from outbox where order_id = any($1) and status <> 'sent'",
      [ids],
    );
    // whatever had not gone out is back in the queue, its attempt not counted
    for (const r of open) expect(r).toMatchObject({ status: "pending", attempts: 0, sending: false });
    await h.telegram.worker.start();
    await h.tg.waitFor((d) => d.botMessages(seller.id).length === 4, 10_000);
    await h.settle();
    expect(delivered(seller.id)).toHaveLength(4);
    expect(h.tg.rateLimitStats().refused).toBe(0);
    h.tg.setRateLimit(null);
  }, 60_000);
});

/** Milliseconds between consecutive calls. */
function spacing(calls: ApiCall[]): number[] {
  const t = calls.map((c) => c.at.getTime()).sort((a, b) => a - b);
  return t.slice(1).map((x, i) => x - (t[i] as number));
}

/** The most calls in any one-second window. */
function busiestSecond(calls: ApiCall[]): number {
  const t = calls.map((c) => c.at.getTime()).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] as number) - (t[i] as number) >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
