import { type ChatMessage, TelegramDouble } from "@lastbite/telegram-double";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { createTelegram, type Telegram, type TelegramOptions } from "../src/bot/telegram.ts";
import type { Clock } from "../src/core/clock.ts";
import { api, createTestApp, newUser, TEST_TOKEN, type TestApp } from "./helpers.ts";

/** The app, the real grammY bot and outbox worker, and the fake Telegram they talk to over HTTP. */
export interface BotHarness extends TestApp {
  tg: TelegramDouble;
  telegram: Telegram;
  /** Registers a person with both the API (through auth) and the fake Telegram. */
  person: (over?: Partial<InitDataUser>) => Promise<InitDataUser>;
  /** A shop owned by `seller` with one offer; returns their ids. */
  shop: (
    seller: InitDataUser,
    over?: Record<string, unknown>,
  ) => Promise<{ storeId: number; offerId: number }>;
  /** The buyer orders 2 of the offer; returns the order id. */
  order: (buyer: InitDataUser, offerId: number, body?: Record<string, unknown>) => Promise<number>;
  /** Waits until the bot message about order `id` in `chatId` satisfies `pred`. */
  cardOf: (chatId: number, id: number, pred?: (m: ChatMessage) => boolean) => Promise<ChatMessage>;
  outbox: () => Promise<{ id: number; kind: string; status: string; chat_id: number; attempts: number }[]>;
  /** Waits until no outbox row is pending or being sent. */
  settle: (timeoutMs?: number) => Promise<void>;
}

export async function startBotHarness(
  kind: "pglite" | "postgres",
  opts: {
    mode?: TelegramOptions["mode"];
    config?: Record<string, string>;
    worker?: TelegramOptions["worker"];
    /** The clock the rules read (a FakeClock to move time); default the system's. */
    clock?: Clock;
    /** How long each long poll is held open (default 30 s, as in production). */
    pollTimeoutSeconds?: number;
  } = {},
): Promise<BotHarness> {
  const tg = await TelegramDouble.start({ token: TEST_TOKEN, webhookRetryDelaysMs: [20, 40] });
  let telegram: Telegram | undefined;
  const t = await createTestApp(kind, {
    config: { TELEGRAM_API_ROOT: tg.apiRoot, ...opts.config },
    deps: {
      ...(opts.clock ? { clock: opts.clock } : {}),
      plugins: [
        async (app, services) => {
          telegram = createTelegram({
            services,
            config: services.config,
            token: tg.token,
            apiRoot: tg.apiRoot,
            mode: opts.mode ?? "polling",
            ...(opts.pollTimeoutSeconds ? { pollTimeoutSeconds: opts.pollTimeoutSeconds } : {}),
            worker: { backoffMs: () => 50, pollMs: 100, ...opts.worker },
          });
          await telegram.webhookPlugin(app);
        },
      ],
    },
  });
  const tgm = telegram as unknown as Telegram;
  await tgm.start();
  if ((opts.mode ?? "polling") === "polling") await tg.waitFor((d) => d.callsTo("deleteWebhook").length > 0);
  const h: BotHarness = {
    ...t,
    tg,
    telegram: tgm,
    async person(over = {}) {
      const u = newUser(over);
      tg.addUser({
        id: u.id,
        first_name: u.first_name,
        language_code: u.language_code ?? null,
        username: u.username ?? null,
      });
      await t.as(u).get("/api/me");
      return u;
    },
    async shop(seller, over = {}) {
      const s = await t.as(seller).post(
        "/api/stores",
        {
          name: "Non Uyi",
          address: "Tashkent, Chilonzor 5",
          phone: "+998901234567",
          delivery_enabled: true,
          delivery_fee: 5000,
          ...over,
        },
        api.store,
      );
      if (s.status !== 201) throw new Error(`store: ${JSON.stringify(s.json)}`);
      const o = await t
        .as(seller)
        .post(
          `/api/stores/${s.body.id}/offers`,
          { title: "Samsa", price: 6000, original_price: 12000, quantity: 50 },
          api.offer,
        );
      if (o.status !== 201) throw new Error(`offer: ${JSON.stringify(o.json)}`);
      return { storeId: s.body.id, offerId: o.body.id };
    },
    async order(buyer, offerId, body = {}) {
      const r = await t
        .as(buyer)
        .post(
          "/api/orders",
          { items: [{ offer_id: offerId, quantity: 2 }], delivery_type: "pickup", ...body },
          api.order,
        );
      if (r.status !== 201) throw new Error(`order: ${JSON.stringify(r.json)}`);
      return r.body.id;
    },
    cardOf(chatId, id, pred = () => true) {
      return tg.waitFor(
        (d) =>
          d
            .botMessages(chatId)
            .find((m) => new RegExp(`[#№]${id}(?!\\d)`).test(m.text ?? m.caption ?? "") && pred(m)),
        10_000,
      );
    },
    outbox: () => t.db.query("select id, kind, status, chat_id, attempts from outbox order by id"),
    async settle(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const [r] = await t.db.query<{ n: number }>(
          "select count(*)::int as n from outbox where status in ('pending','sending')",
        );
        if (r?.n === 0) return;
        if (Date.now() > until) throw new Error(`outbox not settled: ${JSON.stringify(await h.outbox())}`);
        await new Promise((res) => setTimeout(res, 25));
      }
    },
    close: async () => {
      await tgm.stop();
      await t.close();
      await tg.close();
    },
  };
  return h;
}

/** The buttons of a message, flattened. */
export const buttons = (m: ChatMessage) => (m.reply_markup?.inline_keyboard ?? []).flat();
export const callbackOf = (m: ChatMessage, startsWith: string) => {
  const b = buttons(m).find((x) => x.text.startsWith(startsWith));
  if (!b || !("callback_data" in b) || !b.callback_data) throw new Error(`no ${startsWith} button`);
  return b.callback_data;
};

/** Decodes the QR code in a PNG. */
export function decodeQr(png: Buffer): string | null {
  const img = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data ?? null;
}
