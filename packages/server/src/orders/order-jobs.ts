/**
 * The kinds of scheduled job (the `jobs` table's `kind`; migration 005 holds the same list in a
 * CHECK). Each is about one order and is scheduled at most once for it.
 */
export const JOB_KINDS = [
  /** A pending order past its accept deadline expires (stock back, buyer and seller told). */
  "accept_expiry",
  /** The seller is reminded of a pending order at half the accept timeout. */
  "accept_reminder",
  /** The buyer is reminded PICKUP_REMINDER_BEFORE before the pickup window closes. */
  "pickup_reminder",
  /** A confirmed/ready pickup order nobody collected NO_SHOW_GRACE after its window expires. */
  "no_show",
  /** The buyer is asked to rate RATING_REMINDER_AFTER after completion, if they have not. */
  "rating_reminder",
  /** A delivery order out for delivery too long: the seller is asked to close it. */
  "delivering_overdue",
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** How long a delivery may be `delivering` before the seller is asked to close it. */
export const DELIVERING_OVERDUE_AFTER_S = 3 * 3600;

/** The settings the schedule reads. */
export interface JobTimes {
  orderAcceptTimeout: number;
  pickupReminderBefore: number;
  noShowGrace: number;
  ratingReminderAfter: number;
}

/** A job to write with a change: what, and when (ISO). */
export interface JobTemplate {
  kind: JobKind;
  due_at: string;
}

/** What the schedule needs to know of an order. */
export interface ScheduledOrder {
  delivery_type: "pickup" | "delivery";
  accept_deadline: string | Date;
  pickup_until: string | Date | null;
}

const at = (ms: number) => new Date(ms).toISOString();
const ms = (v: string | Date) => new Date(v).getTime();

/**
 * When a job of `kind` is due for this order, from the order and the settings as they are now; null
 * when the order has no such moment (no pickup window, a reminder turned off). The runner compares
 * with it before acting, so a job written under other settings moves to the right time instead of
 * acting early (and being refused by the transition's guard).
 */
export function dueAt(kind: JobKind, o: ScheduledOrder, c: JobTimes, doneAt?: Date): Date | null {
  switch (kind) {
    case "accept_expiry":
      return new Date(o.accept_deadline);
    case "accept_reminder":
      return new Date(ms(o.accept_deadline) - (c.orderAcceptTimeout * 1000) / 2);
    case "pickup_reminder":
      return o.pickup_until && c.pickupReminderBefore > 0 && o.delivery_type === "pickup"
        ? new Date(ms(o.pickup_until) - c.pickupReminderBefore * 1000)
        : null;
    case "no_show":
      return o.pickup_until && o.delivery_type === "pickup"
        ? new Date(ms(o.pickup_until) + c.noShowGrace * 1000)
        : null;
    case "rating_reminder":
      return doneAt && c.ratingReminderAfter > 0
        ? new Date(doneAt.getTime() + c.ratingReminderAfter * 1000)
        : null;
    case "delivering_overdue":
      return doneAt ? new Date(doneAt.getTime() + DELIVERING_OVERDUE_AFTER_S * 1000) : null;
  }
}

/**
 * The jobs an order gets when it reaches `to` at `now`: written in the same statement as the change,
 * once per (kind, order). Pure.
 */
export function jobsFor(to: string, o: ScheduledOrder, c: JobTimes, now: Date): JobTemplate[] {
  const kinds: JobKind[] =
    to === "pending"
      ? ["accept_expiry", "accept_reminder"]
      : to === "confirmed"
        ? ["pickup_reminder", "no_show"]
        : to === "delivering"
          ? ["delivering_overdue"]
          : to === "completed"
            ? ["rating_reminder"]
            : [];
  return kinds.flatMap((kind) => {
    const due = dueAt(kind, o, c, now);
    return due ? [{ kind, due_at: at(due.getTime()) }] : [];
  });
}
