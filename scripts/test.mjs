#!/usr/bin/env node
// `npm test`: lint, typecheck, unit + integration tests (embedded DB, plus PostgreSQL when
// TEST_DATABASE_URL is set, plus the Redis-backed suites when a Redis answers), then the browser
// tests in Chromium. Says loudly what it skipped.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";

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

// The Redis-backed suites (limits shared across instances): TEST_REDIS_URL, set, must answer (the
// suites fail if not); unset, the local default is used when something listens there.
const answers = (url) =>
  new Promise((resolve) => {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
if (!process.env.TEST_REDIS_URL) {
  const local = "redis://127.0.0.1:6379";
  if (await answers(local)) process.env.TEST_REDIS_URL = local;
  else
    skipped.push(
      `Redis-backed suites (nothing answers at ${local}; start redis-server or set TEST_REDIS_URL)`,
    );
}
const totals = { passed: 0, failed: 0, skipped: 0 };
function vitest(name, extra = []) {
  const out = `test-results/${name}.json`;
  rmSync(out, { force: true });
  const r = spawnSync(
    "npx",
    ["vitest", "run", ...extra, "--reporter=default", "--reporter=json", `--outputFile=${out}`],
    {
      stdio: "inherit",
    },
  );
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, "utf8"));
    totals.passed += j.numPassedTests ?? 0;
    totals.failed += j.numFailedTests ?? 0;
    totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  }
  if (r.status !== 0) {
    console.error(`\n✗ ${name} tests failed`);
    console.log(`\n${totals.passed} passed, ${Math.max(totals.failed, 1)} failed, ${totals.skipped} skipped`);
    process.exit(r.status ?? 1);
  }
}
vitest("unit-and-integration");

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(chromium)) {
  run("npm", ["run", "build"]);
  vitest("browser", ["--config", "e2e/vitest.config.ts"]);
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
console.log(
  `\nAll test suites passed.\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
);
