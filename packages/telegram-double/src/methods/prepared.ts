import { randomBytes } from "node:crypto";
import type { InlineKeyboardButton } from "grammy/types";
import { badRequest } from "../api-error.ts";
import { clone, type DoubleState } from "../state.ts";
import { type Handlers, type MethodFamily, toBool } from "./common.ts";
import { inlineMarkup } from "./markup.ts";

/** A message a bot prepared for a Mini App user to share (Bot API 8.0 `savePreparedInlineMessage`). */
export interface PreparedMessage {
  /** what the client gets in `web_app_send_prepared_message` */
  id: string;
  user_id: number;
  /** the InlineQueryResult as the bot sent it (parsed) */
  result: Record<string, unknown>;
  allow_user_chats: boolean;
  allow_bot_chats: boolean;
  allow_group_chats: boolean;
  allow_channel_chats: boolean;
  /** Unix time after which the client refuses it */
  expiration_date: number;
}

/** How long a prepared message lasts in the double (Telegram does not document its figure). */
export const PREPARED_MESSAGE_TTL_S = 24 * 3600;

/** The result types Telegram accepts (InlineQueryResult), cached ones included. */
const RESULT_TYPES = [
  "article",
  "photo",
  "gif",
  "mpeg4_gif",
  "video",
  "audio",
  "voice",
  "document",
  "location",
  "venue",
  "contact",
  "game",
  "sticker",
];

/** Prepared inline messages: stored per user, kept for tests and the sandbox to look at. */
export class PreparedMessages implements MethodFamily {
  private readonly saved = new Map<string, PreparedMessage>();

  constructor(private readonly state: DoubleState) {}

  get(id: string): PreparedMessage | undefined {
    const m = this.saved.get(id);
    return m ? clone(m) : undefined;
  }

  list(userId?: number): PreparedMessage[] {
    return [...this.saved.values()].filter((m) => userId === undefined || m.user_id === userId).map(clone);
  }

  handlers(): Handlers {
    return {
      savePreparedInlineMessage: ({ params }) => {
        const userId = Number(params.user_id);
        if (params.user_id === undefined || params.user_id === "") throw badRequest("user_id is empty");
        const rec = Number.isSafeInteger(userId) ? this.state.users.get(userId) : undefined;
        if (!rec) throw badRequest("USER_ID_INVALID");
        const result = parseResult(params.result);
        checkResult(result);
        // Inline messages are sent by the user into any chat: no keyboards but inline ones, and
        // buttons that only work in the user's chat with the bot are refused.
        if (result.reply_markup !== undefined) {
          const markup = result.reply_markup as Record<string, unknown> | null;
          if (!markup || typeof markup !== "object" || !("inline_keyboard" in markup))
            throw badRequest("can't parse inline keyboard markup JSON object");
          const clean = inlineMarkup(markup, rec, this.state.strictUrls);
          for (const row of clean?.inline_keyboard ?? [])
            for (const button of row as InlineKeyboardButton[])
              if ("web_app" in button || "request_contact" in button) throw badRequest("BUTTON_TYPE_INVALID");
        }
        const allow = {
          allow_user_chats: toBool(params.allow_user_chats),
          allow_bot_chats: toBool(params.allow_bot_chats),
          allow_group_chats: toBool(params.allow_group_chats),
          allow_channel_chats: toBool(params.allow_channel_chats),
        };
        const prepared: PreparedMessage = {
          id: randomBytes(12).toString("base64url"),
          user_id: userId,
          result: clone(result),
          ...allow,
          expiration_date: Math.floor(this.state.now() / 1000) + PREPARED_MESSAGE_TTL_S,
        };
        this.saved.set(prepared.id, prepared);
        this.state.changed();
        return { id: prepared.id, expiration_date: prepared.expiration_date };
      },
    };
  }
}

function parseResult(raw: unknown): Record<string, unknown> {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest("can't parse InlineQueryResult JSON object");
    }
  }
  if (value === undefined || value === null) throw badRequest('parameter "result" is required');
  if (typeof value !== "object" || Array.isArray(value))
    throw badRequest("can't parse InlineQueryResult JSON object");
  return value as Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function checkUrlField(value: unknown, error: string): void {
  try {
    const u = new URL(String(value));
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw badRequest(error);
  }
}

/** The checks Telegram makes of one InlineQueryResult before it stores it. */
function checkResult(r: Record<string, unknown>): void {
  const type = str(r.type);
  if (!type || !RESULT_TYPES.includes(type)) throw badRequest("RESULT_TYPE_INVALID");
  const id = str(r.id);
  if (!id) throw badRequest("RESULT_ID_EMPTY");
  if (Buffer.byteLength(id) > 64) throw badRequest("RESULT_ID_INVALID");
  const caption = str(r.caption);
  if (caption !== undefined && caption.length > 1024) throw badRequest("MEDIA_CAPTION_TOO_LONG");
  if (type === "article") {
    if (!str(r.title)) throw badRequest("ARTICLE_TITLE_EMPTY");
    if (r.thumbnail_url !== undefined) checkUrlField(r.thumbnail_url, "THUMBNAIL_URL_INVALID");
  }
  if (type === "photo" && r.photo_file_id === undefined) {
    checkUrlField(r.photo_url, "PHOTO_INVALID");
    checkUrlField(r.thumbnail_url, "THUMBNAIL_URL_INVALID");
  }
  const content = r.input_message_content as Record<string, unknown> | undefined;
  if (type === "article" && (!content || typeof content !== "object")) throw badRequest("MESSAGE_EMPTY");
  if (content !== undefined) {
    if (!content || typeof content !== "object") throw badRequest("can't parse InputMessageContent");
    if ("message_text" in content) {
      const text = str(content.message_text) ?? "";
      if (text.trim() === "") throw badRequest("MESSAGE_EMPTY");
      if (text.length > 4096) throw badRequest("MESSAGE_TOO_LONG");
    }
  }
}
