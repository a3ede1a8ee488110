// How Node runs the server, wherever it is started (`npm start`, the benchmarks; the Dockerfile's CMD
// carries the same flags by hand; packages/server/test/deploy.test.ts fails if they differ).
//
// --max-semi-space-size=64 (MB; Node 20's default is 16): a request's short-lived objects (parsed
// JSON, query rows, the answer) die young. With the default young generation, a server placing a few
// thousand orders a second promoted enough of them to the old generation to need a full mark-compact
// every 4 seconds, and each one stalled every request in flight: the open-loop p99 of
// `npm run bench:orders` was 44-64 ms with most seconds at 15-23 ms; with 32 MB it is about 20 ms
// (BENCHMARKS.md). A busy catalogue (`npm run bench:search`, ~50 KB of garbage a search) still
// stopped for a 5-8 ms scavenge five times a second at 32 MB, each one added to every search in
// flight; 64 MB halves how often (in four paired runs: +10% searches a second, p99 27 → 24 ms).
// It costs up to 96 MB more memory at peak than the default (`npm run bench` with 19,800 idle streams:
// 469 MB on PostgreSQL and 893 MB on PGlite, against 425 and 836 MB at 32 MB).
export const SERVER_NODE_ARGS = ["--max-semi-space-size=64"];
