import { createHmac, timingSafeEqual } from "node:crypto";
import { fail, ok, type Result } from "./result.ts";

/** A position in a list: the values of its sort key at the last row a page showed. */
export type Position = readonly (string | number | null)[];

const MAX_CURSOR = 512;

/**
 * Opaque, signed page cursors. A cursor names the list it belongs to (`scope`: e.g. one buyer's
 * orders with one filter) and the position after which the next page starts; it is signed with a
 * key derived from the bot token, so a cursor that was forged, altered, or given out by another list
 * (another filter, another user, the offers instead of the orders) is refused with 400 rather than
 * quietly paging somewhere else.
 */
export class Cursors {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac("sha256", "lastbite-page-cursor").update(secret).digest();
  }

  encode(scope: string, position: Position): string {
    const body = Buffer.from(JSON.stringify(position)).toString("base64url");
    return `${body}.${this.sign(scope, body)}`;
  }

  decode(scope: string, cursor: string): Result<Position> {
    const bad = fail("invalid_request", "cursor is not one this list gave out; start again without it");
    if (cursor.length > MAX_CURSOR) return bad;
    const [body, mac, ...rest] = cursor.split(".");
    if (!body || !mac || rest.length > 0) return bad;
    const expected = Buffer.from(this.sign(scope, body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return bad;
    try {
      const position: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      if (
        !Array.isArray(position) ||
        !position.every((v) => v === null || typeof v === "string" || Number.isFinite(v))
      )
        return bad;
      return ok(position as Position);
    } catch {
      return bad;
    }
  }

  private sign(scope: string, body: string): string {
    return createHmac("sha256", this.key).update(`${scope}\n${body}`).digest("base64url").slice(0, 22);
  }
}
