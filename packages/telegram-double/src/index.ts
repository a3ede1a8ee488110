export type { Fault, FaultFilter } from "./faults.ts";
export * from "./html-text.ts";
export type { CallbackAnswer, PressedButton } from "./methods/callbacks.ts";
export type { StoredFile } from "./methods/files.ts";
export type { PreparedMessage } from "./methods/prepared.ts";
export {
  RATE_LIMITED_METHODS,
  RateLimiter,
  type RateLimitOptions,
  type RateLimitStats,
} from "./rate-limit.ts";
export { type DoubleSnapshot, readSnapshot } from "./snapshot.ts";
export type {
  ApiCall,
  ChangeEvent,
  ChatMessage,
  DoubleUserInput,
  PrivateChat,
  TelegramDoubleEvents,
} from "./state.ts";
export { TelegramDouble, type TelegramDoubleOptions } from "./telegram-double.ts";
