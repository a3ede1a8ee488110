import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { buyerRoutes } from "./buyers/buyer.routes.ts";
import { catalogRoutes } from "./catalog/catalog.routes.ts";
import type { Config } from "./config.ts";
import type { Clock } from "./core/clock.ts";
import type { Metrics } from "./core/metrics.ts";
import { secretMatches } from "./core/redact.ts";
import { closeRedis, openRedis } from "./core/redis.ts";
import type { Database } from "./db/database.ts";
import { ProblemError, problem } from "./http/problem.ts";
import { helmetHeaders, registerStaticHeaders } from "./http/security-headers.ts";
import { orderRoutes } from "./orders/order.routes.ts";
import { eventRoutes } from "./realtime/events.routes.ts";
import { redactInitDataInLogs } from "./realtime/log-redaction.ts";
import { createServices, type Services } from "./services.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  /** The token init data is signed with: the real BOT_TOKEN, or the sandbox's generated one. */
  botToken: string;
  logger?: FastifyServerOptions["logger"];
  /** Directory of the built Mini App; defaults to packages/miniapp/dist. */
  miniappDir?: string;
  /**
   * Milliseconds a client has to send a whole request (headers and body) before it gets a 408;
   * default 30 s. A response, such as the `/api/events` stream, is not limited by it.
   */
  requestTimeoutMs?: number;
  /** The metrics registry; main.ts passes one that also reports the process's CPU and memory. */
  metrics?: Metrics;
  /** The clock the rules compare with; tests pass a FakeClock. Default: the system's. */
  clock?: Clock;
  /**
   * Prefix of every key this app writes to Redis (REDIS_URL); default `lastbite:`. Tests give each
   * run its own. Deployments sharing one Redis should rather use different database numbers.
   */
  redisKeyPrefix?: string;
  /** Extra plugins registered inside the app (bot webhook, sandbox, realtime…). */
  plugins?: ((app: FastifyInstance, services: Services) => Promise<void>)[];
}

export type { Services } from "./services.ts";
/** The app: a Fastify instance decorated with its `services` (see services.ts). */
export type App = FastifyInstance;

/**
 * The Mini App's Content-Security-Policy: framed only by Telegram's web clients, scripts only from
 * this server (the built app has no inline script and talks to Telegram through postMessage).
 */
export const TELEGRAM_FRAME_ANCESTORS = [
  "https://web.telegram.org",
  "https://webk.telegram.org",
  "https://webz.telegram.org",
  "https://*.telegram.org",
];
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  // React sets style attributes; offer photos may be any https:// URL.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:", "blob:", "https:"],
  fontSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: TELEGRAM_FRAME_ANCESTORS,
  // Plain-http set-ups (local, tests) are allowed, so requests are not forced to https.
  upgradeInsecureRequests: null,
};

/** nosniff, Referrer-Policy, the CSP and helmet's other defaults; no X-Frame-Options (see below). */
const SECURITY_HEADERS = helmetHeaders({
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  frameguard: false,
  referrerPolicy: { policy: "strict-origin-when-cross-origin" },
});

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MINIAPP_DIR = path.resolve(here, "../../miniapp/dist");

