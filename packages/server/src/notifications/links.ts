import type { InlineKeyboardButton } from "grammy/types";

/**
 * Buttons that open the Mini App. With a public URL they are `web_app` buttons (the Mini App reads
 * `?startapp=`; the sandbox re-signs them); without one they are t.me links that Telegram turns
 * into the bot's main Mini App with `tgWebAppStartParam`.
 */
export interface MiniAppLinks {
  /** A button opening the Mini App, at the page `startParam` names (e.g. `order_42`) if given. */
  button(text: string, startParam?: string): Promise<InlineKeyboardButton>;
}

const START_PARAM = /^[A-Za-z0-9_-]{1,64}$/;

export function miniAppLinks(publicUrl: string | null, botUsername: () => Promise<string>): MiniAppLinks {
  return {
    async button(text, startParam) {
      const param = startParam && START_PARAM.test(startParam) ? startParam : undefined;
      if (publicUrl) {
        const url = param ? `${publicUrl}/?startapp=${param}` : `${publicUrl}/`;
        return { text, web_app: { url } };
      }
      const username = await botUsername();
      const url = param ? `https://t.me/${username}?startapp=${param}` : `https://t.me/${username}?startapp`;
      return { text, url };
    },
  };
}

/** The start parameter of an order's tracking page. */
export const orderStartParam = (orderId: number) => `order_${orderId}`;

/** The start parameter of an offer's page in the catalogue. */
export const offerStartParam = (offerId: number) => `offer_${offerId}`;
