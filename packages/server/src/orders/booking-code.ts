import { randomInt } from "node:crypto";
import { CODE_ALPHABET, CODE_LENGTH } from "@lastbite/shared";

/** A cryptographically random booking code, e.g. "K7QX2M" (the alphabet lives in the shared lifecycle). */
export function newBookingCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}
