import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { setInitData } from "./lib/api.ts";
import { followFocus, queryClient } from "./lib/query-client.ts";
import { initRouter, routeFromStartParam } from "./lib/router.ts";
import { NoTelegram } from "./pages/no-telegram.tsx";
import { initBridge, isNative } from "./telegram/bridge.ts";
import { readLaunchParams } from "./telegram/launch-params.ts";
import { setClientVersion } from "./telegram/storage.ts";
import { applyTheme, followTelegram } from "./telegram/theme.ts";
import "./styles.css";

const root = createRoot(document.getElementById("root") as HTMLElement);
const launch = readLaunchParams();

if (!launch) {
  applyTheme({});
  root.render(<NoTelegram />);
} else {
  initBridge(launch.platform);
  setClientVersion(launch.version);
  followTelegram(launch.themeParams);
  setInitData(launch.initData);
  followFocus();
  document.documentElement.dataset.native = String(isNative());
  initRouter(routeFromStartParam(launch.startParam) ?? { name: "catalog" });
  // While typing, hide the bottom dock: on iOS the keyboard would otherwise push it up and jump.
  document.addEventListener("focusin", (e) => {
    if ((e.target as HTMLElement).matches("input, textarea"))
      document.documentElement.dataset.typing = "true";
  });
  // Delayed, so a tap on the Main button that blurs a field is not lost to the layout shift.
  document.addEventListener("focusout", () => {
    window.setTimeout(() => {
      if (!document.activeElement?.matches("input, textarea")) delete document.documentElement.dataset.typing;
    }, 300);
  });
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App telegramLanguage={launch.user?.language_code} />
      </QueryClientProvider>
    </StrictMode>,
  );
}