/** Builds the HTTP app without listening: tests use `app.inject`, `main.ts` calls `listen`. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db } = deps;
  const requestTimeout = deps.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: redactInitDataInLogs(deps.logger ?? false),
    bodyLimit: 64 * 1024,
    // TRUST_PROXY: a hop count trusts that many proxies in front of this server (Fastify's own rule).
    trustProxy:
      typeof config.trustProxy === "number"
        ? (
            (hops: number) => (_addr: string, i: number) =>
              i < hops
          )(config.trustProxy)
        : config.trustProxy,
    // Slow clients (a byte every few seconds) get a 408 instead of holding a socket open for ever;
    // Node checks on an interval, so it is kept a fraction of the timeout.
    requestTimeout,
    http: {
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
    },
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API (OpenAPI); answers are built from typed code, so they are
  // serialised as they are rather than re-validated on every response.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // The API speaks JSON only; a text body is a client mistake worth a clear 415.
  app.removeContentTypeParser("text/plain");

  const services = createServices({
    config,
    db,
    botToken: deps.botToken,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const { metrics } = services;
  app.decorate("services", services);
  // The job runner runs only where main.ts starts it; stopping is harmless either way.
  app.addHook("onClose", async () => services.jobs.stop());
  app.decorateRequest("user", null);

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ProblemError) {
      return reply
        .status(problem(err.code, err.detail).status)
        .type("application/problem+json")
        .send(problem(err.code, err.detail, err.errors, err.at));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        path: `${err.validationContext ?? "body"}${v.instancePath.replace(/\//g, ".")}`,
        message: v.message ?? "invalid",
      }));
      const detail = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
      return reply
        .status(400)
        .type("application/problem+json")
        .send(problem("invalid_request", detail, errors));
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const code = (err as { code?: string }).code;
    // The photo upload takes an image of up to 10 MB; everything else, JSON of up to 64 KB.
    const photo = req.routeOptions.url?.endsWith("/photo") === true;
    if (status === 413)
      return send(
        reply,
        problem("payload_too_large", `the request body is too large (${photo ? "10 MB" : "64 KB"} at most)`),
      );
    if (status === 415)
      return send(
        reply,
        problem(
          "unsupported_media_type",
          photo
            ? "send the image as image/jpeg, image/png or image/webp"
            : "send JSON with Content-Type: application/json",
        ),
      );
    if (status === 429)
      return send(reply, problem("rate_limited", "too many requests; slow down and retry shortly"));
    if (status >= 400 && status < 500) {
      const detail =
        code === "FST_ERR_CTP_INVALID_JSON_BODY" || err instanceof SyntaxError
          ? "the body is not valid JSON"
          : code === "FST_ERR_CTP_EMPTY_JSON_BODY"
            ? "the body is empty; send a JSON object"
            : (err as Error).message;
      return send(reply, { ...problem("invalid_request", detail), status });
    }
    req.log.error({ err }, "unhandled error");
    metrics.httpErrors.inc();
    return send(reply, problem("internal_error", "an unexpected error occurred; it has been logged"));
  });

  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split("?")[0] ?? "/";
    const acceptsHtml = (req.headers.accept ?? "").includes("text/html");
    if (req.method === "GET" && acceptsHtml && !url.startsWith("/api/") && hasMiniapp) {
      return reply.type("text/html").sendFile("index.html");
    }
    return send(reply, problem("not_found", `no route for ${req.method} ${url}`));
  });

  // nosniff, Referrer-Policy and the Mini App's CSP on every answer; no X-Frame-Options, which
  // would stop Telegram from framing the Mini App (frame-ancestors decides instead).
  registerStaticHeaders(app, SECURITY_HEADERS);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "Lastbite API",
        version: "1.0.0",
        description:
          "Orders for a Telegram Mini App marketplace of discounted surplus food. Authenticate with `Authorization: tma <initData>`.",
      },
      components: { securitySchemes: { tma: { type: "apiKey", in: "header", name: "Authorization" } } },
      security: [{ tma: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Swagger UI brings its own CSP (hashes of its inline parts), minus the https upgrade.
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ""),
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  // REDIS_URL: the rate limits and the per-user stream cap are counted in Redis, across instances;
  // without it, each instance counts on its own. Redis away means fail open, never an error: the
  // rate limits are skipped (skipOnError) and the stream cap counts per instance; it is logged.
  const redis = config.redisUrl
    ? await openRedis(config.redisUrl, { keyPrefix: deps.redisKeyPrefix ?? "lastbite:", log: app.log })
    : null;
  if (redis) {
    // onClose hooks run last-registered first: this one, added before the routes, runs after the
    // event hub has sent its streams' removals.
    app.addHook("onClose", async () => closeRedis(redis));
    metrics.gauge("lastbite_redis_up", "1 while the shared Redis (REDIS_URL) is connected", () =>
      redis.status === "ready" ? 1 : 0,
    );
  }

  // A per-user rate limit on /api; requests without valid init data are limited per client IP
  // before their 401, so anonymous floods are slowed too.
  const rateLimited = (ttl: number) => {
    const err = new ProblemError("rate_limited", `too many requests; retry in ${Math.ceil(ttl / 1000)} s`);
    (err as unknown as { statusCode: number }).statusCode = 429;
    return err;
  };
  await app.register(rateLimit, {
    ...(redis ? { redis, nameSpace: "rl:", skipOnError: true } : {}),
    global: true,
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    hook: "onRequest",
    keyGenerator: (req) => (req.user ? `u${req.user.id}` : `ip${req.ip}`),
    allowList: (req) => !req.url.startsWith("/api/") || req.url.startsWith("/api/events"),
    errorResponseBuilder: (_req, ctx) => rateLimited(ctx.ttl),
  });
  const anonymousLimit = app.createRateLimit({
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => `anon${req.ip}`,
  });

  // Authentication for every /api route (app-level, so it runs before the per-user limit above).
  app.addHook("onRequest", async (req, reply) => {
    if (!req.url.startsWith("/api/")) return;
    req.user = await services.auth.authenticate(req);
    if (!req.user) {
      const limit = await anonymousLimit(req);
      if (!limit.isAllowed && limit.isExceeded) {
        reply.header("retry-after", Math.ceil(limit.ttl / 1000));
        throw rateLimited(limit.ttl);
      }
      throw new ProblemError(
        "unauthorized",
        "send Authorization: tma <initData> with valid, fresh Telegram init data",
      );
    }
  });

  app.addHook("onResponse", async (req, reply) => {
    metrics.httpRequests.inc({ route: req.routeOptions.url ?? "unmatched", status: reply.statusCode });
  });

  app.get("/health", { schema: { hide: true } }, async () => ({ status: "ok", database: db.kind }));
  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    const token = services.config.metricsToken;
    if (token && !secretMatches(req.headers.authorization, `Bearer ${token}`)) {
      reply.header("www-authenticate", 'Bearer realm="metrics"');
      return send(reply, problem("unauthorized", "/metrics needs Authorization: Bearer <METRICS_TOKEN>"));
    }
    return reply.type(metrics.contentType).send(await metrics.render());
  });

  await app.register(catalogRoutes, { services });
  await app.register(orderRoutes, { services });
  await app.register(buyerRoutes, { services });
  await app.register(eventRoutes, { services, redis });
  for (const plugin of deps.plugins ?? []) await plugin(app, services);

  const miniappDir = deps.miniappDir ?? DEFAULT_MINIAPP_DIR;
  const hasMiniapp = existsSync(path.join(miniappDir, "index.html"));
  if (hasMiniapp) {
    await app.register(fastifyStatic, {
      root: miniappDir,
      prefix: "/",
      wildcard: false,
      index: "index.html",
    });
  } else {
    app.get("/", { schema: { hide: true } }, async (_req, reply) =>
      reply.type("text/html").send("<p>The Mini App is not built yet: run <code>npm run build</code>.</p>"),
    );
  }
  return app;
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; title: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: "headers_too_large",
    title: "Request headers too large",
    detail: "the request headers are too large",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: "request_timeout",
    title: "Request timeout",
    detail: "the request was not received in time",
  },
};

/**
 * Errors of Node's HTTP parser (a bad request line, a duplicate Content-Length, headers too large,
 * a request that took too long) never reach Fastify's routes: answer them as problem+json too.
 */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: import("node:net").Socket) {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const known = CLIENT_ERRORS[err.code ?? ""];
  const p = known ?? {
    status: 400,
    code: "invalid_request",
    title: "The request is not valid",
    detail: "the request is not valid HTTP",
  };
  const body = JSON.stringify({
    type: `https://lastbite.uz/problems/${p.code.replace(/_/g, "-")}`,
    title: p.title,
    status: p.status,
    code: p.code,
    detail: p.detail,
  });
  const reason = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" }[
    p.status
  ];
  // As Node itself does: answer unless a response has already started on this socket.
  const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !pending?.headersSent) {
    socket.write(
      `HTTP/1.1 ${p.status} ${reason}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function send(reply: import("fastify").FastifyReply, p: ReturnType<typeof problem>) {
  return reply.status(p.status).type("application/problem+json").send(p);
}
