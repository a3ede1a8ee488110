/**
 * shareOffer's choice of path, in Node with a stand-in for the Telegram client (the browser test
 * e2e/share.e2e.test.ts drives the same in Chromium): a Bot API 8.0 client gets the prepared
 * message through `web_app_send_prepared_message`; anything else shares the t.me link.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Offer } from "../../lib/endpoints.ts";

type Posted = [string, Record<string, unknown>];
const posted: Posted[] = [];
const fakeWindow = {
  TelegramWebviewProxy: {
    postEvent: (type: string, data: string) => posted.push([type, JSON.parse(data || "{}")]),
  },
  addEventListener: () => {},
  open: () => null,
} as unknown as Window & { Telegram: { WebView: { receiveEvent: (t: string, d: unknown) => void } } };
(fakeWindow as unknown as { parent: unknown }).parent = fakeWindow;

let shareOffer: typeof import("./share.ts").shareOffer;
let initBridge: typeof import("../../telegram/bridge.ts").initBridge;
let makeI18n: typeof import("../../lib/i18n.tsx").makeI18n;
const fetchCalls: [string, RequestInit | undefined][] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  vi.stubGlobal("window", fakeWindow);
  vi.stubGlobal("location", { origin: "https://lastbite.example.uz" });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      fetchCalls.push([url, init]);
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { "content-type": answer.status < 400 ? "application/json" : "application/problem+json" },
      });
    }),
  );
  ({ shareOffer } = await import("./share.ts"));
  ({ initBridge } = await import("../../telegram/bridge.ts"));
  ({ makeI18n } = await import("../../lib/i18n.tsx"));
});
afterAll(() => vi.unstubAllGlobals());
beforeEach(() => {
  posted.length = 0;
  fetchCalls.length = 0;
});

const offer: Offer = {
  id: 7,
  store_id: 3,
  title: "Patir non",
  description: null,
  price: 4000,
  original_price: 8000,
  quantity: 5,
  unit: "piece",
  photo_url: null,
  pickup_from: null,
  pickup_until: null,
  expires_at: null,
  active: true,
  created_at: "2026-12-07T10:00:00.000Z",
  updated_at: "2026-12-07T10:00:00.000Z",
};
const types = () => posted.map(([t]) => t);
const receive = (type: string, data: unknown = {}) => fakeWindow.Telegram.WebView.receiveEvent(type, data);
const prepared = {
  status: 200,
  body: { prepared_message_id: "pm-1", expires_at: "2026-12-08T12:00:00.000Z" },
};

describe("shareOffer inside Telegram", () => {
  it("8.0: asks the server for a prepared message and sends it with shareMessage", async () => {
    initBridge("ios", "8.0");
    answer = prepared;
    const done = shareOffer(offer, "Non Bakery", makeI18n("en"));
    await vi.waitFor(() => expect(types()).toContain("web_app_send_prepared_message"));
    expect(fetchCalls.map(([url, init]) => `${init?.method} ${url}`)).toEqual(["POST /api/offers/7/share"]);
    expect(posted.find(([t]) => t === "web_app_send_prepared_message")?.[1]).toEqual({ id: "pm-1" });
    receive("prepared_message_sent");
    await done;
    expect(posted).toContainEqual([
      "web_app_trigger_haptic_feedback",
      expect.objectContaining({ notification_type: "success" }),
    ]);
    expect(types()).not.toContain("web_app_open_tg_link");
  });

  it("8.0: a second tap while the message is being prepared prepares nothing more", async () => {
    initBridge("ios", "8.0");
    answer = prepared;
    const first = shareOffer(offer, "Non Bakery", makeI18n("en"));
    await shareOffer(offer, "Non Bakery", makeI18n("en"));
    await vi.waitFor(() => expect(types()).toContain("web_app_send_prepared_message"));
    receive("prepared_message_sent");
    await first;
    expect(fetchCalls).toHaveLength(1);
    expect(types().filter((t) => t === "web_app_send_prepared_message")).toHaveLength(1);
    expect(types()).not.toContain("web_app_open_tg_link");
  });

  it("8.0: the user closing the sheet ends it there, without the link", async () => {
    initBridge("ios", "9.1");
    answer = prepared;
    const done = shareOffer(offer, "Non Bakery", makeI18n("en"));
    await vi.waitFor(() => expect(types()).toContain("web_app_send_prepared_message"));
    receive("prepared_message_failed", { error: "USER_DECLINED" });
    await done;
    expect(types()).not.toContain("web_app_open_tg_link");
  });

  it("8.0: a message the client cannot send (expired) falls back to the link", async () => {
    initBridge("android", "8.0");
    answer = prepared;
    const done = shareOffer(offer, "Non Bakery", makeI18n("en"));
    await vi.waitFor(() => expect(types()).toContain("web_app_send_prepared_message"));
    receive("prepared_message_failed", { error: "MESSAGE_EXPIRED" });
    await done;
    const link = posted.find(([t]) => t === "web_app_open_tg_link")?.[1].path_full as string;
    expect(link.startsWith("/share/url?url=")).toBe(true);
    expect(decodeURIComponent(link)).toContain("?startapp=offer_7");
  });

  it("8.0: the server refusing (Telegram down) falls back to the link, quietly", async () => {
    initBridge("ios", "8.0");
    answer = {
      status: 503,
      body: {
        type: "x",
        title: "x",
        status: 503,
        code: "service_unavailable",
        detail: "Telegram cannot be reached",
      },
    };
    await shareOffer(offer, "Non Bakery", makeI18n("en"));
    expect(fetchCalls).toHaveLength(1);
    expect(types()).not.toContain("web_app_send_prepared_message");
    expect(types()).toContain("web_app_open_tg_link");
  });

  it("an older client shares the link and never asks the server", async () => {
    initBridge("ios", "7.10");
    await shareOffer(offer, "Non Bakery", makeI18n("en"));
    expect(fetchCalls).toEqual([]);
    expect(types()).toEqual(["web_app_open_tg_link"]);
  });
});
