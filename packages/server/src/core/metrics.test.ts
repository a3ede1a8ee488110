import { describe, expect, it } from "vitest";
import { Metrics } from "./metrics.ts";

describe("metrics", () => {
  it("escapes label values as Prometheus requires instead of mangling them", async () => {
    const m = new Metrics();
    m.httpRequests.inc({ route: '/api/a"b\\c\nd', status: 200 });
    expect(await m.render()).toContain(
      'lastbite_http_requests_total{route="/api/a\\"b\\\\c\\nd",status="200"} 1',
    );
  });

  it("reads gauges when scraped and keeps apps' counts apart", async () => {
    let n = 3;
    const a = new Metrics();
    a.gauge("lastbite_test_gauge", "a test gauge", () => n);
    expect(await a.render()).toMatch(/^lastbite_test_gauge 3$/m);
    n = 5;
    expect(await a.render()).toMatch(/^lastbite_test_gauge 5$/m);
    a.outboxSent.inc({ kind: "seller_card" });
    expect(await new Metrics().render()).not.toMatch(/^lastbite_outbox_sent_total\{/m);
  });
});
