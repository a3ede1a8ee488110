#!/usr/bin/env node
// Prints the gzipped size of the JavaScript the first page loads (the entry script plus its
// static imports, followed transitively), and of every other chunk. Run after `vite build`.
// Exits 1 when the first page exceeds the budget (default 150 KB; BUNDLE_BUDGET_KB to change).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");
if (!existsSync(join(dist, "index.html"))) {
  console.error("dist/index.html not found: run `npm run build -w @lastbite/miniapp` first");
  process.exit(2);
}
const html = readFileSync(join(dist, "index.html"), "utf8");
const kb = (n) => (n / 1024).toFixed(1);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;

const start = [
  ...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\/?([^"]+\.js)"/g),
].map((m) => m[1]);
const first = new Set();
const queue = [...start];
while (queue.length) {
  const file = queue.shift();
  if (first.has(file)) continue;
  first.add(file);
  const code = readFileSync(join(dist, file), "utf8");
  // static imports only: `import … from "./x.js"` / `import "./x.js"`, not `import("./x.js")`
  for (const m of code.matchAll(
    /(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([^"']+\.js)["']/g,
  ))
    queue.push(join(dirname(file), m[1]));
}

let total = 0;
console.log("First page:");
for (const f of first) {
  const size = gz(f);
  total += size;
  console.log(`  ${f.padEnd(44)} ${kb(size).padStart(7)} KB gzipped`);
}
const css = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".css"));
const cssSize = css.reduce((s, f) => s + gz(join("assets", f)), 0);
console.log("Loaded on demand:");
for (const f of readdirSync(join(dist, "assets"))) {
  const p = join("assets", f);
  if (f.endsWith(".js") && !first.has(p))
    console.log(`  ${p.padEnd(44)} ${kb(gz(p)).padStart(7)} KB gzipped`);
}
const budget = Number(process.env.BUNDLE_BUDGET_KB ?? 150);
console.log(
  `\nFirst-page JavaScript: ${kb(total)} KB gzipped (budget ${budget} KB); CSS ${kb(cssSize)} KB gzipped`,
);
if (total / 1024 > budget) {
  console.error("Over budget!");
  process.exit(1);
}
