import { parseHtml } from "@lastbite/telegram-double";
import { describe, expect, it } from "vitest";
import { messageToHtml } from "./message-html.ts";

describe("messageToHtml", () => {
  it("round-trips Telegram HTML and escapes everything else", () => {
    const { text, entities } = parseHtml(
      '<b>Order #1</b>\n2 × <i>Non</i> &lt;img&gt; <a href="https://x.uz/?a=1&amp;b=2">map</a>',
    );
    expect(messageToHtml(text, entities)).toBe(
      '<b>Order #1</b>\n2 × <i>Non</i> &lt;img&gt; <a href="https://x.uz/?a=1&amp;b=2" target="_blank" rel="noopener">map</a>',
    );
  });

  it("drops unsafe link targets and tolerates bad offsets", () => {
    expect(
      messageToHtml("click", [{ type: "text_link", offset: 0, length: 5, url: "javascript:alert(1)" }]),
    ).toBe("click");
    expect(messageToHtml("ab", [{ type: "bold", offset: 1, length: 9 }])).toBe("ab");
    expect(messageToHtml("🍞 x", [{ type: "bold", offset: 3, length: 1 }])).toBe("🍞 <b>x</b>");
  });
});
