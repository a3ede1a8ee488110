#!/usr/bin/env node
// `npm test`: lint, typecheck, unit + integration tests (embedded DB, plus PostgreSQL when
// TEST_DATABASE_URL is set), then the browser tests in Chromium. Says loudly what it skipped.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const run = (cmd, args, env = {}) => {
  console.log(`\n▶ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(" ")} failed`);
    process.exit(r.status ?? 1);
  }
};
const skipped = [];

run("npx", ["biome", "check", "."]);
run("npm", ["run", "typecheck"]);
if (!process.env.TEST_DATABASE_URL)
  skipped.push("PostgreSQL runs of the integration suites (set TEST_DATABASE_URL)");
run("npx", ["vitest", "run"]);

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(chromium)) {
  run("npm", ["run", "build"]);
  run("npx", ["vitest", "run", "--config", "e2e/vitest.config.ts"]);
} else if (process.env.REQUIRE_BROWSER === "1") {
  console.error(`\n✗ REQUIRE_BROWSER=1 but ${chromium} is missing: install Debian's chromium`);
  process.exit(1);
} else {
  skipped.push(`browser tests (no Chromium at ${chromium}; apt-get install -y chromium)`);
}

if (skipped.length) {
  console.warn(`\n${"!".repeat(72)}`);
  for (const s of skipped) console.warn(`!! SKIPPED: ${s}`);
  console.warn("!".repeat(72));
}
console.log("\nAll test suites passed.");
