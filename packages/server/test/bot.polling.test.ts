/**
 * Long polling as a person feels it: whenever they press or write, the bot answers at once, also
 * right after an idle long poll ran out. The poll is 1 s here instead of 30 s so that the moment
 * it runs out comes often; the relation between the poll and the client's own timeout is the
 * production one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotHarness, callbackOf, startBotHarness } from "./bot-harness.ts";
import { DATABASES } from "./helpers.ts";

const POLL_SECONDS = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASES)("long polling on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind, { pollTimeoutSeconds: POLL_SECONDS });
  });
  afterAll(async () => h?.close());

  it("answers a /start that comes just as an idle long poll runs out", async () => {
    const user = await h.person({ language_code: "en" });
    // After each answer the bot polls again at once: wait until just past the end of that poll.
    for (const past of [20, 60, 150, 400]) {
      const before = h.tg.botMessages(user.id).length;
      await sleep(POLL_SECONDS * 1000 + past);
      const sent = Date.now();
      h.tg.sendText(user.id, "/start");
      await h.tg.waitFor((d) => d.botMessages(user.id).length > before || undefined, 10_000);
      expect(Date.now() - sent, `${past} ms after the poll ran out`).toBeLessThan(1000);
    }
  });

  it("answers a press that comes just as an idle long poll runs out", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    await h.settle();
    await sleep(POLL_SECONDS * 1000 + 40);
    const sent = Date.now();
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    await h.tg.waitFor((d) => d.callbackAnswers.find((a) => a.userId === seller.id), 10_000);
    expect(Date.now() - sent).toBeLessThan(1000);
  });
});
