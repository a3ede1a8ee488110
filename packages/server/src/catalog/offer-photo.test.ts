import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { JpegCopies } from "./offer-photo.ts";

describe("JpegCopies", () => {
  it("makes a JPEG of a webp once, keeping only the last few", async () => {
    const webp = await sharp({ create: { width: 20, height: 10, channels: 3, background: "#c84" } })
      .webp()
      .toBuffer();
    const copies = new JpegCopies(2);
    const a = copies.get("1/large.jpg", webp);
    expect(copies.get("1/large.jpg", webp)).toBe(a); // the same conversion, not a second one
    const meta = await sharp(await a).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 20, 10]);
    copies.get("2/large.jpg", webp);
    copies.get("3/large.jpg", webp); // three kept at most two: the oldest goes
    expect(copies.get("1/large.jpg", webp)).not.toBe(a);
  });

  it("forgets a conversion that failed, so the next request tries again", async () => {
    const copies = new JpegCopies();
    const bad = copies.get("9/small.jpg", new Uint8Array([1, 2, 3]));
    await expect(bad).rejects.toThrow();
    expect(copies.get("9/small.jpg", new Uint8Array([1, 2, 3]))).not.toBe(bad);
  });
});
