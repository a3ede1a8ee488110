import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import type { Order } from "@lastbite/shared";
import { describe, expect, it } from "vitest";
import { Metrics } from "../core/metrics.ts";
import type { Database } from "../db/database.ts";
import { EventHub } from "./event-hub.ts";
import { orderAsOf } from "./order-snapshot.ts";
import { lastEventIdOf } from "./sse.ts";

/** A response double: records writes; `queued` plays the bytes stuck in the socket. */
class FakeResponse extends EventEmitter {
  written: string[] = [];
  queued = 0;
  destroyed = false;
  socket = null;
  get writableLength() {
    return this.queued;
  }
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
  frames() {
    return this.written.filter((w) => w.startsWith("id:")).map((w) => Number(/^id: (\d+)/.exec(w)?.[1]));
  }
}

/** A database double: NOTIFY by hand; order rows for any id; replay rows from `events`. */
function fakeDb(events: { id: number; order_id: number; to_status: string }[] = []) {
  let notify: (p: string) => void = () => {};
  let replayGate: Promise<void> = Promise.resolve();
  const db = {
    kind: "pglite",
    listen: async (_c: string, cb: (p: string) => void) => {
      notify = cb;
      return async () => {};
    },
    query: async (text: string, params: unknown[]) => {
      if (text.includes("union")) {
        await replayGate;
        return events.filter((e) => e.id > (params[1] as number));
      }
      if (text.includes("from orders o")) {
        const ids = Array.isArray(params[0]) ? (params[0] as number[]) : [params[0] as number];
        return ids.map((id) => ({ id, status: "confirmed", created_at: new Date(), updated_at: new Date() }));
      }
      return [];
    },
  };
  return {
    db: db as unknown as Database,
    notify: (n: { id: number; order_id: number; buyer_id: number; owner_id: number; status: string }) =>
      notify(JSON.stringify(n)),
    holdReplay: () => {
      let release: () => void = () => {};
      replayGate = new Promise((r) => {
        release = r;
      });
      return release;
    },
  };
}

const log = { warn: () => {}, error: () => {} };
const tick = () => new Promise((r) => setTimeout(r, 5));
const asRes = (r: FakeResponse) => r as unknown as ServerResponse;

