/**
 * Notification drain benchmark: `npm run bench:drain` (or `npx tsx bench/drain.ts`).
 *
 * 2,000 buyers each order from their own shop (2,000 shops, 2,000 owners), so the outbox holds
 * 2,000 seller cards for 2,000 distinct chats: real rows written by the real order placement
 * (`place_order()`), for real orders the worker renders. Then the real server process
 * (`packages/server/src/main.ts`, `BOT_MODE=off`: no updates, only the outbox worker) drains them
 * into the Telegram double, which runs in this process and enforces Telegram's limits (30 messages a
 * second overall, 1 a second per chat: 429 with `retry_after` beyond them). Measured at the double:
 * every chat's messages (none lost, none twice), the drain time (first send to last delivery) next to
 * the theoretical 2000 / 30 = 66.7 s, the 429s it answered, and the throughput second by second.
 *
 * Three runs over the same rows (reset to pending in between), each with a fresh double and server:
 *   paced     TELEGRAM_MESSAGES_PER_SECOND=30 (the default) against the limits;
 *   unpaced   the baseline: TELEGRAM_MESSAGES_PER_SECOND=1000 (no overall pacing, as before the
 *             worker paced itself: it learns the limit from 429s) against the same limits;
 *   ceiling   TELEGRAM_MESSAGES_PER_SECOND=1000 against a double without limits: how fast the
 *             worker and the database could go, so whether Telegram's limit is the bottleneck.
 *
 * Writes bench/results/drain-<database>.json and the "Notification drain" section of BENCHMARKS.md.
 * Environment: BENCH_DATABASE_URL (postgres://…/<name>: the script creates that database fresh and
 * drops it at the end; a name of `postgres` or none becomes lastbite_drain_<pid>; unset: the
 * embedded database in a temporary directory), BENCH_NOTIFICATIONS (2000), BENCH_QUICK=1 (200, and
 * results only to bench/results/drain-<database>.quick.json, not BENCHMARKS.md), BENCH_RUNS
 * (paced,unpaced,ceiling).
 */
import { type ChildProcess, execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ApiCall, TelegramDouble } from "@lastbite/telegram-double";
import pg from "pg";
import { loadConfig } from "../packages/server/src/config.ts";
import { type Database, openDatabase } from "../packages/server/src/db/database.ts";
import { migrate } from "../packages/server/src/db/migrations.ts";
import { createServices } from "../packages/server/src/services.ts";
import {
  cpuSeconds,
  machine as machineInfo,
  now,
  pool,
  sleep,
  spawnServer,
  writeSection,
} from "./support.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.env.BENCH_QUICK === "1";
/**
 * BENCH_SCENARIO=broadcast (`npm run bench:broadcast`): one shop with 5,000 followers puts a new
 * offer on sale; the outbox holds one alert per follower (`announceOffer`, as the API writes them).
 */
const BROADCAST = process.env.BENCH_SCENARIO === "broadcast";
const N = Number(process.env.BENCH_NOTIFICATIONS ?? (BROADCAST ? (quick ? 300 : 5000) : quick ? 200 : 2000));
const LIMIT = { perSecond: 30, perChatPerSecond: 1 };
const RUNS = (process.env.BENCH_RUNS ?? (BROADCAST ? "paced" : "paced,unpaced,ceiling"))
  .split(",")
  .map((s) => s.trim());
const TOKEN = "555000222:BENCH-drain_token_for_lastbite_benchmarks";
const SELLER0 = 8_100_000_000;
const BUYER0 = 8_200_000_000;
const LANGS = ["uz", "ru", "en"] as const;

