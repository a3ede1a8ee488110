import sharp, { type Metadata } from "sharp";
import { fail, ok, type Result } from "../core/result.ts";

/** What `PUT /api/offers/:id/photo` accepts: the formats phones produce, at most 10 MB. */
export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
/** Larger than any phone camera's side; 10,000 px is refused before anything is decoded. */
export const PHOTO_MAX_SIDE = 8192;
/** Pixels decoded at most (a PNG "bomb" is small on the wire and huge in memory). */
const PHOTO_MAX_PIXELS = 50_000_000;
/** The stored sizes (longest side, px): a catalogue thumbnail and the offer's page. */
export const PHOTO_SIZES = { small: 360, large: 1080 } as const;
export type PhotoSize = keyof typeof PHOTO_SIZES;

export interface ResizedPhoto {
  small: Buffer;
  large: Buffer;
  /** Of the large copy. */
  width: number;
  height: number;
}

const FORMATS = new Set(["jpeg", "png", "webp"]);

// One libvips thread per resize: an upload never takes every core from the requests around it
// (uploads in parallel still use several, through libuv's pool).
sharp.concurrency(1);

/**
 * Checks an uploaded image and makes its stored copies: webp, turned upright by its EXIF
 * orientation, metadata (location included) dropped. Anything that is not a readable JPEG, PNG or
 * WebP within the limits is an `invalid_request` naming why; nothing is written by this function.
 */
export async function resizePhoto(input: Buffer): Promise<Result<ResizedPhoto>> {
  if (input.length === 0) return fail("invalid_request", "the body is empty; send the image");
  if (input.length > PHOTO_MAX_BYTES) return fail("payload_too_large", "the image is larger than 10 MB");
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    return fail("invalid_request", "the body is not an image (JPEG, PNG or WebP)");
  }
  if (!meta.format || !FORMATS.has(meta.format))
    return fail("invalid_request", `a ${meta.format ?? "unknown"} image: send JPEG, PNG or WebP`);
  const { width = 0, height = 0 } = meta;
  if (width < 1 || height < 1) return fail("invalid_request", "the image has no size");
  if (width > PHOTO_MAX_SIDE || height > PHOTO_MAX_SIDE || width * height > PHOTO_MAX_PIXELS)
    return fail(
      "invalid_request",
      `the image is ${width}×${height} px; at most ${PHOTO_MAX_SIDE} px a side and 50 megapixels`,
    );
  try {
    const upright = sharp(input, { limitInputPixels: PHOTO_MAX_PIXELS, failOn: "error" }).rotate();
    const copy = (side: number) =>
      upright
        .clone()
        .resize({ width: side, height: side, fit: "inside", withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer({ resolveWithObject: true });
    const [small, large] = await Promise.all([copy(PHOTO_SIZES.small), copy(PHOTO_SIZES.large)]);
    return ok({ small: small.data, large: large.data, width: large.info.width, height: large.info.height });
  } catch {
    return fail("invalid_request", "the image could not be read (damaged or truncated)");
  }
}

/**
 * JPEG copies of stored (webp) photos, for those that take nothing else (Telegram's inline photos),
 * made on request. Photos never change, so the last few made are kept: a client asking for the same
 * one again and again costs no more conversions.
 */
export class JpegCopies {
  private readonly made = new Map<string, Promise<Buffer>>();

  constructor(private readonly keep = 32) {}

  get(key: string, webp: Uint8Array): Promise<Buffer> {
    let copy = this.made.get(key);
    if (copy) {
      this.made.delete(key); // most recently used last
      this.made.set(key, copy);
      return copy;
    }
    copy = sharp(webp).jpeg({ quality: 85 }).toBuffer();
    copy.catch(() => this.made.delete(key));
    this.made.set(key, copy);
    while (this.made.size > this.keep) this.made.delete(this.made.keys().next().value as string);
    return copy;
  }
}

/** The URL an offer's photo is served at: a new upload gets a new id, so the URL's bytes never change. */
export const photoUrl = (photoId: number, size: PhotoSize = "large") => `/photos/${photoId}/${size}.webp`;
