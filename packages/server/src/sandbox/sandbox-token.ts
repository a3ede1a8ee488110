import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The file in DATA_DIR that keeps the sandbox's generated bot token across restarts. */
export const SANDBOX_TOKEN_FILE = "sandbox-bot-token";
const TOKEN_SHAPE = /^\d{6,12}:[A-Za-z0-9_-]{20,80}$/;

export function generateSandboxToken(): string {
  return `${700000000 + Math.floor(Math.random() * 1e6)}:SANDBOX${randomBytes(16).toString("hex")}`;
}

/**
 * The sandbox's bot token. Init data is signed with it, so a fresh token on every start would
 * sign out every open Mini App (every request 401); it is kept in `dataDir` (mode 0600) and
 * reused. `persist: false` (a `memory://` database, nothing kept anyway) generates a fresh one.
 * The token is never logged.
 */
export function sandboxToken(dataDir: string, persist: boolean): string {
  if (!persist) return generateSandboxToken();
  const file = path.join(dataDir, SANDBOX_TOKEN_FILE);
  try {
    const kept = readFileSync(file, "utf8").trim();
    if (TOKEN_SHAPE.test(kept)) return kept;
  } catch {
    // none yet (or unreadable): make one
  }
  const token = generateSandboxToken();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
  return token;
}
