/** A tiny Prometheus registry: counters and gauges with labels, rendered as text exposition. */
export class Metrics {
  private readonly counters = new Map<
    string,
    { help: string; type: "counter" | "gauge"; values: Map<string, number> }
  >();

  private series(name: string, help: string, type: "counter" | "gauge") {
    let s = this.counters.get(name);
    if (!s) {
      s = { help, type, values: new Map() };
      this.counters.set(name, s);
    }
    return s;
  }

  inc(name: string, help: string, labels: Record<string, string | number> = {}, by = 1): void {
    const s = this.series(name, help, "counter");
    const key = labelKey(labels);
    s.values.set(key, (s.values.get(key) ?? 0) + by);
  }

  set(name: string, help: string, value: number, labels: Record<string, string | number> = {}): void {
    this.series(name, help, "gauge").values.set(labelKey(labels), value);
  }

  /** A gauge computed when scraped. */
  gauge(name: string, help: string, read: () => number): void {
    this.collectors.push(() => this.set(name, help, read()));
  }
  private readonly collectors: (() => void)[] = [];

  render(): string {
    for (const c of this.collectors) c();
    const out: string[] = [];
    for (const [name, s] of this.counters) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      for (const [labels, v] of s.values) out.push(`${name}${labels} ${v}`);
    }
    return `${out.join("\n")}\n`;
  }
}

function labelKey(labels: Record<string, string | number>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, "_")}"`).join(",")}}`;
}
