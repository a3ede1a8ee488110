import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric the server exposes at `/metrics`, declared once with its labels (prom-client, one
 * registry per app so tests and several apps in one process never share counts).
 */
export class Metrics {
  readonly registry = new Registry();

  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  readonly httpRequests = this.counter("lastbite_http_requests_total", "HTTP requests by route and status", [
    "route",
    "status",
  ]);
  readonly httpErrors = this.counter("lastbite_http_errors_total", "Unhandled server errors");
  readonly outboxSent = this.counter("lastbite_outbox_sent_total", "Outbox rows delivered to Telegram", [
    "kind",
  ]);
  readonly outboxFailed = this.counter(
    "lastbite_outbox_failed_total",
    "Outbox rows given up (refused by Telegram, unreadable, or out of attempts)",
    ["kind"],
  );
  readonly outboxRetries = this.counter(
    "lastbite_outbox_retries_total",
    "Outbox sends that failed and were rescheduled",
    ["kind"],
  );
  readonly outboxResent = this.counter(
    "lastbite_outbox_resent_total",
    "Outbox rows sent again after a worker died mid-send (the first send may have arrived too)",
    ["kind"],
  );
  readonly sseEvents = this.counter("lastbite_sse_events_total", "Order events written to live streams");
  readonly sseReplayedEvents = this.counter(
    "lastbite_sse_replayed_events_total",
    "Order events sent by Last-Event-ID replays",
  );
  readonly sseDropped = this.counter("lastbite_sse_dropped_total", "SSE streams ended by the server", [
    "reason",
  ]);

  readonly jobsRun = this.counter(
    "lastbite_jobs_run_total",
    "Scheduled jobs (reminders, expiries) run, by kind and outcome (done, failed: retried after its lease)",
    ["kind", "outcome"],
  );
  readonly jobDelay = new Histogram<"kind">({
    name: "lastbite_job_delay_seconds",
    help: "How long after its due time a job was claimed",
    labelNames: ["kind"],
    buckets: [0.05, 0.25, 1, 2.5, 5, 15, 60, 300],
    registers: [this.registry],
  });
  readonly orderBatch = new Histogram({
    name: "lastbite_order_batch_size",
    help: "Orders placed by one statement (orders that arrive together share one)",
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  /** `processMetrics`: also expose the process's CPU, memory and event-loop lag (the running server does). */
  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "lastbite_" });
  }

  /** A gauge whose value is read when scraped. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
