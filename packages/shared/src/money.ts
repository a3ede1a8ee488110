/** Formats an integer amount of so'm: 25000 → "25 000 so'm" (uz/en) or "25 000 сум" (ru). */
export function formatSom(amount: number, lang: string = "en"): string {
  const digits = Math.round(amount)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
  return lang === "ru" ? `${digits}\u00a0сум` : `${digits}\u00a0so'm`;
}

/** Formats a quantity in its unit: 2 pieces → "2", 1.5 kg → "1.5 kg" (one decimal at most). */
export function formatQuantity(quantity: number, unit: string): string {
  const q = Number.isInteger(quantity) ? String(quantity) : quantity.toFixed(1);
  return unit === "piece" ? q : `${q} ${unit}`;
}
