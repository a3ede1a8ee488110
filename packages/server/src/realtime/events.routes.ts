import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Redis } from "ioredis";
import { z } from "zod";
import { ProblemError } from "../http/problem.ts";
import { userOf } from "../http/route-helpers.ts";
import type { Services } from "../services.ts";
import { DEFAULT_HUB_OPTIONS, EventHub, type HubOptions } from "./event-hub.ts";
import { SharedStreamCap } from "./shared-stream-cap.ts";
import { lastEventIdOf } from "./sse.ts";

const eventsQuery = z.object({
  tma: z.string().optional().describe("Telegram init data, for EventSource (which cannot set headers)"),
  last_event_id: z
    .string()
    .optional()
    .describe("Resume after this event id (when Last-Event-ID can't be set)"),
});

/**
 * `GET /api/events`: server-sent events of every change to the caller's orders, as a buyer and as a
 * shop owner. The hub starts with the app and stops with it. With `redis` (REDIS_URL) the per-user
 * stream cap is counted across instances; without it, per instance.
 */
export async function eventRoutes(
  root: FastifyInstance,
  {
    services,
    hubOptions,
    redis,
  }: { services: Services; hubOptions?: Partial<HubOptions>; redis?: Redis | null },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const opts = { ...DEFAULT_HUB_OPTIONS, ...hubOptions };
  const shared = redis
    ? new SharedStreamCap(redis, { maxPerUser: opts.maxStreamsPerUser, ttlMs: opts.sharedCapTtlMs }, app.log)
    : undefined;
  const hub = new EventHub(services.db, services.metrics, app.log, opts, services.changes, shared);
  await services.changes.start();
  await hub.start();
  // Streams never end by themselves: end them before the server waits for its connections to close.
  app.addHook("preClose", async () => hub.endAll());
  app.addHook("onClose", async () => {
    await hub.stop();
    await services.changes.stop();
  });

  app.get(
    "/api/events",
    {
      schema: {
        tags: ["orders"],
        summary: "Live order updates (text/event-stream)",
        description:
          "Streams `event: order` with `data: Order` (the order as of that change) and `id:` (order_events.id) " +
          "for every change to an order the caller buys or sells. Reconnect with `Last-Event-ID` (or " +
          "`?last_event_id=`) to get what was missed, in order, once. A comment line every 15 s keeps it open. " +
          `At most ${hub.options.maxStreamsPerUser} streams per user, across all instances when they share a Redis ` +
          "(429 too_many_streams).",
        querystring: eventsQuery,
        headers: z.object({
          "last-event-id": z.string().optional().describe("The last `id:` received: resume after it"),
        }),
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const lastEventId = lastEventIdOf(req.headers["last-event-id"], req.query.last_event_id);
      const { admission, slot } = await hub.reserve(user.id);
      if (admission === "user_limit")
        throw new ProblemError(
          "too_many_streams",
          `at most ${hub.options.maxStreamsPerUser} event streams per user; close one first`,
        );
      if (admission === "process_limit")
        throw new ProblemError(
          "service_unavailable",
          "this server holds all the event streams it can; retry",
        );
      // From here to attach() nothing awaits: the reserved slot passes to the stream.
      reply.hijack();
      const res = reply.raw;
      res.socket?.setNoDelay(true);
      res.socket?.setTimeout(0);
      res.socket?.setKeepAlive(true, 60_000);
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      // Sends the headers at once (proxies and clients see the stream open) and sets the retry delay.
      res.write(`retry: ${hub.options.retryMs}\n: connected\n\n`);
      await hub.attach(user.id, res, lastEventId, slot);
    },
  );
}
