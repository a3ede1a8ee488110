import { setMaxListeners } from "node:events";
import { type Lang, type OrderStatus, pickLang, type ReasonCode, t } from "@lastbite/shared";
import { type Api, GrammyError, HttpError, InputFile } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { loadAlertOffer } from "../buyers/buyer.service.ts";
import { loadShopForReview } from "../catalog/catalog.service.ts";
import type { Metrics } from "../core/metrics.ts";
import { makeRedactor, type Redactor, redactingLogger } from "../core/redact.ts";
import type { Database } from "../db/database.ts";
import { type LoadedOrder, loadOrder } from "../orders/order.repository.ts";
import { type ClaimedRow, OutboxStore } from "../outbox/outbox.store.ts";
import { assertNever, type OutboxMessage, parseOutboxMessage } from "../outbox/outbox-messages.ts";
import { UserRepository } from "../users/user.repository.ts";
import { ALERTS_OFF_CALLBACK } from "./callback-data.ts";
import { type MiniAppLinks, offerStartParam, orderStartParam } from "./links.ts";
import { qrPng } from "./qr.ts";
import {
  copyCodeButton,
  renderAdminStoreReview,
  renderBuyerRated,
  renderBuyerStatus,
  renderOfferAlert,
  renderReminder,
  renderSellerCard,
  renderSellerNotice,
  renderSellerRating,
  renderStoreDecision,
} from "./renderers.ts";
import { PacingAborted, SendPacer } from "./send-pacer.ts";

export type { ClaimedRow } from "../outbox/outbox.store.ts";

export interface WorkerLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface OutboxWorkerOptions {
  db: Database;
  /** A grammY client without auto-retry: retries belong to the outbox, where they survive restarts. */
  api: Api;
  links: MiniAppLinks;
  metrics?: Metrics;
  log?: WorkerLogger;
  /** Delay before retry number `attempt` (1-based) after a network error or 5xx. Default: 1 s doubling to 5 min, ±20 %. */
  backoffMs?: (attempt: number) => number;
  /** How long to wait when Telegram says 429 with `retry_after` seconds. Default: exactly that. */
  retryAfterMs?: (retryAfterSeconds: number) => number;
  /** Attempts before a row is given up as failed. Default 30 (about two hours of outage). */
  maxAttempts?: number;
  /** Subscribes `wake` to news of outbox rows (the change feed's `onOutbox`); returns the unsubscribe. */
  wakeOn?: (wake: () => void) => () => void;
  /** Poll interval besides the wake-ups. Default 1000 ms. */
  pollMs?: number;
  /** Rows per claim. Default 20, and never more than a second's worth at `messagesPerSecond`. */
  batchSize?: number;
  /** How long a claim holds a row against other workers unless renewed; a dead worker's rows wait this long. Default 10 s. */
  lockSeconds?: number;
  /** How often the claims of rows still being worked on are renewed. Default 3000 ms. */
  heartbeatMs?: number;
  /** Besides the API's token, what never goes into a log line or `last_error` (the webhook secret). */
  secrets?: string[];
  /**
   * Messages a second this worker sends at most, overall (TELEGRAM_MESSAGES_PER_SECOND). Default 30,
   * Telegram's limit for one bot: with several instances each paces itself, so give each its share.
   */
  messagesPerSecond?: number;
  /** Messages a second this worker sends at most to one chat. Default 1, Telegram's limit. */
  messagesPerChatPerSecond?: number;
  /** The zone shop times are shown in (SHOP_TIMEZONE). Default Asia/Tashkent. */
  timeZone?: string;
}

const DEFAULT_TIME_ZONE = "Asia/Tashkent";

/** What a successful delivery leaves behind. */
interface Delivered {
  messageId?: number;
  /** Remember the message in order_messages under this role, to edit it later. */
  remember?: { orderId: number; role: string };
  note?: string;
}

type Failure = { retry: true; delayMs: number; pauseAll: boolean } | { retry: false };

