import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotHarness, buttons, callbackOf, startBotHarness } from "./bot-harness.ts";
import { api, DATABASES } from "./helpers.ts";

const isAlert = (text: string | undefined) => (text ?? "").startsWith("❤️");

describe.each(DATABASES)("new-offer alerts to followers on %s", (kind) => {
  let h: BotHarness;

  beforeAll(async () => {
    h = await startBotHarness(kind);
  });
  afterAll(async () => h?.close());

  const post = async (seller: Parameters<BotHarness["shop"]>[0], storeId: number, title: string) =>
    (
      await h
        .as(seller)
        .post(
          `/api/stores/${storeId}/offers`,
          { title, price: 5000, original_price: 10000, quantity: 10 },
          api.offer,
        )
    ).body;

  it("tells each follower once a day a shop, with a button that opens the offer", async () => {
    const seller = await h.person({ first_name: "Baker" });
    const { storeId } = await h.shop(seller);
    const fans = [await h.person({ language_code: "ru" }), await h.person(), await h.person()];
    const quiet = await h.person();
    for (const u of [...fans, quiet, seller])
      expect((await h.as(u).put(`/api/stores/${storeId}/favourite`)).status).toBe(204);
    await h.as(quiet).patch("/api/me", { offer_alerts: false }, api.me);

    const first = await post(seller, storeId, "Lepyoshka");
    await post(seller, storeId, "Somsa"); // the same day: no second message
    // Announcing it again the same day queues nothing more.
    expect(await h.app.services.buyers.announceOffer(first.id)).toBe(0);
    await h.settle();
    // Paused and resumed the same day: still nothing more.
    expect((await h.as(seller).patch(`/api/offers/${first.id}`, { active: false }, api.offer)).status).toBe(
      200,
    );
    await h.as(seller).patch(`/api/offers/${first.id}`, { active: true }, api.offer);
    await h.settle();

    for (const fan of fans) {
      const alerts = h.tg.botMessages(fan.id).filter((m) => isAlert(m.text));
      expect(alerts, `fan ${fan.id}`).toHaveLength(1);
      const [alert] = alerts;
      expect(alert?.text).toContain("Lepyoshka");
      expect(alert?.text).toContain("−50%");
      const open = buttons(alert as NonNullable<typeof alert>).find((b) => "url" in b && b.url);
      expect(open && "url" in open ? open.url : "").toMatch(new RegExp(`startapp=offer_${first.id}$`));
    }
    expect(h.tg.botMessages(fans[0]?.id as number).find((m) => isAlert(m.text))?.text).toContain("Новое");
    expect(h.tg.botMessages(quiet.id).filter((m) => isAlert(m.text))).toHaveLength(0);
    expect(h.tg.botMessages(seller.id).filter((m) => isAlert(m.text))).toHaveLength(0);
  });

  it("stops when the follower presses 🔕 or sends /alerts, and /alerts turns them back on", async () => {
    const seller = await h.person();
    const { storeId } = await h.shop(seller);
    const fan = await h.person();
    await h.as(fan).put(`/api/stores/${storeId}/favourite`);
    const extra = await h
      .as(seller)
      .post(
        `/api/stores/${storeId}/offers`,
        { title: "Paused", price: 100, quantity: 1, active: false },
        api.offer,
      );
    await h.db.query("delete from outbox where kind = 'favourite_offer' and chat_id = $1", [fan.id]);
    await h.as(seller).patch(`/api/offers/${extra.body.id}`, { active: false }, api.offer);
    expect(await h.app.services.buyers.announceOffer(extra.body.id)).toBe(0); // not on sale: nobody told
    await post(seller, storeId, "Non");
    const alert = await h.tg.waitFor((d) => d.botMessages(fan.id).find((m) => isAlert(m.text)));
    h.tg.pressButton(fan.id, fan.id, alert.message_id, callbackOf(alert, "🔕"));
    await h.tg.waitFor((d) => d.callbackAnswers.find((a) => a.userId === fan.id));
    expect((await h.as(fan).get("/api/me", api.me)).body.user.offer_alerts).toBe(false);

    h.tg.sendText(fan.id, "/alerts");
    await h.tg.waitFor((d) => d.botMessages(fan.id).find((m) => m.text?.startsWith("🔔")));
    expect((await h.as(fan).get("/api/me", api.me)).body.user.offer_alerts).toBe(true);
  });

  it("does not send an alert for an offer that is no longer on sale when its turn comes", async () => {
    const seller = await h.person();
    const { storeId } = await h.shop(seller);
    const fan = await h.person();
    await h.as(fan).put(`/api/stores/${storeId}/favourite`);
    await h.telegram.stop();
    const offer = await post(seller, storeId, "Gone soon");
    await h.as(seller).patch(`/api/offers/${offer.id}`, { active: false }, api.offer);
    await h.telegram.start();
    await h.settle();
    expect(h.tg.botMessages(fan.id).filter((m) => isAlert(m.text))).toHaveLength(0);
    const rows = await h.db.query<{ status: string }>(
      "select status from outbox where kind = 'favourite_offer' and chat_id = $1",
      [fan.id],
    );
    expect(rows).toEqual([{ status: "sent" }]);
  });

  it("an offer gone before its turn gives its place to the shop's newer offer of the day, never an older one", async () => {
    const seller = await h.person();
    const { storeId } = await h.shop(seller);
    const fan = await h.person();
    await h.as(fan).put(`/api/stores/${storeId}/favourite`);
    await h.telegram.stop();
    const gone = await post(seller, storeId, "Morning bread");
    const later = await post(seller, storeId, "Evening samsa"); // the same day: folded into the first alert
    await h.as(seller).patch(`/api/offers/${gone.id}`, { active: false }, api.offer);
    await h.telegram.start();
    await h.settle();
    const alerts = h.tg.botMessages(fan.id).filter((m) => isAlert(m.text));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.text).toContain("Evening samsa");
    const open = buttons(alerts[0] as NonNullable<(typeof alerts)[0]>).find((b) => "url" in b && b.url);
    expect(open && "url" in open ? open.url : "").toMatch(new RegExp(`startapp=offer_${later.id}$`));
  });
});
