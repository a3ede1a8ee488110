import { randomBytes } from "node:crypto";
import type { InjectOptions } from "fastify";
import pg from "pg";
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

export interface Client {
  get: (url: string) => Promise<Res>;
  post: (url: string, body?: unknown, headers?: Record<string, string>) => Promise<Res>;
  patch: (url: string, body?: unknown) => Promise<Res>;
}
export interface Res {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  body: any;
  headers: Record<string, unknown>;
}

export async function createTestApp(
  kind: "pglite" | "postgres",
  opts: { config?: Record<string, string>; deps?: Partial<AppDeps> } = {},
): Promise<TestApp> {
  const { db, drop } = await freshDatabase(kind);
  const app = await buildApp({ config: testConfig(opts.config), db, botToken: TEST_TOKEN, ...opts.deps });
  await app.ready();
  const call = async (user: InitDataUser, o: InjectOptions): Promise<Res> => {
    const res = await app.inject({
      ...o,
      headers: { authorization: authHeader(user), ...(o.headers ?? {}) },
    });
    let body: unknown = res.body;
    try {
      body = res.body ? JSON.parse(res.body) : null;
    } catch {}
    return { status: res.statusCode, body, headers: res.headers };
  };
  return {
    app,
    db,
    as: (user) => ({
      get: (url) => call(user, { method: "GET", url }),
      post: (url, body, headers) => call(user, { method: "POST", url, payload: body as object, headers }),
      patch: (url, body) => call(user, { method: "PATCH", url, payload: body as object }),
    }),
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
