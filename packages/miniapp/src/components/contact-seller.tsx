import { formatPhone, type Order } from "@lastbite/shared";
import { useI18n } from "../lib/i18n.tsx";
import { haptic, openTelegramLink } from "../telegram/bridge.ts";
import { Icon } from "./icon.tsx";

/**
 * Both ways to reach the shop, said plainly: a Telegram chat with the owner when they have a
 * username, and the shop's phone, shown as a number (a tap calls it). No icon that does one or the
 * other depending on data the buyer cannot see.
 */
export function ContactSeller({ store }: { store: Order["store"] }) {
  const { t } = useI18n();
  const u = store.owner_username;
  return (
    <section className="card contact" data-testid="contact-seller">
      <h2 className="section-title inline">{t("app.order.contact")}</h2>
      {u && (
        <button
          type="button"
          className="btn secondary"
          onClick={() => {
            haptic.impact();
            openTelegramLink(`https://t.me/${encodeURIComponent(u)}`);
          }}
          data-testid="contact-chat"
        >
          <Icon name="chat" /> {t("app.order.writeTo", { username: u })}
        </button>
      )}
      <a className="btn secondary" href={`tel:${store.phone}`} data-testid="contact-phone">
        <Icon name="phone" /> {t("app.order.call", { phone: formatPhone(store.phone) })}
      </a>
    </section>
  );
}
