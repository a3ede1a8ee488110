import { asksReason, type Lang, normalizePhone, type OrderStatus, pickLang, t } from "@lastbite/shared";
import { type Bot, type Context, GrammyError } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import type { Authenticator } from "../auth/authenticate.ts";
import type { BuyerService } from "../buyers/buyer.service.ts";
import type { CatalogService } from "../catalog/catalog.service.ts";
import type { Failure } from "../core/result.ts";
import { parseCallbackData } from "../notifications/callback-data.ts";
import type { MiniAppLinks } from "../notifications/links.ts";
import { orderStartParam } from "../notifications/links.ts";
import { reasonKeyboard, renderAdminStoreReview, sellerKeyboard } from "../notifications/renderers.ts";
import type { OrderService } from "../orders/order.service.ts";
import type { UserRepository } from "../users/user.repository.ts";
import type { ProcessedUpdates } from "./processed-updates.ts";

export interface BotHandlerDeps {
  updates: ProcessedUpdates;
  users: UserRepository;
  orders: OrderService;
  buyers: Pick<BuyerService, "offerAlerts" | "setOfferAlerts">;
  catalog: CatalogService;
  auth: Authenticator;
  links: MiniAppLinks;
}

const langOf = (ctx: Context): Lang => pickLang(ctx.from?.language_code);

/**
 * The bot's handlers, kept thin: parse, call the same OrderService the HTTP API uses, answer.
 * Every message about an order (the card's edits included) goes out through the outbox worker,
 * so the bot never speaks for a change that did not commit and never speaks twice.
 */
