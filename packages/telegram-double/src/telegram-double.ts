/**
 * An in-process double of the Telegram Bot API, spoken over real HTTP.
 *
 * Used by integration tests (the real grammY client and our outbox worker point their
 * `apiRoot` at it) and by sandbox mode (no `BOT_TOKEN`: the whole product runs locally and
 * `/sandbox` shows the chats). It behaves like `api.telegram.org` where that matters to us:
 * the same URLs (`${apiRoot}/bot${token}/${method}`), JSON / urlencoded / multipart requests,
 * the same response envelope and error descriptions, per-chat increasing message ids, edits
 * with "message is not modified", long-polling `getUpdates` with offset confirmation,
 * webhooks with the secret header and retries, and 15-minute callback query expiry.
 *
 * Simulate people with {@link TelegramDouble.addUser}, {@link TelegramDouble.sendText},
 * {@link TelegramDouble.sendContact} and {@link TelegramDouble.pressButton}; break the network
 * with {@link TelegramDouble.failNext} / {@link TelegramDouble.failFor}; enforce Telegram's flood
 * limits (429 with `retry_after` beyond 30 messages a second, 1 a second per chat) with the
 * `rateLimit` option or {@link TelegramDouble.setRateLimit}; inspect with
 * {@link TelegramDouble.messages}, {@link TelegramDouble.calls},
 * {@link TelegramDouble.callbackAnswers}, {@link TelegramDouble.waitFor} and `.events`.
 *
 * Deliberate differences: only private chats exist; `parse_mode: "MarkdownV2"` text is stored
 * as sent (HTML is parsed into text + entities like Telegram does); photos are not resized (all
 * sizes share the uploaded bytes); a webhook update is dropped after its retries are used up;
 * faults without a `method` filter never hit `getUpdates` (so a polling bot does not swallow
 * them); http:// and localhost URLs in buttons are accepted unless `strictUrls` is set.
 *
 * @example
 * const tg = await TelegramDouble.start();
 * tg.addUser({ id: 1001, first_name: "Aziza", language_code: "uz" });
 * const bot = new Bot(tg.token, { client: { apiRoot: tg.apiRoot } });
 * tg.sendText(1001, "/start");
 * await tg.waitFor((t) => t.messages(1001).find((m) => m.outgoing));
 */
import type { EventEmitter } from "node:events";
import type { BotCommand, Contact, MenuButton, Update, User } from "grammy/types";
import { type Fault, type FaultFilter, Faults } from "./faults.ts";
import { BotSettings, botUser, generateToken } from "./methods/bot-info.ts";
import { type CallbackAnswer, CallbackQueries, type PressedButton } from "./methods/callbacks.ts";
import { type Handler, type Handlers, methodTable } from "./methods/common.ts";
import { FileStore, type StoredFile } from "./methods/files.ts";
import { Messages } from "./methods/messages.ts";
import { type PreparedMessage, PreparedMessages } from "./methods/prepared.ts";
import { UpdateFeed } from "./methods/updates.ts";
import { RateLimiter, type RateLimitOptions, type RateLimitStats } from "./rate-limit.ts";
import { BotApiServer } from "./server.ts";
import { type DoubleSnapshot, filesOf, pressesOf, toSnapshot } from "./snapshot.ts";
import {
  type ApiCall,
  type ChatMessage,
  clone,
  DoubleState,
  type DoubleUserInput,
  type TelegramDoubleEvents,
} from "./state.ts";

export interface TelegramDoubleOptions {
  token?: string;
  port?: number;
  host?: string;
  /** bot user; defaults to `lastbite_sandbox_bot` */
  bot?: { id?: number; username?: string; first_name?: string };
  /** delays between webhook delivery attempts; length = number of retries (default 100, 500, 2000 ms) */
  webhookRetryDelaysMs?: number[];
  /** reject http:// and localhost URLs in url / web_app buttons, as Telegram does (default false) */
  strictUrls?: boolean;
  /**
   * Enforce Telegram's flood limits on methods that send or edit messages: beyond them, answer
   * `429 Too Many Requests: retry after N` with `parameters.retry_after`. `{}` is Telegram's
   * documented 30 a second overall and 1 a second per chat. Off by default.
   */
  rateLimit?: RateLimitOptions;
  /**
   * Start from a {@link TelegramDouble.snapshot} of an earlier run, as Telegram itself carries on
   * after the bot restarts: the same chats, message ids going on from where they were, update
   * ids still increasing, unconfirmed updates still owed.
   */
  restore?: DoubleSnapshot;
}

