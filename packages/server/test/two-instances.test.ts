/**
 * Two real server processes (`node --import tsx src/main.ts`, as `npm start` runs it) on one
 * PostgreSQL database, with one Telegram double in the test process: what two instances behind a
 * load balancer are. PostgreSQL only (PGlite is one process).
 *
 * B reaches the double through a gate in this process that can hold its Bot API calls: the
 * double's own faults answer at once (and a failed send gives its claim back), while what this
 * needs is a send that is still under way, its claim held, when B is killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Order } from "@lastbite/shared";
import { type ChatMessage, TelegramDouble } from "@lastbite/telegram-double";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { InitDataUser } from "../src/auth/init-data.ts";
import type { Database } from "../src/db/database.ts";
import { openSse, type SseConnection } from "../src/realtime/sse-client.ts";
import { buttons, decodeQr } from "./bot-harness.ts";
import { authHeader, DATABASES, freePort, freshDatabase, newUser, TEST_TOKEN, waitUntil } from "./helpers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The outbox worker's claim (lease) in the real server: OutboxWorker's default, not configurable. */
const LEASE_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  name: string;
  proc: ChildProcess;
  base: string;
  /** The last lines the process wrote (warnings and errors at LOG_LEVEL=warn). */
  output: string[];
  exited: Promise<void>;
  alive: () => boolean;
}

/**
 * Starts `node --import tsx packages/server/src/main.ts` and waits for its /health. The process is
 * added to `children` as soon as it exists, so that it is killed even if it never gets healthy.
 */
async function startServer(
  children: Instance[],
  name: string,
  env: Record<string, string>,
): Promise<Instance> {
  const port = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "packages/server/src/main.ts")], {
    cwd: ROOT,
    // Only what the server is meant to read: nothing of the test runner's environment leaks in.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: String(port),
      HOST: "127.0.0.1",
      BOT_MODE: "off",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) output.push(`[${name}] ${line}`);
    output.splice(0, Math.max(0, output.length - 200));
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const base = `http://127.0.0.1:${port}`;
  const inst: Instance = { name, proc, base, output, exited, alive };
  children.push(inst);
  await waitUntil(
    `${name}'s /health`,
    async () => {
      if (!alive())
        throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}):\n${output.join("\n")}`);
      const res = await fetch(`${base}/health`).catch(() => null);
      return res?.status === 200;
    },
    45_000,
  );
  return inst;
}

/** Kills a child for good (a stopped one too) and waits for it to be gone. */
async function kill(inst: Instance | undefined): Promise<void> {
  if (!inst?.alive()) return;
  inst.proc.kill("SIGKILL");
  await inst.exited;
}

type Rule = "pass" | "hold" | "deliver";
interface HeldCall {
  method: string;
  /** For `deliver`: the double has answered, so the message is there. */
  delivered: boolean;
  /** Forwards the call (unless already delivered) and gives the caller the double's answer. */
  release: () => Promise<void>;
}

/**
 * An HTTP hop in front of the double. By method (lower-cased), a call is passed on (`pass`, the
 * default), held without reaching Telegram (`hold`), or passed on with the answer held back
 * (`deliver`: the message arrives, the sender never learns it did). Held calls end with the
 * caller's connection.
 */
async function telegramGate(target: string) {
  let rules: Record<string, Rule> = {};
  const held: HeldCall[] = [];
  let passed = 0;
  const sockets = new Set<Socket>();
  const forward = async (req: IncomingMessage, body: Buffer) => {
    const type = req.headers["content-type"];
    const r = await fetch(`${target}${req.url}`, {
      method: req.method ?? "POST",
      headers: type ? { "content-type": type } : {},
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    return {
      status: r.status,
      type: r.headers.get("content-type") ?? "application/json",
      body: Buffer.from(await r.arrayBuffer()),
    };
  };
  const answer = (res: ServerResponse, a: Awaited<ReturnType<typeof forward>>) => {
    if (!res.destroyed) res.writeHead(a.status, { "content-type": a.type }).end(a.body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const method = (new URL(req.url ?? "/", "http://gate").pathname.split("/").pop() ?? "").toLowerCase();
      const rule = rules[method] ?? "pass";
      const fail = () => res.destroy();
      if (rule === "pass") {
        passed += 1;
        forward(req, body).then((a) => answer(res, a), fail);
        return;
      }
      const call: HeldCall = { method, delivered: false, release: async () => {} };
      if (rule === "deliver") {
        const sent = forward(req, body);
        sent.then(() => (call.delivered = true), fail);
        call.release = async () => answer(res, await sent);
      } else call.release = async () => answer(res, await forward(req, body));
      held.push(call);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    passed: () => passed,
    setRules: (r: Record<string, Rule>) => {
      rules = r;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Res {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  body: any;
}
async function call(
  base: string,
  user: InitDataUser,
  method: string,
  url: string,
  body?: unknown,
): Promise<Res> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: authHeader(user),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed };
}

interface OutboxRow {
  id: number;
  kind: string;
  order_id: number;
  chat_id: number;
  status: string;
  attempts: number;
  sending: boolean;
  locked: boolean;
}
const outboxOf = (db: Database, orderIds: number[]) =>
  db.query<OutboxRow>(
    `select id, kind, order_id, chat_id, status, attempts, sending_since is not null as sending,
       coalesce(locked_until > now(), false) as locked
     from outbox where order_id in (select jsonb_array_elements_text($1::jsonb)::bigint) order by id`,
    [JSON.stringify(orderIds)],
  );

/** The bot's messages in a chat that are about order `id` (cards, status messages, QR captions). */
const aboutOrder = (tg: TelegramDouble, chatId: number, id: number): ChatMessage[] =>
  tg.botMessages(chatId).filter((m) => new RegExp(`[#№]${id}(?!\\d)`).test(m.text ?? m.caption ?? ""));

/** The sum of a Prometheus counter over its labels, by label value. */
async function counter(base: string, name: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{kind="([^"]+)"\\} (\\d+)$`, "gm")))
    out[m[1] as string] = Number(m[2]);
  return out;
}

