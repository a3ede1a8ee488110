import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Icon } from "../components/icon.tsx";
import { EmptyView, ErrorView, LoadingView, Page } from "../components/ui.tsx";
import { type Impact, setOfferAlerts } from "../lib/endpoints.ts";
import { useI18n } from "../lib/i18n.tsx";
import { useMe } from "../lib/me.ts";
import { favouritesQuery, impactQuery, keys } from "../lib/queries.ts";
import { navigate } from "../lib/router.ts";
import { toast } from "../lib/toast.ts";

/** So'm saved per month, as bars (a dozen at most: no chart library for that). */
function MonthBars({ months }: { months: Impact["months"] }) {
  const i18n = useI18n();
  const max = Math.max(1, ...months.map((m) => m.saved_amount));
  const monthName = new Intl.DateTimeFormat(i18n.lang, { month: "short", timeZone: "UTC" });
  return (
    <div className="bars" role="img" aria-label={i18n.t("app.profile.byMonth")} data-testid="impact-chart">
      {months.map((m) => (
        <div className="bar" key={m.month} title={`${m.month}: ${i18n.som(m.saved_amount)}`}>
          <span style={{ height: `${Math.round((m.saved_amount / max) * 100)}%` }} />
          {monthName.format(new Date(`${m.month}-15T00:00:00Z`))}
        </div>
      ))}
    </div>
  );
}

function AlertsToggle() {
  const i18n = useI18n();
  const { me } = useMe();
  const qc = useQueryClient();
  const set = useMutation({
    mutationFn: setOfferAlerts,
    onSuccess: (fresh) => qc.setQueryData(keys.me, fresh),
    onError: () => toast(i18n.t("app.error.network"), "error"),
  });
  // What the user just chose, set in the change handler itself: a controlled checkbox whose state
  // only changed later (the mutation's) is put back by React first and flickers.
  const [chosen, setChosen] = useState<boolean | null>(null);
  const on = chosen ?? me?.user.offer_alerts ?? true;
  return (
    <label className="card toggle-row">
      <span>{i18n.t("app.profile.alerts")}</span>
      <input
        type="checkbox"
        checked={on}
        disabled={!me || set.isPending}
        onChange={(e) => {
          setChosen(e.target.checked);
          set.mutate(e.target.checked, { onSettled: () => setChosen(null) });
        }}
        data-testid="alerts-toggle"
      />
    </label>
  );
}

/** The buyer's own page: what their orders saved, the shops they follow, and their alerts. */
export default function ProfilePage() {
  const i18n = useI18n();
  const impact = useQuery(impactQuery());
  const favourites = useQuery(favouritesQuery());
  const d = impact.data;
  return (
    <Page title={i18n.t("app.profile.title")}>
      {impact.error && !d ? (
        <ErrorView error={impact.error} onRetry={() => void impact.refetch()} />
      ) : !d ? (
        <LoadingView />
      ) : (
        <section data-testid="impact">
          <div className="impact-grid">
            <div className="card">
              <b data-testid="impact-saved">{i18n.som(d.saved_amount)}</b>
              <span className="meta">{i18n.t("app.profile.saved")}</span>
            </div>
            <div className="card">
              <b data-testid="impact-meals">{d.meals}</b>
              <span className="meta">{i18n.t("app.profile.meals")}</span>
            </div>
            <div className="card">
              <b data-testid="impact-co2">
                {i18n.t("app.profile.co2Value", {
                  kg: new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: 1 }).format(d.co2e_kg),
                })}
              </b>
              <span className="meta">{i18n.t("app.profile.co2")}</span>
            </div>
          </div>
          {d.meals === 0 ? (
            <p className="hint">{i18n.t("app.profile.none")}</p>
          ) : (
            <section className="card">
              <h2 className="section-title inline">{i18n.t("app.profile.byMonth")}</h2>
              <MonthBars months={d.months} />
              <p className="meta">
                {i18n.t("app.profile.spent", { amount: i18n.som(d.spent), count: d.orders_completed })}
              </p>
            </section>
          )}
        </section>
      )}
      <h2 className="section-title">{i18n.t("app.profile.favourites")}</h2>
      {favourites.data && favourites.data.stores.length === 0 ? (
        <EmptyView icon="heart" text={i18n.t("app.profile.noFavourites")} />
      ) : (
        <div className="list" data-testid="favourites">
          {(favourites.data?.stores ?? []).map((s) => (
            <button
              type="button"
              key={s.id}
              className="card row link-card"
              onClick={() => navigate({ name: "store", id: s.id })}
              data-testid={`favourite-${s.id}`}
            >
              <span className="store-avatar">{s.name.slice(0, 1).toUpperCase()}</span>
              <span>
                <b>{s.name}</b>
                <span className="meta block">
                  <Icon name="pin" size={13} /> {s.address}
                </span>
              </span>
            </button>
          ))}
        </div>
      )}
      <AlertsToggle />
    </Page>
  );
}
