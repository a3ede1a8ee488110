import type { DeliveryType } from "@lastbite/shared";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { type ApiError, getUserId, randomKey } from "../../lib/api.ts";
import { type Cart, clearCart, refreshFromOffers, useCart } from "../../lib/cart.ts";
import { type Offer, placeOrder, type Store } from "../../lib/endpoints.ts";
import { errorText, useI18n } from "../../lib/i18n.tsx";
import { useMe } from "../../lib/me.ts";
import { applyOrder, keys, meQuery, offersQuery, storeQuery } from "../../lib/queries.ts";
import { navigate, switchTab } from "../../lib/router.ts";
import { toast } from "../../lib/toast.ts";
import { haptic, requestPhone } from "../../telegram/bridge.ts";
import {
  type Attempt,
  attemptFor,
  type CheckoutForm,
  checkoutTotals,
  type Field,
  type FieldErrors,
  lineState,
  nextExpiry,
  type OrderBody,
  serverFieldErrors,
  type Totals,
  validateCheckout,
} from "./checkout.ts";

/** Per Telegram user, like the cart: one person's address is not offered to the next. */
const contactKey = () => `lastbite.contact.${getUserId() ?? "anonymous"}`;

/** The last delivery address and phone, so the next delivery order is filled in. */
function loadContact(): { address: string; phone: string } {
  try {
    localStorage.removeItem("lastbite.contact"); // the old key, shared by everyone on the device
    const v = JSON.parse(localStorage.getItem(contactKey()) ?? "{}") as { address?: string; phone?: string };
    return { address: v.address ?? "", phone: v.phone ?? "" };
  } catch {
    return { address: "", phone: "" };
  }
}

function saveContact(address: string, phone: string): void {
  try {
    localStorage.setItem(contactKey(), JSON.stringify({ address, phone }));
  } catch {
    // not essential
  }
}

/**
 * Re-renders when the first of these offers stops being on sale, so a line whose offer expires
 * while the cart is open turns "no longer available" without a refetch.
 */
function useNowUntilExpiry(offers: readonly Offer[] | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const next = offers ? nextExpiry(offers, now) : null;
    if (next === null) return;
    // setTimeout's limit is about 24.8 days; an offer that far away will be refetched by then.
    const timer = window.setTimeout(() => setNow(Date.now()), Math.min(next - now + 50, 2 ** 31 - 1));
    return () => window.clearTimeout(timer);
  }, [offers, now]);
  return now;
}

export interface Checkout {
  cart: Cart | null;
  store: Store | undefined;
  /** Current offers by id, once loaded: the lines check themselves against them. */
  offers: Map<number, Offer> | undefined;
  loadError: ApiError | null;
  retryLoad: () => void;
  now: number;
  form: CheckoutForm;
  setType: (type: DeliveryType) => void;
  setField: (field: "address" | "phone" | "comment", value: string) => void;
  fieldErrors: FieldErrors;
  formError: string | null;
  totals: Totals;
  /** A line is gone or asks for more than is left: the order cannot go as it is. */
  stockProblem: boolean;
  canOrder: boolean;
  submitting: boolean;
  submit: () => void;
  waitingPhone: boolean;
  sharePhone: () => void;
}

/**
 * The checkout: the cart against the shop's current offers, the delivery form, validation as the
 * server validates, totals, and placing the order exactly once however often it is tapped.
 */
