import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError } from "./api-error.ts";
import { BAD_GATEWAY_HTML, type Faults, faultPayload } from "./faults.ts";
import { ParseEntitiesError } from "./html-text.ts";
import type { Handler } from "./methods/common.ts";
import type { FileStore } from "./methods/files.ts";
import { parseRequestParams, readBody, type UploadedFile } from "./request-body.ts";
import type { ApiCall, DoubleState } from "./state.ts";

/** What the HTTP front needs from the double to answer a request. */
export interface BotApi {
  token: string;
  /** by lower-cased method name */
  handlerFor(method: string): Handler | undefined;
  faults: Faults;
  files: FileStore;
  state: DoubleState;
}

/** Parameters Telegram takes as JSON-serialised strings in urlencoded and multipart requests. */
const JSON_PARAMS = new Set([
  "reply_markup",
  "entities",
  "caption_entities",
  "allowed_updates",
  "commands",
  "menu_button",
  "link_preview_options",
  "reply_parameters",
  "scope",
]);

/** The HTTP server in front of the double: `${apiRoot}/bot<token>/<method>` and `${apiRoot}/file/bot<token>/<path>`. */
export class BotApiServer {
  private api: BotApi | undefined;

  private constructor(
    private readonly server: Server,
    readonly apiRoot: string,
  ) {}

  /** Listens on `host` (ephemeral port unless given); answers 503 until {@link serve} is called. */
  static async listen(host: string, port: number): Promise<BotApiServer> {
    let front: BotApiServer | undefined;
    const server = createServer((req, res) => {
      const api = front?.api;
      if (!api) {
        res.writeHead(503).end();
        return;
      }
      handle(api, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: "Internal Server Error" }));
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const hostInUrl = host.includes(":") ? `[${host}]` : host;
    front = new BotApiServer(server, `http://${hostInUrl}:${address.port}`);
    return front;
  }

  // the double needs apiRoot (the port) before it exists, so it is plugged in afterwards
  serve(api: BotApi): void {
    this.api = api;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(api: BotApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://double");
  const body = await readBody(req);
  const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
  if (fileMatch) return serveFile(api, fileMatch[1] ?? "", decodeURIComponent(fileMatch[2] ?? ""), res);
  const match = /^\/bot([^/]*)\/([^/]*)\/?$/.exec(url.pathname);
  if (!match) return sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
  if (match[1] !== api.token) {
    return sendJson(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
  }
  const methodName = match[2] ?? "";
  const key = methodName.toLowerCase();
  const handler = api.handlerFor(key);
  const call: ApiCall = { method: methodName, params: {}, at: new Date(), status: 0, outcome: "ok" };
  const finish = (status: number, payload: Record<string, unknown>) => {
    call.status = status;
    if (payload.ok === false) {
      call.outcome = "error";
      call.description = String(payload.description);
    } else call.result = payload.result;
    api.state.logCall(call);
    sendJson(res, status, payload);
  };
  if (!handler) return finish(404, { ok: false, error_code: 404, description: "Not Found" });
  let parsed: ReturnType<typeof parseRequestParams>;
  try {
    parsed = parseRequestParams(req.headers["content-type"], body, url.searchParams);
    for (const name of JSON_PARAMS) {
      const v = parsed.params[name];
      if (typeof v === "string") {
        try {
          parsed.params[name] = JSON.parse(v);
        } catch {
          throw new Error(
            name === "reply_markup"
              ? "Bad Request: can't parse reply keyboard markup JSON object"
              : `Bad Request: can't parse ${name} JSON object`,
          );
        }
      }
    }
  } catch (err) {
    return finish(400, { ok: false, error_code: 400, description: (err as Error).message });
  }
  call.params = describeParams(parsed.params, parsed.files);

  const fault = api.faults.take(key);
  if (fault) {
    call.outcome = "fault";
    if ("networkError" in fault) {
      call.description = "network error";
      api.state.logCall(call);
      req.socket.destroy();
      return;
    }
    call.status = fault.status;
    if (fault.status === 502) {
      call.description = "Bad Gateway";
      api.state.logCall(call);
      res.writeHead(502, { "content-type": "text/html" });
      res.end(BAD_GATEWAY_HTML);
      return;
    }
    const payload = faultPayload(fault);
    call.description = payload.description;
    api.state.logCall(call);
    sendJson(res, fault.status, payload);
    return;
  }

  const aborters: Array<() => void> = [];
  res.once("close", () => {
    if (!res.writableFinished) for (const fn of aborters) fn();
  });
  try {
    const result = await handler({
      params: parsed.params,
      files: parsed.files,
      onAbort: (fn) => aborters.push(fn),
    });
    if (res.destroyed) return;
    finish(200, { ok: true, result });
  } catch (err) {
    if (res.destroyed) return;
    if (err instanceof ApiError) {
      finish(err.code, {
        ok: false,
        error_code: err.code,
        description: err.description,
        ...(err.parameters ? { parameters: err.parameters } : {}),
      });
    } else if (err instanceof ParseEntitiesError) {
      finish(400, { ok: false, error_code: 400, description: err.message });
    } else {
      call.description = String(err);
      finish(500, { ok: false, error_code: 500, description: "Internal Server Error" });
    }
  }
}

function serveFile(api: BotApi, token: string, path: string, res: ServerResponse): void {
  const file = api.files.download(path);
  if (token !== api.token) sendJson(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
  else if (!file?.bytes) sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
  else {
    res.writeHead(200, { "content-type": file.mimeType, "content-length": file.bytes.length });
    res.end(file.bytes);
  }
}

/** The call's parameters for `calls`, with uploads shown as `{ file, size }` rather than bytes. */
function describeParams(
  params: Record<string, unknown>,
  files: Map<string, UploadedFile>,
): Record<string, unknown> {
  const out = { ...params };
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === "string" && value.startsWith("attach://")) {
      const f = files.get(value.slice("attach://".length));
      if (f) out[key] = { file: f.filename ?? key, size: f.data.length };
    }
  }
  for (const [field, f] of files)
    if (!(field in out) && field === "photo") out[field] = { file: f.filename, size: f.data.length };
  return out;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
