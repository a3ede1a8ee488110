/**
 * Helpers for the browser tests: start the real server (packages/server/src/main.ts) on a free
 * port with a throw-away database and a known bot token, sign Telegram init data, build Mini App
 * launch URLs, and launch Debian's Chromium through playwright-core.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { type InitDataUser, signInitData } from "../packages/server/src/auth/init-data.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, "test-results/screenshots");
export const BOT_TOKEN = "424242424:E2E-token_for_lastbite_browser_tests";

export const LIGHT_THEME = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#999999",
  link_color: "#2481cc",
  button_color: "#2ea043",
  button_text_color: "#ffffff",
  secondary_bg_color: "#efeff4",
};
export const DARK_THEME = {
  bg_color: "#212121",
  text_color: "#ffffff",
  hint_color: "#aaaaaa",
  link_color: "#8cc4ff",
  button_color: "#3fb950",
  button_text_color: "#ffffff",
  secondary_bg_color: "#0f0f0f",
  section_bg_color: "#1c1c1d",
};

/** Whether the browser suite can run; when it cannot, it is skipped loudly (or fails with REQUIRE_BROWSER=1). */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const msg = `\n⚠️  ⚠️  ⚠️  Chromium not found at ${CHROMIUM}: the Mini App browser tests are SKIPPED. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).\n`;
  if (process.env.REQUIRE_BROWSER === "1") throw new Error(msg);
  console.warn(msg);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Builds the Mini App when dist is missing (or E2E_BUILD=1). */
export function ensureMiniappBuilt(): void {
  const dist = path.join(ROOT, "packages/miniapp/dist/index.html");
  if (existsSync(dist) && process.env.E2E_BUILD !== "1") return;
  const r = spawnSync("npm", ["run", "build", "-w", "@lastbite/miniapp"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("Mini App build failed");
}

export interface RunningServer {
  url: string;
  port: number;
  stop: () => Promise<void>;
  /** Ends the process at once (SIGKILL), as a crash or an OOM kill would. */
  kill: () => Promise<void>;
  logs: () => string;
}

/**
 * Starts the real server process, as `npm start` does, and waits for GET /health. `env` adds to
 * (or overrides) its environment; `port` restarts a server where a page still points.
 */
export async function startServer(
  opts: { env?: NodeJS.ProcessEnv; port?: number } = {},
): Promise<RunningServer> {
  const deadPort = await freePort(); // Bot API root that refuses connections: no internet needed
  return spawnServer(
    {
      BOT_TOKEN,
      BOT_MODE: "off",
      TELEGRAM_API_ROOT: `http://127.0.0.1:${deadPort}`,
      PUBLIC_URL: "",
      ...opts.env,
    },
    async (url) => (await fetch(`${url}/health`)).ok,
    [],
    opts.port,
  );
}

/**
 * Runs packages/server/src/main.ts as a child process on a free port with a throw-away database
 * (plus `env`), and resolves once `ready(url)` says so; `ready` may throw to give up at once.
 */
async function spawnServer(
  env: NodeJS.ProcessEnv,
  ready: (url: string, logs: string) => Promise<boolean>,
  drop: string[] = [],
  fixedPort?: number,
): Promise<RunningServer> {
  ensureMiniappBuilt();
  const port = fixedPort ?? (await freePort());
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: "memory://",
    LOG_LEVEL: "warn",
    ...env,
  };
  for (const k of drop) delete childEnv[k];
  let out = "";
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "packages/server/src/main.ts")],
    {
      cwd: ROOT,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${out}`);
    let up = false;
    try {
      up = await ready(url, out);
    } catch (e) {
      if (e instanceof GiveUp) {
        child.kill("SIGKILL");
        throw new Error(`${e.message}:\n${out}`);
      }
      // not up yet
    }
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not become ready in 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    logs: () => out,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** Thrown by a readiness check to stop waiting: the server is up but wrong. */
class GiveUp extends Error {}

let seq = 0;
export function newUser(over: Partial<InitDataUser> = {}): InitDataUser {
  seq += 1;
  return {
    id: 6_000_000_000 + Math.floor(Math.random() * 1_000_000) * 10 + seq,
    first_name: `E2E${seq}`,
    language_code: "en",
    ...over,
  };
}

export function initDataFor(user: InitDataUser, startParam?: string): string {
  return signInitData(BOT_TOKEN, { user, ...(startParam ? { startParam } : {}) });
}

/** What a Telegram client puts in the Mini App's launch parameters. */
export interface LaunchOptions {
  theme?: Record<string, string>;
  startParam?: string;
  platform?: string;
  version?: string;
}

/** The Mini App URL with Telegram's launch parameters in the fragment, as a client opens it. */
export function launchUrl(base: string, user: InitDataUser, opts: LaunchOptions = {}): string {
  const p = new URLSearchParams();
  p.set("tgWebAppData", initDataFor(user, opts.startParam));
  p.set("tgWebAppVersion", opts.version ?? "8.0");
  p.set("tgWebAppPlatform", opts.platform ?? "unknown");
  p.set("tgWebAppThemeParams", JSON.stringify(opts.theme ?? LIGHT_THEME));
  if (opts.startParam) p.set("tgWebAppStartParam", opts.startParam);
  return `${base}/#${p.toString()}`;
}

/** Calls the API as `user`. */
export function apiAs<T = unknown>(
  base: string,
  user: InitDataUser,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return apiWithInitData<T>(base, initDataFor(user), method, url, body);
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}

/**
 * Starts the real server as `npm start` does with no configuration: no `BOT_TOKEN`, so it runs
 * the built-in Telegram double, the bot in long polling against it, and serves `/sandbox` (with
 * the seeded demo users). Any Telegram settings of the calling shell are dropped so the sandbox
 * cannot be switched off (or pointed at the real Telegram) by accident.
 */
export async function startSandboxServer(
  opts: { env?: NodeJS.ProcessEnv; port?: number } = {},
): Promise<RunningServer> {
  return spawnServer(
    { ...opts.env },
    async (url, logs) => {
      // /health answers before the bot's first poll; /sandbox only exists in sandbox mode.
      const [health, page] = await Promise.all([fetch(`${url}/health`), fetch(`${url}/sandbox`)]);
      if (health.ok && page.status === 404)
        throw new GiveUp("server is up but not in sandbox mode (no /sandbox)");
      return health.ok && page.ok && logs.includes("SANDBOX MODE");
    },
    ["BOT_TOKEN", "BOT_MODE", "TELEGRAM_API_ROOT", "PUBLIC_URL", "WEBHOOK_SECRET"],
    opts.port,
  );
}

/** Calls the API with raw Mini App init data (e.g. taken from a launch URL signed by someone else). */
export async function apiWithInitData<T = unknown>(
  base: string,
  initData: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `tma ${initData}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A phone (390×844 at 2×) as the browser tests use it. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 } as const;

/** A phone-sized browser context, added to `contexts` so the test file closes it in `afterAll`. */
export async function phoneContext(
  browser: Browser,
  contexts: BrowserContext[],
  extra: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ ...PHONE, ...extra });
  contexts.push(context);
  return context;
}

/** Opens the Mini App in `context` as `user` would from Telegram, printing the page's errors. */
export async function openMiniApp(
  context: BrowserContext,
  base: string,
  user: InitDataUser,
  opts: LaunchOptions = {},
): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(launchUrl(base, user, opts));
  return page;
}
