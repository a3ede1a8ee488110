import type { UploadedFile } from "../request-body.ts";

/** One Bot API call as a method handler sees it, whichever way it arrived (HTTP or webhook reply). */
export interface CallContext {
  params: Record<string, unknown>;
  files: Map<string, UploadedFile>;
  onAbort: (fn: () => void) => void;
}

/** Returns the call's `result`, or throws an `ApiError` that becomes Telegram's error envelope. */
export type Handler = (ctx: CallContext) => unknown;

/** Handlers by Bot API method name, spelled as Telegram documents it. */
export type Handlers = Record<string, Handler>;

/** One family of Bot API methods. */
export interface MethodFamily {
  handlers(): Handlers;
}

/** Joins the families into one table keyed by lower-cased method name (method names are case-insensitive). */
export function methodTable(families: MethodFamily[]): Handlers {
  const all: Handlers = Object.assign({}, ...families.map((f) => f.handlers()));
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v]));
}

export function optString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

export function toBool(value: unknown): boolean {
  return value === true || value === "true" || value === "1" || value === 1;
}
