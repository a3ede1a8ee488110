import { createStoreBody, patchStoreBody, STORE_CATEGORIES, type StoreCategory } from "@lastbite/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { asApiError } from "../../lib/api.ts";
import { createStore, type Store, updateStore } from "../../lib/endpoints.ts";
import { errorText, useI18n } from "../../lib/i18n.tsx";
import { keys } from "../../lib/queries.ts";
import { toast } from "../../lib/toast.ts";
import { haptic, requestLocation } from "../../telegram/bridge.ts";
import { Field } from "./field.tsx";
import { checkWith, type FieldErrors, numberOrUndefined, serverFieldErrors } from "./form-errors.ts";

const DEFAULT_TZ = "Asia/Tashkent";
const ZONES = [
  "Asia/Tashkent",
  "Asia/Samarkand",
  "Asia/Almaty",
  "Asia/Bishkek",
  "Asia/Dushanbe",
  "Europe/Moscow",
];

interface Values {
  name: string;
  address: string;
  phone: string;
  description: string;
  category: string;
  lat: string;
  lng: string;
  delivery_enabled: boolean;
  delivery_fee: string;
  min_order_amount: string;
  timezone: string;
}

const valuesOf = (s?: Store): Values => ({
  name: s?.name ?? "",
  address: s?.address ?? "",
  phone: s?.phone ?? "",
  description: s?.description ?? "",
  category: s?.category ?? "",
  lat: s?.lat == null ? "" : String(s.lat),
  lng: s?.lng == null ? "" : String(s.lng),
  delivery_enabled: s?.delivery_enabled ?? false,
  delivery_fee: s ? String(s.delivery_fee) : "0",
  min_order_amount: s ? String(s.min_order_amount) : "0",
  timezone: s?.timezone ?? DEFAULT_TZ,
});

/** The body the API takes, from what was typed (empty optional fields left out, or cleared on edit). */
function bodyOf(v: Values, editing: boolean) {
  const lat = numberOrUndefined(v.lat);
  const lng = numberOrUndefined(v.lng);
  const clear = editing ? null : undefined;
  return {
    name: v.name,
    address: v.address,
    phone: v.phone,
    ...(v.description.trim() ? { description: v.description } : {}),
    category: v.category ? (v.category as StoreCategory) : clear,
    lat: lat ?? clear,
    lng: lng ?? clear,
    delivery_enabled: v.delivery_enabled,
    delivery_fee: v.delivery_enabled ? (numberOrUndefined(v.delivery_fee) ?? 0) : 0,
    min_order_amount: v.delivery_enabled ? (numberOrUndefined(v.min_order_amount) ?? 0) : 0,
    timezone: v.timezone.trim() || clear,
  };
}

