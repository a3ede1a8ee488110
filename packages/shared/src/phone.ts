import { parsePhoneNumberFromString } from "libphonenumber-js/min";

/** Numbers written without a country code are Uzbek. */
export const DEFAULT_PHONE_COUNTRY = "UZ";

/**
 * Normalises a phone number to E.164: the one rule for the server's schemas, the bot's shared
 * contacts and the Mini App's form. Uzbek numbers may be written locally ("(90) 123-45-67",
 * "90 123 45 67", "8 90 123 45 67") or internationally ("+998 90 123 45 67", "998901234567");
 * a number of another country needs its "+" code and must be valid for that country
 * (libphonenumber-js). Returns null when it is not a valid phone number.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^[+(\d][\d\s()\-.]*$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, "");
  const plus = trimmed.startsWith("+");
  let candidate = trimmed;
  // The old Soviet trunk prefix 8, still written in Uzbekistan: "8 90 123 45 67".
  if (!plus && digits.length === 10 && digits.startsWith("8")) candidate = digits.slice(1);
  // The country code without its "+": "998 90 123 45 67".
  else if (!plus && digits.length === 12 && digits.startsWith("998")) candidate = `+${digits}`;
  const parsed = parsePhoneNumberFromString(candidate, DEFAULT_PHONE_COUNTRY);
  return parsed?.isValid() ? parsed.number : null;
}

/** An E.164 number as people read it: "+998 90 123 45 67"; anything unparsable as it is. */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164, DEFAULT_PHONE_COUNTRY)?.formatInternational() ?? e164;
}
