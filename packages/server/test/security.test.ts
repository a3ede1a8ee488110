import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInitData } from "../src/auth/init-data.ts";
import { authHeader, createTestApp, DATABASES, newUser, Res, TEST_TOKEN, type TestApp } from "./helpers.ts";

/** A built Mini App stand-in, so `/` serves HTML the way production does. */
function fakeMiniapp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lastbite-miniapp-"));
  writeFileSync(
    path.join(dir, "index.html"),
    '<!doctype html><script type="module" src="/assets/a.js"></script>',
  );
  return dir;
}

const ipRoute = async (app: import("fastify").FastifyInstance) => {
  app.get("/test/ip", { schema: { hide: true } }, async (req) => ({ ip: req.ip }));
};

/** Sends raw bytes over a socket and resolves with everything the server answers until it closes. */
function raw(port: number, chunks: string[], opts: { gapMs?: number; maxMs?: number } = {}) {
  return new Promise<{ text: string; ms: number }>((resolve) => {
    const started = Date.now();
    const sock = net.connect(port, "127.0.0.1");
    let text = "";
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (i >= chunks.length || sock.destroyed) return;
      sock.write(chunks[i++] as string);
      if (i < chunks.length) timer = setTimeout(next, opts.gapMs ?? 0);
    };
    const giveUp = setTimeout(() => sock.destroy(), opts.maxMs ?? 8000);
    sock.on("connect", next);
    sock.on("data", (d) => {
      text += d.toString("latin1");
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      resolve({ text, ms: Date.now() - started });
    });
  });
}

/** Headers of a signed-in POST whose 100-byte body is yet to come. */
const slowHead = () =>
  `POST /api/stores HTTP/1.1\r\nHost: x\r\nAuthorization: ${authHeader(newUser())}\r\n` +
  "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));

