import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../src/app.ts";
import type { InitDataUser } from "../src/auth/init-data.ts";
import { Metrics } from "../src/core/metrics.ts";
import type { Database } from "../src/db/database.ts";
import { EventHub } from "../src/realtime/event-hub.ts";
import { SharedStreamCap } from "../src/realtime/shared-stream-cap.ts";
import { openSse, type SseConnection } from "../src/realtime/sse-client.ts";
import { authHeader, DATABASES, freshDatabase, newUser, TEST_TOKEN, testConfig } from "./helpers.ts";
import {
  dropRedisPrefix,
  REDIS_AVAILABLE,
  TEST_REDIS_URL,
  testRedis,
  uniqueRedisPrefix,
} from "./redis-helpers.ts";

const quiet = { warn: () => {}, error: () => {}, info: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const baseUrl = (app: App) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const stream = (app: App, user: InitDataUser) =>
  openSse(`${baseUrl(app)}/api/events`, { headers: { authorization: authHeader(user) } });

async function statuses(
  apps: App[],
  n: number,
  request: { method?: "GET" | "POST"; url: string; user?: InitDataUser; payload?: object },
): Promise<Map<number, number>[]> {
  const counts = apps.map(() => new Map<number, number>());
  for (let i = 0; i < n; i++) {
    const which = i % apps.length;
    const res = await (apps[which] as App).inject({
      method: request.method ?? "GET",
      url: request.url,
      ...(request.payload ? { payload: request.payload } : {}),
      headers: request.user ? { authorization: authHeader(request.user) } : {},
      remoteAddress: "198.51.100.42",
    });
    const c = counts[which] as Map<number, number>;
    c.set(res.statusCode, (c.get(res.statusCode) ?? 0) + 1);
  }
  return counts;
}
const total = (counts: Map<number, number>[], status: number) =>
  counts.reduce((sum, c) => sum + (c.get(status) ?? 0), 0);

describe.skipIf(!REDIS_AVAILABLE).each(DATABASES)("two instances sharing one Redis, on %s", (kind) => {
  const prefix = uniqueRedisPrefix();
  let a: App;
  let b: App;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshDatabase(kind);
    drop = fresh.drop;
    const config = testConfig({
      REDIS_URL: TEST_REDIS_URL,
      RATE_LIMIT_PER_MINUTE: "10",
      ORDER_RATE_LIMIT_PER_MINUTE: "3",
    });
    const build = () => buildApp({ config, db: fresh.db, botToken: TEST_TOKEN, redisKeyPrefix: prefix });
    a = await build();
    b = await build();
    await a.listen({ port: 0, host: "127.0.0.1" });
    await b.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
    await dropRedisPrefix(prefix);
  });

  it("reports Redis as up", async () => {
    expect((await a.inject({ url: "/metrics" })).body).toMatch(/^lastbite_redis_up 1$/m);
  });

  it("counts one user's API requests against one limit, whichever instance answers", async () => {
    const counts = await statuses([a, b], 20, { url: "/api/me", user: newUser() });
    expect(total(counts, 200)).toBe(10);
    expect(total(counts, 429)).toBe(10);
    // Both instances answered some and refused some: the count is one, not one per instance.
    expect(counts.map((c) => c.get(200))).toEqual([5, 5]);
  });

  it("counts one user's orders against one limit across instances", async () => {
    // An empty body is refused (400) after the order limit counted it, so no shop is needed.
    const counts = await statuses([a, b], 8, {
      method: "POST",
      url: "/api/orders",
      user: newUser(),
      payload: {},
    });
    expect(total(counts, 400)).toBe(3);
    expect(total(counts, 429)).toBe(5);
  });

  it("counts anonymous requests from one address against one limit across instances", async () => {
    const counts = await statuses([a, b], 14, { url: "/api/me" });
    expect(total(counts, 401)).toBe(10);
    expect(total(counts, 429)).toBe(4);
  });

  it("caps one user's open event streams across instances: 3 on A + 2 on B, the 6th is refused on either", async () => {
    const user = newUser();
    const open: SseConnection[] = [];
    for (const app of [a, a, a, b, b]) open.push(await stream(app, user));
    expect(open.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    for (const app of [a, b]) {
      const sixth = await stream(app, user);
      expect(sixth.status).toBe(429);
      expect(JSON.parse(sixth.body)).toMatchObject({ code: "too_many_streams", status: 429 });
    }
    // A stream closed on A frees a place for one on B.
    open[0]?.close();
    await open[0]?.ended;
    let again: SseConnection | undefined;
    for (let i = 0; i < 50; i++) {
      again = await stream(b, user);
      if (again.status === 200) break;
      await sleep(20);
    }
    expect(again?.status).toBe(200);
    // Another user is not affected.
    const other = await stream(a, newUser());
    expect(other.status).toBe(200);
    for (const c of [...open, again, other]) c?.close();
  });
});