function log(msg: string) {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

// ---------- the database ----------

interface BenchDatabase {
  kind: "postgres" | "pglite";
  /** What the server gets: DATABASE_URL, or DATA_DIR for the embedded database. */
  env: Record<string, string>;
  open: () => Promise<Database>;
  drop: () => Promise<void>;
}

async function benchDatabase(): Promise<BenchDatabase> {
  const raw = process.env.BENCH_DATABASE_URL?.trim();
  if (!raw) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lastbite-drain-"));
    return {
      kind: "pglite",
      env: { DATA_DIR: dir },
      open: () => openDatabase(path.join(dir, "pglite")),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const u = new URL(raw);
  let name = decodeURIComponent(u.pathname.slice(1));
  if (!name || name === "postgres") name = `lastbite_drain_${process.pid}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`BENCH_DATABASE_URL: "${name}" is no plain database name`);
  const admin = new URL(u);
  admin.pathname = "/postgres";
  const adminQuery = async (q: string) => {
    const c = new pg.Client({ connectionString: admin.href });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await adminQuery(`drop database if exists ${name} with (force)`);
  await adminQuery(`create database ${name}`);
  u.pathname = `/${name}`;
  const url = u.href;
  return {
    kind: "postgres",
    env: { DATABASE_URL: url },
    open: () => openDatabase(url),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

/** The chats the notifications go to: the shops' owners (cards), or the followers (broadcast). */
const chatOf = (i: number) => (BROADCAST ? BUYER0 + i : SELLER0 + i);

/** One shop, N followers, one new offer: N alerts in the outbox, written as the API writes them. */
async function enqueueBroadcast(db: Database): Promise<void> {
  const config = loadConfig({ BOT_TOKEN: TOKEN, DATABASE_URL: "memory://", LOG_LEVEL: "silent" });
  const services = createServices({ config, db, botToken: TOKEN });
  await db.query(
    `insert into users (id, first_name, language)
       select $1::bigint + g, 'Follower ' || g, (array['uz','ru','en'])[1 + g % 3] from generate_series(0, $2::int - 1) g`,
    [BUYER0, N],
  );
  await services.users.upsert({
    id: SELLER0,
    first_name: "Owner",
    last_name: null,
    username: null,
    language: "uz",
  });
  const store = await services.catalog.createStore(SELLER0, {
    name: "Non Uyi",
    address: "Tashkent, Chilonzor 5",
    phone: "+998901234567",
  });
  await db.query(
    "insert into favourites (user_id, store_id) select $1::bigint + g, $3 from generate_series(0, $2::int - 1) g",
    [BUYER0, N, store.id],
  );
  const offer = await services.catalog.createOffer(SELLER0, store.id, {
    title: "Samsa",
    price: 6000,
    original_price: 12000,
    quantity: 100,
  });
  if (!offer.ok) throw new Error(`offer: ${JSON.stringify(offer)}`);
  const queued = await services.buyers.announceOffer(offer.value.id);
  if (queued !== N) throw new Error(`announceOffer queued ${queued}, not ${N}`);
}

/** N shops with one offer each, N buyers, and one order per buyer: N seller cards in the outbox. */
async function enqueue(db: Database): Promise<void> {
  if (BROADCAST) return enqueueBroadcast(db);
  const config = loadConfig({ BOT_TOKEN: TOKEN, DATABASE_URL: "memory://", LOG_LEVEL: "silent" });
  const services = createServices({ config, db, botToken: TOKEN });
  const ids = Array.from({ length: N }, (_, i) => i);
  await pool(ids, db.kind === "postgres" ? 8 : 1, async (i) => {
    const lang = LANGS[i % LANGS.length] as string;
    const seller = SELLER0 + i;
    const buyer = BUYER0 + i;
    await services.users.upsert({
      id: seller,
      first_name: `Owner${i}`,
      last_name: null,
      username: null,
      language: lang,
    });
    await services.users.upsert({
      id: buyer,
      first_name: `Buyer${i}`,
      last_name: null,
      username: `buyer${i}`,
      language: lang,
    });
    const store = await services.catalog.createStore(seller, {
      name: `Non Uyi ${i}`,
      address: "Tashkent, Chilonzor 5",
      phone: "+998901234567",
    });
    const offer = await services.catalog.createOffer(seller, store.id, {
      title: "Samsa",
      price: 6000,
      original_price: 12000,
      quantity: 10,
    });
    if (!offer.ok) throw new Error(`offer: ${JSON.stringify(offer)}`);
    const order = await services.orders.create(buyer, {
      items: [{ offer_id: offer.value.id, quantity: 2 }],
      delivery_type: "pickup",
    });
    if (!order.ok) throw new Error(`order: ${JSON.stringify(order)}`);
  });
}

/** Every card pending again, as if just written (for the next run over the same rows). */
async function resetOutbox(db: Database): Promise<void> {
  await db.query(
    `update outbox set status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = null,
       sending_since = null, sent_at = null, message_id = null, last_error = null`,
  );
  await db.query("delete from order_messages");
}

async function outboxState(db: Database) {
  const rows = await db.query<{ status: string; n: number; attempts: number }>(
    "select status, count(*)::int as n, sum(attempts)::int as attempts from outbox group by status",
  );
  const by = Object.fromEntries(rows.map((r) => [r.status, r]));
  return {
    rows: rows.reduce((a, r) => a + r.n, 0),
    sent: by.sent?.n ?? 0,
    failed: by.failed?.n ?? 0,
    open: (by.pending?.n ?? 0) + (by.sending?.n ?? 0),
    attempts: rows.reduce((a, r) => a + r.attempts, 0),
  };
}

// ---------- the server ----------

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Server {
  child: ChildProcess;
  base: string;
  stop: () => Promise<void>;
}

/** The real server (`npm start`'s main.ts) against the double, with only the outbox worker busy. */
async function startServer(
  db: BenchDatabase,
  tg: TelegramDouble,
  perSecond: number,
  logFile: string,
): Promise<Server> {
  const port = await freePort();
  const child = spawnServer("packages/server/src/main.ts", {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...db.env,
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      BOT_MODE: "off",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ORDER_ACCEPT_TIMEOUT: "86400",
      TELEGRAM_MESSAGES_PER_SECOND: String(perSecond),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: string[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`the server exited with ${child.exitCode}:\n${out.join("")}`);
    const ok = await fetch(`${base}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (i > 600) throw new Error("the server did not become healthy in 60 s");
    await sleep(100);
  }
  return {
    child,
    base,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      writeFileSync(logFile, out.join(""));
    },
  };
}

