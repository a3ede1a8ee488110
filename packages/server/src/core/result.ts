import type { ProblemCode } from "@lastbite/shared";

/**
 * A business outcome that is not success: what services return instead of throwing. Only bugs and
 * infrastructure failures throw; the HTTP edge maps a Failure to problem+json, the bot to a toast.
 */
export interface Failure {
  ok: false;
  code: ProblemCode;
  detail: string;
  /** When the thing refused already happened (e.g. a code handed over), for the reader's message. */
  at?: string;
}
export type Result<T> = { ok: true; value: T } | Failure;

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ProblemCode, detail: string, at?: string): Failure =>
  at === undefined ? { ok: false, code, detail } : { ok: false, code, detail, at };
