import { EventEmitter } from "node:events";
import type {
  Contact,
  InlineKeyboardMarkup,
  MenuButton,
  MessageEntity,
  PhotoSize,
  Update,
  User,
} from "grammy/types";
import { ApiError, badRequest } from "./api-error.ts";

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

/** Events of `TelegramDouble.events`. */
export interface TelegramDoubleEvents {
  change: [ChangeEvent];
  update: [Update];
  call: [ApiCall];
}

/** A user, their private chat with the bot and what the bot set up in it. */
export interface UserRecord {
  user: DoubleUserInput;
  blocked: boolean;
  nextMessageId: number;
  messages: ChatMessage[];
  menuButton?: MenuButton;
  replyKeyboard?: Record<string, unknown>;
}

/**
 * Users, their chats and messages, the clock and the call log: what every method family
 * reads and changes. `changed()` wakes `waitFor`.
 */
export class DoubleState {
  readonly events = new EventEmitter<TelegramDoubleEvents>();
  readonly calls: ApiCall[] = [];
  readonly users = new Map<number, UserRecord>();
  clockOffsetMs = 0;
  closed = false;
  private readonly changes = new EventEmitter();

  constructor(
    readonly bot: User & { username: string },
    /** reject http:// and localhost URLs in buttons and webhooks, as Telegram does */
    readonly strictUrls: boolean,
  ) {
    this.events.setMaxListeners(0);
    this.changes.setMaxListeners(0);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  changed(): void {
    this.changes.emit("changed");
  }

  onChange(listener: () => void): void {
    this.changes.on("changed", listener);
  }

  offChange(listener: () => void): void {
    this.changes.off("changed", listener);
  }

  logCall(call: ApiCall): void {
    this.calls.push(call);
    this.events.emit("call", call);
    this.changed();
  }

  /** For the simulation side: an unknown user is a mistake in the test, not a Bot API error. */
  record(userId: number): UserRecord {
    const rec = this.users.get(userId);
    if (!rec) throw new Error(`TelegramDouble: unknown user ${userId}; call addUser first`);
    return rec;
  }

  /** `chat_id` as the Bot API takes it: a number, a numeric string or `@username`. */
  chatRecord(chatId: unknown): UserRecord {
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

  sendTarget(params: Record<string, unknown>): UserRecord {
    const rec = this.chatRecord(params.chat_id);
    if (rec.blocked) throw new ApiError(403, "Forbidden: bot was blocked by the user");
    return rec;
  }

  /** Message ids increase per chat from 1, as in Telegram's private chats. */
  appendMessage(rec: UserRecord, init: { text?: string; outgoing: boolean }): ChatMessage {
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

  emitChange(chatId: number, kind: ChangeEvent["kind"], message: ChatMessage): void {
    this.events.emit("change", { chatId, kind, message: clone(message) });
    this.changed();
  }

  /** The message as the Bot API returns it: a copy without the double's bookkeeping. */
  toApiMessage(message: ChatMessage): Record<string, unknown> {
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
}

export function chatObject(user: DoubleUserInput): PrivateChat {
  return {
    id: user.id,
    type: "private",
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
  };
}

export function userObject(user: DoubleUserInput): User {
  return {
    id: user.id,
    is_bot: false,
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
    ...(user.language_code ? { language_code: user.language_code } : {}),
  };
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
