import type { FastifyServerOptions } from "fastify";

/**
 * Init data in a URL (`?tma=`, what EventSource clients send) is a credential, and query strings
 * can smuggle it past any key-based filter (`%74ma=`, unencoded `&` inside the value): logs get
 * the path only, never the query.
 */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : `${url.slice(0, cut)}${url[cut] === "?" ? "?[query omitted]" : ""}`;
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

/**
 * The app's logger options with Fastify's request serializer replaced by one that logs no query string;
 * `false` (no logging) stays as it is.
 */
export function redactInitDataInLogs(logger: FastifyServerOptions["logger"]): FastifyServerOptions["logger"] {
  if (!logger) return logger;
  const base = typeof logger === "object" ? logger : {};
  return {
    ...base,
    serializers: {
      ...(base.serializers ?? {}),
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}
