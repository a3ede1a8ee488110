import { on, postEvent, supports } from "./bridge.ts";

/**
 * The Telegram client's own storage for this user and bot, where the client has it: DeviceStorage
 * (Bot API 9.0, kept on the device) or else CloudStorage (6.9, synced across the user's devices).
 * A plain browser, or an older client, has neither: null. Both are per Telegram user already.
 */
export interface TelegramStorage {
  kind: "device" | "cloud";
  get(key: string): Promise<string | null>;
  set(key: string, value: string): void;
}

let seq = 0;
const reqId = () => `lb${Date.now().toString(36)}${(seq++).toString(36)}`;

/** Sends `method` and waits for the answer event with the same req_id (null after 3 s or on failure). */
function ask(
  method: string,
  params: Record<string, unknown>,
  answers: string[],
  pick: (d: Record<string, unknown>) => string | null,
): Promise<string | null> {
  return new Promise((resolve) => {
    const id = reqId();
    const offs: (() => void)[] = [];
    const done = (v: string | null) => {
      for (const off of offs) off();
      window.clearTimeout(timer);
      resolve(v);
    };
    const timer = window.setTimeout(() => done(null), 3_000);
    for (const type of answers)
      offs.push(
        on(type, (d) => {
          if (d.req_id === id) done(pick(d));
        }),
      );
    postEvent(method, { req_id: id, ...params });
  });
}

export function telegramStorage(native: boolean): TelegramStorage | null {
  if (!native) return null;
  if (supports("9.0"))
    return {
      kind: "device",
      get: (key) =>
        ask(
          "web_app_device_storage_get_key",
          { key },
          ["device_storage_key_received", "device_storage_failed"],
          (d) => (typeof d.value === "string" ? d.value : null),
        ),
      set: (key, value) => postEvent("web_app_device_storage_save_key", { req_id: reqId(), key, value }),
    };
  if (supports("6.9"))
    return {
      kind: "cloud",
      get: (key) =>
        ask(
          "web_app_invoke_custom_method",
          { method: "getStorageValues", params: { keys: [key] } },
          ["custom_method_invoked"],
          (d) => {
            const result = d.result as Record<string, unknown> | undefined;
            const v = result?.[key];
            return typeof v === "string" ? v : null;
          },
        ),
      set: (key, value) =>
        postEvent("web_app_invoke_custom_method", {
          req_id: reqId(),
          method: "saveStorageValue",
          params: { key, value },
        }),
    };
  return null;
}
