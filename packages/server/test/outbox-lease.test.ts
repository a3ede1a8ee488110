import { createServer, type Socket } from "node:net";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metrics } from "../src/core/metrics.ts";
import type { Database } from "../src/db/database.ts";
import { miniAppLinks } from "../src/notifications/links.ts";
import { OutboxWorker } from "../src/notifications/outbox-worker.ts";
import { type BotHarness, startBotHarness } from "./bot-harness.ts";
import { DATABASES } from "./helpers.ts";

/** A Bot API that accepts every request and never answers. */
async function silentTelegram() {
  const sockets = new Set<Socket>();
  let requests = 0;
  const srv = createServer((s) => {
    sockets.add(s);
    s.on("data", () => {
      requests += 1;
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** The database as a worker sees it, until `cut()`: then every query fails, as for a process that died. */
function severable(db: Database) {
  let dead = false;
  const view = new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "query")
        return (...args: unknown[]) =>
          dead
            ? Promise.reject(new Error("worker is gone"))
            : (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { db: view, cut: () => (dead = true) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE_S = 1;

describe.each(DATABASES)("outbox claims after a crash on %s", (kind) => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness(kind);
  });
  afterAll(async () => h?.close());

  it("renews the claim while a send runs; a dead worker's row is taken over within the lease and counted as resent", async () => {
    await h.telegram.worker.stop();
    const silent = await silentTelegram();
    try {
      const seller = await h.person();
      const buyer = await h.person();
      const { offerId } = await h.shop(seller);
      await h.settle();
      const id = await h.order(buyer, offerId);
      const links = miniAppLinks(null, async () => h.tg.bot.username);
      const tuning = { lockSeconds: LEASE_S, heartbeatMs: 200, pollMs: 100, backoffMs: () => 50 };

      // Worker A claims the seller's card and starts sending it; Telegram never answers.
      const a = severable(h.db);
      const workerA = new OutboxWorker({
        db: a.db,
        api: new Api(h.tg.token, { apiRoot: silent.apiRoot, timeoutSeconds: 60 }),
        links,
        batchSize: 1,
        ...tuning,
      });
      const drainA = workerA.drain().catch(() => -1);
      for (let i = 0; silent.requests() === 0; i++) {
        if (i > 200) throw new Error("worker A never sent");
        await sleep(25);
      }
      const metrics = new Metrics();
      const workerB = new OutboxWorker({
        db: h.db,
        api: new Api(h.tg.token, { apiRoot: h.tg.apiRoot }),
        links,
        metrics,
        ...tuning,
      });

      // While A lives, its heartbeat keeps the row from B, well past the lease.
      await sleep(LEASE_S * 1000 * 1.6);
      const [claimed] = await h.db.query<{ status: string; attempts: number; sending: boolean }>(
        "select status, attempts, sending_since is not null as sending from outbox where order_id = $1 and kind = 'seller_new_order'",
        [id],
      );
      expect(claimed).toMatchObject({ status: "sending", attempts: 1, sending: true });
      await workerB.drain(); // the other rows of the order, if any, but not the card
      expect(h.tg.botMessages(seller.id)).toHaveLength(0);

      // A dies mid-send. Within the lease (plus a poll), B takes the card over and sends it once more.
      a.cut();
      const diedAt = Date.now();
      await workerB.start();
      await h.cardOf(seller.id, id);
      expect(Date.now() - diedAt).toBeLessThan(LEASE_S * 1000 + 2000);
      await h.settle();
      await workerB.stop();

      const [row] = await h.db.query<{ status: string; attempts: number; sending: boolean }>(
        "select status, attempts, sending_since is not null as sending from outbox where order_id = $1 and kind = 'seller_new_order'",
        [id],
      );
      expect(row).toMatchObject({ status: "sent", attempts: 2, sending: false });
      expect(h.tg.botMessages(seller.id)).toHaveLength(1);
      expect(await metrics.render()).toMatch(/^lastbite_outbox_resent_total\{kind="seller_new_order"\} 1$/m);
      expect((await metrics.render()).match(/^lastbite_outbox_resent_total\{.*$/gm)).toHaveLength(1);
      await silent.close();
      expect(await drainA).toBe(-1); // A's request failed and it could not record anything
    } finally {
      await silent.close().catch(() => {});
      await h.telegram.worker.start();
    }
  }, 30_000);

  it("does not count a row as resent when its worker died before sending it, or after a recorded failure", async () => {
    await h.telegram.worker.stop();
    try {
      const seller = await h.person();
      const buyer = await h.person();
      const { offerId } = await h.shop(seller);
      await h.settle();
      const id = await h.order(buyer, offerId);
      // Claimed but not yet sent (the rest of a batch) by a worker that died: lease ran out.
      await h.db.query(
        "update outbox set status = 'sending', attempts = 1, locked_until = now() - interval '1 second' where order_id = $1",
        [id],
      );
      const metrics = new Metrics();
      const w = new OutboxWorker({
        db: h.db,
        api: new Api(h.tg.token, { apiRoot: h.tg.apiRoot }),
        links: miniAppLinks(null, async () => h.tg.bot.username),
        metrics,
        backoffMs: () => 10,
      });
      h.tg.failNext(1, { networkError: true, method: ["sendMessage"] });
      for (let i = 0; i < 5; i++) {
        await w.drain();
        await sleep(30);
      }
      await h.cardOf(seller.id, id);
      expect(await metrics.render()).toMatch(/lastbite_outbox_sent_total\{kind="seller_new_order"\} 1/);
      expect(await metrics.render()).not.toMatch(/^lastbite_outbox_resent_total\{/m);
    } finally {
      await h.telegram.worker.start();
    }
  });
});
