// How Node runs the server, wherever it is started (`npm start`, the benchmarks; the Dockerfile's CMD
// carries the same flags by hand).
//
// --max-semi-space-size=32 (MB; Node 20's default is 16): a request's short-lived objects (parsed
// JSON, query rows, the answer) die young. With the default young generation, a server placing a few
// thousand orders a second promoted enough of them to the old generation to need a full mark-compact
// every 4 seconds, and each one stalled every request in flight: the open-loop p99 of
// `npm run bench:orders` was 44-64 ms with most seconds at 15-23 ms; with 32 MB it is about 20 ms
// (BENCHMARKS.md). It costs up to 48 MB more memory at peak.
export const SERVER_NODE_ARGS = ["--max-semi-space-size=32"];
