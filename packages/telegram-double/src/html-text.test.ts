import { describe, expect, it } from "vitest";
import { ParseEntitiesError, parseHtml, stripHtml } from "./html-text.ts";

describe("parseHtml", () => {
  it("turns Telegram HTML into text and entities with UTF-16 offsets", () => {
    const { text, entities } = parseHtml('🍞 <b>Non</b> &lt;3 <a href="https://t.me/x?a=1&amp;b=2">link</a>');
    expect(text).toBe("🍞 Non <3 link");
    expect(entities).toEqual([
      { type: "bold", offset: 3, length: 3 },
      { type: "text_link", offset: 10, length: 4, url: "https://t.me/x?a=1&b=2" },
    ]);
  });

  it("handles nesting, pre with a language, spoilers and unknown entities", () => {
    const { text, entities } = parseHtml(
      '<b><i>x</i></b><pre><code class="language-ts">let a</code></pre><tg-spoiler>s</tg-spoiler> &nbsp;',
    );
    expect(text).toBe("xlet as &nbsp;");
    expect(entities).toEqual([
      { type: "bold", offset: 0, length: 1 },
      { type: "italic", offset: 0, length: 1 },
      { type: "pre", offset: 1, length: 5, language: "ts" },
      { type: "spoiler", offset: 6, length: 1 },
    ]);
  });

  it("rejects unsupported and unbalanced tags like the Bot API", () => {
    expect(() => parseHtml("a<br>b")).toThrow(ParseEntitiesError);
    expect(() => parseHtml("a<br>b")).toThrow('Unsupported start tag "br" at byte offset 1');
    expect(() => parseHtml("<b>x")).toThrow(/Can't find end tag corresponding to start tag "b"/);
    expect(() => parseHtml("<b>x</i>")).toThrow(/Unmatched end tag/);
    expect(stripHtml("<div>ok</div>")).toBe("ok");
  });
});
