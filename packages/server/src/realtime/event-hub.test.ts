import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import type { Order } from "@lastbite/shared";
import { sampleOrder } from "@lastbite/shared/testing";
import { describe, expect, it } from "vitest";
import { Metrics } from "../core/metrics.ts";
import type { Database } from "../db/database.ts";
import type { LoadedOrder } from "../orders/order.repository.ts";
import type { CommittedChange } from "../orders/order-events.ts";
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

/** An order as the hub gets it with a change, or loads it. */
function fakeOrder(id: number): LoadedOrder {
  const at = new Date().toISOString();
  const o = sampleOrder({ id, status: "confirmed", buyer: { id: 1, first_name: "B", username: null } });
  return { ...o, timeline: [], created_at: at, updated_at: at, owner_id: 2, buyer_language: "en" };
}

type Notice = { id: number; order_id: number; buyer_id: number; owner_id: number; status: string };

/**
 * A database double. `events` are what a replay reads; `committed` what a catch-up reads (past the
 * hub's watermark), with the snapshot's xmin/xmax it reports; `startMax` the newest event at start.
 */
function fakeDb(events: { id: number; order_id: number; to_status: string }[] = [], startMax = 0) {
  let replayGate: Promise<void> = Promise.resolve();
  const committed: Notice[] = [];
  const snapshot = { xmin: 100n, xmax: 100n };
  const db = {
    kind: "pglite",
    listen: async () => async () => {},
    query: async (text: string, params: unknown[]) => {
      if (text.includes("pg_snapshot_xmin")) {
        const after = params.find((p) => typeof p === "number") as number;
        return [
          {
            xmin: String(snapshot.xmin),
            xmax: String(snapshot.xmax),
            events: committed.filter((e) => e.id > after).sort((a, b) => a.id - b.id),
          },
        ];
      }
      if (text.includes('max("id")')) return [{ max: startMax }];
      if (text.includes("union")) {
        await replayGate;
        const after = params[1] as number;
        return events.filter((e) => e.id > after);
      }
      if (text.includes('from "orders" as "o"')) {
        return (params.filter((p) => typeof p === "number") as number[]).map((id) => {
          const o = fakeOrder(id);
          return {
            ...o,
            store_id: 1,
            store_name: "S",
            store_address: "A",
            store_phone: "+998901234567",
            owner_username: null,
            buyer_id: 1,
            buyer_first_name: "B",
            buyer_username: null,
            rating_stars: null,
            rating_comment: null,
            events: [],
          };
        });
      }
      return [];
    },
  };
  return {
    db: db as unknown as Database,
    committed,
    snapshot,
    holdReplay: () => {
      let release: () => void = () => {};
      replayGate = new Promise((r) => {
        release = r;
      });
      return release;
    },
  };
}

/** A change committed by the hub's own process: it arrives with its order. */
const local = (hub: EventHub, n: Notice) =>
  hub.onLocal({ notice: n as CommittedChange["notice"], order: fakeOrder(n.order_id) });

const log = { warn: () => {}, error: () => {} };
const tick = () => new Promise((r) => setTimeout(r, 5));
const asRes = (r: FakeResponse) => r as unknown as ServerResponse;

