import { Component, type ReactNode } from "react";
import { ApiError } from "../lib/api.ts";
import { ErrorView } from "./ui.tsx";

/** A render error (or a chunk that failed to load) shows a friendly message with a retry, never a blank screen. Reloading is safe: launch params are in sessionStorage, the route in history.state. */
export class ErrorBoundary extends Component<
  { children: ReactNode; resetKey: string },
  { failed: boolean; key: string }
> {
  override state = { failed: false, key: this.props.resetKey };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  static getDerivedStateFromProps(props: { resetKey: string }, state: { failed: boolean; key: string }) {
    return props.resetKey !== state.key ? { failed: false, key: props.resetKey } : null;
  }

  override componentDidCatch(error: unknown): void {
    console.error("render error", error);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="page">
        <ErrorView
          error={new ApiError(0, "generic", "render error")}
          onRetry={() => window.location.reload()}
        />
      </main>
    );
  }
}
