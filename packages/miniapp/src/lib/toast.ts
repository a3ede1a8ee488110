import { useSyncExternalStore } from "react";

export interface Toast {
  id: number;
  text: string;
  tone: "info" | "success" | "error";
}

let toasts: Toast[] = [];
let nextId = 1;
const subscribers = new Set<() => void>();

function emit(): void {
  for (const fn of subscribers) fn();
}

export function toast(text: string, tone: Toast["tone"] = "info", ms = 3500): void {
  const t: Toast = { id: nextId++, text, tone };
  toasts = [...toasts.slice(-2), t];
  emit();
  window.setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    emit();
  }, ms);
}

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (fn) => {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    () => toasts,
  );
}
