import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import helmet, { type HelmetOptions } from "helmet";

/**
 * helmet's headers, worked out once. `@fastify/helmet` rebuilds helmet's middleware — parsing the
 * CSP directives and re-validating every option — on every request, which cost 3–5% of the server's
 * CPU per order (see BENCHMARKS.md). Our options have no per-request parts (no nonces), so the
 * answer is the same every time: run helmet once against a recording response and replay what it set.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return Object.freeze(headers);
}

/** Sets `headers` on every answer, before any route runs (a route may still override one). */
export function registerStaticHeaders(app: FastifyInstance, headers: Readonly<Record<string, string>>) {
  const entries = Object.entries(headers);
  app.addHook("onRequest", (_req, reply, done) => {
    for (const [name, value] of entries) reply.header(name, value);
    done();
  });
}
