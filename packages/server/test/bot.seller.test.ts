/**
 * The seller's side in the bot: admins' ✅/❌ cards for new shops (two admins pressing at once make
 * one decision, the owner is told once), 🔔 Ready on a confirmed pickup order's card, and the accept
 * reminder giving up its buttons once the order moved on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { FakeClock } from "../src/core/clock.ts";
import { type BotHarness, buttons, callbackOf, startBotHarness } from "./bot-harness.ts";
import { api, DATABASES, newUser } from "./helpers.ts";

describe.each(DATABASES)("shop moderation in the bot on %s", (kind) => {
  let h: BotHarness;
  const admins: InitDataUser[] = [
    newUser({ first_name: "AdminOne", language_code: "en" }),
    newUser({ first_name: "AdminTwo", language_code: "ru" }),
  ];

  beforeAll(async () => {
    h = await startBotHarness(kind, { config: { ADMIN_IDS: admins.map((a) => a.id).join(",") } });
    for (const a of admins) {
      h.tg.addUser({ id: a.id, first_name: a.first_name, language_code: a.language_code ?? null });
      await h.as(a).get("/api/me");
    }
  });
  afterAll(async () => h?.close());

  const reviewCard = (adminId: number, storeId: number) =>
    h.tg.waitFor((d) =>
      d.botMessages(adminId).find((m) => m.text?.includes(`№${storeId}`) || m.text?.includes(`#${storeId}`)),
    );
  const answerTo = (pressId: string) =>
    h.tg.waitFor((d) => d.callbackAnswers.find((a) => a.callbackQueryId === pressId));

  it("each admin gets a card with ✅/❌; both pressing at once make one decision; the owner is told once, in their language", async () => {
    const owner = await h.person({ language_code: "uz" });
    const { storeId, offerId } = await h.shop(owner, { category: "bakery" });
    const [a, b] = admins as [InitDataUser, InitDataUser];
    const cardA = await reviewCard(a.id, storeId);
    const cardB = await reviewCard(b.id, storeId);
    expect(cardA.text).toContain("Non Uyi");
    expect(cardA.text).toContain("Bakery");
    expect(buttons(cardA).map((x) => x.text)).toEqual(["✅ Approve", "❌ Reject"]);
    expect(buttons(cardB).map((x) => x.text)).toEqual(["✅ Одобрить", "❌ Отклонить"]);
    // not on sale while pending
    const early = await h.as(newUser()).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] });
    expect(early.problem.code).toBe("offer_unavailable");

    const pa = h.tg.pressButton(a.id, a.id, cardA.message_id, callbackOf(cardA, "✅"));
    const pb = h.tg.pressButton(b.id, b.id, cardB.message_id, callbackOf(cardB, "❌"));
    const [ansA, ansB] = await Promise.all([answerTo(pa), answerTo(pb)]);
    const store = (await h.as(owner).get(`/api/stores/${storeId}`, api.store)).body;
    expect(["active", "rejected"]).toContain(store.status);
    // exactly one press won; the other was told it was already decided
    const won = [ansA, ansB].filter((x) => !x.showAlert);
    expect(won).toHaveLength(1);
    expect([ansA, ansB].filter((x) => x.showAlert)[0]?.text).toMatch(/Already decided|Уже решено/);
    const events = await h.db.query(
      "select 1 from outbox where kind = 'store_decision' and payload->>'store_id' = $1",
      [String(storeId)],
    );
    expect(events).toHaveLength(1);
    const told = await h.tg.waitFor((d) => d.botMessages(owner.id).find((m) => m.text?.includes("Non Uyi")));
    expect(told.text).toMatch(store.status === "active" ? /tasdiqlandi/ : /tasdiqlanmadi/);
    // both admins' cards lose their buttons and show the decision
    await h.tg.waitFor((d) =>
      d.botMessages(a.id).find((m) => m.message_id === cardA.message_id && buttons(m).length === 0),
    );
    await h.tg.waitFor((d) =>
      d.botMessages(b.id).find((m) => m.message_id === cardB.message_id && buttons(m).length === 0),
    );
    await h.settle();
    expect(h.tg.botMessages(owner.id).filter((m) => m.text?.includes("Non Uyi"))).toHaveLength(1);
  });

  it("one admin decides: every admin's card shows the decision and loses its buttons, pressed or not", async () => {
    const owner = await h.person();
    const { storeId } = await h.shop(owner);
    const [a, b] = admins as [InitDataUser, InitDataUser];
    const cardA = await reviewCard(a.id, storeId);
    const cardB = await reviewCard(b.id, storeId);
    const press = h.tg.pressButton(a.id, a.id, cardA.message_id, callbackOf(cardA, "❌"));
    await answerTo(press);
    // B never pressed: its card follows anyway
    const edited = await h.tg.waitFor((d) =>
      d.botMessages(b.id).find((m) => m.message_id === cardB.message_id && buttons(m).length === 0),
    );
    expect(edited.text).toMatch(/Не одобрен/);
    await h.settle();
    expect(
      (await h.outbox()).filter((r) => r.kind === "admin_store_decided").every((r) => r.status === "sent"),
    ).toBe(true);
  });

  it("/suspend and /reinstate: an admin takes a shop off sale and back; the owner is told each time; others are refused", async () => {
    const owner = await h.person({ language_code: "ru" });
    const { storeId, offerId } = await h.shop(owner);
    const [a] = admins as [InitDataUser];
    expect((await h.as(a).post(`/api/admin/stores/${storeId}/approve`)).status).toBe(200);
    const reply = (chatId: number, after: number, pattern: RegExp) =>
      h.tg.waitFor((d) =>
        d.botMessages(chatId).find((m) => m.message_id > after && pattern.test(m.text ?? "")),
      );
    const last = (chatId: number) => h.tg.botMessages(chatId).at(-1)?.message_id ?? 0;

    // an owner is no admin
    let mark = last(owner.id);
    h.tg.sendText(owner.id, `/suspend ${storeId}`);
    await reply(owner.id, mark, /только администраторы/);
    expect((await h.as(owner).get(`/api/stores/${storeId}`, api.store)).body.status).toBe("active");

    mark = last(a.id);
    h.tg.sendText(a.id, "/suspend");
    await reply(a.id, mark, /\/suspend <shop number>/);
    h.tg.sendText(a.id, "/suspend 999999999");
    await reply(a.id, mark, /no shop #999999999/);

    mark = last(a.id);
    const ownerMark = last(owner.id);
    h.tg.sendText(a.id, `/suspend ${storeId}`);
    await reply(a.id, mark, new RegExp(`#${storeId}\\) is suspended`));
    expect((await h.as(owner).get(`/api/stores/${storeId}`, api.store)).body.status).toBe("suspended");
    const order = await h.as(newUser()).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] });
    expect(order.problem.code).toBe("offer_unavailable");
    await reply(owner.id, ownerMark, /приостановлен/);
    // again: nothing to change
    mark = last(a.id);
    h.tg.sendText(a.id, `/suspend ${storeId}`);
    await reply(a.id, mark, /is Suspended: nothing to change/);

    mark = last(a.id);
    h.tg.sendText(a.id, `/reinstate #${storeId}`);
    await reply(a.id, mark, /is open again/);
    await reply(owner.id, ownerMark, /снова открыт/);
    const again = await h.as(newUser()).post("/api/orders", { items: [{ offer_id: offerId, quantity: 1 }] });
    expect(again.status).toBe(201);
  });

  it("a non-admin's press changes nothing", async () => {
    const owner = await h.person();
    const { storeId } = await h.shop(owner);
    const card = await reviewCard((admins[0] as InitDataUser).id, storeId);
    const press = h.tg.pressButton(
      owner.id,
      (admins[0] as InitDataUser).id,
      card.message_id,
      callbackOf(card, "✅"),
    );
    expect((await answerTo(press)).text).toContain("Only admins");
    expect((await h.as(owner).get(`/api/stores/${storeId}`, api.store)).body.status).toBe("pending");
  });
});

describe.each(DATABASES)("🔔 Ready on the seller's card on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind);
  });
  afterAll(async () => h?.close());

  it("a confirmed pickup order's card offers 🔔 Ready: pressed, the order is ready and the buyer is told to come", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const confirmed = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "🔔 Ready"));
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(confirmed, "🔔"));
    const told = await h.tg.waitFor((d) =>
      d.botMessages(buyer.id).find((m) => m.text?.includes("ready for pickup")),
    );
    expect(told.text).toContain("Tashkent, Chilonzor 5");
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("ready");
    const ready = await h.cardOf(
      seller.id,
      id,
      (m) => !buttons(m).some((b) => b.text === "🔔 Ready") && buttons(m).length > 0,
    );
    expect(buttons(ready).map((b) => b.text)).toEqual(["✅ Handed over", "❌ Cancel"]);
  });

  it("a delivery order's card has no 🔔 Ready", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId, {
      delivery_type: "delivery",
      delivery_address: "Yunusobod 4-12",
      customer_phone: "+998907654321",
    });
    const card = await h.cardOf(seller.id, id);
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const confirmed = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "❌ Cancel"));
    expect(buttons(confirmed).map((b) => b.text)).not.toContain("🔔 Ready");
  });
});

describe.each(DATABASES)("the accept reminder on %s", (kind) => {
  let h: BotHarness;
  const clock = new FakeClock();
  beforeAll(async () => {
    h = await startBotHarness(kind, { clock });
  });
  afterAll(async () => h?.close());

  it("loses its ✅/❌ once the order is accepted on the card: only the card keeps live buttons", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id, (m) => !m.text?.includes("still waiting"));
    clock.advance({ s: 901 }); // half of ORDER_ACCEPT_TIMEOUT (1800 s)
    expect(await h.app.services.jobs.runDue()).toBeGreaterThanOrEqual(1);
    const reminder = await h.tg.waitFor((d) =>
      d.botMessages(seller.id).find((m) => m.text?.includes(`#${id} is still waiting`)),
    );
    expect(buttons(reminder).map((b) => b.text)).toEqual(["✅ Accept", "❌ Reject"]);
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    await h.tg.waitFor((d) =>
      d.botMessages(seller.id).find((m) => m.message_id === reminder.message_id && buttons(m).length === 0),
    );
    await h.settle();
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("confirmed");
    expect(
      buttons(await h.cardOf(seller.id, id, (m) => m.message_id === card.message_id)).length,
    ).toBeGreaterThan(0);
  });
});
