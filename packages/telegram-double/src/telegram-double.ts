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
 * with {@link TelegramDouble.failNext} / {@link TelegramDouble.failFor}; inspect with
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
import { randomBytes, randomInt } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type {
  BotCommand,
  CallbackQuery,
  Contact,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  MenuButton,
  MessageEntity,
  PhotoSize,
  Update,
  User,
} from "grammy/types";
import { type FormattedText, ParseEntitiesError, parseHtml } from "./html-text.ts";
import { parseRequestParams, readBody, type UploadedFile } from "./request-body.ts";

/** A simulated Telegram user (and, since chats are private, their chat with the bot). */
export interface DoubleUserInput {
  id: number;
  first_name: string;
  last_name?: string | null;
  username?: string | null;
  language_code?: string | null;
}

/** The private chat object as Telegram returns it inside messages. */
export interface PrivateChat {
  id: number;
  type: "private";
  first_name: string;
  last_name?: string;
  username?: string;
}

/**
 * A message as it is now in a chat: the Telegram `Message` fields plus bookkeeping of the
 * double (`outgoing`, `edited`, `editCount`, `rawText`, `parseMode`, `plainText`), which the
 * API responses leave out.
 */
export interface ChatMessage {
  message_id: number;
  date: number;
  edit_date?: number;
  chat: PrivateChat;
  from: User;
  text?: string;
  entities?: MessageEntity[];
  photo?: PhotoSize[];
  caption?: string;
  caption_entities?: MessageEntity[];
  contact?: Contact;
  reply_markup?: InlineKeyboardMarkup;
  /** the replied-to message as it was when the reply was sent (Telegram nests it the same way) */
  reply_to_message?: Record<string, unknown>;
  /** true for messages the bot sent, false for messages of the user */
  outgoing: boolean;
  edited: boolean;
  /** how many times the message was edited */
  editCount: number;
  /** text or caption exactly as the bot sent it (HTML tags included when parse_mode was HTML) */
  rawText?: string;
  parseMode?: string;
  /** text or caption without formatting */
  plainText?: string;
}

/** Payload of the `"change"` event: a message was sent, edited or deleted. */
export interface ChangeEvent {
  chatId: number;
  kind: "new" | "edited" | "deleted";
  message: ChatMessage;
}

/** One Bot API request as the double saw it. */
export interface ApiCall {
  method: string;
  /** parameters after decoding; uploaded files appear as `{ file: filename, size }` */
  params: Record<string, unknown>;
  at: Date;
  /** HTTP status answered (0 for an injected network error) */
  status: number;
  outcome: "ok" | "error" | "fault";
  description?: string;
  result?: unknown;
}

/** An `answerCallbackQuery` the bot made for a press. */
export interface CallbackAnswer {
  callbackQueryId: string;
  userId: number;
  data?: string;
  text?: string;
  showAlert: boolean;
  url?: string;
  at: Date;
}

/** A button press simulated with `pressButton`. */
export interface PressedButton {
  id: string;
  userId: number;
  chatId: number;
  messageId: number;
  data: string;
  /** false when no callback button on that message carries this data (Telegram still delivers) */
  matchedButton: boolean;
  at: Date;
  answered: boolean;
}

/** A failure to inject into upcoming API calls. */
export type Fault =
  | { status: 429; retryAfter?: number }
  | { status: 500 }
  | { status: 502 }
  | { status: number; description: string }
  | { networkError: true };

/** Which calls a fault applies to: by default every method except `getUpdates`. */
export interface FaultFilter {
  method?: string | string[];
}

/** A stored upload (or a photo sent by URL, which has no bytes). */
export interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  bytes?: Buffer;
  url?: string;
  filename?: string;
  mimeType: string;
  width: number;
  height: number;
}

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
}

/** Events of `TelegramDouble.events`. */
export interface TelegramDoubleEvents {
  change: [ChangeEvent];
  update: [Update];
  call: [ApiCall];
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

const badRequest = (description: string) => new ApiError(400, `Bad Request: ${description}`);

interface UserRecord {
  user: DoubleUserInput;
  blocked: boolean;
  nextMessageId: number;
  messages: ChatMessage[];
  menuButton?: MenuButton;
  replyKeyboard?: Record<string, unknown>;
}

interface FaultRule {
  fault: Fault;
  methods?: Set<string>;
  remaining?: number;
  until?: number;
}

interface Poller {
  wake: () => void;
  conflict: () => void;
}

interface WebhookState {
  url: string;
  secretToken?: string;
  allowedUpdates?: string[];
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

interface CallContext {
  params: Record<string, unknown>;
  files: Map<string, UploadedFile>;
  onAbort: (fn: () => void) => void;
}

type Handler = (ctx: CallContext) => unknown;

const JSON_PARAMS = new Set([
  "reply_markup",
  "entities",
  "caption_entities",
  "allowed_updates",
  "commands",
  "menu_button",
  "link_preview_options",
  "reply_parameters",
  "scope",
]);

const QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid";
const CALLBACK_QUERY_TTL_MS = 15 * 60 * 1000;

/** A fake Telegram Bot API server. Start with {@link TelegramDouble.start}. */
export class TelegramDouble {
  /** `"change"` for every new/edited/deleted message, `"update"` for user-originated updates, `"call"` per request */
  readonly events = new EventEmitter<TelegramDoubleEvents>();
  /** every Bot API request, in order */
  readonly calls: ApiCall[] = [];
  /** every `answerCallbackQuery` that succeeded, in order */
  readonly callbackAnswers: CallbackAnswer[] = [];
  /** every simulated button press, in order */
  readonly presses: PressedButton[] = [];
  readonly bot: User & { username: string };

