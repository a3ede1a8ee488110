import { defineConfig } from "vitest/config";

/** Browser tests: real server, real Chromium. Run by `npm test` (after the unit and integration suites). */
export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["e2e/**/*.e2e.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
  },
});