/** A row that could not go out yet (Telegram asked for a pause, or the worker is stopping): put back untouched. */
class NotNow extends Error {
  constructor(readonly delayMs: number) {
    super("not now");
  }
}

/** A chat whose next send may go within this long is claimed for already (its row waits that long at most). */
const CLAIM_AHEAD_MS = 200;

const defaultBackoff = (attempt: number) =>
  Math.min(1000 * 2 ** Math.max(0, attempt - 1), 300_000) * (0.8 + Math.random() * 0.4);

/** "Not modified" is Telegram's way of saying the edit is already there: success. */
const isNotModified = (err: unknown) =>
  err instanceof GrammyError && /message is not modified/i.test(err.description);
const isGoneMessage = (err: unknown) =>
  err instanceof GrammyError &&
  /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i.test(err.description);

/**
 * Drains the transactional outbox into Telegram. Rows are claimed with `FOR UPDATE SKIP LOCKED`
 * and a lease (`locked_until`), so several instances share the work and a crashed worker's rows are
 * picked up again after the lease. Per (order, chat) rows go out in id order. Transient failures
 * (network, 5xx, 429) are retried with backoff; permanent refusals (blocked, chat not found, bad
 * request) are recorded as `failed` and never retried.
 *
 * Sends are paced to stay under Telegram's limits rather than run into its 429s: at most
 * `messagesPerSecond` overall and one a second per chat (see {@link SendPacer}). A claim takes at
 * most one row per chat and skips chats that must still wait, so a chat with a backlog goes at its
 * one a second while every other chat keeps flowing; a row waiting for its turn stays claimed (the
 * heartbeat renews it). A 429 that comes anyway still pauses every send for its `retry_after`;
 * then one send goes alone, and the rest follow once Telegram has answered it otherwise.
 */
export class OutboxWorker {
  private readonly backoffMs: (attempt: number) => number;
  private readonly retryAfterMs: (s: number) => number;
  private readonly maxAttempts: number;
  private readonly pollMs: number;
  /** Rows per claim: the batch size, but no more than a second's worth of sends (waits stay short, renders fresh). */
  private readonly claimSize: number;
  private readonly lockSeconds: number;
  private readonly heartbeatMs: number;
  private readonly redact: Redactor;
  private readonly log: WorkerLogger | undefined;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  /** Set by stop(): a drain in progress finishes its batch and returns. */
  private halting = false;
  /** Telegram asked us to slow down (429): no sends before this time. */
  private pausedUntil = 0;
  /** Since the last 429, no send has been answered otherwise: the next goes alone (see {@link paced}). */
  private probing = false;
  /** The send going alone after a 429, which the others wait for. */
  private probe: Promise<void> | null = null;
  private readonly pacer: SendPacer;
  /** Aborted by stop(): rows waiting for their turn are put back at once. */
  private aborter = abortController();
  /** Ends the drain's wait for a busy chat early (a wake-up or stop). */
  private nudge: (() => void) | null = null;
  /** Rows of the current batch already marked `sending` (their first Telegram call has begun). */
  private readonly marked = new Set<number>();

  private readonly users: UserRepository;
  private readonly store: OutboxStore;

  constructor(private readonly opts: OutboxWorkerOptions) {
    this.users = new UserRepository(opts.db);
    this.store = new OutboxStore(opts.db);
    this.backoffMs = opts.backoffMs ?? defaultBackoff;
    this.retryAfterMs = opts.retryAfterMs ?? ((s) => s * 1000);
    this.maxAttempts = opts.maxAttempts ?? 30;
    this.pollMs = opts.pollMs ?? 1000;
    const perSecond = opts.messagesPerSecond ?? 30;
    this.claimSize = Math.max(1, Math.min(opts.batchSize ?? 20, Math.ceil(perSecond)));
    this.lockSeconds = opts.lockSeconds ?? 10;
    this.heartbeatMs = opts.heartbeatMs ?? 3000;
    this.pacer = new SendPacer({
      perSecond,
      perChatPerSecond: opts.messagesPerChatPerSecond ?? 1,
    });
    // grammY's network errors quote the request URL, which contains the token.
    this.redact = makeRedactor([opts.api.token, ...(opts.secrets ?? [])]);
    this.log = opts.log && redactingLogger(opts.log, this.redact);
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.halting = false;
    if (this.aborter.signal.aborted) this.aborter = abortController();
    // New rows anywhere wake the worker (the change feed); the poll catches anything missed.
    const off = this.opts.wakeOn?.(() => this.wake());
    this.unlisten = async () => off?.();
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref?.();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halting = true;
    this.aborter.abort();
    this.nudge?.();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
    await this.running;
  }

