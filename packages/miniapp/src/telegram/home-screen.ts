import { getUserId } from "../lib/api.ts";
import { isNative, on, postEvent, supports } from "./bridge.ts";
import { telegramStorage } from "./storage.ts";

/** Remembered (locally, and in Telegram's storage where the client has it) once the offer was made. */
const KEY = "homeScreenOffered";
const localKey = () => `lastbite.${KEY}.${getUserId() ?? "anonymous"}`;
let asked = false;

/** Asks the client whether the Mini App is on the home screen (Mini Apps 8.0); null if no answer in 2 s. */
function homeScreenStatus(): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (status: string | null) => {
      off();
      window.clearTimeout(timer);
      resolve(status);
    };
    const off = on("home_screen_checked", (d) => done(typeof d.status === "string" ? d.status : null));
    const timer = window.setTimeout(() => done(null), 2_000);
    postEvent("web_app_check_home_screen");
  });
}

/**
 * After a user's first completed order, offers once to add Lastbite to the phone's home screen
 * (`addToHomeScreen`, Mini Apps 8.0). Not where the client is older or cannot (`unsupported`), not
 * when it is there already (`added`), and never twice: the offer is remembered per user in
 * localStorage and in DeviceStorage/CloudStorage, so a cleared WebView does not bring it back.
 */
export async function offerHomeScreenOnce(): Promise<void> {
  if (asked || !isNative() || !supports("8.0")) return;
  asked = true;
  try {
    if (localStorage.getItem(localKey())) return;
  } catch {
    // no localStorage: Telegram's storage still remembers
  }
  const storage = telegramStorage(true);
  if (storage && (await storage.get(KEY))) return;
  const status = await homeScreenStatus();
  if (status === "unsupported" || status === null) return;
  if (status !== "added") postEvent("web_app_add_to_home_screen");
  try {
    localStorage.setItem(localKey(), "1");
  } catch {
    // as above
  }
  storage?.set(KEY, "1");
}