export function installHandlers(bot: Bot, deps: BotHandlerDeps): void {
  // A re-delivered update (webhook retry, restart before the offset was confirmed) acts once; one
  // whose handling died with its process acts when it comes again.
  bot.use(async (ctx, next) => {
    if (!(await deps.updates.claim(ctx.update.update_id))) return;
    try {
      await next();
      await deps.updates.finish(ctx.update.update_id);
    } catch (err) {
      // Handling failed (e.g. the database blipped): forget the update so a re-delivery is acted on.
      await deps.updates.release(ctx.update.update_id).catch(() => {});
      throw err;
    }
  });

  // Keep the user's profile and language current: the outbox renders in users.language.
  bot.use(async (ctx, next) => {
    const from = ctx.from;
    if (from && !from.is_bot)
      await deps.auth.upsert({
        id: from.id,
        first_name: from.first_name,
        ...(from.last_name ? { last_name: from.last_name } : {}),
        ...(from.username ? { username: from.username } : {}),
        ...(from.language_code ? { language_code: from.language_code } : {}),
      });
    await next();
  });

  bot.command("start", async (ctx) => {
    const lang = langOf(ctx);
    const param = ctx.match.trim();
    const order = /^order_(\d{1,15})$/.exec(param);
    if (order) {
      const id = Number(order[1]);
      const button = await deps.links.button(t(lang, "bot.button.openOrder", { id }), orderStartParam(id));
      await ctx.reply(t(lang, "bot.start.order", { id }), { reply_markup: { inline_keyboard: [[button]] } });
      return;
    }
    const button = await deps.links.button(t(lang, "bot.button.open"), param || undefined);
    await ctx.reply(t(lang, "bot.start.greeting", { name: ctx.from?.first_name ?? "" }), {
      reply_markup: { inline_keyboard: [[button]] },
    });
  });

  // /alerts: the new-offer messages from favourite shops, on or off.
  bot.command("alerts", async (ctx) => {
    const on = !(await deps.buyers.offerAlerts(ctx.from?.id ?? 0));
    if (ctx.from) await deps.buyers.setOfferAlerts(ctx.from.id, on);
    await ctx.reply(t(langOf(ctx), on ? "bot.alerts.on" : "bot.alerts.off"));
  });

  // /suspend 12, /reinstate 12: an admin takes a shop's offers off sale or puts them back.
  for (const decision of ["suspend", "reinstate"] as const)
    bot.command(decision, async (ctx) => {
      const lang = langOf(ctx);
      if (!deps.catalog.isAdmin(ctx.from?.id ?? 0)) {
        await ctx.reply(t(lang, "bot.admin.notAdmin"));
        return;
      }
      const arg = /^#?(\d{1,15})$/.exec(ctx.match.trim());
      if (!arg) {
        await ctx.reply(t(lang, "bot.admin.usage"));
        return;
      }
      const id = Number(arg[1]);
      const r = await deps.catalog.decideStore(ctx.from?.id ?? 0, id, decision);
      const shop = await deps.catalog.shopForReview(id);
      if (!shop) {
        await ctx.reply(t(lang, "bot.admin.noShop", { id }));
        return;
      }
      const name = shop.name;
      await ctx.reply(
        r.ok
          ? t(lang, decision === "suspend" ? "bot.admin.suspended" : "bot.admin.reinstated", { name, id })
          : t(lang, "bot.admin.cannot", { name, id, status: t(lang, `store.status.${shop.status}`) }),
      );
    });

  bot.on("callback_query:data", async (ctx) => {
    const lang = langOf(ctx);
    const cmd = parseCallbackData(ctx.callbackQuery.data);
    let answered = false;
    const answer = async (text: string, alert = false) => {
      answered = true;
      await ctx.answerCallbackQuery({ text, ...(alert ? { show_alert: true } : {}) });
    };
    try {
      if (!cmd) {
        await answer(t(lang, "bot.toast.stale"));
        return;
      }
      if (cmd.type === "order" || cmd.type === "reason") {
        if (cmd.type === "order") {
          // ❌ first asks why: the same card shows the quick reasons and ↩️ back; nothing changes yet.
          const o = await deps.orders.forSeller(ctx.from.id, cmd.orderId);
          if (o.ok && asksReason(cmd.action, o.value.status)) {
            await editKeyboard(ctx, reasonKeyboard(o.value, cmd.action, lang));
            await answer(t(lang, "bot.toast.chooseReason"));
            return;
          }
        }
        const r = await deps.orders.act(
          { type: "seller", id: ctx.from.id },
          "seller",
          cmd.orderId,
          cmd.action,
          null,
          cmd.type === "reason" ? cmd.reason : null,
        );
        if (r.ok) {
          await answer(t(lang, `bot.toast.${cmd.action}`));
          return;
        }
        await answer(await refusal(deps, ctx.from.id, cmd.orderId, r, lang), true);
        return;
      }
      if (cmd.type === "alertsOff") {
        await deps.buyers.setOfferAlerts(ctx.from.id, false);
        await answer(t(lang, "bot.alerts.off"), true);
        return;
      }
      if (cmd.type === "back") {
        // Back from the reasons: the card's buttons as the order stands now.
        const o = await deps.orders.forSeller(ctx.from.id, cmd.orderId);
        if (!o.ok) {
          await answer(t(lang, "bot.toast.notYours"), true);
          return;
        }
        await editKeyboard(ctx, sellerKeyboard(o.value, lang));
        await answer(t(lang, "bot.reason.back"));
        return;
      }
      if (cmd.type === "store") {
        const r = await deps.catalog.decideStore(ctx.from.id, cmd.storeId, cmd.decision);
        if (!r.ok && r.code === "forbidden") {
          await answer(t(lang, "bot.admin.notAdmin"), true);
          return;
        }
        // Whoever decided, this admin's card now shows the decision and loses its buttons.
        const shop = await deps.catalog.shopForReview(cmd.storeId);
        if (shop) {
          const card = renderAdminStoreReview(shop, lang);
          await ctx
            .editMessageText(card.text, { reply_markup: { inline_keyboard: card.keyboard } })
            .catch(() => {}); // "not modified" when it already shows it
        }
        if (r.ok)
          await answer(t(lang, cmd.decision === "approve" ? "bot.admin.approved" : "bot.admin.rejected"));
        else
          await answer(
            t(lang, "bot.admin.already", { status: shop ? t(lang, `store.status.${shop.status}`) : "—" }),
            true,
          );
        return;
      }
      const r = await deps.orders.rate(ctx.from.id, cmd.orderId, cmd.stars);
      const text = r.ok
        ? t(lang, "bot.toast.rated")
        : r.code === "already_rated"
          ? t(lang, "bot.toast.alreadyRated")
          : t(lang, "bot.toast.cannotRate");
      await answer(text, !r.ok);
    } catch (err) {
      // Still answer, so the button stops spinning; then let the error be logged.
      if (!answered) await ctx.answerCallbackQuery({ text: t(lang, "bot.toast.error") }).catch(() => {});
      throw err;
    }
  });

  // Any other press (a game, an old keyboard): answer so the client stops waiting.
  bot.on("callback_query", (ctx) => ctx.answerCallbackQuery({ text: t(langOf(ctx), "bot.toast.stale") }));

  // The Mini App's requestContact: the shared contact lands here.
  bot.on("message:contact", async (ctx) => {
    const lang = langOf(ctx);
    const contact = ctx.message.contact;
    if (contact.user_id !== ctx.from.id) {
      await ctx.reply(t(lang, "bot.contact.notOwn"));
      return;
    }
    const phone = normalizePhone(contact.phone_number);
    if (!phone) {
      await ctx.reply(t(lang, "bot.contact.invalid"));
      return;
    }
    await deps.users.setPhone(ctx.from.id, phone);
    await ctx.reply(t(lang, "bot.contact.saved", { phone }), { reply_markup: { remove_keyboard: true } });
  });
}

/** Swaps the pressed message's buttons; a second press of the same button finds them already there. */
async function editKeyboard(ctx: Context, keyboard: InlineKeyboardButton[][]): Promise<void> {
  try {
    await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: keyboard } });
  } catch (err) {
    if (!(err instanceof GrammyError && /not modified/i.test(err.description))) throw err;
  }
}

/** Why a seller's press changed nothing, in words: not their shop, or the order moved on. */
async function refusal(deps: BotHandlerDeps, userId: number, orderId: number, r: Failure, lang: Lang) {
  if (r.code === "not_found") return t(lang, "bot.toast.notYours");
  if (r.code === "invalid_transition") {
    const o = await deps.orders.forSeller(userId, orderId);
    if (o.ok)
      return t(lang, "bot.toast.movedOn", {
        id: orderId,
        status: t(lang, `status.${o.value.status as OrderStatus}`),
      });
  }
  return t(lang, "bot.toast.stale");
}
