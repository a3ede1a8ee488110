import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotHarness, buttons, callbackOf, decodeQr, startBotHarness } from "./bot-harness.ts";
import { api, DATABASES } from "./helpers.ts";

describe.each(DATABASES)("the seed's flow through the bot on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind);
  });
  afterAll(async () => h?.close());

  it("order → seller card → ✅ → code and QR → ✅ handed over → ⭐ rating", async () => {
    const seller = await h.person({ language_code: "en" });
    const buyer = await h.person({ language_code: "en", first_name: "Aziza", username: "aziza_t" });
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId, { customer_phone: "+998901112233" });

    // The seller's card: shop, items with quantity and price, total, type, buyer; ✅ / ❌.
    const card = await h.cardOf(seller.id, id);
    expect(card.text).toContain("Non Uyi");
    expect(card.text).toContain("Samsa — 2 × 6\u00a0000\u00a0so'm = 12\u00a0000\u00a0so'm");
    expect(card.text).toContain("Total: 12\u00a0000\u00a0so'm");
    expect(card.text).toContain("Pickup");
    expect(card.text).toContain("Aziza (@aziza_t)");
    expect(buttons(card).map((b) => b.text)).toEqual(["✅ Accept", "❌ Reject"]);

    // ✅ Accept
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const photo = await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.photo));
    const order = (await h.as(buyer).get(`/api/orders/${id}`, api.order)).body;
    expect(order.status).toBe("confirmed");
    expect(order.code).toMatch(/^[A-Z0-9]{6}$/);
    const code = order.code as string;
    expect(photo.caption).toContain(code);
    const bytes = h.tg.photoBytes(photo);
    expect(bytes).toBeDefined();
    expect(decodeQr(bytes as Buffer)).toBe(code);
    const open = buttons(photo).find((b) => "web_app" in b || "url" in b);
    expect(JSON.stringify(open)).toContain(`startapp=order_${id}`);
    // one tap copies the code (Bot API 7.11 copy_text; older clients still read it in the caption)
    expect(buttons(photo).at(-1)).toEqual({ text: `📋 Copy the code ${code}`, copy_text: { text: code } });

    // The same card now offers 🔔 Ready / ✅ Handed over / ❌ Cancel.
    const confirmed = await h.cardOf(seller.id, id, (m) => buttons(m)[1]?.text === "✅ Handed over");
    expect(confirmed.message_id).toBe(card.message_id);
    expect(confirmed.text).toContain(code);
    expect(buttons(confirmed).map((b) => b.text)).toEqual(["🔔 Ready", "✅ Handed over", "❌ Cancel"]);

    // ✅ Handed over → completed; the buyer gets thanks with ⭐1…⭐5; the card has no buttons.
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(confirmed, "✅"));
    const thanks = await h.tg.waitFor((d) =>
      d.botMessages(buyer.id).find((m) => m.text?.includes("completed")),
    );
    expect(buttons(thanks).map((b) => b.text)).toEqual(["⭐1", "⭐2", "⭐3", "⭐4", "⭐5"]);
    const done = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    expect(done.text).toContain("Completed");

    // ⭐5 records the rating, the stars replace the buttons, and the seller hears about it.
    h.tg.pressButton(buyer.id, buyer.id, thanks.message_id, callbackOf(thanks, "⭐5"));
    await h.tg.waitFor((d) =>
      d.botMessages(seller.id).find((m) => m.text?.includes(`rated order #${id}: 5/5`)),
    );
    const rated = (await h.as(buyer).get(`/api/orders/${id}`, api.order)).body;
    expect(rated.rating).toMatchObject({ stars: 5 });
    await h.tg.waitFor((d) =>
      d.botMessages(buyer.id).find((m) => m.message_id === thanks.message_id && buttons(m).length === 0),
    );

    // Every press was answered, and each notification went out exactly once.
    await h.tg.waitFor((d) => d.unansweredPresses().length === 0);
    const answers = h.tg.callbackAnswers.map((a) => a.text);
    expect(answers).toEqual(
      expect.arrayContaining(["✅ Accepted", "✅ Handed over", "Thank you for rating!"]),
    );
    expect(h.tg.botMessages(buyer.id)).toHaveLength(2);
    expect(h.tg.botMessages(seller.id)).toHaveLength(2);
    await h.settle();
    const rows = await h.outbox();
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
  });

  it("❌ reject asks why on the same card (↩️ goes back, nothing changes); a reason rejects, the buyer reads it in their language", async () => {
    const seller = await h.person();
    const buyer = await h.person({ language_code: "ru" });
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "❌"));
    const asking = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "↩️ Back"));
    expect(asking.message_id).toBe(card.message_id);
    // A pickup order: no "cannot deliver".
    expect(buttons(asking).map((b) => b.text)).toEqual(["Sold out", "Closing soon", "Other", "↩️ Back"]);
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("pending");

    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(asking, "↩️"));
    const back = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "✅ Accept"));
    expect(buttons(back).map((b) => b.text)).toEqual(["✅ Accept", "❌ Reject"]);
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("pending");

    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(back, "❌"));
    const again = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "Sold out"));
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(again, "Sold out"));
    const told = await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.text?.includes(`№${id}`)));
    expect(told.text).toContain("не смог принять"); // in the buyer's language
    expect(told.text).toContain("всё распродано"); // and so is the reason
    const order = (await h.as(buyer).get(`/api/orders/${id}`, api.order)).body;
    expect(order.reason_code).toBe("sold_out");
    const final = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    expect(final.text).toContain("Rejected");
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("rejected");
    expect((await h.as(buyer).get(`/api/offers/${offerId}`, api.offer)).body.quantity).toBe(50);
  });

  it("❌ cancel after accepting; a stranger's press and a stale press change nothing and say why", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const stranger = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);

    // A stranger presses ✅ on the seller's card: refused, said why, nothing changes.
    h.tg.pressButton(stranger.id, seller.id, card.message_id, `o:accept:${id}`);
    const refusal = await h.tg.waitFor((d) => d.callbackAnswers.find((a) => a.userId === stranger.id));
    expect(refusal.text).toContain("not your shop");
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("pending");

    h.tg.pressButton(seller.id, seller.id, card.message_id, `o:accept:${id}`);
    const confirmed = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "❌ Cancel"));

    // The old ✅ Accept pressed again (a stale client): answered, nothing changes.
    h.tg.pressButton(seller.id, seller.id, card.message_id, `o:accept:${id}`);
    await h.tg.waitFor((d) => d.callbackAnswers.find((a) => a.text?.includes("already")));

    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(confirmed, "❌"));
    const reasons = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "Closing soon"));
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(reasons, "Closing soon"));
    const cancelled = await h.tg.waitFor((d) =>
      d.botMessages(buyer.id).find((m) => m.text?.includes("was cancelled")),
    );
    expect(cancelled.text).toContain("the shop is closing soon");
    const final = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    expect(final.text).toContain("Cancelled");
    await h.tg.waitFor((d) => d.unansweredPresses().length === 0);
    // accept, cancel: one buyer message each (the QR photo and the cancellation), no duplicates
    expect(h.tg.botMessages(buyer.id)).toHaveLength(2);
  });

  it("delivery: address and phone on the card, ✅ Out for delivery before ✅ Handed over", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId, {
      delivery_type: "delivery",
      delivery_address: "Yunusobod 4-12",
      customer_phone: "+998907654321",
    });
    const card = await h.cardOf(seller.id, id);
    expect(card.text).toContain("Delivery");
    expect(card.text).toContain("Yunusobod 4-12");
    expect(card.text).toContain("+998907654321");
    expect(card.text).toContain("Total: 17\u00a0000\u00a0so'm");
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const accepted = await h.cardOf(seller.id, id, (m) => buttons(m)[0]?.text === "✅ Out for delivery");
    const msg = await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.text?.includes("accepted")));
    expect(msg.photo).toBeUndefined();
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(accepted, "✅"));
    const delivering = await h.cardOf(seller.id, id, (m) => buttons(m)[0]?.text === "✅ Handed over");
    expect(buttons(delivering)).toHaveLength(1);
    await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.text?.includes("on its way")));
    h.tg.pressButton(seller.id, seller.id, card.message_id, callbackOf(delivering, "✅"));
    await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.text?.includes("completed")));
  });
});
