import { type Problem, problemSchema } from "@lastbite/shared";
import type { z } from "zod";
import { markSessionExpired } from "./session.ts";

/**
 * A failed API call: the server's problem+json; `network` when the server was not reached;
 * `invalid_response` when it answered something that is not what the contract promises.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: { path: string; message: string }[];
  /** When what the code refers to happened (`code_already_used`: the hand-over), if the server said. */
  readonly at: string | null;
  constructor(status: number, code: string, detail: string, errors: Problem["errors"] = [], at?: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.errors = errors ?? [];
    this.at = at ?? null;
  }
}

/** Any failure as an ApiError, so pages have one kind of error to show. */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, "network", e instanceof Error ? e.message : String(e));
}

let initData = "";
export function setInitData(raw: string): void {
  initData = raw;
}
export function getInitData(): string {
  return initData;
}
/** The Telegram user id in the init data (not verified here: only to keep each user's things apart). */
export function getUserId(): number | null {
  try {
    const user = new URLSearchParams(initData).get("user");
    const id = user ? (JSON.parse(user) as { id?: unknown }).id : null;
    return typeof id === "number" ? id : null;
  } catch {
    return null;
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`)
    .join("; ");
}

/**
 * Calls `/api${path}` and parses the answer with `schema`, the shared zod schema of that
 * response: the value is what the schema says or an ApiError, never a cast that fails later.
 */
export async function api<S extends z.ZodType>(
  schema: S,
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<z.output<S>> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers: {
        Authorization: `tma ${initData}`,
        Accept: "application/json",
        // A Blob (a photo) goes as itself, with its own type; anything else as JSON.
        ...(body instanceof Blob
          ? { "Content-Type": body.type || "application/octet-stream" }
          : body !== undefined
            ? { "Content-Type": "application/json" }
            : {}),
        ...headers,
      },
      body: body instanceof Blob ? body : body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : "network error");
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : "network error");
  }
  let json: unknown;
  let isJson = true;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    isJson = false;
  }
  if (!res.ok) {
    if (res.status === 401) markSessionExpired();
    const problem = isJson ? problemSchema.safeParse(json) : null;
    if (problem?.success) {
      const p = problem.data;
      throw new ApiError(res.status, p.code, p.detail, p.errors, p.at);
    }
    // Not our problem+json (a proxy's 502 page, say): the status is all we know.
    throw new ApiError(
      res.status,
      res.status >= 500 ? "internal_error" : "invalid_request",
      res.statusText || `HTTP ${res.status}`,
    );
  }
  if (!isJson)
    throw new ApiError(res.status, "invalid_response", `${method} ${path}: the answer is not JSON`);
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ApiError(
      res.status,
      "invalid_response",
      `${method} ${path}: unexpected answer (${describeIssues(parsed.error)})`,
    );
  return parsed.data;
}

/** A random key for `Idempotency-Key`; works outside secure contexts too. */
export function randomKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
