import type { Problem, ProblemCode } from "@lastbite/shared";
import type { Result } from "../core/result.ts";

const STATUS: Record<ProblemCode, number> = {
  invalid_request: 400,
  invalid_quantity: 400,
  invalid_phone: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  code_not_found: 404,
  // 404 as before (there is no order to hand over), with its own code and the time it was handed over.
  code_already_used: 404,
  insufficient_stock: 409,
  invalid_transition: 409,
  already_rated: 409,
  idempotency_conflict: 409,
  offer_unavailable: 409,
  delivery_unavailable: 422,
  below_min_order: 422,
  mixed_stores: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_streams: 429,
  internal_error: 500,
  telegram_error: 502,
  service_unavailable: 503,
};

const TITLES: Partial<Record<ProblemCode, string>> = {
  invalid_request: "The request is not valid",
  unauthorized: "Authentication required",
  forbidden: "Not allowed",
  not_found: "Not found",
  insufficient_stock: "Not enough stock",
  invalid_transition: "The order cannot do that now",
  already_rated: "Already rated",
  delivery_unavailable: "Delivery is not available",
  below_min_order: "Below the shop's minimum order",
  idempotency_conflict: "Idempotency key reused with a different request",
  rate_limited: "Too many requests",
  code_already_used: "This code was already handed over",
  internal_error: "Something went wrong on our side",
  telegram_error: "Telegram refused the request",
};

export function statusOf(code: ProblemCode): number {
  return STATUS[code];
}

export function problem(code: ProblemCode, detail: string, errors?: Problem["errors"], at?: string): Problem {
  return {
    type: `https://lastbite.uz/problems/${code.replace(/_/g, "-")}`,
    title: TITLES[code] ?? code.replace(/_/g, " "),
    status: STATUS[code],
    code,
    detail,
    ...(errors ? { errors } : {}),
    ...(at ? { at } : {}),
  };
}

/** Thrown only at the HTTP edge to hand a Failure to the error handler. */
export class ProblemError extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: Problem["errors"],
    readonly at?: string,
  ) {
    super(detail);
  }
}

/** Unwraps a service result in a route handler: the value, or a thrown ProblemError. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new ProblemError(r.code, r.detail, undefined, r.at);
}
