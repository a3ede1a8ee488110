/**
 * Normalises a phone number to E.164. Uzbek numbers may be written locally ("90 123 45 67",
 * "8 90 123-45-67") or internationally ("+998 (90) 123 45 67"); other countries must carry "+".
 * Returns null when the input is not a plausible phone number.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^[+\d][\d\s()\-.]*$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, "");
  const plus = trimmed.startsWith("+");
  if (!plus && digits.length === 9) return `+998${digits}`;
  if (!plus && digits.length === 10 && digits.startsWith("8")) return `+998${digits.slice(1)}`;
  if (digits.startsWith("998")) return digits.length === 12 ? `+${digits}` : null;
  if (plus && digits.length >= 8 && digits.length <= 15) return `+${digits}`;
  return null;
}