/** Opens a shop, or edits the owner's: every field checked as the server checks it, errors beside it. */
export function ShopForm({ store, onSaved }: { store?: Store; onSaved?: (s: Store) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const qc = useQueryClient();
  const editing = store !== undefined;
  const [v, setV] = useState<Values>(() => valuesOf(store));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [locating, setLocating] = useState(false);
  const save = useMutation({
    mutationFn: (body: ReturnType<typeof bodyOf>) =>
      store ? updateStore(store.id, body) : createStore(body as Parameters<typeof createStore>[0]),
  });

  const set = <K extends keyof Values>(k: K, value: Values[K]) => {
    setV((x) => ({ ...x, [k]: value }));
    setErrors((e) => {
      const { [k]: _gone, ...rest } = e;
      return rest;
    });
  };

  function submit() {
    const body = bodyOf(v, editing);
    const local = checkWith(editing ? patchStoreBody : createStoreBody, body);
    setFormError(null);
    if (Object.keys(local).length > 0) {
      setErrors(local);
      haptic.notify("error");
      return;
    }
    save.mutate(body, {
      onSuccess: (s) => {
        haptic.notify("success");
        toast(t(editing ? "app.shop.saved" : "app.shop.created"), "success");
        void qc.invalidateQueries({ queryKey: keys.me });
        void qc.invalidateQueries({ queryKey: ["stores"] });
        onSaved?.(s);
      },
      onError: (e) => {
        haptic.notify("error");
        const err = asApiError(e);
        const fields = serverFieldErrors(err);
        setErrors(fields);
        setFormError(Object.keys(fields).length ? t("app.error.invalid_request") : errorText(i18n, err.code));
      },
    });
  }

  async function locate() {
    setLocating(true);
    const p = await requestLocation();
    setLocating(false);
    if (!p) {
      setErrors((e) => ({ ...e, lat: t("app.shop.locationFailed") }));
      return;
    }
    setV((x) => ({ ...x, lat: p.lat.toFixed(6), lng: p.lng.toFixed(6) }));
    setErrors(({ lat: _a, lng: _b, ...rest }) => rest);
  }

  const input = (k: "name" | "address" | "phone" | "timezone", extra: Record<string, unknown> = {}) => (
    <input
      value={v[k]}
      onChange={(e) => set(k, e.target.value)}
      aria-invalid={!!errors[k]}
      data-testid={`shop-${k}`}
      {...extra}
    />
  );

  return (
    <form
      className="card fields"
      data-testid="shop-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {!editing && <p className="meta">{t("app.shop.openIntro")}</p>}
      <Field label={t("app.shop.name")} error={errors.name} name="name">
        {input("name", { maxLength: 120, autoComplete: "organization" })}
      </Field>
      <Field label={t("app.shop.category")} error={errors.category} name="category">
        <select
          value={v.category}
          onChange={(e) => set("category", e.target.value)}
          aria-invalid={!!errors.category}
          data-testid="shop-category"
        >
          <option value="">{t("app.shop.chooseCategory")}</option>
          {STORE_CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {t(`store.category.${c}`)}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t("app.shop.address")} error={errors.address} name="address">
        {input("address", { maxLength: 300, autoComplete: "street-address" })}
      </Field>
      <Field label={t("app.shop.phone")} error={errors.phone} name="phone">
        {input("phone", { type: "tel", inputMode: "tel", placeholder: t("app.cart.phonePlaceholder") })}
      </Field>
      <Field label={t("app.shop.description")} error={errors.description} name="description">
        <textarea
          rows={3}
          maxLength={1000}
          value={v.description}
          onChange={(e) => set("description", e.target.value)}
          aria-invalid={!!errors.description}
          data-testid="shop-description"
        />
      </Field>
      <div className="field">
        <span>{t("app.shop.location")}</span>
        <button
          type="button"
          className="btn secondary"
          disabled={locating}
          onClick={() => void locate()}
          data-testid="shop-locate"
        >
          {locating ? t("app.shop.locating") : t("app.shop.locate")}
        </button>
        <div className="row gap">
          <input
            inputMode="decimal"
            placeholder={t("app.shop.lat")}
            aria-label={t("app.shop.lat")}
            value={v.lat}
            onChange={(e) => set("lat", e.target.value)}
            aria-invalid={!!errors.lat}
            data-testid="shop-lat"
          />
          <input
            inputMode="decimal"
            placeholder={t("app.shop.lng")}
            aria-label={t("app.shop.lng")}
            value={v.lng}
            onChange={(e) => set("lng", e.target.value)}
            aria-invalid={!!errors.lng}
            data-testid="shop-lng"
          />
        </div>
        {(errors.lat || errors.lng) && (
          <small className="field-error" data-testid="error-location">
            {errors.lat ?? errors.lng}
          </small>
        )}
      </div>
      <label className="row gap check">
        <input
          type="checkbox"
          checked={v.delivery_enabled}
          onChange={(e) => set("delivery_enabled", e.target.checked)}
          data-testid="shop-delivery"
        />
        <span>{t("app.shop.delivery")}</span>
      </label>
      {v.delivery_enabled && (
        <>
          <Field label={t("app.shop.fee")} error={errors.delivery_fee} name="delivery_fee">
            <input
              inputMode="numeric"
              value={v.delivery_fee}
              onChange={(e) => set("delivery_fee", e.target.value)}
              aria-invalid={!!errors.delivery_fee}
              data-testid="shop-fee"
            />
          </Field>
          <Field label={t("app.shop.minOrder")} error={errors.min_order_amount} name="min_order_amount">
            <input
              inputMode="numeric"
              value={v.min_order_amount}
              onChange={(e) => set("min_order_amount", e.target.value)}
              aria-invalid={!!errors.min_order_amount}
              data-testid="shop-min"
            />
          </Field>
        </>
      )}
      <Field label={t("app.shop.timezone")} error={errors.timezone} name="timezone">
        {input("timezone", { list: "shop-zones", autoCapitalize: "off" })}
        <datalist id="shop-zones">
          {ZONES.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </Field>
      {formError && <p className="notice bad">{formError}</p>}
      <button type="submit" className="btn" disabled={save.isPending} data-testid="shop-submit">
        {editing ? t("app.save") : t("app.shop.create")}
      </button>
    </form>
  );
}