describe("EventHub", () => {
  it("fans a notice out to the buyer's and the owner's streams only, once each", async () => {
    const f = fakeDb();
    const hub = new EventHub(f.db, new Metrics(), log);
    await hub.start();
    const buyer = new FakeResponse();
    const owner = new FakeResponse();
    const stranger = new FakeResponse();
    await hub.attach(1, asRes(buyer), null);
    await hub.attach(2, asRes(owner), null);
    await hub.attach(3, asRes(stranger), null);
    f.notify({ id: 10, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    await tick();
    expect(buyer.frames()).toEqual([10]);
    expect(owner.frames()).toEqual([10]);
    expect(stranger.frames()).toEqual([]);
    await hub.stop();
    expect(buyer.destroyed && owner.destroyed && stranger.destroyed).toBe(true);
    expect(hub.size).toBe(0);
  });

  it("drops a stream whose socket stopped draining, without touching the others", async () => {
    const f = fakeDb();
    const metrics = new Metrics();
    const hub = new EventHub(f.db, metrics, log, { maxQueuedBytes: 1000 });
    await hub.start();
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    await hub.attach(1, asRes(slow), null);
    await hub.attach(1, asRes(fast), null);
    slow.queued = 5000;
    f.notify({ id: 11, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    await tick();
    expect(slow.destroyed).toBe(true);
    expect(slow.frames()).toEqual([]);
    expect(fast.frames()).toEqual([11]);
    expect(hub.size).toBe(1);
    expect(await metrics.render()).toMatch(/lastbite_sse_dropped_total\{reason="slow_consumer"\} 1/);
    await hub.stop();
  });

  it("holds live events during a replay and sends each id once: replayed ones are not repeated", async () => {
    const f = fakeDb([
      { id: 21, order_id: 7, to_status: "confirmed" },
      { id: 22, order_id: 7, to_status: "ready" },
    ]);
    const hub = new EventHub(f.db, new Metrics(), log);
    await hub.start();
    const res = new FakeResponse();
    const release = f.holdReplay();
    const attached = hub.attach(1, asRes(res), 20);
    // 22 was committed before the replay's query (so the replay has it) but its notice comes in now;
    // 23 comes after the replay's snapshot.
    f.notify({ id: 22, order_id: 7, buyer_id: 1, owner_id: 2, status: "ready" });
    f.notify({ id: 23, order_id: 7, buyer_id: 1, owner_id: 2, status: "completed" });
    await tick();
    expect(res.frames()).toEqual([]);
    release();
    await attached;
    // And a notice for a replayed id arriving after the replay is over is still a duplicate; so is
    // a late notice of an event from before the resume point, which the client says it has seen.
    f.notify({ id: 21, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    f.notify({ id: 19, order_id: 7, buyer_id: 1, owner_id: 2, status: "pending" });
    f.notify({ id: 24, order_id: 8, buyer_id: 1, owner_id: 2, status: "pending" });
    await tick();
    expect(res.frames()).toEqual([21, 22, 23, 24]);
    await hub.stop();
  });

  it("drops a resuming stream whose held live events overflow its bound", async () => {
    const f = fakeDb();
    const hub = new EventHub(f.db, new Metrics(), log, { maxPendingEvents: 2 });
    await hub.start();
    const res = new FakeResponse();
    const release = f.holdReplay();
    const attached = hub.attach(1, asRes(res), 0);
    for (let id = 1; id <= 3; id++)
      f.notify({ id, order_id: 7, buyer_id: 1, owner_id: 2, status: "pending" });
    await tick();
    expect(res.destroyed).toBe(true);
    release();
    await attached;
    expect(hub.size).toBe(0);
    await hub.stop();
  });

  it("does not register a response whose client already left", async () => {
    const hub = new EventHub(fakeDb().db, new Metrics(), log);
    await hub.start();
    const gone = new FakeResponse();
    gone.destroy();
    await hub.attach(1, asRes(gone), null);
    expect(hub.size).toBe(0);
    expect(hub.admit(1)).toBe("ok");
    await hub.stop();
  });

  it("heartbeats every open stream with a comment line", async () => {
    const hub = new EventHub(fakeDb().db, new Metrics(), log, { heartbeatMs: 10 });
    await hub.start();
    const streams = Array.from({ length: 450 }, () => new FakeResponse());
    for (const [i, r] of streams.entries()) await hub.attach(i, asRes(r), null);
    const beaten = () => streams.every((r) => r.written.includes(":\n\n"));
    for (let i = 0; i < 200 && !beaten(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(beaten()).toBe(true);
    await hub.stop();
  });

  it("admits at most maxStreamsPerUser per user and maxStreams in all", async () => {
    const hub = new EventHub(fakeDb().db, new Metrics(), log, { maxStreamsPerUser: 2, maxStreams: 3 });
    await hub.start();
    await hub.attach(1, asRes(new FakeResponse()), null);
    await hub.attach(1, asRes(new FakeResponse()), null);
    expect(hub.admit(1)).toBe("user_limit");
    expect(hub.admit(2)).toBe("ok");
    await hub.attach(2, asRes(new FakeResponse()), null);
    expect(hub.admit(3)).toBe("process_limit");
    await hub.stop();
  });
});

describe("orderAsOf", () => {
  const at = (s: string) => `2026-01-01T10:0${s}:00.000Z`;
  const order = {
    id: 1,
    status: "completed",
    code: "ABC234",
    reason: null,
    rating: { stars: 5, comment: null },
    timeline: [
      { status: "pending", at: at("1") },
      { status: "confirmed", at: at("2") },
      { status: "completed", at: at("3") },
    ],
    updated_at: at("3"),
  } as unknown as Order;

  it("rewinds status, timeline, code and rating to the moment of the change", () => {
    expect(orderAsOf(order, "pending")).toMatchObject({
      status: "pending",
      code: null,
      rating: null,
      updated_at: at("1"),
      timeline: [{ status: "pending" }],
    });
    expect(orderAsOf(order, "confirmed")).toMatchObject({
      status: "confirmed",
      code: "ABC234",
      rating: null,
    });
    expect(orderAsOf(order, "completed")).toBe(order);
  });
});

describe("lastEventIdOf", () => {
  it("takes the header first, then the query, and ignores anything but a whole number", () => {
    expect(lastEventIdOf("42", "7")).toBe(42);
    expect(lastEventIdOf(undefined, "7")).toBe(7);
    expect(lastEventIdOf("abc", undefined)).toBeNull();
    expect(lastEventIdOf("-1", "x")).toBeNull();
  });
});
