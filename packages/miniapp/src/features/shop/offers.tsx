import { createOfferBody, type MessageKey, patchOfferBody, UNITS, type Unit } from "@lastbite/shared";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { OfferPhoto } from "../../components/offer-photo.tsx";
import { EmptyView, ErrorView, LoadingView } from "../../components/ui.tsx";
import { asApiError } from "../../lib/api.ts";
import {
  createOffer,
  fetchOwnOffers,
  type Offer,
  repostOffer,
  type Store,
  updateOffer,
  uploadOfferPhoto,
} from "../../lib/endpoints.ts";
import { amount } from "../../lib/format.ts";
import { errorText, useI18n } from "../../lib/i18n.tsx";
import { toast } from "../../lib/toast.ts";
import { haptic } from "../../telegram/bridge.ts";
import { Field } from "./field.tsx";
import {
  checkWith,
  type FieldErrors,
  isoToLocalInput,
  localInputToIso,
  numberOrUndefined,
  serverFieldErrors,
} from "./form-errors.ts";
import { type OfferState, offerState } from "./offer-state.ts";

const STATE_KEY: Record<OfferState, MessageKey> = {
  onSale: "app.offers.onSale",
  paused: "app.offers.paused",
  soldOut: "app.offers.soldOut",
  ended: "app.offers.ended",
};
const STATE_CHIP: Record<OfferState, string> = {
  onSale: "chip chip-ok",
  paused: "chip chip-warn",
  soldOut: "chip chip-done",
  ended: "chip chip-bad",
};

/** What the owner can do with an offer in each state, beside editing it. */
const STATE_ACTION: Record<OfferState, "pause" | "resume" | "repost"> = {
  onSale: "pause",
  paused: "resume",
  soldOut: "repost",
  ended: "repost",
};

const ownOffersKey = (storeId: number) => ["offers", "own", storeId] as const;

/** The owner's offers in every state, with pause/resume, edit and "post again". */
export function OffersManager({ store }: { store: Store }) {
  const i18n = useI18n();
  const { t, som } = i18n;
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ownOffersKey(store.id), queryFn: () => fetchOwnOffers(store.id) });
  const [editing, setEditing] = useState<Offer | "new" | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ["offers"] });
  };
  const act = useMutation({
    mutationFn: (v: { offer: Offer; what: "pause" | "resume" | "repost" }) =>
      v.what === "repost"
        ? repostOffer(v.offer.id)
        : updateOffer(v.offer.id, { active: v.what === "resume" }),
    onSuccess: (_o, v) => {
      haptic.notify("success");
      if (v.what === "repost") toast(t("app.offers.reposted"), "success");
      refresh();
    },
    onError: (e) => toast(errorText(i18n, asApiError(e).code), "error"),
  });

  if (editing)
    return (
      <OfferForm
        store={store}
        offer={editing === "new" ? undefined : editing}
        onDone={() => {
          setEditing(null);
          refresh();
        }}
      />
    );

  const offers = q.data ? [...q.data.offers].sort((a, b) => b.id - a.id) : undefined;
  return (
    <section data-testid="own-offers">
      {store.status !== "active" && <p className="notice warn">{t("app.offers.notListed")}</p>}
      <button type="button" className="btn" onClick={() => setEditing("new")} data-testid="offer-new">
        {t("app.offers.new")}
      </button>
      {q.error && !offers ? (
        <ErrorView error={q.error} onRetry={() => void q.refetch()} />
      ) : !offers ? (
        <LoadingView />
      ) : offers.length === 0 ? (
        <EmptyView icon="inbox" text={t("app.offers.empty")} />
      ) : (
        <div className="list">
          {offers.map((o) => {
            const state = offerState(o);
            return (
              <article
                key={o.id}
                className="card own-offer"
                data-testid={`own-offer-${o.id}`}
                data-state={state}
              >
                <div className="row gap">
                  <OfferPhoto offer={o} />
                  <div className="offer-body">
                    <div className="row spread">
                      <b className="ellipsis">{o.title}</b>
                      <span className={STATE_CHIP[state]}>{t(STATE_KEY[state])}</span>
                    </div>
                    <div className="meta">
                      {som(o.price)}
                      {o.original_price ? ` · ${som(o.original_price)}` : ""} ·{" "}
                      {t("app.offers.left", { quantity: amount(i18n, o.quantity, o.unit) })}
                    </div>
                    {(o.pickup_from || o.pickup_until) && (
                      <div className="meta">
                        {o.pickup_from ? i18n.dateTime(o.pickup_from) : ""} –{" "}
                        {o.pickup_until ? i18n.dateTime(o.pickup_until) : ""}
                      </div>
                    )}
                  </div>
                </div>
                <div className="actions">
                  <button
                    type="button"
                    className="btn secondary"
                    disabled={act.isPending}
                    onClick={() => act.mutate({ offer: o, what: STATE_ACTION[state] })}
                    data-testid={`offer-${STATE_ACTION[state]}`}
                  >
                    {t(`app.offers.${STATE_ACTION[state]}`)}
                  </button>
                  <button
                    type="button"
                    className="btn secondary"
                    onClick={() => setEditing(o)}
                    data-testid="offer-edit"
                  >
                    {t("app.offers.edit")}
                  </button>
                </div>
              </article>
            );
          })}
        </div>
      )}
    </section>
  );
}

