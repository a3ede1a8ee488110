import { createServer } from "node:net";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTelegram, type Telegram } from "../src/bot/telegram.ts";
import { makeRedactor, redactSecretsInLogs } from "../src/core/redact.ts";
import { api, createTestApp, DATABASES, newUser, TEST_TOKEN, type TestApp } from "./helpers.ts";

const SECRET = "whsec_Lastbite_audit_issue10_secret";
const TOKEN_HALF = TEST_TOKEN.slice(TEST_TOKEN.indexOf(":") + 1);

/** A Bot API root on which nothing listens: every call fails on the network. */
async function closedApiRoot(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const waitFor = async <T>(f: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("the redactor", () => {
  const redact = makeRedactor([TEST_TOKEN, SECRET, "", null]);
  it("replaces tokens, their secret half and URL-encoded forms, in text and deep in errors", () => {
    expect(redact(`https://x/bot${TEST_TOKEN}/sendMessage`)).toBe("https://x/bot[redacted]/sendMessage");
    expect(redact(`a ${encodeURIComponent(TEST_TOKEN)} b ${TOKEN_HALF} ${SECRET}`)).not.toMatch(
      new RegExp(`${TOKEN_HALF}|${SECRET}|%3A`),
    );
    const inner = new Error(`request to http://h/bot${TEST_TOKEN}/getMe failed`);
    const outer = Object.assign(new TypeError("wrapped"), { error: inner, list: [SECRET], self: {} });
    outer.self = outer;
    const safe = redact.value({ err: outer });
    expect(safe.err).toBeInstanceOf(TypeError);
    expect((safe.err.error as Error).message).toBe("request to http://h/bot[redacted]/getMe failed");
    expect((safe.err.error as Error).stack).not.toContain(TOKEN_HALF);
    expect(safe.err.list).toEqual(["[redacted]"]);
    expect(safe.err.self).toBe(safe.err);
    expect(inner.message).toContain(TEST_TOKEN); // the original is untouched
  });

  it("filters every line of a Fastify/pino logger built with redactSecretsInLogs", async () => {
    const lines: string[] = [];
    const app = Fastify({
      logger: redactSecretsInLogs({ level: "info", stream: { write: (l: string) => lines.push(l) } }, [
        TEST_TOKEN,
        SECRET,
      ]),
    });
    const err = Object.assign(new Error("Network request failed"), {
      error: new Error(`request to http://h/bot${TEST_TOKEN}/sendMessage failed`),
    });
    app.log.error({ err, secret: SECRET }, `failed for bot${TEST_TOKEN}`);
    app.log.child({ k: 1 }).warn("%s and %s", TEST_TOKEN, SECRET);
    await app.close();
    const out = lines.join("");
    expect(lines).toHaveLength(2);
    expect(out).toContain("bot[redacted]/sendMessage");
    expect(out).not.toContain(TOKEN_HALF);
    expect(out).not.toContain(SECRET);
  });
});

describe.each(DATABASES)("secrets with Telegram unreachable on %s", (kind) => {
  let t: TestApp;
  let telegram: Telegram;
  const lines: string[] = [];

  beforeAll(async () => {
    const apiRoot = await closedApiRoot();
    t = await createTestApp(kind, {
      config: { TELEGRAM_API_ROOT: apiRoot, WEBHOOK_SECRET: SECRET },
      deps: {
        // What main.ts builds, writing into memory.
        logger: redactSecretsInLogs({ level: "trace", stream: { write: (l: string) => lines.push(l) } }, [
          TEST_TOKEN,
          SECRET,
        ]),
        plugins: [
          async (app, services) => {
            telegram = createTelegram({
              services,
              config: services.config,
              token: TEST_TOKEN,
              apiRoot,
              mode: "off",
              log: app.log,
              worker: { backoffMs: () => 50, pollMs: 100 },
            });
            await telegram.webhookPlugin(app);
          },
        ],
      },
    });
    await telegram.start();
  });
  afterAll(async () => {
    await telegram?.stop();
    await t?.close();
  });

  it("keeps the bot token and webhook secret out of logs and the database while sends fail", async () => {
    const seller = newUser();
    const buyer = newUser();
    const store = await t
      .as(seller)
      .post("/api/stores", { name: "Non", address: "Chilonzor 5", phone: "+998901234567" }, api.store);
    const offer = await t
      .as(seller)
      .post(`/api/stores/${store.body.id}/offers`, { title: "Samsa", price: 6000, quantity: 10 }, api.offer);
    const order = await t
      .as(buyer)
      .post(
        "/api/orders",
        { items: [{ offer_id: offer.body.id, quantity: 1 }], delivery_type: "pickup" },
        api.order,
      );
    expect(order.status).toBe(201);

    const row = await waitFor(async () => {
      const [r] = await t.db.query<{ attempts: number; last_error: string | null }>(
        "select attempts, last_error from outbox where order_id = $1 and kind = 'seller_new_order'",
        [order.body.id],
      );
      return r && r.attempts >= 2 && r.last_error ? r : undefined;
    });
    expect(row.last_error).toMatch(/network/);
    expect(row.last_error).toMatch(/ECONNREFUSED|bot\[redacted\]/);
    await waitFor(async () => (lines.some((l) => /telegram send failed/.test(l)) ? true : undefined));

    // Every text column of every table.
    const tables = await t.db.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'",
    );
    let dump = "";
    for (const { table_name } of tables)
      for (const r of await t.db.query<{ row: string }>(`select t::text as row from "${table_name}" t`))
        dump += `${r.row}\n`;
    expect(dump).toContain("network");
    const logs = lines.join("");
    expect(logs).toMatch(/telegram send failed/);
    for (const text of [dump, logs]) {
      expect(text).not.toContain(TOKEN_HALF);
      expect(text).not.toContain(SECRET);
    }
  }, 30_000);
});
