import type { z } from "zod";
import type { ApiError } from "../../lib/api.ts";

/** Per-field messages, keyed by the body's top-level field name. */
export type FieldErrors = Record<string, string>;

/**
 * Checks a form's body with the same shared schema the server validates it with, so the form
 * refuses exactly what the server would, beside the field, before sending.
 */
export function checkWith(schema: z.ZodType, body: unknown): FieldErrors {
  const r = schema.safeParse(body);
  if (r.success) return {};
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const field = String(issue.path[0] ?? "");
    if (field && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}

/** The server's field errors (`errors[].path` is `body.<field>`), for the fields of the form. */
export function serverFieldErrors(e: ApiError): FieldErrors {
  const errors: FieldErrors = {};
  for (const x of e.errors) {
    const field = x.path.replace(/^body\.?/, "").split(".")[0] ?? "";
    if (field && !errors[field]) errors[field] = x.message;
  }
  return errors;
}

/** A typed number field's value: undefined when empty, NaN-free. */
export function numberOrUndefined(v: string): number | undefined {
  const s = v.replace(/\s/g, "").replace(",", ".");
  if (s === "") return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** `<input type="datetime-local">` ⇄ ISO with offset (the phone's clock zone, the shop's in practice). */
export function localInputToIso(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
