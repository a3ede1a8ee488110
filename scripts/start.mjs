#!/usr/bin/env node
// `npm start`: build the Mini App when its sources changed since the last build, then run the server.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_ARGS } from "./server-node-args.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const miniapp = path.join(root, "packages/miniapp");
const stamp = path.join(miniapp, "dist/.build-hash");

function hashTree(hash, dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name === "dist") continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) hashTree(hash, p);
    else hash.update(p.slice(root.length)).update(readFileSync(p));
  }
}

export function sourceHash() {
  const h = createHash("sha256");
  hashTree(h, miniapp);
  hashTree(h, path.join(root, "packages/shared/src"));
  h.update(readFileSync(path.join(root, "package-lock.json")));
  return h.digest("hex");
}

const want = sourceHash();
const have = existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : "";
if (want !== have) {
  console.log("Building the Mini App…");
  const r = spawnSync("npm", ["run", "build", "-w", "@lastbite/miniapp"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, want);
} else {
  console.log("Mini App is up to date; skipping the build.");
}

const server = spawn(
  process.execPath,
  [...SERVER_NODE_ARGS, "--import", "tsx", path.join(root, "packages/server/src/main.ts")],
  {
    cwd: root,
    stdio: "inherit",
  },
);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
