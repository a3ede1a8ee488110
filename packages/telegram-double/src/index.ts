export * from "./html-text.ts";
export * from "./telegram-double.ts";
