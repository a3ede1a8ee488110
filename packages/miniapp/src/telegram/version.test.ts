import { describe, expect, it } from "vitest";
import { versionAtLeast } from "./version.ts";

describe("versionAtLeast", () => {
  it("compares Bot API versions part by part, as numbers", () => {
    expect(versionAtLeast("9.0", "9.0")).toBe(true);
    expect(versionAtLeast("9.1", "9.0")).toBe(true);
    expect(versionAtLeast("10.0", "9.0")).toBe(true);
    expect(versionAtLeast("8.0", "9.0")).toBe(false);
    expect(versionAtLeast("6.10", "6.9")).toBe(true);
    expect(versionAtLeast("6", "6.9")).toBe(false);
    expect(versionAtLeast("x", "6.9")).toBe(false);
  });
});