  /** Asks for a drain soon; concurrent wakes coalesce into one more pass. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.nudge?.();
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.drain();
        } catch (err) {
          this.log?.error({ err }, "outbox worker pass failed");
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }

  /**
   * Sends everything due now, batch after batch, including rows of chats that must first wait for
   * their turn (at most a second); returns how many rows it handled. For tests and the loop.
   */
  async drain(): Promise<number> {
    let handled = 0;
    for (;;) {
      if (Date.now() < this.pausedUntil) return handled;
      const busy = this.pacer.busyChats(CLAIM_AHEAD_MS);
      const rows = await this.store.claim(this.claimSize, this.lockSeconds, busy.chats);
      if (rows.length === 0) {
        // Rows of chats still waiting for their turn may be due: look again when the first is free.
        if (busy.chats.length === 0 || this.halting) return handled;
        await this.idle(Math.max(10, busy.freeInMs));
        continue;
      }
      // Chats are independent; within a chat, keep the claimed order.
      const byChat = new Map<number, ClaimedRow[]>();
      for (const r of rows) byChat.set(r.chat_id, [...(byChat.get(r.chat_id) ?? []), r]);
      // Keep the claims alive while this worker lives; if it dies, the short lease lets another take over.
      const held = new Set(rows.map((r) => r.id));
      const heartbeat = setInterval(() => void this.renew([...held]), this.heartbeatMs);
      heartbeat.unref?.();
      const results = await Promise.allSettled(
        [...byChat.values()].map(async (chatRows) => {
          for (const r of chatRows) {
            await this.process(r);
            held.delete(r.id);
          }
        }),
      ).finally(() => clearInterval(heartbeat));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      handled += rows.length;
      if (this.halting) return handled;
    }
  }

