import { randomInt } from "node:crypto";

/** 31 characters without look-alikes: no 0/O, 1/I/L. */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 6;

/** A cryptographically random booking code, e.g. "K7QX2M". */
export function newBookingCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Pulls a booking code out of what a seller typed or scanned ("k7qx2m", "K7Q-X2M", a QR's text). */
export function extractBookingCode(input: string): string | null {
  const cleaned = input.toUpperCase().replace(/[\s-]/g, "");
  const m = new RegExp(`([${CODE_ALPHABET}]{${CODE_LENGTH}})$`).exec(cleaned);
  return m?.[1] ?? null;
}
