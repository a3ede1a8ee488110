import type { MessageEntity } from "grammy/types";

/** Text as Telegram stores it: plain characters plus formatting entities (UTF-16 offsets). */
export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

/** Thrown with a Telegram-like description when `parse_mode: "HTML"` text is malformed. */
export class ParseEntitiesError extends Error {}

const SIMPLE: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
};

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

interface Open {
  tag: string;
  offset: number;
  attrs: Record<string, string>;
  seq: number;
}

/**
 * Parses Telegram's HTML subset into plain text and entities, the way the Bot API does for
 * `parse_mode: "HTML"`: unsupported tags and unbalanced tags are errors, `&lt;` `&gt;` `&amp;`
 * `&quot;` and numeric references are decoded, unknown named references are kept verbatim.
 */
export function parseHtml(html: string): FormattedText {
  let text = "";
  const entities: MessageEntity[] = [];
  const stack: Open[] = [];
  const order = new Map<MessageEntity, number>();
  let opened = 0;
  let i = 0;
  const byteOffset = (index: number) => Buffer.byteLength(html.slice(0, index));
  while (i < html.length) {
    const ch = html[i] as string;
    if (ch === "<") {
      const close = html.indexOf(">", i);
      if (close < 0) {
        throw new ParseEntitiesError(
          `Bad Request: can't parse entities: Unclosed start tag at byte offset ${byteOffset(i)}`,
        );
      }
      const inner = html.slice(i + 1, close).trim();
      if (inner.startsWith("/")) {
        const tag = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (!open || open.tag !== tag) {
          throw new ParseEntitiesError(
            `Bad Request: can't parse entities: Unmatched end tag at byte offset ${byteOffset(i)}, expected "</${open?.tag ?? ""}>", found "</${tag}>"`,
          );
        }
        const entity = toEntity(open, text.length - open.offset, stack);
        if (entity) {
          entities.push(entity);
          order.set(entity, open.seq);
        }
      } else {
        const m = /^([a-zA-Z][a-zA-Z0-9-]*)\s*([\s\S]*)$/.exec(inner);
        const tag = (m?.[1] ?? "").toLowerCase();
        const attrs = parseAttrs(m?.[2] ?? "");
        const supported =
          tag in SIMPLE ||
          tag === "a" ||
          tag === "blockquote" ||
          tag === "tg-emoji" ||
          (tag === "span" && attrs.class === "tg-spoiler");
        if (!supported) {
          throw new ParseEntitiesError(
            `Bad Request: can't parse entities: Unsupported start tag "${tag}" at byte offset ${byteOffset(i)}`,
          );
        }
        stack.push({ tag, offset: text.length, attrs, seq: opened++ });
      }
      i = close + 1;
    } else if (ch === "&") {
      const m = /^&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/.exec(html.slice(i, i + 12));
      const ref = m?.[1];
      if (ref?.startsWith("#x")) text += String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      else if (ref?.startsWith("#")) text += String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      else if (ref && NAMED[ref] !== undefined) text += NAMED[ref];
      else {
        text += "&";
        i += 1;
        continue;
      }
      i += (m?.[0] ?? "&").length;
    } else {
      text += ch;
      i += 1;
    }
  }
  const unclosed = stack.pop();
  if (unclosed) {
    throw new ParseEntitiesError(
      `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${unclosed.tag}"`,
    );
  }
  entities.sort(
    (a, b) => a.offset - b.offset || b.length - a.length || (order.get(a) ?? 0) - (order.get(b) ?? 0),
  );
  return { text, entities };
}

function parseAttrs(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([a-zA-Z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  for (const m of source.matchAll(re)) {
    const key = (m[1] ?? "").toLowerCase();
    attrs[key] = decodeAttr(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return attrs;
}

function decodeAttr(value: string): string {
  return value.replace(/&(lt|gt|amp|quot);/g, (_, n: string) => NAMED[n] ?? "");
}

function toEntity(open: Open, length: number, stack: Open[]): MessageEntity | undefined {
  if (length <= 0) return undefined;
  const { tag, offset, attrs } = open;
  if (tag === "a") {
    const url = attrs.href ?? "";
    return url ? { type: "text_link", offset, length, url } : undefined;
  }
  if (tag === "blockquote") {
    return { type: "expandable" in attrs ? "expandable_blockquote" : "blockquote", offset, length };
  }
  if (tag === "tg-emoji")
    return { type: "custom_emoji", offset, length, custom_emoji_id: attrs["emoji-id"] ?? "" };
  if (tag === "span") return { type: "spoiler", offset, length };
  if (tag === "code") {
    // <pre><code class="language-x"> is one pre entity with a language, as in Telegram
    const parent = stack.at(-1);
    const lang = /^language-(.+)$/.exec(attrs.class ?? "")?.[1];
    if (parent?.tag === "pre" && parent.offset === offset) {
      if (lang) parent.attrs.language = lang;
      return undefined;
    }
    return { type: "code", offset, length };
  }
  if (tag === "pre") {
    const language = attrs.language;
    return language ? { type: "pre", offset, length, language } : { type: "pre", offset, length };
  }
  const type = SIMPLE[tag];
  return type ? ({ type, offset, length } as MessageEntity) : undefined;
}

/** Strips Telegram HTML to its plain text, never throwing (for display of malformed input). */
export function stripHtml(html: string): string {
  try {
    return parseHtml(html).text;
  } catch {
    return html.replace(/<[^>]*>/g, "");
  }
}
