import type { FastifyServerOptions } from "fastify";

/** Init data in a URL (`?tma=`, what EventSource clients send) is a credential: never log it. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]tma=)[^&#]*/gi, "$1[redacted]");
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

/**
 * The app's logger options with Fastify's request serializer replaced by one that redacts `?tma=`;
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
