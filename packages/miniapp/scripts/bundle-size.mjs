#!/usr/bin/env node
// Prints the gzipped size of the JavaScript the first page loads (the entry script plus its
// static imports, followed transitively), and of every other chunk. Run after `vite build`.
// Exits 1 when the first page exceeds the budget (default 150 KB; BUNDLE_BUDGET_KB to change).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
if (process.argv.includes("--write")) writeBenchmarks();
if (total / 1024 > budget) {
  console.error("Over budget!");
  process.exit(1);
}

/**
 * `--write`: records the numbers in BENCHMARKS.md, beside the baseline measured in the same run:
 * all the JavaScript the app has, which is what one unsplit bundle would make the first page load.
 */
function writeBenchmarks() {
  const all = readdirSync(join(dist, "assets"))
    .filter((f) => f.endsWith(".js"))
    .reduce((sum, f) => sum + gz(join("assets", f)), 0);
  const root = resolve(dist, "../../..");
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const section = [
    "<!-- bundle:start (written by `npm run bench:bundle`; edit the script, not this section) -->",
    "## Mini App bundle size",
    "",
    `\`npm run bench:bundle\` builds the Mini App and gzips (level 9) what the first page loads: the entry script`,
    "and its static imports, followed transitively. Pages other than the catalogue (checkout, tracking,",
    "seller view, the QR encoder) are loaded on demand.",
    "",
    `### ${when} UTC`,
    "",
    "| what | gzipped JavaScript |",
    "| --- | ---: |",
    `| first page (budget 150 KB) | ${kb(total)} KB |`,
    `| baseline: all of the app's JavaScript, as one unsplit bundle would load it | ${kb(all)} KB |`,
    `| first-page CSS | ${kb(cssSize)} KB |`,
    "",
    "<!-- bundle:end -->",
  ].join("\n");
  const file = join(root, "BENCHMARKS.md");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const re = /<!-- bundle:start[\s\S]*?<!-- bundle:end -->/;
  writeFileSync(file, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
  console.log("BENCHMARKS.md updated");
}