  private readonly state = new EventEmitter();
  private readonly users = new Map<number, UserRecord>();
  private readonly files = new Map<string, StoredFile>();
  private readonly pending: Update[] = [];
  private nextUpdateId = randomInt(100_000_000, 900_000_000);
  private pollers = new Set<Poller>();
  private webhook: WebhookState | undefined;
  private delivering = false;
  private faults: FaultRule[] = [];
  private commands = new Map<string, BotCommand[]>();
  private defaultMenuButton: MenuButton = { type: "default" };
  private clockOffsetMs = 0;
  private closed = false;
  private fileCounter = 0;
  private readonly retryDelays: number[];
  private readonly strictUrls: boolean;
  private readonly handlers: Record<string, Handler>;

  private constructor(
    private readonly server: Server,
    readonly token: string,
    readonly apiRoot: string,
    opts: TelegramDoubleOptions,
  ) {
    this.bot = {
      id: opts.bot?.id ?? (Number(token.split(":")[0]) || 7_000_000_000),
      is_bot: true,
      first_name: opts.bot?.first_name ?? "Lastbite Sandbox",
      username: opts.bot?.username ?? "lastbite_sandbox_bot",
    };
    this.retryDelays = opts.webhookRetryDelaysMs ?? [100, 500, 2000];
    this.strictUrls = opts.strictUrls ?? false;
    this.events.setMaxListeners(0);
    this.state.setMaxListeners(0);
    this.handlers = this.createHandlers();
  }

  /** Starts the HTTP server (127.0.0.1, ephemeral port unless given). */
  static async start(opts: TelegramDoubleOptions = {}): Promise<TelegramDouble> {
    const token = opts.token ?? generateToken();
    const host = opts.host ?? "127.0.0.1";
    let double: TelegramDouble | undefined;
    const server = createServer((req, res) => {
      if (!double) {
        res.writeHead(503).end();
        return;
      }
      double.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: "Internal Server Error" }));
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const hostInUrl = host.includes(":") ? `[${host}]` : host;
    double = new TelegramDouble(server, token, `http://${hostInUrl}:${port}`, opts);
    return double;
  }

  /** Stops the server; pending long polls get an empty answer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const poller of this.pollers) poller.wake();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- users and simulation

  /** Registers a user; their private chat has the same id. Re-adding updates the profile. */
  addUser(input: DoubleUserInput): void {
    const user: DoubleUserInput = { id: input.id, first_name: input.first_name };
    if (input.last_name) user.last_name = input.last_name;
    if (input.username) user.username = input.username;
    if (input.language_code) user.language_code = input.language_code;
    const existing = this.users.get(user.id);
    if (existing) existing.user = { ...user };
    else this.users.set(user.id, { user: { ...user }, blocked: false, nextMessageId: 1, messages: [] });
    this.changed();
  }

  /** Known users in the order they were added. */
  listUsers(): DoubleUserInput[] {
    return [...this.users.values()].map((r) => ({ ...r.user }));
  }

  /** Makes further sends to this user fail with 403 "bot was blocked by the user". */
  blockBot(userId: number): void {
    this.record(userId).blocked = true;
    this.changed();
  }

  /** Undoes {@link blockBot} (the user pressed "Restart"); sending text does it too. */
  unblockBot(userId: number): void {
    this.record(userId).blocked = false;
    this.changed();
  }

  /** The user writes to the bot; `/command payload` gets a `bot_command` entity. Returns the message. */
  sendText(userId: number, text: string): ChatMessage {
    const rec = this.record(userId);
    rec.blocked = false;
    const message = this.appendMessage(rec, { text, outgoing: false });
    const cmd = /^\/[a-zA-Z0-9_]{1,64}(@[a-zA-Z0-9_]+)?/.exec(text);
    if (cmd) message.entities = [{ type: "bot_command", offset: 0, length: cmd[0].length }];
    message.plainText = text;
    this.emitChange(userId, "new", message);
    this.enqueue({ message: this.toApiMessage(message) });
    return clone(message);
  }

  /** The user shares a contact (by default their own, as a `request_contact` button does). */
  sendContact(userId: number, phone: string, contact?: Partial<Contact>): ChatMessage {
    const rec = this.record(userId);
    const message = this.appendMessage(rec, { outgoing: false });
    message.contact = {
      phone_number: phone,
      first_name: rec.user.first_name,
      ...(rec.user.last_name ? { last_name: rec.user.last_name } : {}),
      user_id: userId,
      ...contact,
    };
    this.emitChange(userId, "new", message);
    this.enqueue({ message: this.toApiMessage(message) });
    return clone(message);
  }

  /**
   * The user presses an inline button with `callbackData` on a message in `chatId`.
   * Returns the callback query id. A press whose data matches no button is still delivered
   * (as Telegram would for a stale client) but recorded with `matchedButton: false`.
   */
  pressButton(userId: number, chatId: number, messageId: number, callbackData: string): string {
    const rec = this.record(userId);
    const chat = this.users.get(chatId);
    const message = chat?.messages.find((m) => m.message_id === messageId);
    if (!chat || !message) throw new Error(`pressButton: no message ${messageId} in chat ${chatId}`);
    const matchedButton = (message.reply_markup?.inline_keyboard ?? []).some((row) =>
      row.some((b) => "callback_data" in b && b.callback_data === callbackData),
    );
    const id = randomCallbackId();
    this.presses.push({
      id,
      userId,
      chatId,
      messageId,
      data: callbackData,
      matchedButton,
      at: new Date(this.now()),
      answered: false,
    });
    const query: CallbackQuery = {
      id,
      from: userObject(rec.user),
      message: this.toApiMessage(message) as CallbackQuery["message"] & object,
      chat_instance: chatInstance(chatId),
      data: callbackData,
    };
    this.enqueue({ callback_query: query });
    return id;
  }

