import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../src/core/clock.ts";
import { makeShop } from "./fixtures.ts";
import { api, createTestApp, DATABASES, newUser, type TestApp } from "./helpers.ts";

const TOKEN = "metrics-token-0123456789";

/** `/metrics`: who may read it, and what the jobs and the order placement report there. */
describe.each(DATABASES)("metrics on %s", (kind) => {
  let t: TestApp;
  const clock = new FakeClock();
  beforeAll(async () => {
    t = await createTestApp(kind, {
      config: { METRICS_TOKEN: TOKEN, ORDER_ACCEPT_TIMEOUT: "600" },
      deps: { clock },
    });
  });
  afterAll(async () => t?.close());

  const scrape = (authorization?: string) =>
    t.app.inject({ url: "/metrics", headers: authorization ? { authorization } : {} });
  const value = (text: string, series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? null : Number(line.slice(series.length + 1));
  };

  it("with METRICS_TOKEN set, answers only its bearer; anything else is a 401 problem", async () => {
    for (const auth of [undefined, "Bearer wrong-token-0123456789", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await scrape(auth);
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(JSON.parse(res.body).code).toBe("unauthorized");
      expect(res.body).not.toContain(TOKEN);
    }
    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain("lastbite_http_requests_total");
  });

  it("counts the jobs run by kind and outcome, how late each was claimed, and orders per placement statement", async () => {
    const shop = await makeShop(t, { offers: [{ title: "Somsa", price: 7000, quantity: 10 }] });
    const placed = await t
      .as(newUser())
      .post("/api/orders", { items: [{ offer_id: shop.offers[0].id, quantity: 1 }] }, api.order);
    expect(placed.status).toBe(201);
    const before = (await scrape(`Bearer ${TOKEN}`)).body;
    expect(value(before, "lastbite_order_batch_size_count")).toBeGreaterThanOrEqual(1);
    const expiriesBefore = value(before, 'lastbite_jobs_run_total{kind="accept_expiry",outcome="done"}') ?? 0;
    // Five seconds past the accept deadline: the reminder and the expiry are both due.
    clock.set(new Date(placed.body.accept_deadline).getTime() + 5000);
    expect(await t.app.services.jobs.runDue()).toBeGreaterThanOrEqual(2);
    const after = (await scrape(`Bearer ${TOKEN}`)).body;
    expect(value(after, 'lastbite_jobs_run_total{kind="accept_expiry",outcome="done"}')).toBe(
      expiriesBefore + 1,
    );
    expect(
      value(after, 'lastbite_jobs_run_total{kind="accept_reminder",outcome="done"}'),
    ).toBeGreaterThanOrEqual(1);
    // The expiry was claimed 5 s after it was due: in the 15 s bucket, not the 2.5 s one.
    const le = (b: string) =>
      value(after, `lastbite_job_delay_seconds_bucket{le="${b}",kind="accept_expiry"}`) ?? 0;
    expect(le("15") - le("2.5")).toBeGreaterThanOrEqual(1);
  });
});

describe("metrics without METRICS_TOKEN", () => {
  it("stay open, as the contract has them", async () => {
    const t = await createTestApp("pglite");
    try {
      const res = await t.app.inject({ url: "/metrics" });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain("lastbite_jobs_run_total");
    } finally {
      await t.close();
    }
  });
});
