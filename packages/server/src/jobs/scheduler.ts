import type { FastifyBaseLogger } from "fastify";

/**
 * Runs `task` every `everyMs`, never overlapping itself, and logs (never throws) failures: a database
 * hiccup must not kill the process. Several instances may run the same job; the tasks are written to
 * be safe under that (row locks decide who does the work).
 */
export function every(
  name: string,
  everyMs: number,
  task: () => Promise<unknown>,
  log: FastifyBaseLogger,
  opts: { runAtStart?: boolean } = {},
): () => void {
  let running = false;
  let stopped = false;
  const run = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await task();
    } catch (err) {
      log.error({ err, job: name }, "scheduled job failed");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, everyMs);
  if (opts.runAtStart) void run();
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