describe.each(DATABASES)("security (%s)", (kind) => {
  describe("headers", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(kind, { deps: { miniappDir: fakeMiniapp() } });
    });
    afterAll(() => t.close());

    it.each(["/", "/health", "/api/me", "/docs", "/docs/static/index.html"])(
      "%s carries nosniff and a Referrer-Policy",
      async (url) => {
        const res = await t.app.inject({ method: "GET", url, headers: { accept: "text/html" } });
        expect(res.headers["x-content-type-options"]).toBe("nosniff");
        expect(res.headers["referrer-policy"]).toBeTruthy();
        expect(res.headers["x-frame-options"]).toBeUndefined();
      },
    );

    it("the Mini App may be framed by Telegram's web clients only and runs only its own scripts", async () => {
      const res = await t.app.inject({ method: "GET", url: "/", headers: { accept: "text/html" } });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/text\/html/);
      const csp = String(res.headers["content-security-policy"]);
      const directive = (name: string) =>
        csp
          .split(";")
          .map((d) => d.trim())
          .find((d) => d.startsWith(`${name} `)) ?? "";
      expect(directive("frame-ancestors").split(/\s+/).slice(1).sort()).toEqual(
        [
          "https://*.telegram.org",
          "https://web.telegram.org",
          "https://webk.telegram.org",
          "https://webz.telegram.org",
        ].sort(),
      );
      expect(directive("script-src")).toBe("script-src 'self'");
      expect(directive("default-src")).toBe("default-src 'self'");
      expect(directive("object-src")).toBe("object-src 'none'");
    });

    it("the API's 401 is problem+json with the security headers", async () => {
      const res = await t.app.inject({ method: "GET", url: "/api/me" });
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    });

    it("/docs keeps working: its page and assets load under its own CSP", async () => {
      const first = await t.app.inject({ method: "GET", url: "/docs" });
      const page =
        first.statusCode === 302
          ? await t.app.inject({
              method: "GET",
              url: `/docs/${String(first.headers.location).replace(/^.*\/docs\/?/, "")}`,
            })
          : first;
      expect(page.statusCode).toBe(200);
      const csp = String(page.headers["content-security-policy"]);
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/upgrade-insecure-requests/);
      for (const src of page.body.matchAll(/(?:src|href)="\.\/([^"]+)"/g)) {
        const asset = await t.app.inject({ method: "GET", url: `/docs/static/${src[1]}` });
        expect(asset.statusCode, src[1]).toBe(200);
      }
      const init = await t.app.inject({ method: "GET", url: "/docs/static/swagger-initializer.js" });
      expect(init.statusCode).toBe(200);
    });
  });

  describe("client address and the anonymous rate limit", () => {
    let plain: TestApp;
    let proxied: TestApp;
    beforeAll(async () => {
      plain = await createTestApp(kind, {
        config: { RATE_LIMIT_PER_MINUTE: "5" },
        deps: { plugins: [ipRoute] },
      });
      proxied = await createTestApp(kind, {
        config: { RATE_LIMIT_PER_MINUTE: "5", TRUST_PROXY: "1" },
        deps: { plugins: [ipRoute] },
      });
    });
    afterAll(async () => {
      await plain.close();
      await proxied.close();
    });

    it("ignores a forged X-Forwarded-For without TRUST_PROXY, and believes one hop with TRUST_PROXY=1", async () => {
      const headers = { "x-forwarded-for": "203.0.113.9" };
      const a = await plain.app.inject({
        method: "GET",
        url: "/test/ip",
        headers,
        remoteAddress: "192.0.2.1",
      });
      expect(a.json().ip).toBe("192.0.2.1");
      const b = await proxied.app.inject({
        method: "GET",
        url: "/test/ip",
        headers,
        remoteAddress: "192.0.2.1",
      });
      expect(b.json().ip).toBe("203.0.113.9");
    });

    it("limits unauthenticated /api requests per client IP, forged X-Forwarded-For or not", async () => {
      const statuses: number[] = [];
      let last: import("light-my-request").Response | undefined;
      for (let i = 0; i < 8; i++) {
        last = await plain.app.inject({
          method: "GET",
          url: "/api/me",
          remoteAddress: "198.51.100.7",
          headers: { "x-forwarded-for": `203.0.113.${i + 1}` },
        });
        statuses.push(last.statusCode);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      expect(last?.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(last && Res.of(last).problem.code).toBe("rate_limited");
      // Another address is not affected, nor is a signed-in user from the limited one.
      const other = await plain.app.inject({ method: "GET", url: "/api/me", remoteAddress: "198.51.100.8" });
      expect(other.statusCode).toBe(401);
      const signedIn = await plain.app.inject({
        method: "GET",
        url: "/api/me",
        remoteAddress: "198.51.100.7",
        headers: { authorization: authHeader(newUser()) },
      });
      expect(signedIn.statusCode).toBe(200);
    });
  });

  describe("init data never reaches the log", () => {
    let t: TestApp;
    const lines: string[] = [];
    beforeAll(async () => {
      const stream = new Writable({
        write(chunk, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      });
      t = await createTestApp(kind, { deps: { logger: { level: "trace", stream } } });
    });
    afterAll(() => t.close());

    it("logs neither encoded nor unencoded ?tma= init data", async () => {
      const user = newUser({ first_name: "Secretname" });
      // Signed with another token, so each request is turned away at once; the log line comes first.
      const initData = signInitData(`${TEST_TOKEN}x`, { user });
      const hash = new URLSearchParams(initData).get("hash") as string;
      const enc = encodeURIComponent(initData);
      const urls = [
        `/api/events?x=1&%74ma=${enc}`,
        `/api/events?x=1&%74%6D%61=${enc}`,
        `/api/events?tma=${initData}`,
        `/api/events?TMA=${enc}`,
        `/api/nowhere?tma=${enc}`,
        `/nowhere?tma=${enc}`,
        `/api/events?tma=${enc.replace(/%/g, "%25")}`,
      ];
      for (const url of urls) {
        const res = await t.app.inject({ method: "GET", url });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
      }
      await t.app.inject({ method: "GET", url: `/%E0%A4%A?tma=${enc}` });
      await new Promise((r) => setTimeout(r, 50));
      const log = lines.join("");
      expect(log).toContain("/api/events");
      expect(log).not.toContain(hash);
      expect(log).not.toContain("Secretname");
      expect(log).not.toContain(String(user.id));
      expect(log).not.toContain("auth_date");
    });
  });

  describe("on a listening server", () => {
    let t: TestApp;
    let port: number;
    beforeAll(async () => {
      t = await createTestApp(kind, { deps: { requestTimeoutMs: 1000 } });
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      port = (t.app.server.address() as net.AddressInfo).port;
    });
    afterAll(() => t.close());

    it("answers a slow body with 408 problem+json and closes it", async () => {
      const head = slowHead();
      const res = await raw(port, [head, "{", "\n", " ", " ", " ", " ", " ", " "], { gapMs: 400 });
      expect(statusOf(res.text)).toBe(408);
      expect(res.text).toMatch(/content-type: application\/problem\+json/i);
      expect(bodyOf(res.text)).toMatchObject({ status: 408, code: "request_timeout" });
      expect(res.ms).toBeLessThan(4000);
    });

    it("answers headers that never finish with 408", async () => {
      const res = await raw(
        port,
        ["GET /health HTTP/1.1\r\n", "Host: x\r\n", "X-A: 1\r\n", "X-B: 1\r\n", "X-C: 1\r\n"],
        {
          gapMs: 500,
        },
      );
      expect(statusOf(res.text)).toBe(408);
      expect(res.ms).toBeLessThan(4000);
    });

    it("100 slow clients do not slow /health", async () => {
      const head = slowHead();
      const slow = Array.from({ length: 100 }, () =>
        raw(port, [head, "{", " ", " ", " ", " "], { gapMs: 300 }),
      );
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);
      const done = await Promise.all(slow);
      expect(done.map((d) => statusOf(d.text)).filter((s) => s !== 408)).toEqual([]);
    });

    it("does not cut a live event stream that outlasts the request timeout", async () => {
      const res = await raw(
        port,
        [
          `GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: ${authHeader(newUser())}\r\n\r\n`,
        ],
        { maxMs: 2500 },
      );
      expect(statusOf(res.text)).toBe(200);
      expect(res.text).not.toMatch(/408/);
      expect(res.ms).toBeGreaterThanOrEqual(2400);
    });

    it.each([
      ["a bad request line", "GARBAGE\r\n\r\n", 400],
      [
        "a duplicate Content-Length",
        "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        400,
      ],
      ["headers too large", `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ])("answers %s with problem+json", async (_name, bytes, status) => {
      const res = await raw(port, [bytes]);
      expect(statusOf(res.text)).toBe(status);
      expect(res.text).toMatch(/content-type: application\/problem\+json/i);
      expect(res.text).toMatch(/connection: close/i);
      const body = bodyOf(res.text);
      expect(body).toMatchObject({ status });
      expect(typeof body.code).toBe("string");
      expect(typeof body.title).toBe("string");
      expect(typeof body.type).toBe("string");
      expect(typeof body.detail).toBe("string");
    });
  });
});
