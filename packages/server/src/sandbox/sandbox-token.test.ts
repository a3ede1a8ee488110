import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SANDBOX_TOKEN_FILE, sandboxToken } from "./sandbox-token.ts";

describe("sandboxToken", () => {
  it("keeps the generated token in the data directory, readable by the owner only, and reuses it", () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "sbx-")), "data");
    const first = sandboxToken(dir, true);
    expect(first).toMatch(/^\d+:SANDBOX[0-9a-f]{32}$/);
    const file = path.join(dir, SANDBOX_TOKEN_FILE);
    expect(readFileSync(file, "utf8").trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(sandboxToken(dir, true)).toBe(first);
  });

  it("replaces a kept token that is not a token", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sbx-"));
    writeFileSync(path.join(dir, SANDBOX_TOKEN_FILE), "garbage\n", { mode: 0o644 });
    const token = sandboxToken(dir, true);
    expect(token).not.toBe("garbage");
    expect(statSync(path.join(dir, SANDBOX_TOKEN_FILE)).mode & 0o777).toBe(0o600);
  });

  it("a throw-away database gets a fresh token each time and writes nothing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sbx-"));
    expect(sandboxToken(dir, false)).not.toBe(sandboxToken(dir, false));
    expect(() => statSync(path.join(dir, SANDBOX_TOKEN_FILE))).toThrow();
  });
});
