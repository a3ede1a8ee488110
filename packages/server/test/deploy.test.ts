import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_ARGS } from "../../../scripts/server-node-args.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("the container runs the server as npm start does", () => {
  it("the Dockerfile's CMD carries scripts/server-node-args.mjs's flags (it cannot import them)", () => {
    const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
    // The last CMD at the start of a line is the image's (the HEALTHCHECK's CMD is indented).
    const cmd = dockerfile
      .split("\n")
      .filter((line) => line.startsWith("CMD "))
      .at(-1);
    expect(cmd, "the Dockerfile has no CMD").toBeDefined();
    expect(JSON.parse((cmd as string).slice(4))).toEqual([
      "node",
      ...SERVER_NODE_ARGS,
      "--import",
      "tsx",
      "packages/server/src/main.ts",
    ]);
  });
});