describe.runIf(DATABASES.includes("postgres"))("two server processes on one PostgreSQL database", () => {
  let tg: TelegramDouble | undefined;
  let gate: Awaited<ReturnType<typeof telegramGate>> | undefined;
  let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  const children: Instance[] = [];
  let a: Instance | undefined;
  let b: Instance | undefined;
  const streams: SseConnection[] = [];
  // Should the test runner itself go away, take the children with it.
  const killChildren = () => {
    for (const i of children) if (i.alive()) i.proc.kill("SIGKILL");
  };
  /** What the servers logged (at LOG_LEVEL=warn), shown when a test fails. */
  const showLogs = () => {
    for (const i of children) console.log(i.output.join("\n") || `[${i.name}] (nothing logged)`);
  };

  const seller = newUser({ first_name: "Seller" });
  let offerId = 0;
  let db: Database;

  const person = async (inst: Instance, over: Partial<InitDataUser> = {}) => {
    const u = newUser(over);
    tg?.addUser({ id: u.id, first_name: u.first_name, language_code: u.language_code ?? null });
    expect((await call(inst.base, u, "GET", "/api/me")).status).toBe(200);
    return u;
  };
  const placeOrder = async (inst: Instance, buyer: InitDataUser): Promise<Order> => {
    const r = await call(inst.base, buyer, "POST", "/api/orders", {
      items: [{ offer_id: offerId, quantity: 1 }],
      delivery_type: "pickup",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const act = async (inst: Instance, orderId: number, action: string): Promise<Order> => {
    const r = await call(inst.base, seller, "POST", `/api/seller/orders/${orderId}/${action}`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const settled = (orderIds: number[], rows: number) =>
    waitUntil(
      `${rows} outbox rows of orders ${orderIds} sent`,
      async () => {
        const r = await outboxOf(db, orderIds);
        return r.length === rows && r.every((x) => x.status === "sent") && r;
      },
      LEASE_MS + 5_000,
    );

  beforeAll(async () => {
    process.on("exit", killChildren);
    tg = await TelegramDouble.start({ token: TEST_TOKEN });
    gate = await telegramGate(tg.apiRoot);
    database = await freshDatabase("postgres");
    db = database.db;
    // Both start on the empty database at once: one seeds the demo shops (under an advisory
    // lock), the other finds them there. The seed writes no outbox rows and touches none of our users.
    const env = { DATABASE_URL: database.url, BOT_TOKEN: TEST_TOKEN };
    [a, b] = await Promise.all([
      startServer(children, "A", { ...env, TELEGRAM_API_ROOT: tg.apiRoot }),
      startServer(children, "B", { ...env, TELEGRAM_API_ROOT: gate.apiRoot }),
    ]);
    tg.addUser({ id: seller.id, first_name: seller.first_name, language_code: "en" });
    const store = await call(a.base, seller, "POST", "/api/stores", {
      name: "Evening Bakery",
      address: "Tashkent, Navoi 1",
      phone: "90 111 22 33",
    });
    expect(store.status, JSON.stringify(store.body)).toBe(201);
    const offer = await call(a.base, seller, "POST", `/api/stores/${store.body.id}/offers`, {
      title: "Non",
      price: 4000,
      quantity: 100,
    });
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    offerId = offer.body.id;
  }, 60_000);

  afterAll(async () => {
    for (const s of streams) s.close();
    try {
      await Promise.all(children.map(kill));
    } finally {
      process.off("exit", killChildren);
      try {
        await gate?.close();
      } finally {
        try {
          await tg?.close();
        } finally {
          await database?.drop();
        }
      }
    }
  }, 30_000);

  it("streams an accept made on B to the buyer's stream held on A, and the bot messages go out once", async () => {
    onTestFailed(showLogs);
    const A = a as Instance;
    const B = b as Instance;
    const buyer = await person(A);
    const stream = await openSse(`${A.base}/api/events`, { headers: { authorization: authHeader(buyer) } });
    streams.push(stream);
    expect(stream.status).toBe(200);

    const order = await placeOrder(A, buyer);
    let confirmedAt = 0;
    stream.onEvent = (e, at) => {
      const o = JSON.parse(e.data) as Order;
      if (o.id === order.id && o.status === "confirmed" && !confirmedAt) confirmedAt = at;
    };
    const sentAt = performance.now();
    const accepted = await act(B, order.id, "accept");
    const answeredAt = performance.now();
    expect(accepted.status).toBe("confirmed");
    await waitUntil("the confirmed event on A's stream", () => confirmedAt > 0, 5_000);
    const latency = confirmedAt - sentAt;
    console.log(
      `cross-instance SSE: accept sent to B → confirmed event on A's stream in ${latency.toFixed(1)} ms ` +
        `(${(confirmedAt - answeredAt).toFixed(1)} ms after B answered the accept)`,
    );
    expect(latency).toBeLessThan(3_000);
    const events = stream.events.map((e) => JSON.parse(e.data) as Order).filter((o) => o.id === order.id);
    expect(events.at(-1)).toEqual(accepted);
    expect(events.filter((o) => o.status === "confirmed")).toHaveLength(1);

    // seller_new_order, then with the accept the seller's card edit and the buyer's QR message.
    const rows = await settled([order.id], 3);
    expect(rows.map((r) => r.kind).sort()).toEqual(["buyer_status", "seller_card", "seller_new_order"]);
    const cards = aboutOrder(tg as TelegramDouble, seller.id, order.id);
    expect(cards).toHaveLength(1);
    expect(buttons(cards[0] as ChatMessage).map((x) => x.text)).toContain("✅ Handed over");
    const qr = aboutOrder(tg as TelegramDouble, buyer.id, order.id);
    expect(qr).toHaveLength(1);
    expect(qr[0]?.caption).toContain(accepted.code);
    expect(decodeQr((tg as TelegramDouble).photoBytes(qr[0] as ChatMessage) as Buffer)).toBe(accepted.code);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    stream.close();
  }, 30_000);

  it("loses no notification when B is killed -9 in the middle of sends: A takes its claims over within the lease", async () => {
    onTestFailed(showLogs);
    const A = a as Instance;
    const B = b as Instance;
    const double = tg as TelegramDouble;
    const g = gate as NonNullable<typeof gate>;
    const buyer1 = await person(B);
    const buyer2 = await person(B);
    await waitUntil("an idle outbox", async () => {
      const [r] = await db.query<{ n: number }>(
        "select count(*)::int as n from outbox where status in ('pending','sending')",
      );
      return r?.n === 0;
    });

    // A is frozen (SIGSTOP) so that every row of this test is B's to claim; it thaws once B is dead.
    g.setRules({ sendmessage: "hold", editmessagetext: "hold", sendphoto: "hold" });
    process.kill(A.proc.pid as number, "SIGSTOP");
    let aFrozen = true;
    try {
      // B claims the first order's card and hangs in sending it; meanwhile more rows pile up.
      const o1 = await placeOrder(B, buyer1);
      const first = await waitUntil("B sending the first card", () => g.held[0]);
      const o2 = await placeOrder(B, buyer2);
      const accepted = await act(B, o1.id, "accept");
      const ids = [o1.id, o2.id];
      expect((await outboxOf(db, ids)).map((r) => [r.order_id, r.kind, r.status])).toEqual([
        [o1.id, "seller_new_order", "sending"],
        [o2.id, "seller_new_order", "pending"],
        [o1.id, "seller_card", "pending"],
        [o1.id, "buyer_status", "pending"],
      ]);

      // The first card goes through; B claims one row per chat (the seller's chat after its one
      // second's pause, hence the wait) and starts on both: the second card reaches Telegram but its
      // answer never reaches B; the buyer's QR photo never leaves. The seller's card edit waits in
      // the outbox behind B's claims, unclaimed.
      g.setRules({ sendmessage: "deliver", editmessagetext: "deliver", sendphoto: "hold" });
      await sleep(1_100);
      await first.release();
      await waitUntil("B in the middle of two sends", () => {
        const calls = g.held.slice(1);
        return (
          calls.length === 2 &&
          calls.some((c) => c.method === "sendphoto" && !c.delivered) &&
          calls.some((c) => c.method !== "sendphoto" && c.delivered) &&
          calls
        );
      });
      const claimed = await waitUntil("B's claims recorded", async () => {
        const r = (await outboxOf(db, ids)).filter((x) => x.status === "sending");
        return r.length === 2 && r.filter((x) => x.sending).length === 2 && r;
      });
      expect((await outboxOf(db, ids)).map((r) => [r.kind, r.status])).toEqual([
        ["seller_new_order", "sent"],
        ["seller_new_order", "sending"],
        ["seller_card", "pending"],
        ["buyer_status", "sending"],
      ]);
      expect(claimed.every((r) => r.locked)).toBe(true);
      const midSend = claimed.filter((r) => r.sending);

      process.kill(B.proc.pid as number, "SIGKILL");
      const killedAt = Date.now();
      await B.exited;
      process.kill(A.proc.pid as number, "SIGCONT");
      aFrozen = false;

      const rows = await settled(ids, 4);
      const took = Date.now() - killedAt;
      console.log(
        `kill -9 of B: A delivered the ${claimed.length} rows B held ${took} ms later (lease ${LEASE_MS} ms; ` +
          `mid-send: ${midSend.map((r) => r.kind).join(", ")})`,
      );
      // B renewed its claims every 3 s until it died: they run out at most 10 s after the kill, A polls
      // every second, and then sends (a QR code to draw, on a machine shared with other tests).
      expect(took).toBeLessThan(LEASE_MS + 1_000 + 2_000);
      // The first card went out from B; the two rows B held were claimed twice (by B, then by A),
      // the card edit once, by A.
      expect(rows.map((r) => [r.order_id, r.kind, r.attempts])).toEqual([
        [o1.id, "seller_new_order", 1],
        [o2.id, "seller_new_order", 2],
        [o1.id, "seller_card", 1],
        [o1.id, "buyer_status", 2],
      ]);

      // Exactly the rows whose send was under way when B died are counted as resent, on A.
      const resent = await counter(A.base, "lastbite_outbox_resent_total");
      const expected: Record<string, number> = {};
      for (const r of midSend) expected[r.kind] = (expected[r.kind] ?? 0) + 1;
      expect(resent).toEqual(expected);
      const resentCard = midSend.some((r) => r.kind === "seller_new_order");

      // Every message arrived; only a card whose send B had made (answer lost) may be there twice.
      expect(aboutOrder(double, seller.id, o1.id)).toHaveLength(1);
      expect(aboutOrder(double, seller.id, o2.id)).toHaveLength(resentCard ? 2 : 1);
      const card1 = aboutOrder(double, seller.id, o1.id)[0] as ChatMessage;
      expect(card1.text).toContain(accepted.code);
      expect(buttons(card1).map((x) => x.text)).toContain("✅ Handed over");
      const qr = aboutOrder(double, buyer1.id, o1.id);
      expect(qr).toHaveLength(1);
      expect(decodeQr(double.photoBytes(qr[0] as ChatMessage) as Buffer)).toBe(accepted.code);
      expect(double.botMessages(buyer2.id)).toHaveLength(0);
      expect(await db.query("select id, kind, status from outbox where status <> 'sent'")).toEqual([]);
      expect(A.alive()).toBe(true);
    } finally {
      if (aFrozen && A.alive()) process.kill(A.proc.pid as number, "SIGCONT");
    }
  }, 45_000);
});
