import { randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import {
  type MeResponse,
  meSchema,
  type Offer,
  type Order,
  offerListSchema,
  offerSchema,
  orderListSchema,
  orderSchema,
  type Problem,
  problemSchema,
  type Store,
  storeSchema,
} from "@lastbite/shared";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import pg from "pg";
import { z } from "zod";
import { type App, type AppDeps, buildApp } from "../src/app.ts";
import { type InitDataUser, signInitData } from "../src/auth/init-data.ts";
import { type Config, loadConfig } from "../src/config.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { migrate } from "../src/db/migrations.ts";

/** The databases every integration suite runs on: always embedded, and PostgreSQL when TEST_DATABASE_URL is set. */
export const DATABASES: ("pglite" | "postgres")[] = process.env.TEST_DATABASE_URL
  ? ["pglite", "postgres"]
  : ["pglite"];

let counter = 0;

/** A fresh, migrated database: a throw-away PGlite, or a new PostgreSQL database dropped by `drop()`. */
export async function freshDatabase(
  kind: "pglite" | "postgres",
): Promise<{ db: Database; url: string; drop: () => Promise<void> }> {
  if (kind === "pglite") {
    const db = await openDatabase("memory://");
    await migrate(db);
    return { db, url: "memory://", drop: () => db.close() };
  }
  const base = process.env.TEST_DATABASE_URL as string;
  const name = `lastbite_test_${process.pid}_${++counter}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.href;
  const db = await openDatabase(url);
  await migrate(db);
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const TEST_TOKEN = "123456789:TEST-token_for_lastbite_integration";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ BOT_TOKEN: TEST_TOKEN, BOT_MODE: "off", DATABASE_URL: "memory://", ...overrides });
}

let userSeq = 100;
/** A new Telegram user with a unique id. */
export function newUser(over: Partial<InitDataUser> = {}): InitDataUser {
  userSeq += 1;
  return {
    id: 5_000_000_000 + userSeq * 7 + Math.floor(Math.random() * 5),
    first_name: `User${userSeq}`,
    language_code: "en",
    ...over,
  };
}

export const authHeader = (user: InitDataUser, token = TEST_TOKEN) => `tma ${signInitData(token, { user })}`;

export interface TestApp {
  app: App;
  db: Database;
  /** Calls the API as `user`; returns status, parsed JSON and headers. */
  as: (user: InitDataUser) => Client;
  close: () => Promise<void>;
}

/** What a 2xx body must be: a zod schema whose output is the API type the test reads. */
export type Shape<T> = z.ZodType<T>;

// The annotations make the compiler check that each shared response schema yields its shared type.
const order: Shape<Order> = orderSchema;
const store: Shape<Store> = storeSchema;
const offer: Shape<Offer> = offerSchema;
const me: Shape<MeResponse> = meSchema;
const problemShape: Shape<Problem> = problemSchema;

/** The shapes of the API's answers, from `@lastbite/shared`: pass one to a call to read its body typed. */
export const api = {
  order,
  orders: orderListSchema satisfies Shape<{ orders: Order[]; next_cursor: string | null }>,
  store,
  stores: z.object({ stores: z.array(store) }) satisfies Shape<{ stores: Store[] }>,
  offer,
  offers: offerListSchema satisfies Shape<{ offers: Offer[]; next_cursor: string | null }>,
  me,
};

/**
 * Calls the API as one user. Without a shape a body is `unknown`; with one (`api.order`, …) a 2xx
 * body is checked against it and typed, so a test reads only fields the API promises.
 */
export interface Client {
  get(url: string): Promise<Res>;
  get<T>(url: string, shape: Shape<T>): Promise<Res<T>>;
  post(url: string, body?: unknown): Promise<Res>;
  post<T>(url: string, body: unknown, shape: Shape<T>, headers?: Record<string, string>): Promise<Res<T>>;
  patch(url: string, body?: unknown): Promise<Res>;
  patch<T>(url: string, body: unknown, shape: Shape<T>): Promise<Res<T>>;
  put(url: string, body?: unknown): Promise<Res>;
  delete(url: string): Promise<Res>;
}

/** One answer of the API. */
export class Res<T = unknown> {
  #body: { value: T } | undefined;
  #problem: Problem | undefined;

  constructor(
    /** e.g. `GET /api/orders/5`, for messages */
    readonly what: string,
    readonly status: number,
    readonly headers: Record<string, unknown>,
    /** The parsed JSON (the text when it is not JSON; null when empty), whatever the status. */
    readonly json: unknown,
    private readonly shape?: Shape<T>,
  ) {}

  /** Reads an `app.inject()` answer: its JSON is `unknown` unless a shape is given. */
  static of<T = unknown>(res: LightMyRequestResponse, shape?: Shape<T>, what = "the request"): Res<T> {
    let json: unknown = res.body;
    try {
      json = res.body ? JSON.parse(res.body) : null;
    } catch {}
    return new Res(what, res.statusCode, res.headers, json, shape);
  }

  /**
   * The body of a 2xx answer, checked against the call's shape. Reading it after any other answer
   * throws, naming the status and the body: a test that expected success fails there, with the reason.
   */
  get body(): T {
    if (!this.shape) return this.json as T; // T is unknown: the test must look before it reads
    if (this.#body) return this.#body.value;
    if (this.status < 200 || this.status > 299)
      throw new Error(`${this.what} answered ${this.status}, not 2xx: ${JSON.stringify(this.json)}`);
    const parsed = this.shape.safeParse(this.json);
    if (!parsed.success)
      throw new Error(
        `${this.what} answered ${this.status} with a body that is not the expected shape: ${z.prettifyError(parsed.error)}\n${JSON.stringify(this.json)}`,
      );
    this.#body = { value: parsed.data };
    return parsed.data;
  }

  /** The application/problem+json body of a 4xx/5xx answer, checked. Reading it after a success throws. */
  get problem(): Problem {
    if (this.#problem) return this.#problem;
    if (this.status < 400)
      throw new Error(`${this.what} answered ${this.status}, not a problem: ${JSON.stringify(this.json)}`);
    const parsed = problemShape.safeParse(this.json);
    if (!parsed.success)
      throw new Error(
        `${this.what} answered ${this.status} with a body that is not a problem: ${z.prettifyError(parsed.error)}\n${JSON.stringify(this.json)}`,
      );
    this.#problem = parsed.data;
    return parsed.data;
  }
}

export async function createTestApp(
  kind: "pglite" | "postgres",
  opts: { config?: Record<string, string>; deps?: Partial<AppDeps> } = {},
): Promise<TestApp> {
  const { db, drop } = await freshDatabase(kind);
  const app = await buildApp({ config: testConfig(opts.config), db, botToken: TEST_TOKEN, ...opts.deps });
  await app.ready();
  const call = async <T>(user: InitDataUser, o: InjectOptions, shape?: Shape<T>): Promise<Res<T>> => {
    const res = await app.inject({
      ...o,
      headers: { authorization: authHeader(user), ...(o.headers ?? {}) },
    });
    return Res.of(res, shape, `${o.method} ${o.url}`);
  };
  return {
    app,
    db,
    as: (user) => ({
      get: <T>(url: string, shape?: Shape<T>) => call(user, { method: "GET", url }, shape),
      post: <T>(url: string, body?: unknown, shape?: Shape<T>, headers?: Record<string, string>) =>
        call(user, { method: "POST", url, payload: body as object, headers }, shape),
      patch: <T>(url: string, body?: unknown, shape?: Shape<T>) =>
        call(user, { method: "PATCH", url, payload: body as object }, shape),
      put: (url: string, body?: unknown) =>
        call(user, { method: "PUT", url, ...(body === undefined ? {} : { payload: body as object }) }),
      delete: (url: string) => call(user, { method: "DELETE", url }),
    }),
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

/** Polls `fn` every 25 ms until it returns something truthy, or fails after `timeoutMs` naming `what`. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A TCP port free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
