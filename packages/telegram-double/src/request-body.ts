import type { IncomingMessage } from "node:http";

/** One uploaded file part of a multipart/form-data request. */
export interface UploadedFile {
  /** the part's `name`: an `attach://` id or a field name such as `photo` */
  field: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The parameters of one Bot API call, whatever encoding the client used. */
export interface RequestParams {
  params: Record<string, unknown>;
  files: Map<string, UploadedFile>;
}

/** Reads the whole request body. */
export async function readBody(req: IncomingMessage, limitBytes = 60 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw new Error("Request Entity Too Large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses query string and body the way the Bot API does: it accepts a query string, JSON,
 * `application/x-www-form-urlencoded` and `multipart/form-data`; body values win over the query.
 * Throws an `Error` whose message is a Telegram-like description on malformed input.
 */
export function parseRequestParams(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): RequestParams {
  const params: Record<string, unknown> = Object.fromEntries(query);
  const files = new Map<string, UploadedFile>();
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (body.length === 0) return { params, files };
  if (type === "application/json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new Error("Bad Request: can't parse JSON object");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new Error("Bad Request: JSON object expected");
    }
    Object.assign(params, parsed);
  } else if (type === "application/x-www-form-urlencoded") {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString("utf8"))));
  } else if (type === "multipart/form-data") {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) throw new Error("Bad Request: multipart boundary is missing");
    for (const part of parseMultipart(body, b)) {
      if (part.filename !== undefined) files.set(part.field, part);
      else params[part.field] = part.data.toString("utf8");
    }
  }
  return { params, files };
}

interface Part extends UploadedFile {}

/**
 * A small multipart/form-data parser. Tolerates the compact header style grammY writes
 * (`content-disposition:form-data;name="x";filename=y` without spaces or quotes).
 */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const parts: Part[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error("Bad Request: malformed multipart body");
  pos += delimiter.length;
  for (;;) {
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing "--"
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw new Error("Bad Request: malformed multipart body");
    const headers = parseHeaders(body.subarray(pos, headerEnd).toString("utf8"));
    const start = headerEnd + 4;
    const end = body.indexOf(next, start);
    if (end < 0) throw new Error("Bad Request: malformed multipart body");
    const disposition = headers.get("content-disposition") ?? "";
    const name = dispositionParam(disposition, "name");
    if (name !== undefined) {
      const filename = dispositionParam(disposition, "filename");
      const part: Part = { field: name, data: Buffer.from(body.subarray(start, end)) };
      if (filename !== undefined) part.filename = filename;
      const ct = headers.get("content-type");
      if (ct !== undefined) part.contentType = ct;
      parts.push(part);
    }
    pos = end + next.length;
    if (pos >= body.length) break;
  }
  return parts;
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function dispositionParam(disposition: string, key: string): string | undefined {
  for (const piece of disposition.split(";")) {
    const eq = piece.indexOf("=");
    if (eq < 0) continue;
    if (piece.slice(0, eq).trim().toLowerCase() !== key) continue;
    const value = piece.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}