  /** Presses that the bot has not answered yet. */
  unansweredPresses(): PressedButton[] {
    return this.presses.filter((p) => !p.answered).map((p) => ({ ...p }));
  }

  // ---------------------------------------------------------------- inspection

  /** The chat's current messages in order (deleted ones gone, edits applied). Copies. */
  messages(chatId: number): ChatMessage[] {
    return clone(this.users.get(chatId)?.messages ?? []);
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
    return [...(this.commands.get(commandKey(scope, languageCode)) ?? [])];
  }

  /** The menu button of a chat (or the default one). */
  menuButton(chatId?: number): MenuButton {
    return (chatId !== undefined && this.users.get(chatId)?.menuButton) || this.defaultMenuButton;
  }

  /** The reply keyboard currently shown in a chat (set by `reply_markup.keyboard`). */
  replyKeyboard(chatId: number): Record<string, unknown> | undefined {
    return this.users.get(chatId)?.replyKeyboard;
  }

  /** The current webhook (like getWebhookInfo), or undefined when polling. */
  webhookInfo(): { url: string; secretToken?: string; allowedUpdates?: string[] } | undefined {
    return this.webhook ? { ...this.webhook } : undefined;
  }

  /** Updates not yet confirmed by getUpdates (or not yet delivered to the webhook). */
  pendingUpdates(): Update[] {
    return clone(this.pending);
  }

