import { randomInt } from "node:crypto";
import type { Update } from "grammy/types";
import { ApiError, badRequest } from "../api-error.ts";
import { type ApiCall, clone, type DoubleState } from "../state.ts";
import {
  type CallContext,
  type Handler,
  type Handlers,
  type MethodFamily,
  optString,
  toBool,
} from "./common.ts";

interface Poller {
  wake: () => void;
  conflict: () => void;
}

interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

/**
 * The queue of updates from users and its two ways out: long-polling `getUpdates` (confirmed by
 * offset) or a webhook (POSTed one at a time, retried, then dropped).
 */
export class UpdateFeed implements MethodFamily {
  private readonly pending: Update[] = [];
  private nextUpdateId = randomInt(100_000_000, 900_000_000);
  private readonly pollers = new Set<Poller>();
  private webhook: WebhookState | undefined;
  private delivering = false;
  /**
   * The bot's `allowed_updates`, as Telegram keeps it: set by the last `getUpdates` or `setWebhook`
   * that named it (an empty list is the default again), kept when a call leaves it out, and applied
   * when an update is made — updates already waiting stay, as on Telegram.
   */
  private allowedUpdates: string[] | undefined;

  constructor(
    private readonly state: DoubleState,
    private readonly retryDelays: number[],
    /** runs a method call returned as a webhook response body */
    private readonly handlerFor: (method: string) => Handler | undefined,
  ) {}

  enqueue(partial: Record<string, unknown>): void {
    const update = { update_id: this.nextUpdateId++, ...partial } as unknown as Update;
    const type = updateType(update);
    if (this.allowedUpdates ? !this.allowedUpdates.includes(type) : NOT_BY_DEFAULT.includes(type)) return;
    this.pending.push(update);
    this.state.events.emit("update", clone(update));
    this.state.changed();
    for (const poller of [...this.pollers]) poller.wake();
    this.kickWebhook();
  }

  pendingUpdates(): Update[] {
    return clone(this.pending);
  }

  /** What a restart must keep: update ids go on increasing and unconfirmed updates are still owed. */
  exportState(): { nextUpdateId: number; pending: Update[]; allowedUpdates?: string[] } {
    return {
      nextUpdateId: this.nextUpdateId,
      pending: clone(this.pending),
      ...(this.allowedUpdates ? { allowedUpdates: [...this.allowedUpdates] } : {}),
    };
  }

  importState(saved: { nextUpdateId: number; pending: Update[]; allowedUpdates?: string[] }): void {
    this.nextUpdateId = saved.nextUpdateId;
    this.pending.splice(0, this.pending.length, ...clone(saved.pending));
    this.allowedUpdates = saved.allowedUpdates ? [...saved.allowedUpdates] : undefined;
  }

  /** `allowed_updates` as a call gave it: a list replaces the setting (empty: the default), none keeps it. */
  private setAllowed(value: unknown): void {
    if (!Array.isArray(value)) return;
    this.allowedUpdates = value.length ? value.map(String) : undefined;
  }

  webhookInfo(): { url: string; secretToken?: string; allowedUpdates?: string[] } | undefined {
    return this.webhook
      ? { ...this.webhook, ...(this.allowedUpdates ? { allowedUpdates: [...this.allowedUpdates] } : {}) }
      : undefined;
  }

  /** Called once the double is closed: pending long polls get an empty answer. */
  wakePollers(): void {
    for (const poller of this.pollers) poller.wake();
  }

