/** Stable machine-readable error codes carried in every problem+json body. */
export const PROBLEM_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "insufficient_stock",
  "invalid_transition",
  "already_rated",
  "delivery_unavailable",
  "below_min_order",
  "idempotency_conflict",
  "rate_limited",
  "payload_too_large",
  "unsupported_media_type",
  "mixed_stores",
  "offer_unavailable",
  "invalid_quantity",
  "invalid_phone",
  "code_not_found",
  "code_already_used",
  "too_many_streams",
  "internal_error",
  "telegram_error",
  "service_unavailable",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** RFC 9457 problem details, as every 4xx/5xx answer carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  /** Field-level details for `invalid_request`. */
  errors?: { path: string; message: string }[];
  /** For `code_already_used`: when the order with that code was handed over (ISO 8601). */
  at?: string;
}