export function useCheckout(): Checkout {
  const i18n = useI18n();
  const { t, som } = i18n;
  const qc = useQueryClient();
  const cart = useCart();
  const { me } = useMe();
  const storeQ = useQuery({ ...storeQuery(cart?.store_id ?? 0), enabled: !!cart });
  const offersQ = useQuery({ ...offersQuery(cart?.store_id), enabled: !!cart });
  const store = storeQ.data;
  const offerList = offersQ.data?.offers;
  const offers = useMemo(
    () => (offerList ? new Map(offerList.map((o) => [o.id, o])) : undefined),
    [offerList],
  );
  const now = useNowUntilExpiry(offerList);

  const saved = useMemo(loadContact, []);
  const [form, setForm] = useState<CheckoutForm>({
    type: "pickup",
    address: saved.address,
    phone: saved.phone,
    comment: "",
  });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [waitingPhone, setWaitingPhone] = useState(false);
  // Set at once on the first tap (state would only change on the next render): a double tap
  // never sends twice. The key is reused for the same body, so a retry finds the same order.
  const inFlight = useRef(false);
  const attempt = useRef<Attempt | null>(null);

  const place = useMutation({
    mutationFn: (v: { body: OrderBody; key: string }) => placeOrder(v.body, v.key),
    onSuccess: (order) => {
      qc.setQueryData(keys.order(order.id), order);
      applyOrder(qc, order);
      void qc.invalidateQueries({ queryKey: keys.orderLists });
      // Stock moved: what the catalogue shows is out of date.
      void qc.invalidateQueries({ queryKey: ["offers"] });
    },
  });

  useEffect(() => {
    if (offerList) refreshFromOffers(offerList);
  }, [offerList]);

  const mePhone = me?.user.phone;
  useEffect(() => {
    if (mePhone) setForm((f) => (f.phone ? f : { ...f, phone: mePhone }));
  }, [mePhone]);

  // A shop that stopped delivering: back to pickup.
  useEffect(() => {
    if (store && !store.delivery_enabled)
      setForm((f) => (f.type === "delivery" ? { ...f, type: "pickup" } : f));
  }, [store]);

  const items = cart?.items ?? [];
  const totals = checkoutTotals(items, store, form.type);
  const stockProblem = !!offers && items.some((i) => lineState(i, offers.get(i.offer_id), now) !== "ok");
  const canOrder = !!cart && !!store && !!offers && totals.missing <= 0 && !stockProblem;

  const fieldOf: Record<"address" | "phone" | "comment", Field | null> = {
    address: "delivery_address",
    phone: "customer_phone",
    comment: null,
  };
  function setField(field: "address" | "phone" | "comment", value: string) {
    setForm((f) => ({ ...f, [field]: value }));
    const f = fieldOf[field];
    if (f) setFieldErrors((e) => ({ ...e, [f]: undefined }));
  }

  async function sharePhone() {
    haptic.impact();
    const status = await requestPhone();
    if (status !== "sent") return;
    setWaitingPhone(true);
    // The bot receives the contact and the server exposes it on /api/me shortly after.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 1000 + i * 500));
      try {
        const fresh = await qc.fetchQuery({ ...meQuery(), staleTime: 0 });
        const phone = fresh.user.phone;
        if (phone) {
          setForm((f) => ({ ...f, phone }));
          setFieldErrors((e) => ({ ...e, customer_phone: undefined }));
          break;
        }
      } catch {
        // keep trying
      }
    }
    setWaitingPhone(false);
  }

  async function submit() {
    if (!cart || !store || inFlight.current) return;
    setFormError(null);
    const checked = validateCheckout(cart, form);
    if (!checked.ok) {
      setFieldErrors(checked.fieldErrors);
      setFormError(
        Object.keys(checked.fieldErrors).length ? t("app.cart.fixErrors") : t("app.error.invalid_request"),
      );
      haptic.notify("error");
      return;
    }
    setFieldErrors({});
    attempt.current = attemptFor(attempt.current, checked.body, randomKey);
    inFlight.current = true;
    try {
      const order = await place.mutateAsync({ body: checked.body, key: attempt.current.key });
      if (form.type === "delivery") saveContact(form.address.trim(), form.phone.trim());
      clearCart();
      haptic.notify("success");
      toast(t("app.cart.ordered"), "success");
      switchTab({ name: "orders" });
      navigate({ name: "order", id: order.id });
    } catch (e) {
      haptic.notify("error");
      const err = e as ApiError;
      if (err.code === "idempotency_conflict") attempt.current = null;
      if (err.code === "insufficient_stock" || err.code === "offer_unavailable") void offersQ.refetch();
      const fields = serverFieldErrors(err.code, err.errors);
      if (Object.keys(fields).length) setFieldErrors(fields);
      setFormError(
        err.code === "below_min_order"
          ? t("app.error.below_min_order_amount", {
              min: som(store.min_order_amount),
              missing: som(Math.max(0, store.min_order_amount - totals.itemsTotal)),
            })
          : errorText(i18n, err.code),
      );
    } finally {
      inFlight.current = false;
    }
  }

  return {
    cart,
    store,
    offers,
    loadError: storeQ.error ?? offersQ.error,
    retryLoad: () => void Promise.all([storeQ.refetch(), offersQ.refetch()]),
    now,
    form,
    setType: (type) => setForm((f) => ({ ...f, type })),
    setField,
    fieldErrors,
    formError,
    totals,
    stockProblem,
    canOrder,
    submitting: place.isPending,
    submit: () => void submit(),
    waitingPhone,
    sharePhone: () => void sharePhone(),
  };
}