  handlers(): Handlers {
    return {
      getUpdates: (ctx) => this.getUpdates(ctx),
      setWebhook: ({ params }) => {
        const url = optString(params.url) ?? "";
        if (url === "") {
          this.removeWebhook(toBool(params.drop_pending_updates));
          return true;
        }
        let parsedUrl: URL;
        try {
          parsedUrl = new URL(url);
        } catch {
          throw badRequest("invalid webhook URL specified");
        }
        if (this.state.strictUrls && parsedUrl.protocol !== "https:") {
          throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
        }
        const secret = optString(params.secret_token);
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
          throw badRequest("secret token contains unallowed characters");
        }
        if (toBool(params.drop_pending_updates)) this.pending.length = 0;
        this.setAllowed(params.allowed_updates);
        this.webhook = {
          url,
          maxConnections: Number(params.max_connections ?? 40),
          ...(secret !== undefined ? { secretToken: secret } : {}),
        };
        for (const poller of this.pollers) poller.conflict();
        this.state.changed();
        this.kickWebhook();
        return true;
      },
      deleteWebhook: ({ params }) => {
        this.removeWebhook(toBool(params.drop_pending_updates));
        return true;
      },
      getWebhookInfo: () => {
        const wh = this.webhook;
        return {
          url: wh?.url ?? "",
          has_custom_certificate: false,
          pending_update_count: this.pending.length,
          ...(wh
            ? {
                max_connections: wh.maxConnections,
                ip_address: "127.0.0.1",
                ...(this.allowedUpdates ? { allowed_updates: [...this.allowedUpdates] } : {}),
                ...(wh.lastErrorDate
                  ? { last_error_date: wh.lastErrorDate, last_error_message: wh.lastErrorMessage }
                  : {}),
              }
            : {}),
        };
      },
    };
  }

  private getUpdates({ params, onAbort }: CallContext): Promise<Update[]> | Update[] {
    if (this.webhook) {
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = params.offset === undefined ? undefined : Number(params.offset);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100) || 100));
    const timeout = Math.max(0, Number(params.timeout ?? 0) || 0);
    this.setAllowed(params.allowed_updates);
    if (offset !== undefined && offset < 0) {
      this.pending.splice(0, Math.max(0, this.pending.length + offset));
    } else if (offset !== undefined && offset > 0) {
      const confirmed = this.pending.findIndex((u) => u.update_id >= offset);
      this.pending.splice(0, confirmed < 0 ? this.pending.length : confirmed);
    }
    // a newer getUpdates terminates the older one, as on Telegram
    for (const poller of this.pollers) poller.conflict();
    const take = () => clone(this.pending.slice(0, limit));
    const ready = take();
    if (ready.length || timeout === 0 || this.state.closed) return ready;
    return new Promise<Update[]>((resolve, reject) => {
      const poller: Poller = {
        wake: () => {
          const batch = this.state.closed ? [] : take();
          if (batch.length || this.state.closed) {
            cleanup();
            resolve(batch);
          }
        },
        conflict: () => {
          cleanup();
          reject(
            new ApiError(
              409,
              "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            ),
          );
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve([]);
      }, timeout * 1000);
      const cleanup = () => {
        clearTimeout(timer);
        this.pollers.delete(poller);
      };
      this.pollers.add(poller);
      onAbort(cleanup);
    });
  }

  private removeWebhook(dropPending: boolean): void {
    this.webhook = undefined;
    if (dropPending) this.pending.length = 0;
    this.state.changed();
  }

  private kickWebhook(): void {
    if (this.delivering || !this.webhook || this.state.closed) return;
    this.delivering = true;
    void this.deliverLoop().finally(() => {
      this.delivering = false;
      if (this.webhook && this.pending.length && !this.state.closed) this.kickWebhook();
    });
  }

  private async deliverLoop(): Promise<void> {
    while (!this.state.closed) {
      const wh = this.webhook;
      const update = this.pending[0];
      if (!wh || !update) return;
      await this.deliver(wh, update);
      if (this.pending[0] === update) this.pending.shift();
      this.state.changed();
    }
  }

  /** POSTs one update, retrying on non-2xx and network errors; gives up after the retries. */
  private async deliver(wh: WebhookState, update: Update): Promise<void> {
    for (let attempt = 0; attempt <= this.retryDelays.length; attempt++) {
      if (this.state.closed || this.webhook !== wh) return;
      try {
        const res = await fetch(wh.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(wh.secretToken ? { "x-telegram-bot-api-secret-token": wh.secretToken } : {}),
          },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await res.text();
        if (res.ok) {
          await this.runWebhookReply(text);
          return;
        }
        wh.lastErrorDate = Math.floor(this.state.now() / 1000);
        wh.lastErrorMessage = `Wrong response from the webhook: ${res.status} ${res.statusText}`;
      } catch (err) {
        wh.lastErrorDate = Math.floor(this.state.now() / 1000);
        wh.lastErrorMessage = `Connection failed: ${(err as Error).message}`;
      }
      this.state.changed();
      const delay = this.retryDelays[attempt];
      if (delay === undefined) return;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Telegram executes a method call returned as the webhook response body. */
  private async runWebhookReply(text: string): Promise<void> {
    if (!text) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    if (!body || typeof body !== "object" || typeof (body as { method?: unknown }).method !== "string")
      return;
    const { method, ...params } = body as { method: string } & Record<string, unknown>;
    const handler = this.handlerFor(method.toLowerCase());
    const call: ApiCall = { method, params, at: new Date(), status: 200, outcome: "ok" };
    if (!handler) return;
    try {
      call.result = await handler({ params, files: new Map(), onAbort: () => {} });
    } catch (err) {
      call.outcome = "error";
      call.status = err instanceof ApiError ? err.code : 500;
      call.description = (err as Error).message;
    }
    this.state.logCall(call);
  }
}

/** What Telegram leaves out unless `allowed_updates` names it. */
const NOT_BY_DEFAULT = ["chat_member", "message_reaction", "message_reaction_count"];

function updateType(update: Update): string {
  return Object.keys(update).find((k) => k !== "update_id") ?? "";
}
