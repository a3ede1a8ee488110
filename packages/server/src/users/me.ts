import type { MeResponse } from "@lastbite/shared";
import type { AuthUser } from "../auth/authenticate.ts";
import type { Services } from "../services.ts";

/** `GET /api/me`'s answer: the user with their phone and settings, their shops, the app's settings. */
export async function meResponse(services: Services, user: AuthUser): Promise<MeResponse> {
  const [phone, offer_alerts, stores] = await Promise.all([
    services.users.phoneOf(user.id),
    services.buyers.offerAlerts(user.id),
    services.catalog.storesOwnedBy(user.id),
  ]);
  return {
    user: { ...user, phone, offer_alerts },
    stores,
    shop_timezone: services.config.shopTimezone,
    bot_username: services.bot.username,
  };
}
