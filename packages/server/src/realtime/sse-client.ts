import http, { type IncomingHttpHeaders } from "node:http";

/** One dispatched server-sent event. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A small server-sent events client over node:http, for tests and benchmarks (Node 20 has no
 * EventSource). It does not reconnect by itself: callers resume with `lastEventId`, which is what
 * these tests are about.
 */
export interface SseConnection {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, when the server refused the stream (status other than 200). */
  body: string;
  /** Every event received so far, unless opened with `keep: false`. */
  readonly events: SseEvent[];
  /** The last `id:` seen: what a reconnect sends as Last-Event-ID. */
  lastEventId: string | null;
  retry: number | null;
  /** Comment lines (heartbeats) seen. */
  comments: number;
  /** Called on every event, with a high-resolution arrival time. */
  onEvent: ((e: SseEvent, atMs: number) => void) | null;
  /** Resolves once `count` events in all have arrived; rejects after `timeoutMs`. */
  waitForEvents(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server or `close()` ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(
  url: string,
  opts: { headers?: Record<string, string>; keep?: boolean; timeoutMs?: number } = {},
): Promise<SseConnection> {
  const keep = opts.keep ?? true;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: "text/event-stream", ...opts.headers }, agent: false });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no response from ${url} within ${opts.timeoutMs ?? 10_000} ms`));
    }, opts.timeoutMs ?? 10_000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on("response", (res) => {
      clearTimeout(timer);
      let endResolve: () => void = () => {};
      const ended = new Promise<void>((r) => {
        endResolve = r;
      });
      const waiters: { count: number; resolve: (e: SseEvent[]) => void }[] = [];
      let received = 0;
      const conn: SseConnection = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: "",
        events: [],
        lastEventId: null,
        retry: null,
        comments: 0,
        onEvent: null,
        ended,
        close: () => {
          res.destroy();
          req.destroy();
        },
        waitForEvents: (count, timeoutMs = 5_000) =>
          new Promise((res2, rej) => {
            if (received >= count) return res2(conn.events);
            const t = setTimeout(
              () => rej(new Error(`got ${received} of ${count} events within ${timeoutMs} ms`)),
              timeoutMs,
            );
            waiters.push({
              count,
              resolve: (e) => {
                clearTimeout(t);
                res2(e);
              },
            });
          }),
      };
      res.on("close", endResolve);
      res.on("error", () => {});
      res.setEncoding("utf8");
      if (conn.status !== 200) {
        res.on("data", (c: string) => {
          conn.body += c;
        });
        res.on("end", () => resolve(conn));
        return;
      }
      let buf = "";
      let data: string[] = [];
      let type = "";
      let id: string | null = null;
      res.on("data", (chunk: string) => {
        const at = performance.now();
        buf += chunk;
        for (let nl = buf.search(/\r\n|\r|\n/); nl >= 0; nl = buf.search(/\r\n|\r|\n/)) {
          const line = buf.slice(0, nl);
          buf = buf.slice(buf.startsWith("\r\n", nl) ? nl + 2 : nl + 1);
          if (line === "") {
            if (data.length > 0) {
              const e: SseEvent = { id, event: type || "message", data: data.join("\n") };
              received++;
              if (keep) conn.events.push(e);
              conn.onEvent?.(e, at);
              for (let i = waiters.length - 1; i >= 0; i--) {
                const w = waiters[i];
                if (w && received >= w.count) {
                  waiters.splice(i, 1);
                  w.resolve(conn.events);
                }
              }
            }
            data = [];
            type = "";
            continue;
          }
          if (line.startsWith(":")) {
            conn.comments++;
            continue;
          }
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "data") data.push(value);
          else if (field === "event") type = value;
          else if (field === "id" && !value.includes("\0")) {
            id = value;
            conn.lastEventId = value;
          } else if (field === "retry" && /^\d+$/.test(value)) conn.retry = Number(value);
        }
      });
      resolve(conn);
    });
  });
}