  /** Waits `ms`, or less if woken (new rows may have come) or stopped. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.nudge === done) this.nudge = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.nudge = done;
    });
  }

  private async renew(ids: number[]): Promise<void> {
    await this.store
      .renew(ids, this.lockSeconds)
      .catch((err) => this.log?.warn({ err }, "could not renew outbox claims"));
  }

  private async process(row: ClaimedRow): Promise<void> {
    const m = this.opts.metrics;
    if (Date.now() < this.pausedUntil) {
      // Another chat hit a 429 in this batch: put the row back untouched (the attempt does not count).
      await this.store.putBack(row.id, Math.max(0, this.pausedUntil - Date.now()) / 1000);
      return;
    }
    let done: Delivered;
    try {
      done = await this.deliver(row);
    } catch (err) {
      this.marked.delete(row.id);
      if (err instanceof NotNow) {
        await this.store.putBack(row.id, err.delayMs / 1000);
        return;
      }
      const f = this.classify(err, row.attempts);
      const error = this.redact(describe(err));
      if (f.retry && row.attempts < this.maxAttempts) {
        if (f.pauseAll) this.flood(f.delayMs);
        await this.store.retryLater(row.id, error, f.delayMs / 1000);
        m?.outboxRetries.inc({ kind: row.kind });
        this.log?.warn({ outboxId: row.id, kind: row.kind, error }, "telegram send failed; will retry");
        return;
      }
      await this.store.failed(row.id, error);
      m?.outboxFailed.inc({ kind: row.kind });
      this.log?.warn({ outboxId: row.id, kind: row.kind, error }, "telegram refused a notification");
      return;
    }
    this.marked.delete(row.id);
    await this.store.sent(row, done);
    m?.outboxSent.inc({ kind: row.kind });
    if (row.interrupted) {
      m?.outboxResent.inc({ kind: row.kind });
      this.log?.warn({ outboxId: row.id, kind: row.kind }, "outbox row resent after an interrupted send");
    }
  }

  /**
   * Every Telegram call of a delivery goes through here: it waits for the chat's and the bot's turn
   * (see {@link SendPacer}), then, before the row's first call, records the row as being sent.
   */
  private async paced<T>(row: ClaimedRow, chatId: number, call: () => Promise<T>): Promise<T> {
    if (Date.now() < this.pausedUntil) throw new NotNow(this.pausedUntil - Date.now());
    try {
      await this.pacer.take(chatId, this.aborter.signal);
    } catch (err) {
      if (err instanceof PacingAborted) throw new NotNow(0);
      throw err;
    }
    if (!this.marked.has(row.id)) {
      // Recorded before the send: if this worker dies during it, whoever takes the row over knows.
      await this.store.sending(row.id);
      this.marked.add(row.id);
    }
    for (;;) {
      // Another send hit a 429 while this one waited: the row goes back untouched. (Checked last,
      // right before the request, so nothing that could still wait goes out after a 429.)
      const pause = this.pausedUntil - Date.now();
      if (pause > 0) throw new NotNow(pause);
      if (!this.probing) return this.send(chatId, call);
      if (!this.probe) break;
      await this.probe;
    }
    // The first send after a 429's pause goes alone: if Telegram still refuses, nothing else has
    // gone out meanwhile; once it is answered otherwise, the others follow at the usual pace.
    let answered = () => {};
    this.probe = new Promise((r) => {
      answered = r;
    });
    try {
      const result = await this.send(chatId, call);
      this.probing = false;
      return result;
    } catch (err) {
      if (!(err instanceof GrammyError && err.error_code === 429)) this.probing = false;
      throw err;
    } finally {
      this.probe = null;
      answered();
    }
  }

  private async send<T>(chatId: number, call: () => Promise<T>): Promise<T> {
    this.pacer.sending(chatId);
    try {
      return await call();
    } catch (err) {
      // Pause at once, before the sends waiting for this one look at `pausedUntil`.
      if (err instanceof GrammyError && err.error_code === 429)
        this.flood(this.retryAfterMs(err.parameters.retry_after ?? 1));
      throw err;
    }
  }