describe.skipIf(!REDIS_AVAILABLE)("the shared stream count in Redis", () => {
  const prefix = uniqueRedisPrefix();
  const redis = testRedis(prefix);
  afterAll(async () => {
    await dropRedisPrefix(prefix);
    redis.disconnect();
  });

  it("stops counting a crashed instance's streams once their time runs out", async () => {
    const crashed = new SharedStreamCap(redis, { maxPerUser: 2, ttlMs: 300 }, quiet);
    const alive = new SharedStreamCap(redis, { maxPerUser: 2, ttlMs: 300 }, quiet);
    expect(await crashed.acquire(1, crashed.newId())).toBe("ok");
    expect(await crashed.acquire(1, crashed.newId())).toBe("ok");
    expect(await alive.acquire(1, alive.newId())).toBe("full");
    // The crashed instance never refreshes nor releases: its entries expire and are pruned.
    await sleep(350);
    expect(await alive.acquire(1, alive.newId())).toBe("ok");
  });

  it("keeps counting streams that are refreshed, and stops when they are released", async () => {
    const one = new SharedStreamCap(redis, { maxPerUser: 2, ttlMs: 300 }, quiet);
    const two = new SharedStreamCap(redis, { maxPerUser: 2, ttlMs: 300 }, quiet);
    const slots = [one.newId(), one.newId()];
    for (const slot of slots) expect(await one.acquire(2, slot)).toBe("ok");
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      one.refresh(slots.map((slot) => ({ userId: 2, slot })));
      await one.settle();
    }
    expect(await two.acquire(2, two.newId())).toBe("full");
    one.release(2, slots[0] as string);
    await one.settle();
    expect(await two.acquire(2, two.newId())).toBe("ok");
  });

  it("is refreshed by the hub's heartbeat, and released when the hub stops", async () => {
    const cap = new SharedStreamCap(redis, { maxPerUser: 2, ttlMs: 200 }, quiet);
    const hub = new EventHub(
      idleDb,
      new Metrics(),
      quiet,
      { maxStreamsPerUser: 2, heartbeatMs: 50, sharedCapTtlMs: 200 },
      undefined,
      cap,
    );
    await hub.start();
    const other = new SharedStreamCap(redis, { maxPerUser: 2, ttlMs: 200 }, quiet);
    for (let i = 0; i < 2; i++) {
      const r = await hub.reserve(3);
      expect(r.admission).toBe("ok");
      await hub.attach(3, new FakeResponse() as unknown as ServerResponse, null, r.slot);
    }
    expect((await hub.reserve(3)).admission).toBe("user_limit");
    await sleep(500);
    expect(await other.acquire(3, other.newId())).toBe("full");
    await hub.stop();
    expect(await other.acquire(3, other.newId())).toBe("ok");
  });
});

describe("an unreachable Redis", () => {
  let app: App;
  let drop: () => Promise<void>;
  const lines: string[] = [];
  beforeAll(async () => {
    const fresh = await freshDatabase("pglite");
    drop = fresh.drop;
    // Port 1: nothing listens there, so every connection attempt is refused.
    app = await buildApp({
      config: testConfig({ REDIS_URL: "redis://:hunter2@127.0.0.1:1/0", RATE_LIMIT_PER_MINUTE: "2" }),
      db: fresh.db,
      botToken: TEST_TOKEN,
      logger: { level: "info", stream: { write: (line: string) => void lines.push(line) } },
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it("does not take the API down: start-up goes on, requests pass (rate limits fail open), and it is logged", async () => {
    const counts = await statuses([app], 5, { url: "/api/me", user: newUser() });
    expect(total(counts, 200)).toBe(5);
    expect(lines.some((l) => /Redis at redis:\/\/127\.0\.0\.1:1\/0 is unreachable/.test(l))).toBe(true);
    expect(lines.join("\n")).not.toContain("hunter2");
    expect((await app.inject({ url: "/metrics" })).body).toMatch(/^lastbite_redis_up 0$/m);
  });

  it("falls back to this instance's count of event streams", async () => {
    const user = newUser();
    const open = await Promise.all([1, 2, 3, 4, 5].map(() => stream(app, user)));
    expect(open.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    const sixth = await stream(app, user);
    expect(sixth.status).toBe(429);
    for (const c of open) c.close();
  });
});

/** A database with no order events: all the hub reads here. */
const idleDb = {
  kind: "pglite",
  query: async (text: string) =>
    text.includes("pg_snapshot_xmin") ? [{ xmin: "1", xmax: "1", events: [] }] : [{ max: 0 }],
} as unknown as Database;

/** A response double for the hub: records writes, ends on demand. */
class FakeResponse extends EventEmitter {
  written: string[] = [];
  destroyed = false;
  socket = null;
  writableLength = 0;
  write(chunk: string) {
    this.written.push(chunk);
    return true;
  }
  end() {
    this.destroy();
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}
