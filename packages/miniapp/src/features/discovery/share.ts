import type { Me, Offer } from "../../lib/endpoints.ts";
import type { I18n } from "../../lib/i18n.tsx";
import { keys } from "../../lib/queries.ts";
import { queryClient } from "../../lib/query-client.ts";
import { toast } from "../../lib/toast.ts";
import { isNative, openTelegramLink } from "../../telegram/bridge.ts";

/** The link that opens this offer in the Mini App: t.me/<bot>?startapp=offer_<id>. */
export function offerLink(offerId: number, botUsername: string | null | undefined): string {
  const param = `offer_${offerId}`;
  return botUsername
    ? `https://t.me/${botUsername}?startapp=${param}`
    : `${location.origin}/?startapp=${param}`;
}

/**
 * Shares an offer to a chat: inside Telegram its share sheet (t.me/share, which picks the chat);
 * elsewhere the system share sheet, or the link copied.
 */
export async function shareOffer(offer: Offer, storeName: string, i18n: I18n): Promise<void> {
  const me = queryClient.getQueryData<Me>(keys.me);
  const url = offerLink(offer.id, me?.bot_username);
  const text = i18n.t("app.offer.shareText", {
    title: offer.title,
    store: storeName,
    price: i18n.som(offer.price),
  });
  if (isNative()) {
    openTelegramLink(
      `https://t.me/share/url?url=${encodeURIComponent(url)}&text=${encodeURIComponent(text)}`,
    );
    return;
  }
  if (typeof navigator.share === "function") {
    try {
      await navigator.share({ title: offer.title, text, url });
      return;
    } catch {
      // cancelled, or not allowed here: fall back to copying
    }
  }
  try {
    await navigator.clipboard.writeText(`${text}\n${url}`);
    toast(i18n.t("app.offer.linkCopied"), "success", 2000);
  } catch {
    toast(url, "info", 6000);
  }
}
