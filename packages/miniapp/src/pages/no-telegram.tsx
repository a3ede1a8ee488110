import { pickLang, t } from "@lastbite/shared";
import { Icon } from "../components/icon.tsx";

/** Shown when the page was opened without Telegram's launch parameters. */
export function NoTelegram() {
  const lang = pickLang(navigator.language);
  return (
    <main className="page no-telegram" data-testid="no-telegram">
      <div className="state">
        <div className="logo" aria-hidden="true">
          <Icon name="bag" size={56} />
        </div>
        <h1>{t(lang, "app.noTelegram.title")}</h1>
        <p>{t(lang, "app.noTelegram.text")}</p>
        <p className="hint">{t(lang, "app.noTelegram.hint")}</p>
      </div>
    </main>
  );
}
