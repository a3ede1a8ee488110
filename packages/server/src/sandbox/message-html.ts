import type { MessageEntity } from "grammy/types";

const escapeMap: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapeMap[c] ?? c);
}

function safeUrl(url: string): string | undefined {
  return /^(https?:|tg:|mailto:)/i.test(url) ? url : undefined;
}

function tags(entity: MessageEntity, content: string): [string, string] {
  switch (entity.type) {
    case "bold":
      return ["<b>", "</b>"];
    case "italic":
      return ["<i>", "</i>"];
    case "underline":
      return ["<u>", "</u>"];
    case "strikethrough":
      return ["<s>", "</s>"];
    case "code":
      return ["<code>", "</code>"];
    case "pre":
      return ["<pre>", "</pre>"];
    case "spoiler":
      return ['<span class="spoiler">', "</span>"];
    case "blockquote":
    case "expandable_blockquote":
      return ["<blockquote>", "</blockquote>"];
    case "text_link": {
      const url = safeUrl(entity.url);
      return url ? [`<a href="${escapeHtml(url)}" target="_blank" rel="noopener">`, "</a>"] : ["", ""];
    }
    case "url": {
      const url = safeUrl(content) ?? safeUrl(`https://${content}`);
      return url ? [`<a href="${escapeHtml(url)}" target="_blank" rel="noopener">`, "</a>"] : ["", ""];
    }
    case "bot_command":
      return ['<span class="cmd">', "</span>"];
    default:
      return ["", ""];
  }
}

/**
 * Renders Telegram text + entities (UTF-16 offsets) as safe HTML for the sandbox page: every
 * character is escaped, only known entity types become tags, link URLs are limited to
 * http(s)/tg/mailto.
 */
export function messageToHtml(text: string, entities: readonly MessageEntity[] = []): string {
  const sorted = [...entities]
    .filter((e) => e.length > 0 && e.offset >= 0 && e.offset + e.length <= text.length)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  let out = "";
  const open: Array<{ end: number; close: string }> = [];
  let next = 0;
  for (let i = 0; i <= text.length; i++) {
    while (open.length && (open.at(-1)?.end ?? 0) <= i) out += open.pop()?.close ?? "";
    if (i === text.length) break;
    while (next < sorted.length && (sorted[next] as MessageEntity).offset === i) {
      const e = sorted[next++] as MessageEntity;
      // clip an entity that overlaps its parent instead of producing broken markup
      const end = Math.min(e.offset + e.length, open.at(-1)?.end ?? text.length);
      const [start, close] = tags(e, text.slice(e.offset, e.offset + e.length));
      out += start;
      open.push({ end, close });
    }
    out += escapeHtml(text[i] as string);
  }
  return out;
}