  isBlocked(userId: number): boolean {
    return this.users.get(userId)?.blocked ?? false;
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
        this.state.off("changed", check);
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
      this.state.on("changed", check);
      check();
    });
  }

  /** Moves the double's clock forward (message dates, callback query expiry). */
  advanceTime(ms: number): void {
    this.clockOffsetMs += ms;
    this.changed();
  }

  // ---------------------------------------------------------------- fault injection

  /** The next `n` matching calls fail with `fault`. */
  failNext(n: number, fault: Fault & FaultFilter): void {
    this.faults.push({ fault: stripFilter(fault), remaining: n, ...methodSet(fault) });
  }

  /** Matching calls fail with `fault` for the next `ms` milliseconds. */
  failFor(ms: number, fault: Fault & FaultFilter): void {
    this.faults.push({ fault: stripFilter(fault), until: Date.now() + ms, ...methodSet(fault) });
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://double");
    const body = await readBody(req);
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) return this.serveFile(fileMatch[1] ?? "", decodeURIComponent(fileMatch[2] ?? ""), res);
    const match = /^\/bot([^/]*)\/([^/]*)\/?$/.exec(url.pathname);
    if (!match) return sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    if (match[1] !== this.token) {
      return sendJson(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    }
    const methodName = match[2] ?? "";
    const key = methodName.toLowerCase();
    const handler = this.handlers[key];
    const call: ApiCall = { method: methodName, params: {}, at: new Date(), status: 0, outcome: "ok" };
    const finish = (status: number, payload: Record<string, unknown>) => {
      call.status = status;
      if (payload.ok === false) {
        call.outcome = "error";
        call.description = String(payload.description);
      } else call.result = payload.result;
      this.logCall(call);
      sendJson(res, status, payload);
    };
    if (!handler) return finish(404, { ok: false, error_code: 404, description: "Not Found" });
    let parsed: ReturnType<typeof parseRequestParams>;
    try {
      parsed = parseRequestParams(req.headers["content-type"], body, url.searchParams);
      for (const name of JSON_PARAMS) {
        const v = parsed.params[name];
        if (typeof v === "string") {
          try {
            parsed.params[name] = JSON.parse(v);
          } catch {
            throw new Error(
              name === "reply_markup"
                ? "Bad Request: can't parse reply keyboard markup JSON object"
                : `Bad Request: can't parse ${name} JSON object`,
            );
          }
        }
      }
    } catch (err) {
      return finish(400, { ok: false, error_code: 400, description: (err as Error).message });
    }
    call.params = describeParams(parsed.params, parsed.files);

    const fault = this.takeFault(key);
    if (fault) {
      call.outcome = "fault";
      if ("networkError" in fault) {
        call.description = "network error";
        this.logCall(call);
        req.socket.destroy();
        return;
      }
      call.status = fault.status;
      if (fault.status === 502) {
        call.description = "Bad Gateway";
        this.logCall(call);
        res.writeHead(502, { "content-type": "text/html" });
        res.end(
          "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n",
        );
        return;
      }
      const payload = faultPayload(fault);
      call.description = payload.description;
      this.logCall(call);
      sendJson(res, fault.status, payload);
      return;
    }

    const aborters: Array<() => void> = [];
    res.once("close", () => {
      if (!res.writableFinished) for (const fn of aborters) fn();
    });
    try {
      const result = await handler({
        params: parsed.params,
        files: parsed.files,
        onAbort: (fn) => aborters.push(fn),
      });
      if (res.destroyed) return;
      finish(200, { ok: true, result });
    } catch (err) {
      if (res.destroyed) return;
      if (err instanceof ApiError) {
        finish(err.code, {
          ok: false,
          error_code: err.code,
          description: err.description,
          ...(err.parameters ? { parameters: err.parameters } : {}),
        });
      } else if (err instanceof ParseEntitiesError) {
        finish(400, { ok: false, error_code: 400, description: err.message });
      } else {
        call.description = String(err);
        finish(500, { ok: false, error_code: 500, description: "Internal Server Error" });
      }
    }
  }

  private serveFile(token: string, path: string, res: ServerResponse): void {
    const file = [...this.files.values()].find((f) => f.filePath === path && f.bytes);
    if (token !== this.token) sendJson(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    else if (!file?.bytes) sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    else {
      res.writeHead(200, { "content-type": file.mimeType, "content-length": file.bytes.length });
      res.end(file.bytes);
    }
  }

  private logCall(call: ApiCall): void {
    this.calls.push(call);
    this.events.emit("call", call);
    this.changed();
  }

  private takeFault(method: string): Fault | undefined {
    const now = Date.now();
    this.faults = this.faults.filter(
      (f) => (f.remaining === undefined || f.remaining > 0) && (f.until ?? now + 1) > now,
    );
    for (const rule of this.faults) {
      const applies = rule.methods ? rule.methods.has(method) : method !== "getupdates";
      if (!applies) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      return rule.fault;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- Bot API methods

  private createHandlers(): Record<string, Handler> {
    const h: Record<string, Handler> = {
      getMe: () => ({
        ...this.bot,
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: false,
        has_main_web_app: false,
      }),
      sendMessage: ({ params }) => {
        const rec = this.sendTarget(params);
        const raw = params.text === undefined ? "" : String(params.text);
        const parseMode = optString(params.parse_mode);
        const formatted = this.format(raw, parseMode, params.entities, "text");
        if (formatted.text.trim() === "") throw badRequest("message text is empty");
        if (formatted.text.length > 4096) throw badRequest("message is too long");
        const markup = this.inlineMarkup(params.reply_markup, rec);
        const replyTo = this.replyTarget(rec, params);
        const message = this.appendMessage(rec, { outgoing: true });
        if (replyTo) message.reply_to_message = replyTo;
        message.text = formatted.text;
        if (formatted.entities.length) message.entities = formatted.entities;
        if (markup) message.reply_markup = markup;
        setRaw(message, raw, parseMode, formatted.text);
        this.emitChange(rec.user.id, "new", message);
        return this.toApiMessage(message);
      },
      sendPhoto: ({ params, files }) => {
        const rec = this.sendTarget(params);
        const file = this.resolvePhoto(params.photo, files);
        const raw = params.caption === undefined ? undefined : String(params.caption);
        const parseMode = optString(params.parse_mode);
        const formatted =
          raw === undefined ? undefined : this.format(raw, parseMode, params.caption_entities, "caption");
        if (formatted && formatted.text.length > 1024) throw badRequest("message caption is too long");
        const markup = this.inlineMarkup(params.reply_markup, rec);
        const replyTo = this.replyTarget(rec, params);
        const message = this.appendMessage(rec, { outgoing: true });
        if (replyTo) message.reply_to_message = replyTo;
        message.photo = this.photoSizes(file);
        if (formatted && formatted.text !== "") {
          message.caption = formatted.text;
          if (formatted.entities.length) message.caption_entities = formatted.entities;
          setRaw(message, raw ?? "", parseMode, formatted.text);
        }
        if (markup) message.reply_markup = markup;
        this.emitChange(rec.user.id, "new", message);
        return this.toApiMessage(message);
      },
      editMessageText: ({ params }) => {
        const { rec, message } = this.editTarget(params, "edit");
        const raw = params.text === undefined ? "" : String(params.text);
        const parseMode = optString(params.parse_mode);
        const formatted = this.format(raw, parseMode, params.entities, "text");
        if (formatted.text.trim() === "") throw badRequest("message text is empty");
        if (message.text === undefined) throw badRequest("there is no text in the message to edit");
        const markup = this.inlineMarkup(params.reply_markup, rec);
        if (
          message.text === formatted.text &&
          sameJson(message.entities ?? [], formatted.entities) &&
          sameJson(message.reply_markup, markup)
        ) {
          throw notModified();
        }
        message.text = formatted.text;
        setOptional(message, "entities", formatted.entities.length ? formatted.entities : undefined);
        setOptional(message, "reply_markup", markup);
        setRaw(message, raw, parseMode, formatted.text);
        return this.markEdited(rec, message);
      },
      editMessageCaption: ({ params }) => {
        const { rec, message } = this.editTarget(params, "edit");
        if (!message.photo) throw badRequest("there is no caption in the message to edit");
        const raw = params.caption === undefined ? "" : String(params.caption);
        const parseMode = optString(params.parse_mode);
        const formatted = this.format(raw, parseMode, params.caption_entities, "caption");
        if (formatted.text.length > 1024) throw badRequest("message caption is too long");
        const markup = this.inlineMarkup(params.reply_markup, rec);
        if (
          (message.caption ?? "") === formatted.text &&
          sameJson(message.caption_entities ?? [], formatted.entities) &&
          sameJson(message.reply_markup, markup)
        ) {
          throw notModified();
        }
        setOptional(message, "caption", formatted.text || undefined);
        setOptional(message, "caption_entities", formatted.entities.length ? formatted.entities : undefined);
        setOptional(message, "reply_markup", markup);
        setRaw(message, raw, parseMode, formatted.text);
        return this.markEdited(rec, message);
      },
      editMessageReplyMarkup: ({ params }) => {
        const { rec, message } = this.editTarget(params, "edit");
        const markup = this.inlineMarkup(params.reply_markup, rec);
        if (sameJson(message.reply_markup, markup)) throw notModified();
        setOptional(message, "reply_markup", markup);
        return this.markEdited(rec, message);
      },
      deleteMessage: ({ params }) => {
        const { rec, message } = this.editTarget(params, "delete");
        rec.messages = rec.messages.filter((m) => m !== message);
        this.emitChange(rec.user.id, "deleted", message);
        return true;
      },
      answerCallbackQuery: ({ params }) => {
        const id = optString(params.callback_query_id);
        if (!id) throw badRequest("query_id is empty");
        const press = this.presses.find((p) => p.id === id);
        if (!press || press.answered || this.now() - press.at.getTime() > CALLBACK_QUERY_TTL_MS) {
          throw badRequest(QUERY_TOO_OLD);
        }
        const answer: CallbackAnswer = {
          callbackQueryId: id,
          userId: press.userId,
          data: press.data,
          showAlert: toBool(params.show_alert),
          at: new Date(this.now()),
        };
        const text = optString(params.text);
        if (text !== undefined && text.length > 200) throw badRequest("MESSAGE_TOO_LONG");
        if (text !== undefined) answer.text = text;
        const url = optString(params.url);
        if (url !== undefined) answer.url = url;
        press.answered = true;
        this.callbackAnswers.push(answer);
        return true;
      },
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
        if (this.strictUrls && parsedUrl.protocol !== "https:") {
          throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
        }
        const secret = optString(params.secret_token);
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
          throw badRequest("secret token contains unallowed characters");
        }
        if (toBool(params.drop_pending_updates)) this.pending.length = 0;
        const allowed = params.allowed_updates;
        this.webhook = {
          url,
          maxConnections: Number(params.max_connections ?? 40),
          ...(secret !== undefined ? { secretToken: secret } : {}),
          ...(Array.isArray(allowed) ? { allowedUpdates: allowed.map(String) } : {}),
        };
        for (const poller of this.pollers) poller.conflict();
        this.changed();
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
                ...(wh.allowedUpdates ? { allowed_updates: wh.allowedUpdates } : {}),
                ...(wh.lastErrorDate
                  ? { last_error_date: wh.lastErrorDate, last_error_message: wh.lastErrorMessage }
                  : {}),
              }
            : {}),
        };
      },
      setChatMenuButton: ({ params }) => {
        const button = (params.menu_button as MenuButton | undefined) ?? { type: "default" };
        if (
          !button ||
          typeof button !== "object" ||
          !["default", "commands", "web_app"].includes(button.type)
        ) {
          throw badRequest("can't parse menu button");
        }
        if (button.type === "web_app") this.checkUrl(button.web_app?.url, "Web App");
        if (params.chat_id === undefined) this.defaultMenuButton = button;
        else this.chatRecord(params.chat_id).menuButton = button;
        this.changed();
        return true;
      },
      getChatMenuButton: ({ params }) =>
        params.chat_id === undefined
          ? this.defaultMenuButton
          : (this.chatRecord(params.chat_id).menuButton ?? this.defaultMenuButton),
      setMyCommands: ({ params }) => {
        const commands = params.commands;
        if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
        for (const c of commands as BotCommand[]) {
          if (!c || typeof c.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) {
            throw badRequest("BOT_COMMAND_INVALID");
          }
          if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256) {
            throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
          }
        }
        this.commands.set(
          commandKey(params.scope, optString(params.language_code) ?? ""),
          commands.map((c: BotCommand) => ({ command: c.command, description: c.description })),
        );
        this.changed();
        return true;
      },
      getMyCommands: ({ params }) =>
        this.myCommands(scopeOf(params.scope), optString(params.language_code) ?? ""),
      deleteMyCommands: ({ params }) => {
        this.commands.delete(commandKey(params.scope, optString(params.language_code) ?? ""));
        return true;
      },
      sendChatAction: ({ params }) => {
        this.sendTarget(params);
        const actions = [
          "typing",
          "upload_photo",
          "record_video",
          "upload_video",
          "record_voice",
          "upload_voice",
          "upload_document",
          "choose_sticker",
          "find_location",
          "record_video_note",
          "upload_video_note",
        ];
        if (!actions.includes(String(params.action))) throw badRequest("wrong parameter action in request");
        return true;
      },
      getFile: ({ params }) => {
        const file = this.files.get(String(params.file_id ?? ""));
        if (!file?.bytes) throw badRequest("invalid file_id");
        return {
          file_id: file.fileId,
          file_unique_id: file.fileUniqueId,
          file_size: file.bytes.length,
          file_path: file.filePath,
        };
      },
    };
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
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
    const allowed =
      Array.isArray(params.allowed_updates) && params.allowed_updates.length
        ? params.allowed_updates.map(String)
        : undefined;
    if (offset !== undefined && offset < 0) {
      this.pending.splice(0, Math.max(0, this.pending.length + offset));
    } else if (offset !== undefined && offset > 0) {
      const confirmed = this.pending.findIndex((u) => u.update_id >= offset);
      this.pending.splice(0, confirmed < 0 ? this.pending.length : confirmed);
    }
    // a newer getUpdates terminates the older one, as on Telegram
    for (const poller of this.pollers) poller.conflict();
    const take = () => {
      if (allowed) {
        for (let i = this.pending.length - 1; i >= 0; i--) {
          const u = this.pending[i] as Update;
          if (!allowed.includes(updateType(u))) this.pending.splice(i, 1);
        }
      }
      return clone(this.pending.slice(0, limit));
    };
    const ready = take();
    if (ready.length || timeout === 0 || this.closed) return ready;
    return new Promise<Update[]>((resolve, reject) => {
      const poller: Poller = {
        wake: () => {
          const batch = this.closed ? [] : take();
          if (batch.length || this.closed) {
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

  // ---------------------------------------------------------------- updates and webhook

  private enqueue(partial: Record<string, unknown>): void {
    const update = { update_id: this.nextUpdateId++, ...partial } as unknown as Update;
    this.pending.push(update);
    this.events.emit("update", clone(update));
    this.changed();
    for (const poller of [...this.pollers]) poller.wake();
    this.kickWebhook();
  }

  private removeWebhook(dropPending: boolean): void {
    this.webhook = undefined;
    if (dropPending) this.pending.length = 0;
    this.changed();
  }

  private kickWebhook(): void {
    if (this.delivering || !this.webhook || this.closed) return;
    this.delivering = true;
    void this.deliverLoop().finally(() => {
      this.delivering = false;
      if (this.webhook && this.pending.length && !this.closed) this.kickWebhook();
    });
  }

  private async deliverLoop(): Promise<void> {
    while (!this.closed) {
      const wh = this.webhook;
      const update = this.pending[0];
      if (!wh || !update) return;
      if (wh.allowedUpdates?.length && !wh.allowedUpdates.includes(updateType(update))) {
        this.pending.shift();
        continue;
      }
      await this.deliver(wh, update);
      if (this.pending[0] === update) this.pending.shift();
      this.changed();
    }
  }

  /** POSTs one update, retrying on non-2xx and network errors; gives up after the retries. */
  private async deliver(wh: WebhookState, update: Update): Promise<void> {
    for (let attempt = 0; attempt <= this.retryDelays.length; attempt++) {
      if (this.closed || this.webhook !== wh) return;
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
        wh.lastErrorDate = Math.floor(this.now() / 1000);
        wh.lastErrorMessage = `Wrong response from the webhook: ${res.status} ${res.statusText}`;
      } catch (err) {
        wh.lastErrorDate = Math.floor(this.now() / 1000);
        wh.lastErrorMessage = `Connection failed: ${(err as Error).message}`;
      }
      this.changed();
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
    const handler = this.handlers[method.toLowerCase()];
    const call: ApiCall = { method, params, at: new Date(), status: 200, outcome: "ok" };
    if (!handler) return;
    try {
      call.result = await handler({ params, files: new Map(), onAbort: () => {} });
    } catch (err) {
      call.outcome = "error";
      call.status = err instanceof ApiError ? err.code : 500;
      call.description = (err as Error).message;
    }
    this.logCall(call);
  }

  // ---------------------------------------------------------------- helpers

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private changed(): void {
    this.state.emit("changed");
  }

  private record(userId: number): UserRecord {
    const rec = this.users.get(userId);
    if (!rec) throw new Error(`TelegramDouble: unknown user ${userId}; call addUser first`);
    return rec;
  }

  private chatRecord(chatId: unknown): UserRecord {
    if (chatId === undefined || chatId === "") throw badRequest("chat_id is empty");
    const id =
      typeof chatId === "number" ? chatId : /^-?\d+$/.test(String(chatId)) ? Number(chatId) : undefined;
    const rec =
      id !== undefined
        ? this.users.get(id)
        : [...this.users.values()].find((r) => r.user.username && `@${r.user.username}` === String(chatId));
    if (!rec) throw badRequest("chat not found");
    return rec;
  }

  private sendTarget(params: Record<string, unknown>): UserRecord {
    const rec = this.chatRecord(params.chat_id);
    if (rec.blocked) throw new ApiError(403, "Forbidden: bot was blocked by the user");
    return rec;
  }

  private editTarget(
    params: Record<string, unknown>,
    action: "edit" | "delete",
  ): { rec: UserRecord; message: ChatMessage } {
    if (params.inline_message_id !== undefined)
      throw badRequest("inline messages are not supported by the double");
    const rec = this.chatRecord(params.chat_id);
    const id = Number(params.message_id);
    if (params.message_id === undefined || !Number.isInteger(id))
      throw badRequest("message identifier is not specified");
    const message = rec.messages.find((m) => m.message_id === id);
    if (!message)
      throw badRequest(action === "edit" ? "message to edit not found" : "message to delete not found");
    if (action === "edit" && !message.outgoing) throw badRequest("message can't be edited");
    return { rec, message };
  }

  /** `reply_parameters` / `reply_to_message_id`: the quoted message, or 400 if it is gone. */
  private replyTarget(rec: UserRecord, params: Record<string, unknown>): Record<string, unknown> | undefined {
    const rp = params.reply_parameters as
      | { message_id?: unknown; allow_sending_without_reply?: unknown }
      | undefined;
    const raw = rp?.message_id ?? params.reply_to_message_id;
    if (raw === undefined) return undefined;
    const target = rec.messages.find((m) => m.message_id === Number(raw));
    if (target) {
      const { reply_to_message: _nested, ...quoted } = this.toApiMessage(target);
      return quoted;
    }
    if (toBool(rp?.allow_sending_without_reply ?? params.allow_sending_without_reply)) return undefined;
    throw badRequest("message to be replied not found");
  }

  private appendMessage(rec: UserRecord, init: { text?: string; outgoing: boolean }): ChatMessage {
    const message: ChatMessage = {
      message_id: rec.nextMessageId++,
      date: Math.floor(this.now() / 1000),
      chat: chatObject(rec.user),
      from: init.outgoing ? { ...this.bot } : userObject(rec.user),
      outgoing: init.outgoing,
      edited: false,
      editCount: 0,
    };
    if (init.text !== undefined) message.text = init.text;
    rec.messages.push(message);
    return message;
  }

  private markEdited(rec: UserRecord, message: ChatMessage): unknown {
    message.edited = true;
    message.editCount += 1;
    message.edit_date = Math.floor(this.now() / 1000);
    this.emitChange(rec.user.id, "edited", message);
    return this.toApiMessage(message);
  }

  private emitChange(chatId: number, kind: ChangeEvent["kind"], message: ChatMessage): void {
    this.events.emit("change", { chatId, kind, message: clone(message) });
    this.changed();
  }

  private toApiMessage(message: ChatMessage): Record<string, unknown> {
    const {
      outgoing: _o,
      edited: _e,
      editCount: _c,
      rawText: _r,
      parseMode: _p,
      plainText: _t,
      ...api
    } = clone(message);
    return api;
  }

  private format(
    raw: string,
    parseMode: string | undefined,
    entities: unknown,
    field: "text" | "caption",
  ): FormattedText {
    if (parseMode?.toUpperCase() === "HTML") return parseHtml(raw);
    if (parseMode && !["MARKDOWN", "MARKDOWNV2"].includes(parseMode.toUpperCase())) {
      throw badRequest(`unsupported parse_mode`);
    }
    if (entities !== undefined && !Array.isArray(entities)) throw badRequest(`can't parse ${field} entities`);
    return { text: raw, entities: (entities as MessageEntity[] | undefined) ?? [] };
  }

  /** Validates reply_markup; returns the inline keyboard (other keyboards are chat state). */
  private inlineMarkup(markup: unknown, rec: UserRecord): InlineKeyboardMarkup | undefined {
    if (markup === undefined || markup === null) return undefined;
    if (typeof markup !== "object") throw badRequest("can't parse reply keyboard markup JSON object");
    const m = markup as Record<string, unknown>;
    if ("inline_keyboard" in m) {
      const rows = m.inline_keyboard;
      if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
        throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
      }
      for (const row of rows as InlineKeyboardButton[][]) {
        for (const button of row) this.checkButton(button);
      }
      const clean = (rows as InlineKeyboardButton[][]).filter((r) => r.length > 0);
      return clean.length ? { inline_keyboard: clone(clean) } : undefined;
    }
    if ("keyboard" in m) rec.replyKeyboard = clone(m);
    else if ("remove_keyboard" in m) rec.replyKeyboard = undefined;
    else if (!("force_reply" in m)) throw badRequest("can't parse reply keyboard markup JSON object");
    return undefined;
  }

  private checkButton(button: InlineKeyboardButton): void {
    if (!button || typeof button !== "object" || typeof button.text !== "string") {
      throw badRequest(
        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
      );
    }
    if (button.text === "") throw badRequest("BUTTON_TEXT_EMPTY"); // Telegram: text must be non-empty
    const b = button as unknown as Record<string, unknown>;
    const kinds = [
      "callback_data",
      "url",
      "web_app",
      "login_url",
      "switch_inline_query",
      "switch_inline_query_current_chat",
      "switch_inline_query_chosen_chat",
      "copy_text",
      "callback_game",
      "pay",
    ].filter((k) => k in b);
    if (kinds.length === 0)
      throw badRequest(
        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
      );
    if (typeof b.callback_data === "string") {
      const size = Buffer.byteLength(b.callback_data);
      if (size < 1 || size > 64) throw badRequest("BUTTON_DATA_INVALID");
    }
    if (typeof b.url === "string") this.checkUrl(b.url, "");
    if (b.web_app !== undefined) this.checkUrl((b.web_app as { url?: string }).url, "Web App");
  }

  private checkUrl(url: unknown, kind: "" | "Web App"): void {
    const label = kind ? "Web App URL" : "URL";
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch {
      throw badRequest(`inline keyboard button ${label} '${String(url)}' is invalid: Wrong HTTP URL`);
    }
    if (!this.strictUrls) return;
    if (kind && parsed.protocol !== "https:") {
      throw badRequest(
        `inline keyboard button Web App URL '${String(url)}' is invalid: Only HTTPS links are allowed`,
      );
    }
    if (["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname)) {
      throw badRequest(`inline keyboard button ${label} '${String(url)}' is invalid: Wrong HTTP URL`);
    }
  }

  private resolvePhoto(photo: unknown, files: Map<string, UploadedFile>): StoredFile {
    let upload: UploadedFile | undefined;
    if (typeof photo === "string" && photo.startsWith("attach://"))
      upload = files.get(photo.slice("attach://".length));
    else if (photo === undefined) upload = files.get("photo");
    if (upload) return this.storeUpload(upload);
    if (typeof photo !== "string" || photo === "") throw badRequest("there is no photo in the request");
    const known = this.files.get(photo);
    if (known) return known;
    if (/^https?:\/\//.test(photo)) {
      const f = this.newFile({ url: photo, mimeType: "image/jpeg", width: 800, height: 800 });
      return f;
    }
    throw badRequest("wrong file identifier/HTTP URL specified");
  }

  private storeUpload(upload: UploadedFile): StoredFile {
    if (upload.data.length === 0) throw badRequest("file must be non-empty");
    const dims = imageSize(upload.data);
    if (!dims) throw badRequest("IMAGE_PROCESS_FAILED");
    return this.newFile({ bytes: upload.data, filename: upload.filename, ...dims });
  }

  private newFile(
    init: Omit<StoredFile, "fileId" | "fileUniqueId" | "filePath"> & { filename?: string | undefined },
  ): StoredFile {
    const n = ++this.fileCounter;
    const ext = init.mimeType === "image/png" ? "png" : "jpg";
    const file: StoredFile = {
      fileId: `AgACAgIAAxkDAA${randomBytes(48).toString("base64url")}`,
      fileUniqueId: `AQAD${randomBytes(9).toString("base64url")}`,
      filePath: `photos/file_${n}.${ext}`,
      mimeType: init.mimeType,
      width: init.width,
      height: init.height,
    };
    if (init.bytes) file.bytes = init.bytes;
    if (init.url) file.url = init.url;
    if (init.filename) file.filename = init.filename;
    this.files.set(file.fileId, file);
    return file;
  }

  /** Telegram returns several sizes, the last being the largest; ours all share the uploaded bytes. */
  private photoSizes(file: StoredFile): PhotoSize[] {
    const largest: PhotoSize = {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      width: file.width,
      height: file.height,
      ...(file.bytes ? { file_size: file.bytes.length } : {}),
    };
    const max = Math.max(file.width, file.height);
    if (max <= 90) return [largest];
    const scale = 90 / max;
    const thumb = this.newFile({
      ...file,
      width: Math.round(file.width * scale),
      height: Math.round(file.height * scale),
    });
    return [
      {
        file_id: thumb.fileId,
        file_unique_id: thumb.fileUniqueId,
        width: thumb.width,
        height: thumb.height,
        ...(file.bytes ? { file_size: file.bytes.length } : {}),
      },
      largest,
    ];
  }
}

// ------------------------------------------------------------------ module helpers

function imageSize(data: Buffer): { width: number; height: number; mimeType: string } | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), mimeType: "image/png" };
  }
  if (data[0] === 0xff && data[1] === 0xd8) {
    let pos = 2;
    while (pos + 9 < data.length) {
      if (data[pos] !== 0xff) return undefined;
      const marker = data[pos + 1] as number;
      const len = data.readUInt16BE(pos + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return {
          height: data.readUInt16BE(pos + 5),
          width: data.readUInt16BE(pos + 7),
          mimeType: "image/jpeg",
        };
      }
      pos += 2 + len;
    }
    return { width: 512, height: 512, mimeType: "image/jpeg" };
  }
  if (data.subarray(0, 4).toString("latin1") === "RIFF" || data.subarray(0, 3).toString("latin1") === "GIF") {
    return { width: 512, height: 512, mimeType: "image/jpeg" };
  }
  return undefined;
}

