import type { Problem } from "@lastbite/shared";

/** A failed API call: the server's problem+json, or `network` when the server was not reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: { path: string; message: string }[];
  constructor(status: number, code: string, detail: string, errors: Problem["errors"] = []) {
    super(detail);
    this.status = status;
    this.code = code;
    this.errors = errors ?? [];
  }
}

let initData = "";
export function setInitData(raw: string): void {
  initData = raw;
}
export function getInitData(): string {
  return initData;
}

export async function api<T>(
  method: "GET" | "POST" | "PATCH",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers: {
        Authorization: `tma ${initData}`,
        Accept: "application/json",
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : "network error");
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const p = (json ?? {}) as Partial<Problem>;
    throw new ApiError(
      res.status,
      p.code ?? (res.status >= 500 ? "internal_error" : "invalid_request"),
      p.detail ?? res.statusText,
      p.errors,
    );
  }
  return json as T;
}

/** A random key for `Idempotency-Key`; works outside secure contexts too. */
export function randomKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
