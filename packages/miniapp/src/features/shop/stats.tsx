import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import { ErrorView, LoadingView } from "../../components/ui.tsx";
import { fetchSellerStats, type SellerStats, type Store } from "../../lib/endpoints.ts";
import { useI18n } from "../../lib/i18n.tsx";

/** uPlot and its stylesheet, fetched the first time a chart is drawn: no other page pays for them. */
let chartLib: Promise<typeof uPlot> | null = null;
function loadChartLib(): Promise<typeof uPlot> {
  chartLib ??= Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([m]) => m.default);
  return chartLib;
}

/** The theme's colour for a CSS variable, for the canvas (which cannot read variables itself). */
function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** A bar chart of one figure per day. */
function DayChart({
  stats,
  field,
  title,
  testId,
}: {
  stats: SellerStats;
  field: "orders" | "revenue";
  title: string;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { som } = useI18n();
  useEffect(() => {
    let chart: uPlot | null = null;
    let gone = false;
    void loadChartLib().then((UPlot) => {
      if (gone || !box.current) return;
      const xs = stats.days.map((d) => Date.parse(`${d.date}T12:00:00Z`) / 1000);
      const ys = stats.days.map((d) => d[field]);
      const accent = cssVar("--accent", "#2ea043");
      const text = cssVar("--hint", "#999");
      chart = new UPlot(
        {
          width: box.current.clientWidth || 320,
          height: 160,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [
            { stroke: text, grid: { show: false }, ticks: { show: false } },
            {
              stroke: text,
              size: 56,
              grid: { stroke: `${text}33` },
              values: (_u, vals) =>
                vals.map((v) => (field === "revenue" ? som(v).replace(/\s?so'm$/, "") : String(v))),
            },
          ],
          series: [
            {},
            {
              stroke: accent,
              fill: `${accent}88`,
              paths: UPlot.paths.bars?.({ size: [0.7, 24] }),
              points: { show: false },
            },
          ],
        },
        [xs, ys],
        box.current,
      );
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [stats, field, som]);
  return (
    <section className="card">
      <h3 className="section-title inline">{title}</h3>
      <div ref={box} className="chart" data-testid={testId} />
    </section>
  );
}

/** The shop's last 30 days: figures and two charts, from `GET /api/seller/stats`. */
export function StatsPanel({ store }: { store: Store }) {
  const i18n = useI18n();
  const { t, som } = i18n;
  const q = useQuery({ queryKey: ["seller-stats", store.id], queryFn: () => fetchSellerStats(store.id) });
  if (q.error && !q.data) return <ErrorView error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <LoadingView />;
  const s = q.data;
  const figures: [string, string, string][] = [
    ["orders", t("app.stats.orders"), String(s.totals.orders)],
    ["completed", t("app.stats.completed"), String(s.totals.completed)],
    ["revenue", t("app.stats.revenue"), som(s.totals.revenue)],
    ["items", t("app.stats.items"), String(s.totals.items)],
    ["saved", t("app.stats.saved"), som(s.totals.saved_amount)],
    [
      "completion",
      t("app.stats.completion"),
      s.totals.completion_rate === null ? "—" : `${Math.round(s.totals.completion_rate * 100)}%`,
    ],
    [
      "rating",
      t("app.stats.rating"),
      s.rating === null ? t("app.stats.noRating") : `${s.rating} ★ (${s.ratings_count})`,
    ],
  ];
  return (
    <div className="list" data-testid="stats">
      <h2 className="section-title">{t("app.stats.title")}</h2>
      <section className="card stats-grid">
        {figures.map(([key, label, value]) => (
          <div key={key} className="stat" data-testid={`stat-${key}`}>
            <span className="meta">{label}</span>
            <b>{value}</b>
          </div>
        ))}
      </section>
      <DayChart stats={s} field="orders" title={t("app.stats.ordersChart")} testId="chart-orders" />
      <DayChart stats={s} field="revenue" title={t("app.stats.revenueChart")} testId="chart-revenue" />
    </div>
  );
}