/** A fake Telegram Bot API server. Start with {@link TelegramDouble.start}. */
export class TelegramDouble {
  /** `"change"` for every new/edited/deleted message, `"update"` for user-originated updates, `"call"` per request */
  readonly events: EventEmitter<TelegramDoubleEvents>;
  /** every Bot API request, in order */
  readonly calls: ApiCall[];
  /** every `answerCallbackQuery` that succeeded, in order */
  readonly callbackAnswers: CallbackAnswer[];
  /** every simulated button press, in order */
  readonly presses: PressedButton[];
  readonly bot: User & { username: string };
  readonly apiRoot: string;

  private readonly state: DoubleState;
  private readonly files = new FileStore();
  private readonly faults = new Faults();
  private readonly settings: BotSettings;
  private readonly callbacks: CallbackQueries;
  private readonly feed: UpdateFeed;
  private readonly prepared: PreparedMessages;
  private readonly handlers: Handlers;
  private limiter: RateLimiter | null;

  private constructor(
    private readonly server: BotApiServer,
    readonly token: string,
    opts: TelegramDoubleOptions,
  ) {
    this.apiRoot = server.apiRoot;
    this.bot = botUser(token, opts.bot);
    this.state = new DoubleState(this.bot, opts.strictUrls ?? false);
    this.limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit) : null;
    this.events = this.state.events;
    this.calls = this.state.calls;
    this.settings = new BotSettings(this.state);
    this.callbacks = new CallbackQueries(this.state);
    this.callbackAnswers = this.callbacks.answers;
    this.presses = this.callbacks.presses;
    this.feed = new UpdateFeed(this.state, opts.webhookRetryDelaysMs ?? [100, 500, 2000], (method) =>
      this.handlerFor(method),
    );
    this.prepared = new PreparedMessages(this.state);
    this.handlers = methodTable([
      this.settings,
      new Messages(this.state, this.files),
      this.callbacks,
      this.feed,
      this.files,
      this.prepared,
    ]);
    if (opts.restore) this.restore(opts.restore);
    server.serve({
      token,
      handlerFor: (method) => this.handlerFor(method),
      faults: this.faults,
      files: this.files,
      state: this.state,
    });
  }

  /** The handler of a method (lower-cased), behind the rate limit when there is one. */
  private handlerFor(method: string): Handler | undefined {
    const handler = this.handlers[method];
    if (!handler) return undefined;
    return (ctx) => {
      this.limiter?.check(method, ctx.params.chat_id);
      return handler(ctx);
    };
  }

  /** Starts the HTTP server (127.0.0.1, ephemeral port unless given). */
  static async start(opts: TelegramDoubleOptions = {}): Promise<TelegramDouble> {
    const token = opts.token ?? generateToken();
    const server = await BotApiServer.listen(opts.host ?? "127.0.0.1", opts.port ?? 0);
    return new TelegramDouble(server, token, opts);
  }

  /** Everything Telegram would still have after the bot restarts, as JSON (see {@link TelegramDoubleOptions.restore}). */
  snapshot(): DoubleSnapshot {
    return toSnapshot({
      users: this.state.users.values(),
      feed: this.feed.exportState(),
      files: this.files.exportFiles(),
      presses: this.presses,
      now: this.state.now(),
    });
  }

  private restore(saved: DoubleSnapshot): void {
    for (const rec of structuredClone(saved.users)) this.state.users.set(rec.user.id, rec);
    this.feed.importState(saved);
    this.files.importFiles(filesOf(saved));
    this.presses.push(...pressesOf(saved));
  }

  /** Calls `listener` after every change of state (a message, an update, an API call); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.state.onChange(listener);
    return () => this.state.offChange(listener);
  }

  /** Stops the server; pending long polls get an empty answer. */
  async close(): Promise<void> {
    if (this.state.closed) return;
    this.state.closed = true;
    this.feed.wakePollers();
    await this.server.close();
  }

  // ---------------------------------------------------------------- users and simulation

  /** Registers a user; their private chat has the same id. Re-adding updates the profile. */
  addUser(input: DoubleUserInput): void {
    const user: DoubleUserInput = { id: input.id, first_name: input.first_name };
    if (input.last_name) user.last_name = input.last_name;
    if (input.username) user.username = input.username;
    if (input.language_code) user.language_code = input.language_code;
    const existing = this.state.users.get(user.id);
    if (existing) existing.user = { ...user };
    else this.state.users.set(user.id, { user: { ...user }, blocked: false, nextMessageId: 1, messages: [] });
    this.state.changed();
  }

  /** Known users in the order they were added. */
  listUsers(): DoubleUserInput[] {
    return [...this.state.users.values()].map((r) => ({ ...r.user }));
  }

  /** Makes further sends to this user fail with 403 "bot was blocked by the user". */
  blockBot(userId: number): void {
    this.state.record(userId).blocked = true;
    this.state.changed();
  }

  /** Undoes {@link blockBot} (the user pressed "Restart"); sending text does it too. */
  unblockBot(userId: number): void {
    this.state.record(userId).blocked = false;
    this.state.changed();
  }

  /** The user writes to the bot; `/command payload` gets a `bot_command` entity. Returns the message. */
  sendText(userId: number, text: string): ChatMessage {
    const rec = this.state.record(userId);
    rec.blocked = false;
    const message = this.state.appendMessage(rec, { text, outgoing: false });
    const cmd = /^\/[a-zA-Z0-9_]{1,64}(@[a-zA-Z0-9_]+)?/.exec(text);
    if (cmd) message.entities = [{ type: "bot_command", offset: 0, length: cmd[0].length }];
    message.plainText = text;
    this.state.emitChange(userId, "new", message);
    this.feed.enqueue({ message: this.state.toApiMessage(message) });
    return clone(message);
  }

  /** The user shares a contact (by default their own, as a `request_contact` button does). */
  sendContact(userId: number, phone: string, contact?: Partial<Contact>): ChatMessage {
    const rec = this.state.record(userId);
    const message = this.state.appendMessage(rec, { outgoing: false });
    message.contact = {
      phone_number: phone,
      first_name: rec.user.first_name,
      ...(rec.user.last_name ? { last_name: rec.user.last_name } : {}),
      user_id: userId,
      ...contact,
    };
    this.state.emitChange(userId, "new", message);
    this.feed.enqueue({ message: this.state.toApiMessage(message) });
    return clone(message);
  }

  /**
   * The user presses an inline button with `callbackData` on a message in `chatId`.
   * Returns the callback query id. A press whose data matches no button is still delivered
   * (as Telegram would for a stale client) but recorded with `matchedButton: false`.
   */
  pressButton(userId: number, chatId: number, messageId: number, callbackData: string): string {
    const query = this.callbacks.press(userId, chatId, messageId, callbackData);
    this.feed.enqueue({ callback_query: query });
    return query.id;
  }

  /** Presses that the bot has not answered yet. */
  unansweredPresses(): PressedButton[] {
    return this.presses.filter((p) => !p.answered).map((p) => ({ ...p }));
  }

  // ---------------------------------------------------------------- inspection

  /** The chat's current messages in order (deleted ones gone, edits applied). Copies. */
  messages(chatId: number): ChatMessage[] {
    return clone(this.state.users.get(chatId)?.messages ?? []);
  }

  /** Messages the bot sent to this chat that are still there. */
  botMessages(chatId: number): ChatMessage[] {
    return this.messages(chatId).filter((m) => m.outgoing);
  }

  /** A stored file (uploads keep their bytes; `getFile` paths are served too). */
  file(fileId: string): StoredFile | undefined {
    const f = this.files.get(fileId);
    return f ? { ...f } : undefined;
  }

  /** The bytes of the largest size of a photo message, if it was uploaded. */
  photoBytes(message: Pick<ChatMessage, "photo">): Buffer | undefined {
    const largest = message.photo?.at(-1);
    return largest ? this.files.get(largest.file_id)?.bytes : undefined;
  }

  /** Calls of one method (case-insensitive), in order. */
  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method.toLowerCase() === method.toLowerCase());
  }

  /** Commands set with setMyCommands for a scope (default scope) and language. */
  myCommands(scope: Record<string, unknown> = { type: "default" }, languageCode = ""): BotCommand[] {
    return this.settings.myCommands(scope, languageCode);
  }

  /** Messages prepared with savePreparedInlineMessage (for one user, or everyone's), oldest first. Copies. */
  preparedMessages(userId?: number): PreparedMessage[] {
    return this.prepared.list(userId);
  }

  /** One prepared message by the id the Mini App would get. */
  preparedMessage(id: string): PreparedMessage | undefined {
    return this.prepared.get(id);
  }

  /** The menu button of a chat (or the default one). */
  menuButton(chatId?: number): MenuButton {
    return this.settings.menuButton(chatId);
  }

  /** The reply keyboard currently shown in a chat (set by `reply_markup.keyboard`). */
  replyKeyboard(chatId: number): Record<string, unknown> | undefined {
    return this.state.users.get(chatId)?.replyKeyboard;
  }

  /** The current webhook (like getWebhookInfo), or undefined when polling. */
  webhookInfo(): { url: string; secretToken?: string; allowedUpdates?: string[] } | undefined {
    return this.feed.webhookInfo();
  }

  /** Updates not yet confirmed by getUpdates (or not yet delivered to the webhook). */
  pendingUpdates(): Update[] {
    return this.feed.pendingUpdates();
  }

  isBlocked(userId: number): boolean {
    return this.state.users.get(userId)?.blocked ?? false;
  }

  /**
   * Resolves with the predicate's first truthy result, re-evaluated on every state change
   * and every 20 ms; rejects after `timeoutMs`.
   */
  waitFor<T>(predicate: (double: this) => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const check = () => {
        if (done) return;
        let value: T | undefined | null | false;
        try {
          value = predicate(this);
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (value) {
          finish();
          resolve(value);
        }
      };
      const finish = () => {
        done = true;
        clearInterval(interval);
        clearTimeout(timer);
        this.state.offChange(check);
      };
      const interval = setInterval(check, 20);
      const timer = setTimeout(() => {
        finish();
        const recent = this.calls
          .slice(-5)
          .map((c) => `${c.method}→${c.status}${c.description ? ` (${c.description})` : ""}`)
          .join(", ");
        reject(new Error(`TelegramDouble.waitFor timed out after ${timeoutMs} ms; last calls: ${recent}`));
      }, timeoutMs);
      this.state.onChange(check);
      check();
    });
  }

  /** Moves the double's clock forward (message dates, callback query expiry). */
  advanceTime(ms: number): void {
    this.state.clockOffsetMs += ms;
    this.state.changed();
  }

  // ---------------------------------------------------------------- fault injection

  /** The next `n` matching calls fail with `fault`. */
  failNext(n: number, fault: Fault & FaultFilter): void {
    this.faults.failNext(n, fault);
  }

  /** Matching calls fail with `fault` for the next `ms` milliseconds. */
  failFor(ms: number, fault: Fault & FaultFilter): void {
    this.faults.failFor(ms, fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ---------------------------------------------------------------- flood limits

  /** Turns Telegram's flood limits on (see {@link TelegramDoubleOptions.rateLimit}) or, with null, off; counts restart. */
  setRateLimit(opts: RateLimitOptions | null): void {
    this.limiter = opts ? new RateLimiter(opts) : null;
  }

  /** What the flood limits let through and answered 429 since they were turned on (zeros when off). */
  rateLimitStats(): RateLimitStats {
    return this.limiter?.snapshot() ?? { allowed: 0, refused: 0, refusedPerChat: 0, refusedOverall: 0 };
  }
}
