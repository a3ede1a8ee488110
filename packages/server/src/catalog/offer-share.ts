import type { Lang, PreparedShare } from "@lastbite/shared";
import { t } from "@lastbite/shared";
import { GrammyError, HttpError } from "grammy";
import type { InlineKeyboardMarkup, InlineQueryResult, PreparedInlineMessage } from "grammy/types";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { offerStartParam } from "../notifications/links.ts";
import { type AlertOffer, renderOfferShare } from "../notifications/renderers.ts";
import { onSale } from "./offer-rules.sql.ts";

/** What sharing needs of the Bot API; grammY's `Api` is one. */
export interface ShareBotApi {
  savePreparedInlineMessage(
    userId: number,
    result: InlineQueryResult,
    other?: {
      allow_user_chats?: boolean;
      allow_bot_chats?: boolean;
      allow_group_chats?: boolean;
      allow_channel_chats?: boolean;
    },
  ): Promise<PreparedInlineMessage>;
  getMe(): Promise<{ username: string }>;
}

/** The bot as sharing sees it: wired by `createTelegram` once there is a Telegram to talk to. */
export interface ShareBot {
  username: string | null;
  api: ShareBotApi | null;
}

/**
 * Prepares an offer for Telegram's `shareMessage` (Bot API 8.0): a message Telegram keeps for the
 * user, with the offer's photo when Telegram can fetch it (else an article), its shop, price,
 * pickup window and a button that opens the offer in the Mini App. The button is a t.me link
 * (`startapp=offer_<id>`): the message goes into any chat, where `web_app` buttons are refused.
 */
export class OfferShare {
  constructor(
    private readonly db: Database,
    private readonly bot: ShareBot,
    private readonly opts: { publicUrl: string | null; timeZone: string },
  ) {}

  async prepare(userId: number, lang: Lang, offerId: number): Promise<Result<PreparedShare>> {
    const row = await kysely(this.db)
      .selectFrom("offers")
      .innerJoin("stores as s", "s.id", "offers.store_id")
      .select((eb) => [
        "offers.id",
        "offers.title",
        "offers.price",
        "offers.original_price",
        "offers.pickup_from",
        "offers.pickup_until",
        "offers.photo_url",
        "s.name as store_name",
        "s.timezone",
        onSale(eb).as("on_sale"),
      ])
      .where("offers.id", "=", offerId)
      .executeTakeFirst();
    if (!row) return fail("not_found", `offer ${offerId} does not exist`);
    if (!row.on_sale) return fail("offer_unavailable", `offer ${offerId} is not on sale now`);
    const api = this.bot.api;
    if (!api)
      return fail("service_unavailable", "the bot is not connected to Telegram; share the link instead");
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    const offer: AlertOffer = {
      id: row.id,
      title: row.title,
      price: row.price,
      original_price: row.original_price,
      pickup_from: iso(row.pickup_from),
      pickup_until: iso(row.pickup_until),
      store_name: row.store_name,
      time_zone: row.timezone ?? this.opts.timeZone,
    };
    try {
      if (!this.bot.username) this.bot.username = (await api.getMe()).username;
      const link = `https://t.me/${this.bot.username}?startapp=${offerStartParam(offer.id)}`;
      const result = shareResult(offer, lang, link, sharePhoto(row.photo_url, this.opts.publicUrl));
      const prepared = await api.savePreparedInlineMessage(userId, result, {
        allow_user_chats: true,
        allow_group_chats: true,
        allow_channel_chats: true,
      });
      return ok({
        prepared_message_id: prepared.id,
        expires_at: new Date(prepared.expiration_date * 1000).toISOString(),
      });
    } catch (err) {
      return telegramFailure(err);
    }
  }
}

/** The InlineQueryResult of a shared offer: a photo when there is one Telegram can fetch, else an article. */
export function shareResult(
  offer: AlertOffer,
  lang: Lang,
  link: string,
  photo: { url: string; thumbnail: string } | null,
): InlineQueryResult {
  const { text, description } = renderOfferShare(offer, lang);
  const id = offerStartParam(offer.id);
  const reply_markup: InlineKeyboardMarkup = {
    inline_keyboard: [[{ text: t(lang, "bot.button.openOffer"), url: link }]],
  };
  if (photo)
    return {
      type: "photo",
      id,
      photo_url: photo.url,
      thumbnail_url: photo.thumbnail,
      title: offer.title,
      description,
      caption: text,
      reply_markup,
    };
  return {
    type: "article",
    id,
    title: offer.title,
    description,
    input_message_content: { message_text: text, link_preview_options: { is_disabled: true } },
    reply_markup,
  };
}

/**
 * The offer's photo as Telegram must fetch it (JPEG, over https): a photo uploaded here is served
 * as JPEG from PUBLIC_URL when that is https; a photo URL the seller gave is used as it is.
 * Local set-ups (no https PUBLIC_URL) share an article: Telegram could not reach the photo.
 */
export function sharePhoto(
  photoUrl: string | null,
  publicUrl: string | null,
): { url: string; thumbnail: string } | null {
  if (!photoUrl) return null;
  if (photoUrl.startsWith("https://")) return { url: photoUrl, thumbnail: photoUrl };
  const uploaded = /^\/photos\/(\d+)\/large\.webp$/.exec(photoUrl);
  if (!uploaded || !publicUrl?.startsWith("https://")) return null;
  const base = `${publicUrl.replace(/\/$/, "")}/photos/${uploaded[1]}`;
  return { url: `${base}/large.jpg`, thumbnail: `${base}/small.jpg` };
}

/** Telegram said no (502), or could not be asked (503). The bot token is never part of the detail. */
function telegramFailure(err: unknown): Result<never> {
  if (err instanceof GrammyError) {
    if (err.error_code === 429 || err.error_code >= 500)
      return fail("service_unavailable", "Telegram is busy; try again in a moment");
    return fail(
      "telegram_error",
      `Telegram refused to prepare the message (${err.error_code}: ${err.description})`,
    );
  }
  if (err instanceof HttpError)
    return fail("service_unavailable", "Telegram cannot be reached; try again in a moment");
  throw err;
}
