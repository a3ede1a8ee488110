import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type DoubleSnapshot, readSnapshot, type TelegramDouble } from "@lastbite/telegram-double";

/** The file in DATA_DIR that keeps the sandbox's chats (the built-in Telegram's state) across restarts. */
export const SANDBOX_CHATS_FILE = "sandbox-telegram.json";
const WRITE_DELAY_MS = 100;

/**
 * The chats of the last run, if there are any. Real Telegram keeps a bot's chats, message ids and
 * update ids when the bot restarts; the sandbox's double runs in this process, so it keeps them here
 * instead: without them a restart numbered every chat's messages from 1 again while the database
 * still knew the old ids, so an older order's card edit landed on a newer order's card, and the
 * cards on the page could no longer be pressed. A file that cannot be read is reported and left out.
 */
export function loadSandboxChats(dataDir: string): { snapshot?: DoubleSnapshot; problem?: string } {
  const file = path.join(dataDir, SANDBOX_CHATS_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return {}; // none yet
  }
  try {
    return { snapshot: readSnapshot(JSON.parse(text)) };
  } catch (err) {
    return { problem: `${file}: ${(err as Error).message}; the sandbox's chats start empty` };
  }
}

/**
 * Writes the double's state to DATA_DIR shortly after every change (at most one write per 100 ms;
 * a new file renamed over the old, so a kill leaves the last whole one). `stop()` writes what is
 * left and stops. The file holds chats and photos, nothing secret (the token is kept apart), mode 0600.
 */
export function keepSandboxChats(double: TelegramDouble, dataDir: string): { stop(): void } {
  const file = path.join(dataDir, SANDBOX_CHATS_FILE);
  mkdirSync(dataDir, { recursive: true });
  let timer: NodeJS.Timeout | null = null;
  const write = () => {
    timer = null;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(double.snapshot()), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  };
  const unsubscribe = double.onChange(() => {
    timer ??= setTimeout(write, WRITE_DELAY_MS);
  });
  return {
    stop() {
      unsubscribe();
      if (timer) clearTimeout(timer);
      write();
    },
  };
}
