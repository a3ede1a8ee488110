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
import { Authenticator } from "./auth/authenticate.ts";
import { catalogRoutes } from "./catalog/catalog.routes.ts";
import { CatalogService } from "./catalog/catalog.service.ts";
import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import { Metrics } from "./http/metrics.ts";
import { ProblemError, problem } from "./http/problem.ts";
import { orderRoutes } from "./orders/order.routes.ts";
import { OrderService } from "./orders/order.service.ts";
import { eventRoutes } from "./realtime/events.routes.ts";
import { redactInitDataInLogs } from "./realtime/log-redaction.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  /** The token init data is signed with: the real BOT_TOKEN, or the sandbox's generated one. */
  botToken: string;
  logger?: FastifyServerOptions["logger"];
  /** Directory of the built Mini App; defaults to packages/miniapp/dist. */
  miniappDir?: string;
  /** Extra plugins registered inside the app (bot webhook, sandbox, realtime…). */
  plugins?: ((app: FastifyInstance, services: Services) => Promise<void>)[];
}

export interface Services {
  config: Config;
  db: Database;
  metrics: Metrics;
  auth: Authenticator;
  catalog: CatalogService;
  orders: OrderService;
}

export type App = FastifyInstance & { services: Services };

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MINIAPP_DIR = path.resolve(here, "../../miniapp/dist");

/** Builds the HTTP app without listening: tests use `app.inject`, `main.ts` calls `listen`. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db } = deps;
  const app = Fastify({
    logger: redactInitDataInLogs(deps.logger ?? false),
    bodyLimit: 64 * 1024,
    trustProxy: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API (OpenAPI); answers are built from typed code, so they are
  // serialised as they are rather than re-validated on every response.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // The API speaks JSON only; a text body is a client mistake worth a clear 415.
  app.removeContentTypeParser("text/plain");

  const metrics = new Metrics();
  const services: Services = {
    config,
    db,
    metrics,
    auth: new Authenticator(db, deps.botToken, config.initDataMaxAge),
    catalog: new CatalogService(db),
    orders: new OrderService(db, config),
  };
  app.decorate("services", services);
  app.decorateRequest("user", null);

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ProblemError) {
      return reply
        .status(problem(err.code, err.detail).status)
        .type("application/problem+json")
        .send(problem(err.code, err.detail, err.errors));
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
    if (status === 413)
      return send(reply, problem("payload_too_large", "the request body is too large (64 KB at most)"));
    if (status === 415)
      return send(reply, problem("unsupported_media_type", "send JSON with Content-Type: application/json"));
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
    metrics.inc("lastbite_http_errors_total", "Unhandled server errors");
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
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  // Authentication for every /api route; then a per-user rate limit (per IP before sign-in).
  app.addHook("onRequest", async (req) => {
    if (!req.url.startsWith("/api/")) return;
    req.user = await services.auth.authenticate(req);
    if (!req.user)
      throw new ProblemError(
        "unauthorized",
        "send Authorization: tma <initData> with valid, fresh Telegram init data",
      );
  });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    hook: "onRequest",
    keyGenerator: (req) => (req.user ? `u${req.user.id}` : `ip${req.ip}`),
    allowList: (req) => !req.url.startsWith("/api/") || req.url.startsWith("/api/events"),
    errorResponseBuilder: (_req, ctx) => {
      const err = new ProblemError(
        "rate_limited",
        `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      );
      (err as unknown as { statusCode: number }).statusCode = 429;
      return err;
    },
  });

  app.addHook("onResponse", async (req, reply) => {
    metrics.inc("lastbite_http_requests_total", "HTTP requests by route and status", {
      route: req.routeOptions.url ?? "unmatched",
      status: reply.statusCode,
    });
  });

  app.get("/health", { schema: { hide: true } }, async () => ({ status: "ok", database: db.kind }));
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/plain; version=0.0.4").send(metrics.render()),
  );

  await app.register(catalogRoutes, { services });
  await app.register(orderRoutes, { services });
  await app.register(eventRoutes, { services });
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
  return app as unknown as App;
}

function send(reply: import("fastify").FastifyReply, p: ReturnType<typeof problem>) {
  return reply.status(p.status).type("application/problem+json").send(p);
}