// ---------- one run ----------

interface RunSpec {
  name: string;
  label: string;
  perSecond: number;
  limited: boolean;
}

const SPECS: Record<string, RunSpec> = {
  paced: {
    name: "paced",
    label: "paced worker (TELEGRAM_MESSAGES_PER_SECOND=30), double enforcing 30/s and 1/s per chat",
    perSecond: 30,
    limited: true,
  },
  unpaced: {
    name: "unpaced",
    label: "baseline: no overall pacing (TELEGRAM_MESSAGES_PER_SECOND=1000), same limits",
    perSecond: 1000,
    limited: true,
  },
  ceiling: {
    name: "ceiling",
    label: "ceiling: no overall pacing, double without limits",
    perSecond: 1000,
    limited: false,
  },
};

const SENDS = /^(send|edit)/i;

async function run(db: BenchDatabase, spec: RunSpec) {
  const tg = await TelegramDouble.start({
    token: TOKEN,
    ...(spec.limited ? { rateLimit: LIMIT } : {}),
  });
  for (let i = 0; i < N; i++) tg.addUser({ id: chatOf(i), first_name: `Chat${i}`, language_code: "en" });
  /** Successful sends per chat, and every send attempt's time (ms since the server was started). */
  const perChat = new Map<number, number>();
  const okTimes: number[] = [];
  let firstAttempt = Number.NaN;
  let refusedCalls = 0;
  let delivered = 0;
  let t0 = 0;
  let done: () => void = () => {};
  const allDelivered = new Promise<void>((r) => {
    done = r;
  });
  tg.events.on("call", (c: ApiCall) => {
    if (!SENDS.test(c.method)) return;
    const t = now() - t0;
    if (Number.isNaN(firstAttempt)) firstAttempt = t;
    if (c.status === 429) refusedCalls++;
    if (c.status !== 200) return;
    okTimes.push(t);
    const chat = Number(c.params.chat_id);
    const n = (perChat.get(chat) ?? 0) + 1;
    perChat.set(chat, n);
    if (n === 1 && ++delivered === N) done();
  });

  const logFile = path.join(os.tmpdir(), `lastbite-drain-${db.kind}-${spec.name}.log`);
  t0 = now();
  const server = await startServer(db, tg, spec.perSecond, logFile);
  const healthyAt = now() - t0;
  const pid = server.child.pid as number;
  const cpu0 = cpuSeconds(pid);
  const timeout = Math.max(120_000, (N / LIMIT.perSecond) * 4000);
  const finished = await Promise.race([allDelivered.then(() => true), sleep(timeout).then(() => false)]);
  const lastDelivery = okTimes[okTimes.length - 1] ?? Number.NaN;
  const cpu = cpuSeconds(pid) - cpu0;
  // A few seconds more: a message sent twice would show up now.
  await sleep(3000);
  const metrics = await (await fetch(`${server.base}/metrics`)).text();
  const counter = (name: string) =>
    [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, "gm"))].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
  await server.stop();
  await tg.close();

  const check = await db.open();
  const outbox = await outboxState(check);
  await check.close();

  const chats = [...perChat.values()];
  const drainMs = lastDelivery - firstAttempt;
  // Messages delivered in each whole second from the first send attempt.
  const seconds = Math.ceil(drainMs / 1000) || 1;
  const perSecond = Array.from({ length: seconds }, () => 0);
  for (const t of okTimes) {
    const s = Math.min(seconds - 1, Math.floor((t - firstAttempt) / 1000));
    perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  const stats = tg.rateLimitStats();
  const result = {
    name: spec.name,
    label: spec.label,
    workerPerSecond: spec.perSecond,
    doubleLimits: spec.limited ? LIMIT : null,
    finished,
    healthySeconds: healthyAt / 1000,
    firstSendSeconds: firstAttempt / 1000,
    drainSeconds: drainMs / 1000,
    startToLastSeconds: lastDelivery / 1000,
    theoreticalSeconds: spec.limited ? N / LIMIT.perSecond : null,
    throughput: okTimes.length / (drainMs / 1000),
    delivered: chats.filter((n) => n >= 1).length,
    lost: N - chats.filter((n) => n >= 1).length,
    doubled: chats.filter((n) => n > 1).length,
    extraMessages: chats.reduce((a, n) => a + Math.max(0, n - 1), 0),
    refused429: refusedCalls,
    refusedOverall: stats.refusedOverall,
    refusedPerChat: stats.refusedPerChat,
    perSecond,
    serverCpuSeconds: cpu,
    outbox,
    metrics: {
      sent: counter("lastbite_outbox_sent_total"),
      retries: counter("lastbite_outbox_retries_total"),
      failed: counter("lastbite_outbox_failed_total"),
      resent: counter("lastbite_outbox_resent_total"),
    },
  };
  log(
    `${spec.name}: ${result.delivered}/${N} chats in ${result.drainSeconds.toFixed(1)} s (${result.throughput.toFixed(1)} msg/s), ${result.doubled} doubled, ${result.refused429} × 429, outbox ${JSON.stringify(outbox)}`,
  );
  return result;
}

