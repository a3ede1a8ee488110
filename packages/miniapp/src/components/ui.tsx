import type { OrderStatus, Unit } from "@lastbite/shared";
import { type ReactNode, useState } from "react";
import type { ApiError } from "../lib/api.ts";
import { unitPrice } from "../lib/format.ts";
import { errorText, useI18n } from "../lib/i18n.tsx";
import { isNative } from "../telegram/bridge.ts";
import { useBackButton } from "../telegram/buttons.ts";
import { Icon, type IconName } from "./icon.tsx";

/** A page: Telegram's Back button when `onBack` is set (drawn in-page outside Telegram). */
export function Page(props: {
  title?: ReactNode;
  onBack?: () => void;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useI18n();
  useBackButton(props.onBack ?? null);
  const showBack = !!props.onBack && !isNative();
  return (
    <main className="page">
      {(props.title || showBack || props.actions) && (
        <header className="page-header">
          {showBack && (
            <button
              type="button"
              className="back"
              onClick={props.onBack}
              data-testid="back"
              aria-label={t("app.back")}
            >
              ‹
            </button>
          )}
          {props.title && <h1>{props.title}</h1>}
          {props.actions && <div className="page-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </main>
  );
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

export function LoadingView() {
  const { t } = useI18n();
  return (
    <div className="state" data-testid="loading" aria-busy="true">
      <div className="skeleton" />
      <div className="skeleton" />
      <div className="skeleton short" />
      <span className="sr-only">{t("app.loading")}</span>
    </div>
  );
}

export function ErrorView({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const i18n = useI18n();
  return (
    <div className="state" role="alert" data-testid="error">
      <div className="state-icon bad">
        <Icon name="alert" size={44} />
      </div>
      <h2>{i18n.t("app.error.title")}</h2>
      <p className="hint">{errorText(i18n, error.code)}</p>
      {onRetry && error.code !== "unauthorized" && (
        <button type="button" className="btn" onClick={onRetry} data-testid="retry">
          {i18n.t("app.retry")}
        </button>
      )}
    </div>
  );
}

export function EmptyView({ icon, text, action }: { icon: IconName; text: string; action?: ReactNode }) {
  return (
    <div className="state" data-testid="empty">
      <div className="state-icon">
        <Icon name={icon} size={44} />
      </div>
      <p className="hint">{text}</p>
      {action}
    </div>
  );
}

const chipTone: Record<OrderStatus, string> = {
  pending: "warn",
  confirmed: "ok",
  ready: "ok",
  delivering: "info",
  completed: "done",
  rejected: "bad",
  cancelled: "bad",
  expired: "bad",
};

export function StatusChip({ status }: { status: OrderStatus }) {
  const { t } = useI18n();
  return (
    <span className={`chip chip-${chipTone[status]}`} data-testid="status-chip" data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}

export function Segmented<T extends string>(props: {
  value: T;
  options: { value: T; label: string; disabled?: boolean }[];
  onChange: (v: T) => void;
  testId?: string;
}) {
  return (
    <div className="segmented" role="tablist" data-testid={props.testId}>
      {props.options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="tab"
          aria-selected={o.value === props.value}
          disabled={o.disabled}
          className={o.value === props.value ? "active" : ""}
          onClick={() => props.onChange(o.value)}
          data-testid={`${props.testId ?? "seg"}-${o.value}`}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function Stepper(props: {
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
  format?: (v: number) => string;
  /** Allows typing the amount (weighed goods): the typed text's value, rounded, or null if none. */
  parse?: (text: string) => number | null;
}) {
  const round = (v: number) => Math.round(v * 10) / 10;
  const [typing, setTyping] = useState<string | null>(null);
  const commit = () => {
    const v = typing === null ? null : props.parse?.(typing);
    setTyping(null);
    if (v != null && v !== props.value) props.onChange(Math.min(props.max, Math.max(props.min, v)));
  };
  const shown = props.format ? props.format(props.value) : String(props.value);
  return (
    <div className="stepper">
      <button
        type="button"
        aria-label="−"
        disabled={props.value <= props.min}
        onClick={() => props.onChange(round(props.value - props.step))}
        data-testid="qty-minus"
      >
        −
      </button>
      {props.parse ? (
        <input
          className="stepper-input"
          inputMode="decimal"
          aria-label={shown}
          value={typing ?? shown}
          onFocus={(e) => {
            // The same text, all selected: typing replaces it, "2,5 кг" left as it is parses back.
            setTyping(shown);
            e.currentTarget.select();
          }}
          onChange={(e) => setTyping(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === "Enter") e.currentTarget.blur();
          }}
          data-testid="qty"
        />
      ) : (
        <span data-testid="qty">{shown}</span>
      )}
      <button
        type="button"
        aria-label="+"
        disabled={props.value + props.step > props.max + 1e-9}
        onClick={() => props.onChange(round(props.value + props.step))}
        data-testid="qty-plus"
      >
        +
      </button>
    </div>
  );
}

/** Price (per kg or l for weighed goods) with the crossed-out original and the discount. */
export function Price({
  price,
  original,
  unit = "piece",
}: {
  price: number;
  original: number | null;
  unit?: Unit;
}) {
  const i18n = useI18n();
  const off = original && original > price ? Math.round((1 - price / original) * 100) : 0;
  return (
    <span className="price">
      <b>{unitPrice(i18n, price, unit)}</b>
      {off > 0 && original && (
        <>
          <s>{unitPrice(i18n, original, unit)}</s>
          <span className="discount">−{off}%</span>
        </>
      )}
    </span>
  );
}