interface Values {
  title: string;
  description: string;
  price: string;
  original_price: string;
  quantity: string;
  unit: Unit;
  pickup_from: string;
  pickup_until: string;
  expires_at: string;
}

const valuesOf = (o?: Offer): Values => ({
  title: o?.title ?? "",
  description: o?.description ?? "",
  price: o ? String(o.price) : "",
  original_price: o?.original_price ? String(o.original_price) : "",
  quantity: o ? String(o.quantity) : "",
  unit: o?.unit ?? "piece",
  pickup_from: isoToLocalInput(o?.pickup_from ?? null),
  pickup_until: isoToLocalInput(o?.pickup_until ?? null),
  expires_at: isoToLocalInput(o?.expires_at ?? null),
});

function bodyOf(v: Values, editing: boolean) {
  return {
    title: v.title,
    ...(v.description.trim() || editing ? { description: v.description } : {}),
    price: numberOrUndefined(v.price),
    original_price: numberOrUndefined(v.original_price) ?? null,
    quantity: numberOrUndefined(v.quantity),
    unit: v.unit,
    pickup_from: localInputToIso(v.pickup_from),
    pickup_until: localInputToIso(v.pickup_until),
    expires_at: localInputToIso(v.expires_at),
  };
}

/** A new offer, or an edit of one; then its photo, taken or picked on the phone. */
export function OfferForm({ store, offer, onDone }: { store: Store; offer?: Offer; onDone: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const editing = offer !== undefined;
  const [v, setV] = useState<Values>(() => valuesOf(offer));
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  // A photo that failed after the offer was saved: retrying only sends the photo again.
  const [saved, setSaved] = useState<Offer | null>(offer ?? null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!file) return setPreview(null);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const set = <K extends keyof Values>(k: K, value: Values[K]) => {
    setV((x) => ({ ...x, [k]: value }));
    setErrors(({ [k]: _gone, ...rest }) => rest);
  };

  async function submit() {
    const body = bodyOf(v, editing);
    // Created offers get the description only when there is one; a patch may clear nothing else.
    const local = checkWith(editing ? patchOfferBody : createOfferBody, body);
    setFormError(null);
    if (Object.keys(local).length > 0) {
      setErrors(local);
      haptic.notify("error");
      return;
    }
    setBusy(true);
    try {
      let current = saved;
      try {
        const json = body as Parameters<typeof createOffer>[1];
        current =
          current && editing
            ? await updateOffer(current.id, json)
            : (current ?? (await createOffer(store.id, json)));
        setSaved(current);
      } catch (e) {
        const err = asApiError(e);
        const fields = serverFieldErrors(err);
        setErrors(fields);
        setFormError(Object.keys(fields).length ? t("app.error.invalid_request") : errorText(i18n, err.code));
        haptic.notify("error");
        return;
      }
      if (file && current) {
        try {
          await uploadOfferPhoto(current.id, file);
        } catch (e) {
          const err = asApiError(e);
          const reason = err.code === "invalid_request" ? err.message : errorText(i18n, err.code);
          setErrors((x) => ({ ...x, photo: t("app.error.photo", { reason }) }));
          haptic.notify("error");
          return;
        }
      }
      haptic.notify("success");
      toast(t(editing ? "app.shop.saved" : "app.offers.created"), "success");
      onDone();
    } finally {
      setBusy(false);
    }
  }

  const num = (k: "price" | "original_price" | "quantity", label: MessageKey) => (
    <Field label={t(label)} error={errors[k]} name={k}>
      <input
        inputMode={k === "quantity" && v.unit !== "piece" ? "decimal" : "numeric"}
        value={v[k]}
        onChange={(e) => set(k, e.target.value)}
        aria-invalid={!!errors[k]}
        data-testid={`offer-${k}`}
      />
    </Field>
  );
  const time = (k: "pickup_from" | "pickup_until" | "expires_at", label: MessageKey) => (
    <Field label={t(label)} error={errors[k]} name={k}>
      <input
        type="datetime-local"
        value={v[k]}
        onChange={(e) => set(k, e.target.value)}
        aria-invalid={!!errors[k]}
        data-testid={`offer-${k}`}
      />
    </Field>
  );
  const shownPhoto = preview ?? saved?.photo_url ?? null;

  return (
    <form
      className="card fields"
      data-testid="offer-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 className="section-title inline">{t(editing ? "app.offers.editTitle" : "app.offers.newTitle")}</h2>
      <Field label={t("app.offers.title")} error={errors.title} name="title">
        <input
          value={v.title}
          maxLength={120}
          placeholder={t("app.offers.titlePlaceholder")}
          onChange={(e) => set("title", e.target.value)}
          aria-invalid={!!errors.title}
          data-testid="offer-title"
        />
      </Field>
      <Field label={t("app.offers.photo")} error={errors.photo} name="photo">
        {shownPhoto && (
          <img className="photo large" src={shownPhoto} alt="" data-testid="offer-photo-preview" />
        )}
        <input
          type="file"
          accept="image/*"
          capture="environment"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setErrors(({ photo: _p, ...rest }) => rest);
          }}
          data-testid="offer-photo"
        />
      </Field>
      <div className="row gap">
        {num("price", "app.offers.price")}
        {num("original_price", "app.offers.originalPrice")}
      </div>
      <div className="row gap">
        {num("quantity", "app.offers.quantity")}
        <Field label={t("app.offers.unit")} error={errors.unit} name="unit">
          <select
            value={v.unit}
            onChange={(e) => set("unit", e.target.value as Unit)}
            data-testid="offer-unit"
          >
            {UNITS.map((u) => (
              <option key={u} value={u}>
                {t(`app.offers.unit.${u}`)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {time("pickup_from", "app.offers.pickupFrom")}
      {time("pickup_until", "app.offers.pickupUntil")}
      {time("expires_at", "app.offers.expiresAt")}
      <Field label={t("app.offers.description")} error={errors.description} name="description">
        <textarea
          rows={2}
          maxLength={2000}
          value={v.description}
          onChange={(e) => set("description", e.target.value)}
          aria-invalid={!!errors.description}
          data-testid="offer-description"
        />
      </Field>
      {formError && <p className="notice bad">{formError}</p>}
      <div className="row gap">
        <button type="submit" className="btn" disabled={busy} data-testid="offer-submit">
          {busy && file ? t("app.offers.uploading") : editing ? t("app.save") : t("app.offers.create")}
        </button>
        <button type="button" className="btn secondary" onClick={onDone}>
          {t("app.cancel")}
        </button>
      </div>
    </form>
  );
}
