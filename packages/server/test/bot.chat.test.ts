import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../src/core/clock.ts";
import { type BotHarness, buttons, startBotHarness } from "./bot-harness.ts";
import { DATABASES } from "./helpers.ts";

describe.each(DATABASES)("the bot's chat on %s", (kind) => {
  let h: BotHarness;
  const clock = new FakeClock();
  beforeAll(async () => {
    h = await startBotHarness(kind, { clock });
  });
  afterAll(async () => h?.close());

  it("/start greets in the user's language and offers the Mini App; /start order_42 opens that order", async () => {
    const en = await h.person({ language_code: "en", first_name: "Kamola" });
    h.tg.sendText(en.id, "/start");
    const hi = await h.tg.waitFor((d) => d.botMessages(en.id)[0]);
    expect(hi.text).toContain("Hi, Kamola");
    const open = buttons(hi)[0];
    expect(open && "url" in open ? open.url : "").toBe(`https://t.me/${h.tg.bot.username}?startapp`);

    const ru = await h.person({ language_code: "ru" });
    h.tg.sendText(ru.id, "/start order_42");
    const deep = await h.tg.waitFor((d) => d.botMessages(ru.id)[0]);
    expect(deep.text).toContain("Заказ №42");
    const b = buttons(deep)[0];
    expect(b && "url" in b ? b.url : "").toBe(`https://t.me/${h.tg.bot.username}?startapp=order_42`);

    const uz = await h.person({ language_code: "uz" });
    h.tg.sendText(uz.id, "/start");
    expect((await h.tg.waitFor((d) => d.botMessages(uz.id)[0])).text).toContain("Salom");
    // the commands menu is set in every language
    expect(h.tg.myCommands({ type: "default" }, "ru")[0]?.command).toBe("start");
  });

  it("saves the phone a user shares as a contact, and only their own", async () => {
    const user = await h.person();
    h.tg.sendContact(user.id, "90 123 45 67");
    await h.tg.waitFor((d) => d.botMessages(user.id).find((m) => m.text?.includes("+998901234567")));
    const [row] = await h.db.query<{ phone: string }>("select phone from users where id = $1", [user.id]);
    expect(row?.phone).toBe("+998901234567");

    h.tg.sendContact(user.id, "+998 93 000 00 00", { user_id: user.id + 1, first_name: "Someone" });
    await h.tg.waitFor((d) => d.botMessages(user.id).find((m) => m.text?.includes("your own")));
    const [after] = await h.db.query<{ phone: string }>("select phone from users where id = $1", [user.id]);
    expect(after?.phone).toBe("+998901234567");
  });

  it("tells the seller when the buyer cancels, and the card ends without buttons", async () => {
    const seller = await h.person({ language_code: "uz" });
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    expect(card.text).toContain("Yangi buyurtma"); // the seller's language
    expect(buttons(card).map((b) => b.text)).toEqual(["✅ Qabul qilish", "❌ Rad etish"]);
    expect((await h.as(buyer).post(`/api/orders/${id}/cancel`, {})).status).toBe(200);
    await h.tg.waitFor((d) => d.botMessages(seller.id).find((m) => m.text?.includes("Xaridor buyurtma")));
    await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    await h.settle();
    // the buyer did it themselves: no message to the buyer
    expect(h.tg.botMessages(buyer.id)).toHaveLength(0);
  });

  it("tells both sides when an order expires unanswered", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    await h.cardOf(seller.id, id);
    clock.advance({ s: 1800 });
    expect(await h.app.services.jobs.runDue()).toBeGreaterThanOrEqual(1);
    const buyerMsg = await h.tg.waitFor((d) =>
      d.botMessages(buyer.id).find((m) => m.text?.includes("expired")),
    );
    expect(buyerMsg.text).toContain("did not answer in time");
    await h.tg.waitFor((d) =>
      d.botMessages(seller.id).find((m) => m.text?.includes(`Order #${id} has expired`)),
    );
    const card = await h.cardOf(seller.id, id, (m) => buttons(m).length === 0);
    expect(card.text).toContain("Expired");
  });

  it("asks the seller to close a delivery out for more than 3 hours; the button completes it", async () => {
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId, {
      delivery_type: "delivery",
      delivery_address: "Yunusobod 4",
      customer_phone: "+998901234567",
    });
    for (const action of ["accept", "delivering"])
      expect((await h.as(seller).post(`/api/seller/orders/${id}/${action}`, {})).status).toBe(200);
    clock.advance({ s: 3 * 3600 });
    await h.app.services.jobs.runDue();
    const ask = await h.tg.waitFor((d) =>
      d.botMessages(seller.id).find((m) => m.text?.includes(`Order #${id} has been out for delivery`)),
    );
    expect((await h.as(buyer).get(`/api/orders/${id}`)).json).toMatchObject({ status: "delivering" });
    const [button] = buttons(ask);
    expect(button?.text).toBe("✅ Handed over");
    h.tg.pressButton(
      seller.id,
      seller.id,
      ask.message_id,
      (button as { callback_data: string }).callback_data,
    );
    await h.tg.waitFor((d) =>
      d.botMessages(buyer.id).find((m) => m.text?.includes(`Order #${id} completed`)),
    );
    expect((await h.as(buyer).get(`/api/orders/${id}`)).json).toMatchObject({ status: "completed" });
  });

  it("answers presses it does not understand, and rating twice", async () => {
    const user = await h.person();
    h.tg.sendText(user.id, "/start");
    const msg = await h.tg.waitFor((d) => d.botMessages(user.id)[0]);
    h.tg.pressButton(user.id, user.id, msg.message_id, "order_accept:1");
    const a = await h.tg.waitFor((d) => d.callbackAnswers.find((x) => x.userId === user.id));
    expect(a.text).toContain("no longer valid");
    h.tg.pressButton(user.id, user.id, msg.message_id, "r:999999:5");
    await h.tg.waitFor((d) =>
      d.callbackAnswers.find((x) => x.userId === user.id && x.text?.includes("cannot be rated")),
    );
    expect(h.tg.unansweredPresses()).toEqual([]);
  });
});

describe.each(DATABASES)("Mini App buttons with an https PUBLIC_URL on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind, { config: { PUBLIC_URL: "https://lastbite.example" } });
  });
  afterAll(async () => h?.close());

  it("uses web_app buttons and sets the bot-wide menu button", async () => {
    await h.tg.waitFor((d) => d.menuButton().type === "web_app");
    expect(h.tg.menuButton()).toMatchObject({
      type: "web_app",
      web_app: { url: "https://lastbite.example/" },
    });
    const seller = await h.person();
    const buyer = await h.person();
    const { offerId } = await h.shop(seller);
    const id = await h.order(buyer, offerId);
    const card = await h.cardOf(seller.id, id);
    h.tg.pressButton(seller.id, seller.id, card.message_id, `o:accept:${id}`);
    const photo = await h.tg.waitFor((d) => d.botMessages(buyer.id).find((m) => m.photo));
    const open = buttons(photo).find((b) => "web_app" in b);
    expect(open && "web_app" in open ? open.web_app?.url : "").toBe(
      `https://lastbite.example/?startapp=order_${id}`,
    );
  });
});
