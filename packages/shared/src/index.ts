export * from "./api.ts";
export * from "./api-responses.ts";
export * from "./i18n/index.ts";
export * from "./money.ts";
export * from "./order-lifecycle.ts";
export * from "./order-status.ts";
export * from "./phone.ts";
export * from "./problem.ts";
