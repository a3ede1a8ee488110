import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/**
 * Every metric the server exposes at `/metrics`, declared once with its labels (prom-client, one
 * registry per app so tests and several apps in one process never share counts).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];

  readonly httpRequests = new Counter({
    name: "lastbite_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"] as const,
    registers: this.registers,
  });
  readonly httpErrors = new Counter({
    name: "lastbite_http_errors_total",
    help: "Unhandled server errors",
    registers: this.registers,
  });
  readonly outboxSent = new Counter({
    name: "lastbite_outbox_sent_total",
    help: "Outbox rows delivered to Telegram",
    labelNames: ["kind"] as const,
    registers: this.registers,
  });
  readonly outboxFailed = new Counter({
    name: "lastbite_outbox_failed_total",
    help: "Outbox rows given up (refused by Telegram, unreadable, or out of attempts)",
    labelNames: ["kind"] as const,
    registers: this.registers,
  });
  readonly outboxRetries = new Counter({
    name: "lastbite_outbox_retries_total",
    help: "Outbox sends that failed and were rescheduled",
    labelNames: ["kind"] as const,
    registers: this.registers,
  });
  readonly outboxResent = new Counter({
    name: "lastbite_outbox_resent_total",
    help: "Outbox rows sent again after a worker died mid-send (the first send may have arrived too)",
    labelNames: ["kind"] as const,
    registers: this.registers,
  });
  readonly sseEvents = new Counter({
    name: "lastbite_sse_events_total",
    help: "Order events written to live streams",
    registers: this.registers,
  });
  readonly sseReplayedEvents = new Counter({
    name: "lastbite_sse_replayed_events_total",
    help: "Order events sent by Last-Event-ID replays",
    registers: this.registers,
  });
  readonly sseDropped = new Counter({
    name: "lastbite_sse_dropped_total",
    help: "SSE streams ended by the server",
    labelNames: ["reason"] as const,
    registers: this.registers,
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
      registers: this.registers,
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
