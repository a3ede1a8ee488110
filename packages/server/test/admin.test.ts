/**
 * Admins (ADMIN_IDS) may act on any shop's orders, through the seller API and through the bot's
 * card buttons; the order's history says an admin did it. Anyone else who is not the shop's
 * owner is told the order does not exist (404) or is not theirs, and nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { type BotHarness, buttons, callbackOf, startBotHarness } from "./bot-harness.ts";
import { approveStore, makeShop, type Shop, stockOf } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

interface EventRow {
  from_status: string | null;
  to_status: string;
  actor_type: string;
  actor_id: number | null;
  reason: string | null;
}
const eventsOf = (t: Pick<TestApp, "db">, orderId: number) =>
  t.db.query<EventRow>(
    "select from_status, to_status, actor_type, actor_id, reason from order_events where order_id = $1 order by id",
    [orderId],
  );

describe.each(DATABASES)("an admin acting on another shop's orders through the API on %s", (kind) => {
  let t: TestApp;
  let shop: Shop;
  const admin = newUser({ first_name: "Admin" });
  const stranger = newUser({ first_name: "Stranger" });
  const buyer = newUser({ first_name: "Buyer" });

  beforeAll(async () => {
    t = await createTestApp(kind, { config: { ADMIN_IDS: `${newUser().id},${admin.id}` } });
    shop = await makeShop(t);
    await approveStore(t, shop.store.id);
    // The admin owns no shop at all.
    expect((await t.as(admin).get("/api/me", api.me)).body.stores).toEqual([]);
  });
  afterAll(async () => t?.close());

  const place = async () =>
    (
      await t
        .as(buyer)
        .post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: 2 }] }, api.order)
    ).body;

  it("accepts and completes: the same answers as the owner gets, and the events name the admin", async () => {
    const order = await place();
    expect((await t.as(admin).get(`/api/seller/orders/${order.id}`, api.order)).body.status).toBe("pending");

    const accepted = await t.as(admin).post(`/api/seller/orders/${order.id}/accept`, {}, api.order);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: order.id, status: "confirmed" });
    expect(accepted.body.code).toMatch(/^[2-9A-HJKMNP-Z]{6}$/);
    const done = await t.as(admin).post(`/api/seller/orders/${order.id}/complete`, {}, api.order);
    expect(done.body.status).toBe("completed");
    expect(done.body.timeline.map((e) => e.status)).toEqual(["pending", "confirmed", "completed"]);

    expect(await eventsOf(t, order.id)).toEqual([
      { from_status: null, to_status: "pending", actor_type: "buyer", actor_id: buyer.id, reason: null },
      {
        from_status: "pending",
        to_status: "confirmed",
        actor_type: "admin",
        actor_id: admin.id,
        reason: null,
      },
      {
        from_status: "confirmed",
        to_status: "completed",
        actor_type: "admin",
        actor_id: admin.id,
        reason: null,
      },
    ]);
    // The owner's card follows and the buyer hears of both; the admin's chat gets nothing.
    const outbox = await t.db.query<{ kind: string; chat_id: number }>(
      "select kind, chat_id from outbox where order_id = $1 and event_id is not null order by id",
      [order.id],
    );
    expect(outbox.map((r) => [r.kind, Number(r.chat_id)])).toEqual([
      ["seller_new_order", shop.owner.id],
      ["seller_card", shop.owner.id],
      ["buyer_status", buyer.id],
      ["seller_card", shop.owner.id],
      ["buyer_status", buyer.id],
    ]);
    // The buyer sees the same order the owner would have made.
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body).toMatchObject({
      status: "completed",
      code: accepted.body.code,
    });
  });

  it("rejects with a reason: the stock comes back and the event names the admin and the reason", async () => {
    const before = await stockOf(t, shop.offers[0].id);
    const order = await place();
    expect(await stockOf(t, shop.offers[0].id)).toBe(before - 2);
    const rejected = await t
      .as(admin)
      .post(`/api/seller/orders/${order.id}/reject`, { reason: "Shop closed for inspection" }, api.order);
    expect(rejected.body).toMatchObject({ status: "rejected", reason: "Shop closed for inspection" });
    expect(await stockOf(t, shop.offers[0].id)).toBe(before);
    expect((await eventsOf(t, order.id)).at(-1)).toEqual({
      from_status: "pending",
      to_status: "rejected",
      actor_type: "admin",
      actor_id: admin.id,
      reason: "Shop closed for inspection",
    });
  });

  it("still follows the lifecycle: an admin cannot accept twice or complete a rejected order", async () => {
    const order = await place();
    expect((await t.as(admin).post(`/api/seller/orders/${order.id}/reject`, {})).status).toBe(200);
    for (const action of ["accept", "complete"]) {
      const res = await t.as(admin).post(`/api/seller/orders/${order.id}/${action}`, {});
      expect([res.status, res.problem.code], action).toEqual([409, "invalid_transition"]);
    }
    expect((await eventsOf(t, order.id)).map((e) => e.to_status)).toEqual(["pending", "rejected"]);
  });

  it("gives a signed-in stranger 404 for every action, changing nothing", async () => {
    const order = await place();
    const stock = await stockOf(t, shop.offers[0].id);
    for (const action of ["accept", "reject", "complete", "cancel"]) {
      const res = await t
        .as(stranger)
        .post(`/api/seller/orders/${order.id}/${action}`, { reason: "mine now" });
      expect([res.status, res.problem.code], action).toEqual([404, "not_found"]);
    }
    expect((await t.as(stranger).get(`/api/seller/orders/${order.id}`)).problem.code).toBe("not_found");
    expect((await t.as(buyer).get(`/api/orders/${order.id}`, api.order)).body.status).toBe("pending");
    expect(await eventsOf(t, order.id)).toHaveLength(1);
    expect(await stockOf(t, shop.offers[0].id)).toBe(stock);
  });
});

describe.each(DATABASES)("an admin pressing a shop's card buttons in the bot on %s", (kind) => {
  let h: BotHarness;
  const admin: InitDataUser = newUser({ first_name: "Admin", language_code: "en" });

  beforeAll(async () => {
    h = await startBotHarness(kind, { config: { ADMIN_IDS: String(admin.id) } });
    h.tg.addUser({ id: admin.id, first_name: admin.first_name, language_code: "en" });
    await h.as(admin).get("/api/me");
  });
  afterAll(async () => h?.close());

  /** A pending order of a new shop, and its card in the owner's chat. */
  const pending = async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { storeId, offerId } = await h.shop(seller);
    await approveStore(h, storeId);
    const id = await h.order(buyer, offerId);
    return { seller, buyer, id, card: await h.cardOf(seller.id, id) };
  };
  /** The bot's answer to a press. */
  const answerTo = (pressId: string) =>
    h.tg.waitFor((d) => d.callbackAnswers.find((a) => a.callbackQueryId === pressId));

  it("✅ accept and ✅ handed over by the admin: answered, the owner's card follows, the buyer hears, the events name the admin", async () => {
    const { seller, buyer, id, card } = await pending();

    const accept = h.tg.pressButton(admin.id, seller.id, card.message_id, callbackOf(card, "✅"));
    expect((await answerTo(accept)).text).toBe("✅ Accepted");
    const confirmed = await h.cardOf(seller.id, id, (m) =>
      buttons(m).some((b) => b.text === "✅ Handed over"),
    );
    expect(confirmed.message_id).toBe(card.message_id);
    await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.photo));

    const handOver = h.tg.pressButton(admin.id, seller.id, card.message_id, callbackOf(confirmed, "✅"));
    expect((await answerTo(handOver)).text).toBe("✅ Handed over");
    await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.text?.includes("completed")));

    expect((await eventsOf(h, id)).map((e) => [e.to_status, e.actor_type, e.actor_id])).toEqual([
      ["pending", "buyer", buyer.id],
      ["confirmed", "admin", admin.id],
      ["completed", "admin", admin.id],
    ]);
    await h.settle();
    // The admin was answered, never messaged about the order (only about new shops to approve).
    expect(h.tg.botMessages(admin.id).filter((m) => !m.text?.startsWith("🏪"))).toEqual([]);
  });

  it("❌ reject by the admin: the order is rejected, the buyer told, the event names the admin", async () => {
    const { seller, buyer, id, card } = await pending();
    const ask = h.tg.pressButton(admin.id, seller.id, card.message_id, callbackOf(card, "❌"));
    expect((await answerTo(ask)).text).toBe("Choose a reason");
    const reasons = await h.cardOf(seller.id, id, (m) => buttons(m).some((b) => b.text === "Other"));
    const reject = h.tg.pressButton(admin.id, seller.id, card.message_id, callbackOf(reasons, "Other"));
    expect((await answerTo(reject)).text).toBe("❌ Rejected");
    const final = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    expect(final.text).toContain("Rejected");
    await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.text?.includes(`#${id}`)));
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("rejected");
    expect((await eventsOf(h, id)).at(-1)).toMatchObject({
      to_status: "rejected",
      actor_type: "admin",
      actor_id: admin.id,
    });
  });

  it("a stranger's press is answered 'not your shop' and changes nothing", async () => {
    const { seller, buyer, id, card } = await pending();
    const stranger = await h.person();
    const press = h.tg.pressButton(stranger.id, seller.id, card.message_id, callbackOf(card, "✅"));
    const answer = await answerTo(press);
    expect(answer.text).toBe("This is not your shop's order: nothing was changed.");
    expect(answer.showAlert).toBe(true);
    await h.settle();
    expect((await h.as(buyer).get(`/api/orders/${id}`, api.order)).body.status).toBe("pending");
    expect(await eventsOf(h, id)).toHaveLength(1);
    expect(h.tg.botMessages(seller.id).map((m) => m.editCount)).toEqual([0]);
  });
});