describe("EventHub", () => {
  it("fans a notice out to the buyer's and the owner's streams only, once each", async () => {
    const f = fakeDb([], 9);
    const hub = new EventHub(f.db, new Metrics(), log);
    await hub.start();
    const buyer = new FakeResponse();
    const owner = new FakeResponse();
    const stranger = new FakeResponse();
    await hub.attach(1, asRes(buyer), null);
    await hub.attach(2, asRes(owner), null);
    await hub.attach(3, asRes(stranger), null);
    local(hub, { id: 10, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    await tick();
    expect(buyer.frames()).toEqual([10]);
    expect(owner.frames()).toEqual([10]);
    expect(stranger.frames()).toEqual([]);
    await hub.stop();
    expect(buyer.destroyed && owner.destroyed && stranger.destroyed).toBe(true);
    expect(hub.size).toBe(0);
  });

  it("drops a stream whose socket stopped draining, without touching the others", async () => {
    const f = fakeDb([], 10);
    const metrics = new Metrics();
    const hub = new EventHub(f.db, metrics, log, { maxQueuedBytes: 1000 });
    await hub.start();
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    await hub.attach(1, asRes(slow), null);
    await hub.attach(1, asRes(fast), null);
    slow.queued = 5000;
    local(hub, { id: 11, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    await tick();
    expect(slow.destroyed).toBe(true);
    expect(slow.frames()).toEqual([]);
    expect(fast.frames()).toEqual([11]);
    expect(hub.size).toBe(1);
    expect(await metrics.render()).toMatch(/lastbite_sse_dropped_total\{reason="slow_consumer"\} 1/);
    await hub.stop();
  });

  it("holds live events during a replay and sends each id once: replayed ones are not repeated", async () => {
    const f = fakeDb(
      [
        { id: 21, order_id: 7, to_status: "confirmed" },
        { id: 22, order_id: 7, to_status: "ready" },
      ],
      22,
    );
    const hub = new EventHub(f.db, new Metrics(), log);
    await hub.start();
    const res = new FakeResponse();
    const release = f.holdReplay();
    const attached = hub.attach(1, asRes(res), 20);
    // 22 was committed before the replay's query (so the replay has it) but its notice comes in now;
    // 23 comes after the replay's snapshot.
    local(hub, { id: 22, order_id: 7, buyer_id: 1, owner_id: 2, status: "ready" });
    local(hub, { id: 23, order_id: 7, buyer_id: 1, owner_id: 2, status: "completed" });
    await tick();
    expect(res.frames()).toEqual([]);
    release();
    await attached;
    // And a notice for a replayed id arriving after the replay is over is still a duplicate; so is
    // a late notice of an event from before the resume point, which the client says it has seen.
    local(hub, { id: 21, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    local(hub, { id: 19, order_id: 7, buyer_id: 1, owner_id: 2, status: "pending" });
    local(hub, { id: 24, order_id: 8, buyer_id: 1, owner_id: 2, status: "pending" });
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
      local(hub, { id, order_id: 7, buyer_id: 1, owner_id: 2, status: "pending" });
    await tick();
    expect(res.destroyed).toBe(true);
    release();
    await attached;
    expect(hub.size).toBe(0);
    await hub.stop();
  });

  it("reads other instances' events past its watermark, and never lets a resume skip one still in flight", async () => {
    const f = fakeDb([], 9);
    const hub = new EventHub(f.db, new Metrics(), log);
    await hub.start();
    const buyer = new FakeResponse();
    await hub.attach(1, asRes(buyer), null);
    // Another instance's 11 commits before its 10: 11 is sent, but its SSE id stays 9, so a client
    // that resumes from it replays 10 too.
    f.committed.push({ id: 11, order_id: 7, buyer_id: 1, owner_id: 2, status: "confirmed" });
    f.snapshot.xmin = 100n;
    f.snapshot.xmax = 105n;
    await hub.catchUp();
    expect(buyer.frames()).toEqual([9]);
    expect(hub.handledUpTo).toBe(9);
    // 10 commits: sent, and the watermark moves past both.
    f.committed.push({ id: 10, order_id: 7, buyer_id: 1, owner_id: 2, status: "pending" });
    await hub.catchUp();
    expect(buyer.frames()).toEqual([9, 10]);
    expect(hub.handledUpTo).toBe(11);
    // 13 arrives, 12 never does: the gap holds until every transaction that could write 12 has ended.
    f.committed.push({ id: 13, order_id: 8, buyer_id: 1, owner_id: 2, status: "pending" });
    f.snapshot.xmax = 110n;
    await hub.catchUp();
    expect(hub.handledUpTo).toBe(11);
    f.snapshot.xmin = 109n;
    await hub.catchUp();
    expect(hub.handledUpTo).toBe(11);
    f.snapshot.xmin = 110n;
    await hub.catchUp();
    expect(hub.handledUpTo).toBe(13);
    expect(buyer.frames()).toEqual([9, 10, 11]);
    // A change of this process comes at once, and in order it carries its own id.
    local(hub, { id: 14, order_id: 8, buyer_id: 1, owner_id: 2, status: "confirmed" });
    expect(buyer.frames()).toEqual([9, 10, 11, 14]);
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