  /** Telegram said 429: no send for `delayMs`, then one alone before the rest. */
  private flood(delayMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delayMs);
    this.pacer.pause(delayMs);
    this.probing = true;
  }

  private classify(err: unknown, attempt: number): Failure {
    if (err instanceof UnreadableRow) return { retry: false };
    if (err instanceof GrammyError) {
      if (err.error_code === 429) {
        const s = err.parameters.retry_after ?? 1;
        return { retry: true, delayMs: this.retryAfterMs(s), pauseAll: true };
      }
      if (err.error_code >= 500 || err.error_code === 401 || err.error_code === 404)
        return { retry: true, delayMs: this.backoffMs(attempt), pauseAll: false };
      return { retry: false }; // 400 chat not found / bad request, 403 blocked: asking again won't help
    }
    // HttpError: the network failed; anything else is a bug or the database: retry, bounded by maxAttempts.
    return { retry: true, delayMs: this.backoffMs(attempt), pauseAll: false };
  }

  private async deliver(row: ClaimedRow): Promise<Delivered> {
    const message = parseOutboxMessage(row.kind, row.payload);
    // A row this code cannot read is a bug to see, not a message to pretend was sent.
    if ("error" in message) throw new UnreadableRow(message.error);
    if (message.kind === "favourite_offer")
      return this.sendOfferAlert(row, {
        offerId: message.payload.offer_id,
        storeId: message.payload.store_id,
      });
    if (
      message.kind === "admin_store_review" ||
      message.kind === "store_decision" ||
      message.kind === "admin_store_decided"
    )
      return this.deliverShopMessage(row, message);
    const order = row.order_id === null ? null : await loadOrder(this.opts.db, row.order_id);
    if (!order) return { note: "no such order" };
    return this.deliverMessage(row, message, order);
  }

  /**
   * A followed shop's new offer, if it is still on sale (a late alert must not sell what is gone),
   * else the shop's newest offer posted since, if any.
   */
  private async sendOfferAlert(
    row: ClaimedRow,
    alert: { offerId: number; storeId: number },
  ): Promise<Delivered> {
    const offer = await loadAlertOffer(this.opts.db, alert, this.opts.timeZone ?? DEFAULT_TIME_ZONE);
    if (!offer) return { note: "offer no longer on sale" };
    const lang = await this.langOf(row.chat_id);
    const keyboard: InlineKeyboardButton[][] = [
      [await this.opts.links.button(t(lang, "bot.button.openOffer"), offerStartParam(offer.id))],
      [{ text: t(lang, "bot.button.alertsOff"), callback_data: ALERTS_OFF_CALLBACK }],
    ];
    const msg = await this.paced(row, row.chat_id, () =>
      this.opts.api.sendMessage(row.chat_id, renderOfferAlert(offer, lang), {
        reply_markup: { inline_keyboard: keyboard },
      }),
    );
    return { messageId: msg.message_id };
  }

  private async deliverMessage(
    row: ClaimedRow,
    m: Exclude<
      OutboxMessage,
      { kind: "favourite_offer" | "admin_store_review" | "store_decision" | "admin_store_decided" }
    >,
    order: LoadedOrder,
  ): Promise<Delivered> {
    switch (m.kind) {
      case "seller_new_order":
        return this.sendCard(row, order, await this.langOf(row.chat_id));
      case "seller_card":
        return this.editCard(row, order, await this.langOf(row.chat_id));
      case "buyer_status": {
        const lang = pickLang(order.buyer_language);
        return this.sendBuyerStatus(row, order, m.payload.status, reasonIn(lang, m.payload));
      }
      case "seller_notice": {
        const lang = await this.langOf(row.chat_id);
        const text = renderSellerNotice(order, m.payload.status, reasonIn(lang, m.payload), lang);
        if (!text) return { note: "nothing to tell" };
        const msg = await this.paced(row, row.chat_id, () => this.opts.api.sendMessage(row.chat_id, text));
        return { messageId: msg.message_id };
      }
      case "seller_rating":
        return this.sendRating(row, order, m.payload.stars, m.payload.comment);
      case "seller_accept_reminder":
      case "buyer_pickup_reminder":
      case "buyer_rating_reminder":
      case "seller_delivering_overdue":
        return this.sendReminder(row, m.kind, order);
      default:
        return assertNever(m);
    }
  }

  /** Messages about a shop rather than an order: an admin's review card, the owner's verdict. */
  private async deliverShopMessage(
    row: ClaimedRow,
    m: Extract<OutboxMessage, { kind: "admin_store_review" | "store_decision" | "admin_store_decided" }>,
  ): Promise<Delivered> {
    const shop = await loadShopForReview(this.opts.db, m.payload.store_id);
    if (!shop) return { note: "no such shop" };
    const lang = await this.langOf(row.chat_id);
    if (m.kind === "admin_store_decided") {
      // The card this admin got; one not sent yet shows the shop as it is when it goes out.
      const [card] = await this.opts.db.query<{ message_id: number }>(
        `select message_id from outbox where kind = 'admin_store_review' and chat_id = $1
           and payload->>'store_id' = $2 and message_id is not null order by id desc limit 1`,
        [row.chat_id, String(m.payload.store_id)],
      );
      if (!card) return { note: "no review card sent" };
      const r = renderAdminStoreReview(shop, lang);
      try {
        await this.paced(row, row.chat_id, () =>
          this.opts.api.editMessageText(row.chat_id, card.message_id, r.text, {
            reply_markup: { inline_keyboard: r.keyboard },
          }),
        );
      } catch (err) {
        if (isNotModified(err)) return { messageId: card.message_id, note: "not modified" };
        if (isGoneMessage(err)) return { note: "review card gone" };
        throw err;
      }
      return { messageId: card.message_id };
    }
    if (m.kind === "store_decision") {
      const text = renderStoreDecision(shop, m.payload.status, lang, m.payload.decision);
      const msg = await this.paced(row, row.chat_id, () => this.opts.api.sendMessage(row.chat_id, text));
      return { messageId: msg.message_id };
    }
    const card = renderAdminStoreReview(shop, lang);
    const msg = await this.paced(row, row.chat_id, () =>
      this.opts.api.sendMessage(row.chat_id, card.text, { reply_markup: { inline_keyboard: card.keyboard } }),
    );
    return { messageId: msg.message_id };
  }

  private async sendCard(row: ClaimedRow, order: LoadedOrder, lang: Lang): Promise<Delivered> {
    const card = renderSellerCard(order, lang);
    const msg = await this.paced(row, row.chat_id, () =>
      this.opts.api.sendMessage(row.chat_id, card.text, {
        reply_markup: { inline_keyboard: card.keyboard },
      }),
    );
    return { messageId: msg.message_id, remember: { orderId: order.id, role: "card" } };
  }

  private async editCard(row: ClaimedRow, order: LoadedOrder, lang: Lang): Promise<Delivered> {
    const cardId = await this.store.messageOf(order.id, row.chat_id, "card");
    if (cardId === null) {
      const first = await this.store.newOrderCardStatus(order.id);
      // The card itself has not gone out (or never will): when it does, it shows the current state.
      if (first !== null && first !== "sent") return { note: "card not sent yet" };
      return this.sendCard(row, order, lang);
    }
    const card = { message_id: cardId };
    const r = renderSellerCard(order, lang);
    try {
      await this.paced(row, row.chat_id, () =>
        this.opts.api.editMessageText(row.chat_id, card.message_id, r.text, {
          reply_markup: { inline_keyboard: r.keyboard },
        }),
      );
    } catch (err) {
      if (isGoneMessage(err)) return this.sendCard(row, order, lang);
      if (!isNotModified(err)) throw err;
    }
    await this.retireAcceptReminder(row, order);
    return { messageId: card.message_id };
  }

  /**
   * Once an order is no longer waiting, the accept reminder's ✅/❌ go (the card carries the live
   * buttons); done once, then forgotten.
   */
  private async retireAcceptReminder(row: ClaimedRow, order: LoadedOrder): Promise<void> {
    if (order.status === "pending") return;
    const reminder = await this.store.messageOf(order.id, row.chat_id, "accept_reminder");
    if (reminder === null) return;
    try {
      await this.paced(row, row.chat_id, () =>
        this.opts.api.editMessageReplyMarkup(row.chat_id, reminder, {
          reply_markup: { inline_keyboard: [] },
        }),
      );
    } catch (err) {
      if (!isNotModified(err) && !isGoneMessage(err)) throw err;
    }
    await this.store.forget(order.id, row.chat_id, "accept_reminder");
  }

  private async sendBuyerStatus(
    row: ClaimedRow,
    order: LoadedOrder,
    status: OrderStatus,
    reason: string | null,
  ): Promise<Delivered> {
    const lang = pickLang(order.buyer_language);
    const m = renderBuyerStatus(order, status, reason, lang);
    if (!m) return { note: `no buyer message for ${status}` };
    const keyboard: InlineKeyboardButton[][] = [...m.keyboard];
    if (m.openButton) {
      keyboard.push([
        await this.opts.links.button(
          t(lang, "bot.button.openOrder", { id: order.id }),
          orderStartParam(order.id),
        ),
      ]);
    }
    if (m.copyCode) keyboard.push([copyCodeButton(m.copyCode, lang)]);
    const reply_markup = { inline_keyboard: keyboard };
    const qr = m.qrCode ? await qrPng(m.qrCode) : null;
    const msg = await this.paced<{ message_id: number }>(row, row.chat_id, () =>
      qr
        ? this.opts.api.sendPhoto(row.chat_id, new InputFile(qr, "qr.png"), { caption: m.text, reply_markup })
        : this.opts.api.sendMessage(row.chat_id, m.text, { reply_markup }),
    );
    return {
      messageId: msg.message_id,
      ...(status === "completed" ? { remember: { orderId: order.id, role: "buyer_rate" } } : {}),
    };
  }

  /** A reminder of the clock's (jobs/): rendered from the order as it is now, or not sent at all. */
  private async sendReminder(
    row: ClaimedRow,
    kind:
      | "seller_accept_reminder"
      | "buyer_pickup_reminder"
      | "buyer_rating_reminder"
      | "seller_delivering_overdue",
    order: LoadedOrder,
  ): Promise<Delivered> {
    const lang =
      row.chat_id === order.buyer.id ? pickLang(order.buyer_language) : await this.langOf(row.chat_id);
    const r = renderReminder(kind, order, lang);
    if (!r) return { note: "the order moved on" };
    const keyboard = [...r.keyboard];
    if (kind === "buyer_pickup_reminder")
      keyboard.push([
        await this.opts.links.button(
          t(lang, "bot.button.openOrder", { id: order.id }),
          orderStartParam(order.id),
        ),
      ]);
    const msg = await this.paced(row, row.chat_id, () =>
      this.opts.api.sendMessage(row.chat_id, r.text, { reply_markup: { inline_keyboard: keyboard } }),
    );
    return {
      messageId: msg.message_id,
      // the rating stars of the latest ask are the ones a rating turns into the chosen stars
      ...(kind === "buyer_rating_reminder" ? { remember: { orderId: order.id, role: "buyer_rate" } } : {}),
      // its ✅/❌ are taken away when the order moves on (`retireAcceptReminder`)
      ...(kind === "seller_accept_reminder"
        ? { remember: { orderId: order.id, role: "accept_reminder" } }
        : {}),
    };
  }

  private async sendRating(
    row: ClaimedRow,
    order: LoadedOrder,
    stars: number,
    comment: string | null,
  ): Promise<Delivered> {
    // First turn the buyer's star buttons into the chosen stars (an edit: safe to repeat on retry).
    const rateMsg = await this.store.rateMessageOf(order.id);
    if (rateMsg) {
      const rated = renderBuyerRated(order, stars, pickLang(order.buyer_language));
      try {
        await this.paced(row, rateMsg.chat_id, () =>
          this.opts.api.editMessageText(rateMsg.chat_id, rateMsg.message_id, rated, {
            reply_markup: { inline_keyboard: [] },
          }),
        );
      } catch (err) {
        if (!(err instanceof GrammyError) || err.error_code >= 500 || err.error_code === 429) throw err;
      }
    }
    const text = renderSellerRating(order, stars, comment, await this.langOf(row.chat_id));
    const msg = await this.paced(row, row.chat_id, () => this.opts.api.sendMessage(row.chat_id, text));
    return { messageId: msg.message_id };
  }

  private langOf(userId: number): Promise<Lang> {
    return this.users.langOf(userId);
  }
}

/** One listener per row waiting for its turn: a batch's worth, more than Node's default warning level of 10. */
function abortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** A stored row whose kind or payload this code cannot read: failed at once, never retried or marked sent. */
class UnreadableRow extends Error {}

/** The reason to show in `lang`: the system's from the catalogue, else what the person wrote. */
function reasonIn(lang: Lang, p: { reason: string | null; reason_code: ReasonCode | null }): string | null {
  return p.reason_code ? t(lang, `reason.${p.reason_code}`) : p.reason;
}

function describe(err: unknown): string {
  if (err instanceof GrammyError) return `${err.error_code}: ${err.description}`.slice(0, 500);
  if (err instanceof HttpError)
    return `network: ${String((err.error as Error)?.message ?? err.message)}`.slice(0, 500);
  return String((err as Error)?.message ?? err).slice(0, 500);
}
