import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import { badRequest } from "../api-error.ts";
import { clone, type UserRecord } from "../state.ts";

/** Validates reply_markup; returns the inline keyboard (other keyboards are chat state). */
export function inlineMarkup(
  markup: unknown,
  rec: UserRecord,
  strictUrls: boolean,
): InlineKeyboardMarkup | undefined {
  if (markup === undefined || markup === null) return undefined;
  if (typeof markup !== "object") throw badRequest("can't parse reply keyboard markup JSON object");
  const m = markup as Record<string, unknown>;
  if ("inline_keyboard" in m) {
    const rows = m.inline_keyboard;
    if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
      throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
    }
    for (const row of rows as InlineKeyboardButton[][]) {
      for (const button of row) checkButton(button, strictUrls);
    }
    const clean = (rows as InlineKeyboardButton[][]).filter((r) => r.length > 0);
    return clean.length ? { inline_keyboard: clone(clean) } : undefined;
  }
  if ("keyboard" in m) rec.replyKeyboard = clone(m);
  else if ("remove_keyboard" in m) rec.replyKeyboard = undefined;
  else if (!("force_reply" in m)) throw badRequest("can't parse reply keyboard markup JSON object");
  return undefined;
}

function checkButton(button: InlineKeyboardButton, strictUrls: boolean): void {
  if (!button || typeof button !== "object" || typeof button.text !== "string") {
    throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
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
    throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
  if (typeof b.callback_data === "string") {
    const size = Buffer.byteLength(b.callback_data);
    if (size < 1 || size > 64) throw badRequest("BUTTON_DATA_INVALID");
  }
  if ("copy_text" in b) checkCopyText(b.copy_text);
  if (typeof b.url === "string") checkUrl(b.url, "", strictUrls);
  if (b.web_app !== undefined) checkUrl((b.web_app as { url?: string }).url, "Web App", strictUrls);
}

/** CopyTextButton (Bot API 7.11): `{ text }`, 1-256 characters, copied to the clipboard on a tap. */
function checkCopyText(copy: unknown): void {
  const text = copy && typeof copy === "object" ? (copy as { text?: unknown }).text : undefined;
  if (typeof text !== "string")
    throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
  if (text.length < 1 || text.length > 256) throw badRequest("BUTTON_COPY_TEXT_INVALID");
}

/** A button or menu URL; Telegram's https-only and no-localhost rules apply only with `strictUrls`. */
export function checkUrl(url: unknown, kind: "" | "Web App", strictUrls: boolean): void {
  const label = kind ? "Web App URL" : "URL";
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw badRequest(`inline keyboard button ${label} '${String(url)}' is invalid: Wrong HTTP URL`);
  }
  if (!strictUrls) return;
  if (kind && parsed.protocol !== "https:") {
    throw badRequest(
      `inline keyboard button Web App URL '${String(url)}' is invalid: Only HTTPS links are allowed`,
    );
  }
  if (["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname)) {
    throw badRequest(`inline keyboard button ${label} '${String(url)}' is invalid: Wrong HTTP URL`);
  }
}