// ---------- main ----------

async function main() {
  const machine = machineInfo();
  const db = await benchDatabase();
  log(`${db.kind}: enqueueing ${N} notifications for ${N} chats`);
  try {
    const setup = await db.open();
    await migrate(setup);
    const tSetup = now();
    await enqueue(setup);
    const setupSeconds = (now() - tSetup) / 1000;
    const before = await outboxState(setup);
    if (before.open !== N) throw new Error(`expected ${N} pending cards, found ${JSON.stringify(before)}`);
    await setup.close();
    log(`${N} orders placed in ${setupSeconds.toFixed(1)} s; ${before.open} cards pending`);

    const runs = [];
    for (const [i, name] of RUNS.entries()) {
      const spec = SPECS[name];
      if (!spec) throw new Error(`BENCH_RUNS: unknown run "${name}"`);
      if (i > 0) {
        const again = await db.open();
        await resetOutbox(again);
        await again.close();
      }
      runs.push(await run(db, spec));
    }
    machine.loadAverage[1] = os.loadavg()[0] ?? 0;
    const result = {
      date: new Date().toISOString(),
      machine,
      database: db.kind,
      quick,
      params: {
        notifications: N,
        chats: N,
        limits: LIMIT,
        worker: "real server process (main.ts, BOT_MODE=off)",
      },
      setupSeconds,
      runs,
    };
    const dir = path.join(root, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = `${BROADCAST ? "broadcast" : "drain"}-${db.kind}${quick ? ".quick" : ""}.json`;
    writeFileSync(path.join(dir, file), `${JSON.stringify(result, null, 2)}\n`);
    try {
      execSync(`npx biome format --write bench/results/${file}`, { cwd: root, stdio: "ignore" });
    } catch {}
    if (!quick) {
      if (BROADCAST) writeBroadcastReport(result);
      else writeReport();
    }
    log(`results written to bench/results/${file}${quick ? "" : " and BENCHMARKS.md"}`);
    const paced = runs.find((r) => r.name === "paced");
    if (paced && (paced.lost > 0 || paced.doubled > 0 || !paced.finished)) process.exitCode = 1;
  } finally {
    await db.drop();
  }
}

// ---------- the report ----------

function writeBroadcastReport(r: Result) {
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
  const x = r.runs.find((y: Result) => y.name === "paced");
  if (!x) return;
  const within = Math.abs(x.drainSeconds / x.theoreticalSeconds - 1);
  const met = x.finished && within <= 0.1 && x.lost === 0 && x.doubled === 0;
  const START_B =
    "<!-- broadcast:start (written by `npm run bench:broadcast`; edit bench/drain.ts, not this section) -->";
  const END_B = "<!-- broadcast:end -->";
  const lines = [
    START_B,
    "## New-offer broadcast to followers",
    "",
    `\`npm run bench:broadcast\` (\`bench/drain.ts\` with \`BENCH_SCENARIO=broadcast\`): one shop with ${r.params.notifications.toLocaleString("en")} followers puts a new offer on sale;`,
    "`announceOffer` writes one alert per follower in one statement, and the real server's outbox worker drains them into",
    "the Telegram double enforcing 30 messages a second overall and 1 a second per chat. Telegram's limit alone makes it",
    `${r.params.notifications} / 30 = ${f1(r.params.notifications / 30)} s.`,
    "",
    `### ${r.database === "postgres" ? "PostgreSQL" : "Embedded database (PGlite)"} — ${r.date.slice(0, 16).replace("T", " ")} UTC`,
    "",
    `Machine: ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, Node ${r.machine.node}; 1-minute load average ${r.machine.loadAverage.map(f1).join(" → ")}. Followers and alerts written in ${f1(r.setupSeconds)} s.`,
    "",
    `Target: all delivered, none twice, at Telegram's pace (within 10 % of ${f1(x.theoreticalSeconds)} s) — ${met ? "met" : "**not met**"} (${f1(x.drainSeconds)} s, ${x.delivered} delivered, ${x.lost} lost, ${x.doubled} twice, ${x.refused429} × 429).`,
    "",
    "| drain time | vs. theoretical | msg/s | delivered | lost | twice | 429s answered | server CPU |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${f1(x.drainSeconds)} s | ${x.drainSeconds >= x.theoreticalSeconds ? "+" : ""}${f1((x.drainSeconds / x.theoreticalSeconds - 1) * 100)} % | ${f1(x.throughput)} | ${x.delivered} | ${x.lost} | ${x.doubled} | ${x.refused429} | ${f1(x.serverCpuSeconds)} s |`,
    "",
    "The bottleneck is Telegram's 30 messages a second: the worker's token bucket sends a message every 33 ms and the database is idle in between.",
    "",
    END_B,
  ];
  const file = path.join(root, "BENCHMARKS.md");
  let text = readFileSync(file, "utf8");
  const i = text.indexOf(START_B);
  const j = text.indexOf(END_B);
  text =
    i >= 0 && j > i
      ? text.slice(0, i) + lines.join("\n") + text.slice(j + END_B.length)
      : `${text.trimEnd()}\n\n${lines.join("\n")}\n`;
  writeFileSync(file, text);
  try {
    execSync("npx biome format --write BENCHMARKS.md", { cwd: root, stdio: "ignore" });
  } catch {}
}

const START = "<!-- drain:start (written by bench/drain.ts; edit the script, not this section) -->";
const END = "<!-- drain:end -->";

// biome-ignore lint/suspicious/noExplicitAny: results written by this script
type Result = any;

function writeReport() {
  const dir = path.join(root, "bench/results");
  const results = readdirSync(dir)
    .filter((f) => /^drain-[a-z]+\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Result);
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
  const out: string[] = [
    START,
    "## Notification drain",
    "",
    "`npm run bench:drain` (`bench/drain.ts`) fills the outbox with 2,000 seller cards for 2,000 distinct chats",
    "(2,000 buyers each ordering from their own shop through the real order placement, so the rows are",
    "real renderable cards of real orders), then starts the real server process (`main.ts` with",
    "`BOT_MODE=off`: the outbox worker is all that runs) against the Telegram double, which runs in the",
    "benchmark process and enforces Telegram's limits: 30 messages a second overall (a second's worth",
    "may come at once) and 1 a second per chat (3 at once), answering `429 Too Many Requests: retry after N`",
    "beyond them. Everything is counted at the double. The drain time runs from the first send attempt to",
    "the last delivery; Telegram's limit alone makes it 2000 / 30 = 66.7 s. The same rows are drained three",
    "times, reset to pending in between: by the paced worker (the default), by a worker without overall",
    "pacing (the baseline: it learns the limit from 429s, as before), and by the same against a double",
    "without limits (the ceiling: how fast the worker and the database could go).",
    "",
  ];
  for (const r of results) {
    const paced = r.runs.find((x: Result) => x.name === "paced");
    const ceiling = r.runs.find((x: Result) => x.name === "ceiling");
    out.push(
      `### ${r.database === "postgres" ? "PostgreSQL" : "Embedded database (PGlite)"} — ${r.date.slice(0, 16).replace("T", " ")} UTC`,
      "",
      `Machine: ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, ${r.machine.os}, Node ${r.machine.node}; 1-minute load average ${r.machine.loadAverage.map(f1).join(" → ")} (the machine is shared with other work). ${r.params.notifications} notifications placed in ${f1(r.setupSeconds)} s.`,
      "",
    );
    if (paced) {
      const within = Math.abs(paced.drainSeconds / paced.theoreticalSeconds - 1);
      out.push(
        `Target: drain within 10 % of ${f1(paced.theoreticalSeconds)} s with none lost and none twice — ${paced.finished && within <= 0.1 && paced.lost === 0 && paced.doubled === 0 ? "met" : "**not met**"} (${f1(paced.drainSeconds)} s, ${paced.lost} lost, ${paced.doubled} twice, ${paced.refused429} × 429).`,
        "",
      );
    }
    out.push(
      "| run | worker pace | double's limits | drain time | vs. 66.7 s | msg/s | delivered | lost | twice | 429s answered | server CPU |",
      "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const x of r.runs) {
      out.push(
        `| ${x.name} | ${x.workerPerSecond === 1000 ? "none (1000/s)" : `${x.workerPerSecond}/s`} | ${x.doubleLimits ? `${x.doubleLimits.perSecond}/s, ${x.doubleLimits.perChatPerSecond}/s per chat` : "none"} | ${f1(x.drainSeconds)} s | ${x.theoreticalSeconds ? `${x.drainSeconds >= x.theoreticalSeconds ? "+" : ""}${f1((x.drainSeconds / x.theoreticalSeconds - 1) * 100)} %` : "–"} | ${f1(x.throughput)} | ${x.delivered} | ${x.lost} | ${x.doubled} | ${x.refused429} | ${f1(x.serverCpuSeconds)} s |`,
      );
    }
    out.push("");
    for (const x of r.runs) {
      const steady = x.perSecond.slice(1, -1);
      const sorted = [...steady].sort((a: number, b: number) => a - b);
      const tens: string[] = [];
      for (let i = 0; i < x.perSecond.length; i += 10) {
        const w = x.perSecond.slice(i, i + 10);
        tens.push(f1(w.reduce((a: number, b: number) => a + b, 0) / w.length));
      }
      out.push(
        `- ${x.name}: messages delivered per second, whole seconds from the first send (first and last left out): min ${sorted[0] ?? "–"}, median ${sorted[Math.floor(sorted.length / 2)] ?? "–"}, max ${sorted[sorted.length - 1] ?? "–"}; per 10 s: ${tens.join(", ")}. Server healthy ${f1(x.healthySeconds)} s after spawn, first send at ${f1(x.firstSendSeconds)} s; outbox afterwards: ${x.outbox.sent} sent, ${x.outbox.failed} failed, ${x.outbox.open} open, ${x.outbox.attempts} attempts in all (worker metrics: ${x.metrics.sent} sent, ${x.metrics.retries} retries).`,
      );
    }
    const unpaced = r.runs.find((x: Result) => x.name === "unpaced");
    if (paced && ceiling)
      out.push(
        "",
        `The bottleneck is Telegram's limit, not the worker: without limits the same worker and database drain ${ceiling.delivered} cards at ${f1(ceiling.throughput)} messages a second (${f1(ceiling.drainSeconds)} s), ${f1(ceiling.throughput / 30)} × what Telegram allows, so the paced worker spends its time waiting for its next token.`,
      );
    if (paced && unpaced)
      out.push(
        "",
        `Without pacing the same drain takes ${f1(unpaced.drainSeconds)} s, not ${f1(paced.drainSeconds)} s, and draws ${unpaced.refused429} 429s: each stops every send for its \`retry_after\` (1 s here) and sends its row back to the queue, so the worker spends whole seconds idle that its token bucket would have used; on Telegram, a bot that keeps running into 429s is also told to wait longer.`,
      );
    out.push("");
  }
  writeSection(START, END, out.slice(1));
}

if (process.argv.includes("--report")) writeReport();
else {
  await main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
  // Idle keep-alive sockets and the services' timers would hold the process for a while yet.
  process.exit();
}
