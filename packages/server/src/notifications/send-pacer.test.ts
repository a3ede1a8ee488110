import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PacingAborted, SendPacer, type SendPacerOptions } from "./send-pacer.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A pacer on the fake clock, and when (in ms from the start) each take was let through. */
function pacer(opts: SendPacerOptions) {
  const p = new SendPacer({ now: () => Date.now(), ...opts });
  const times: Record<string, number> = {};
  const take = (label: string, chat: number, signal?: AbortSignal) =>
    p.take(chat, signal).then(() => {
      times[label] = Date.now();
    });
  return { p, times, take };
}

describe("SendPacer", () => {
  it("spaces sends evenly overall once the burst is used", async () => {
    const { times, take } = pacer({ perSecond: 10, burst: 1 });
    for (let i = 0; i < 5; i++) void take(`m${i}`, 100 + i);
    await vi.advanceTimersByTimeAsync(1000);
    expect(times).toEqual({ m0: 0, m1: 100, m2: 200, m3: 300, m4: 400 });
  });

  it("lets a tenth of a second's worth go at once by default, then the steady rate", async () => {
    const { times, take } = pacer({ perSecond: 30 });
    for (let i = 0; i < 6; i++) void take(`m${i}`, 100 + i);
    await vi.advanceTimersByTimeAsync(1000);
    expect(Object.values(times)).toEqual([0, 0, 0, 34, 67, 100]);
  });

  it("sends to one chat once a second, timed from when each send left; other chats do not wait for it", async () => {
    const { p, times, take } = pacer({ perSecond: 30 });
    // a little work between the turn and the request
    void take("a1", 1).then(() => setTimeout(() => p.sending(1), 50));
    void take("a2", 1);
    void take("b1", 2);
    void take("a3", 1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(times).toEqual({ a1: 0, b1: 0, a2: 1050, a3: 2050 });
  });

  it("says which chats must still wait, and for how long the first of them", async () => {
    const { p, take } = pacer({ perSecond: 30 });
    expect(p.busyChats()).toEqual({ chats: [], freeInMs: 0 });
    await take("a", 1);
    await vi.advanceTimersByTimeAsync(400);
    await take("b", 2);
    expect(p.busyChats()).toEqual({ chats: [1, 2], freeInMs: 600 });
    await vi.advanceTimersByTimeAsync(600);
    expect(p.busyChats()).toEqual({ chats: [2], freeInMs: 400 });
    await vi.advanceTimersByTimeAsync(400);
    expect(p.busyChats()).toEqual({ chats: [], freeInMs: 0 });
    // a chat free within the horizon is not busy
    await take("c", 3);
    await vi.advanceTimersByTimeAsync(700);
    expect(p.busyChats(200)).toEqual({ chats: [3], freeInMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect(p.busyChats(200)).toEqual({ chats: [], freeInMs: 0 });
    expect(p.busyChats()).toEqual({ chats: [3], freeInMs: 200 });
  });

  it("gives up a wait when its signal aborts; the chat's next caller is not stuck behind it", async () => {
    const { times, take } = pacer({ perSecond: 30 });
    await take("a1", 1);
    const stop = new AbortController();
    const waiting = take("a2", 1, stop.signal).catch((err) => err);
    await vi.advanceTimersByTimeAsync(300);
    stop.abort();
    expect(await waiting).toBeInstanceOf(PacingAborted);
    void take("a3", 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(times).toEqual({ a1: 0, a3: 1000 });
  });

  it("after a 429, lets nothing through before the pause ends, and then no burst", async () => {
    const { p, times, take } = pacer({ perSecond: 30 });
    await take("before", 1);
    p.pause(1000);
    for (let i = 0; i < 3; i++) void take(`after${i}`, 10 + i);
    await vi.advanceTimersByTimeAsync(2000);
    expect(times).toEqual({ before: 0, after0: 1000, after1: 1034, after2: 1067 });
  });

  it("paces nothing with Infinity", async () => {
    const { p, times, take } = pacer({ perSecond: Number.POSITIVE_INFINITY, perChatPerSecond: Infinity });
    await Promise.all([take("a", 1), take("b", 1), take("c", 2)]);
    expect(times).toEqual({ a: 0, b: 0, c: 0 });
    expect(p.busyChats().chats).toEqual([]);
  });
});