function setRaw(message: ChatMessage, raw: string, parseMode: string | undefined, plain: string): void {
  message.rawText = raw;
  message.plainText = plain;
  setOptional(message, "parseMode", parseMode);
}

function setOptional<K extends keyof ChatMessage>(
  message: ChatMessage,
  key: K,
  value: ChatMessage[K] | undefined,
): void {
  if (value === undefined) delete message[key];
  else message[key] = value;
}

function notModified(): ApiError {
  return badRequest(
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function chatObject(user: DoubleUserInput): PrivateChat {
  return {
    id: user.id,
    type: "private",
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
  };
}

function userObject(user: DoubleUserInput): User {
  return {
    id: user.id,
    is_bot: false,
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
    ...(user.language_code ? { language_code: user.language_code } : {}),
  };
}

function chatInstance(chatId: number): string {
  // stable per chat, like Telegram's opaque chat_instance
  return String((BigInt(chatId) * 2654435761n + 7046029254386353131n) % 9223372036854775807n);
}

function randomCallbackId(): string {
  return (BigInt(randomInt(1, 2 ** 47)) * 65536n + BigInt(randomInt(0, 65536))).toString();
}

function updateType(update: Update): string {
  return Object.keys(update).find((k) => k !== "update_id") ?? "";
}

function commandKey(scope: unknown, languageCode: string): string {
  return `${JSON.stringify(scopeOf(scope))}|${languageCode}`;
}

function scopeOf(scope: unknown): Record<string, unknown> {
  return scope && typeof scope === "object" ? (scope as Record<string, unknown>) : { type: "default" };
}

function optString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function toBool(value: unknown): boolean {
  return value === true || value === "true" || value === "1" || value === 1;
}

function stripFilter(fault: Fault & FaultFilter): Fault {
  const { method: _m, ...rest } = fault;
  return rest as Fault;
}

function methodSet(filter: FaultFilter): { methods?: Set<string> } {
  if (filter.method === undefined) return {};
  const list = Array.isArray(filter.method) ? filter.method : [filter.method];
  return { methods: new Set(list.map((m) => m.toLowerCase())) };
}

function faultPayload(fault: Exclude<Fault, { networkError: true }>): {
  ok: false;
  error_code: number;
  description: string;
  parameters?: { retry_after: number };
} {
  if (fault.status === 429) {
    const retryAfter = "retryAfter" in fault && fault.retryAfter !== undefined ? fault.retryAfter : 1;
    return {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfter}`,
      parameters: { retry_after: retryAfter },
    };
  }
  if ("description" in fault) return { ok: false, error_code: fault.status, description: fault.description };
  return { ok: false, error_code: fault.status, description: "Internal Server Error" };
}

function describeParams(
  params: Record<string, unknown>,
  files: Map<string, UploadedFile>,
): Record<string, unknown> {
  const out = { ...params };
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === "string" && value.startsWith("attach://")) {
      const f = files.get(value.slice("attach://".length));
      if (f) out[key] = { file: f.filename ?? key, size: f.data.length };
    }
  }
  for (const [field, f] of files)
    if (!(field in out) && field === "photo") out[field] = { file: f.filename, size: f.data.length };
  return out;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function generateToken(): string {
  const id = randomInt(1_000_000_000, 8_000_000_000);
  return `${id}:AA${randomBytes(33).toString("base64url").slice(0, 33)}`;
}
