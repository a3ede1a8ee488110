import type { MessageEntity } from "grammy/types";
import { badRequest } from "../api-error.ts";
import { type FormattedText, parseHtml } from "../html-text.ts";
import type { ChatMessage, DoubleState, UserRecord } from "../state.ts";
import { type Handlers, type MethodFamily, optString, toBool } from "./common.ts";
import type { FileStore } from "./files.ts";
import { inlineMarkup } from "./markup.ts";

const CHAT_ACTIONS = [
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

/** What the bot sends to a chat and later edits or deletes. */
export class Messages implements MethodFamily {
  constructor(
    private readonly state: DoubleState,
    private readonly files: FileStore,
  ) {}

  handlers(): Handlers {
    return {
      sendMessage: ({ params }) => {
        const rec = this.state.sendTarget(params);
        const raw = params.text === undefined ? "" : String(params.text);
        const parseMode = optString(params.parse_mode);
        const formatted = format(raw, parseMode, params.entities, "text");
        if (formatted.text.trim() === "") throw badRequest("message text is empty");
        if (formatted.text.length > 4096) throw badRequest("message is too long");
        const markup = inlineMarkup(params.reply_markup, rec, this.state.strictUrls);
        const replyTo = this.replyTarget(rec, params);
        const message = this.state.appendMessage(rec, { outgoing: true });
        if (replyTo) message.reply_to_message = replyTo;
        message.text = formatted.text;
        if (formatted.entities.length) message.entities = formatted.entities;
        if (markup) message.reply_markup = markup;
        setRaw(message, raw, parseMode, formatted.text);
        this.state.emitChange(rec.user.id, "new", message);
        return this.state.toApiMessage(message);
      },
      sendPhoto: ({ params, files }) => {
        const rec = this.state.sendTarget(params);
        const file = this.files.resolvePhoto(params.photo, files);
        const raw = params.caption === undefined ? undefined : String(params.caption);
        const parseMode = optString(params.parse_mode);
        const formatted =
          raw === undefined ? undefined : format(raw, parseMode, params.caption_entities, "caption");
        if (formatted && formatted.text.length > 1024) throw badRequest("message caption is too long");
        const markup = inlineMarkup(params.reply_markup, rec, this.state.strictUrls);
        const replyTo = this.replyTarget(rec, params);
        const message = this.state.appendMessage(rec, { outgoing: true });
        if (replyTo) message.reply_to_message = replyTo;
        message.photo = this.files.photoSizes(file);
        if (formatted && formatted.text !== "") {
          message.caption = formatted.text;
          if (formatted.entities.length) message.caption_entities = formatted.entities;
          setRaw(message, raw ?? "", parseMode, formatted.text);
        }
        if (markup) message.reply_markup = markup;
        this.state.emitChange(rec.user.id, "new", message);
        return this.state.toApiMessage(message);
      },
      editMessageText: ({ params }) => {
        const { rec, message } = this.editTarget(params, "edit");
        const raw = params.text === undefined ? "" : String(params.text);
        const parseMode = optString(params.parse_mode);
        const formatted = format(raw, parseMode, params.entities, "text");
        if (formatted.text.trim() === "") throw badRequest("message text is empty");
        if (message.text === undefined) throw badRequest("there is no text in the message to edit");
        const markup = inlineMarkup(params.reply_markup, rec, this.state.strictUrls);
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
        const formatted = format(raw, parseMode, params.caption_entities, "caption");
        if (formatted.text.length > 1024) throw badRequest("message caption is too long");
        const markup = inlineMarkup(params.reply_markup, rec, this.state.strictUrls);
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
        const markup = inlineMarkup(params.reply_markup, rec, this.state.strictUrls);
        if (sameJson(message.reply_markup, markup)) throw notModified();
        setOptional(message, "reply_markup", markup);
        return this.markEdited(rec, message);
      },
      deleteMessage: ({ params }) => {
        const { rec, message } = this.editTarget(params, "delete");
        rec.messages = rec.messages.filter((m) => m !== message);
        this.state.emitChange(rec.user.id, "deleted", message);
        return true;
      },
      sendChatAction: ({ params }) => {
        this.state.sendTarget(params);
        if (!CHAT_ACTIONS.includes(String(params.action)))
          throw badRequest("wrong parameter action in request");
        return true;
      },
    };
  }

  private editTarget(
    params: Record<string, unknown>,
    action: "edit" | "delete",
  ): { rec: UserRecord; message: ChatMessage } {
    if (params.inline_message_id !== undefined)
      throw badRequest("inline messages are not supported by the double");
    const rec = this.state.chatRecord(params.chat_id);
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
      const { reply_to_message: _nested, ...quoted } = this.state.toApiMessage(target);
      return quoted;
    }
    if (toBool(rp?.allow_sending_without_reply ?? params.allow_sending_without_reply)) return undefined;
    throw badRequest("message to be replied not found");
  }

  private markEdited(rec: UserRecord, message: ChatMessage): unknown {
    message.edited = true;
    message.editCount += 1;
    message.edit_date = Math.floor(this.state.now() / 1000);
    this.state.emitChange(rec.user.id, "edited", message);
    return this.state.toApiMessage(message);
  }
}

function format(
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

function notModified() {
  return badRequest(
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
