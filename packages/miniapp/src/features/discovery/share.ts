import { type Me, type Offer, prepareShare } from "../../lib/endpoints.ts";
import type { I18n } from "../../lib/i18n.tsx";
import { keys } from "../../lib/queries.ts";
import { queryClient } from "../../lib/query-client.ts";
import { toast } from "../../lib/toast.ts";
import { haptic, isNative, openTelegramLink, shareMessage, supports } from "../../telegram/bridge.ts";

/** The link that opens this offer in the Mini App: t.me/<bot>?startapp=offer_<id>. */
export function offerLink(offerId: number, botUsername: string | null | undefined): string {
  const param = `offer_${offerId}`;
  return botUsername
    ? `https://t.me/${botUsername}?startapp=${param}`
    : `${location.origin}/?startapp=${param}`;
}

let preparing = false;

/**
 * Telegram's own share sheet with the message the server prepared (the offer's card with a button
 * that opens it). False when the link should be shared instead: the server or Telegram could not
 * prepare it, or the client could not send it. The user closing the sheet is not a failure.
 */
async function sharePrepared(offerId: number): Promise<boolean> {
  // A second tap while the first is being prepared: that one opens the sheet.
  if (preparing) return true;
  preparing = true;
  let id: string;
  try {
    id = (await prepareShare(offerId)).prepared_message_id;
  } catch {
    return false;
  } finally {
    preparing = false;
  }
  const outcome = await shareMessage(id);
  if (outcome === "sent") haptic.notify("success");
  return outcome !== "failed";
}

/**
 * Shares an offer to a chat: inside Telegram 8.0+ a prepared message (shareMessage), else
 * Telegram's share sheet for the link (t.me/share, which picks the chat); outside Telegram the
 * system share sheet, or the link copied.
 */
export async function shareOffer(offer: Offer, storeName: string, i18n: I18n): Promise<void> {
  if (isNative() && supports("8.0") && (await sharePrepared(offer.id))) return;
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
