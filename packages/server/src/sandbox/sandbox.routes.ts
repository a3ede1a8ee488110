import { LANGS, type ProblemCode } from "@lastbite/shared";
import type { ChatMessage, TelegramDouble } from "@lastbite/telegram-double";
import type { FastifyInstance, FastifyReply } from "fastify";
import { problem } from "../http/problem.ts";
import { interpretLink, miniAppUrl, type SandboxTheme } from "./launch-url.ts";
import { messageToHtml } from "./message-html.ts";
import { sandboxPage } from "./sandbox-page.ts";

/** A person the sandbox lets you act as. */
export interface SandboxUser {
  id: number;
  first_name: string;
  last_name?: string | null;
  username?: string | null;
  language_code?: string | null;
  /** e.g. "buyer" or "owner" */
  role?: string;
  /** shown on the page, e.g. "Rustam (owner of Non Bakery)"; defaults to "<first_name> (<role>)" */
  label?: string;
}

export interface SandboxOptions {
  double: TelegramDouble;
  users: SandboxUser[];
  /**
   * Signs Mini App init data for a user, e.g. with auth/init-data.ts:
   * `(u, startParam) => signInitData(token, { user: { id: u.id, first_name: u.first_name,
   * ...(u.username ? { username: u.username } : {}), ...(u.language_code ? { language_code: u.language_code } : {}) }, startParam })`
   */
  signInitData: (user: SandboxUser, startParam?: string) => string;
  /** Base URL of the Mini App (this server); "" makes launch links relative to the page. */
  publicUrl: string;
}

/** A chat message as the page shows it: the Telegram fields plus rendered HTML and a photo URL. */
export type PresentedMessage = ChatMessage & { html: string; photoUrl?: string };

const MAX_TEXT = 4096;

/**
 * `/sandbox`: every sandbox user's chat with the bot (served by the TelegramDouble), with
 * working buttons, a composer, and Mini App launch links signed for that user. Registered by
 * the server only when there is no BOT_TOKEN.
 */
export async function sandboxRoutes(app: FastifyInstance, opts: SandboxOptions): Promise<void> {
  const { double } = opts;
  const list = opts.users.map((u) => ({ ...u }));
  const users = new Map(list.map((u) => [u.id, u]));
  for (const u of list) {
    // a language switched on the page in an earlier run stays (the double kept the chats)
    const kept = double.listUsers().find((k) => k.id === u.id)?.language_code;
    if (kept) u.language_code = kept;
    double.addUser(u);
  }
  // People added on the page in an earlier run whose chats the double kept (sandbox-chats.ts).
  for (const u of double.listUsers()) {
    if (users.has(u.id)) continue;
    const user: SandboxUser = { ...u, role: "new user" };
    list.push(user);
    users.set(user.id, user);
  }
  const base = opts.publicUrl.replace(/\/+$/, "");
  const streams = new Set<() => void>();

  const label = (u: SandboxUser) => u.label ?? (u.role ? `${u.first_name} (${u.role})` : u.first_name);
  const present = (m: ChatMessage): PresentedMessage => {
    const largest = m.photo?.at(-1);
    const html =
      m.text !== undefined
        ? messageToHtml(m.text, m.entities)
        : messageToHtml(m.caption ?? "", m.caption_entities);
    return {
      ...m,
      html,
      ...(largest ? { photoUrl: `/sandbox/api/file/${encodeURIComponent(largest.file_id)}` } : {}),
    };
  };
  const chatState = (id: number) => {
    const menu = double.menuButton(id);
    return {
      blocked: double.isBlocked(id),
      replyKeyboard: double.replyKeyboard(id) ?? null,
      menuButton: menu.type === "web_app" ? { text: menu.text, url: menu.web_app.url } : null,
    };
  };
  /** The Mini App as `user` opens it, in the theme and language the sandbox page chose for them. */
  const launch = (
    user: SandboxUser,
    startParam?: string,
    appUrl?: string,
    look: { theme?: SandboxTheme; lang?: string } = {},
  ) =>
    miniAppUrl(
      appUrl ?? `${base}/`,
      opts.signInitData(look.lang ? { ...user, language_code: look.lang } : user, startParam),
      startParam,
      look.theme,
    );

  const fail = (reply: FastifyReply, code: ProblemCode, detail: string) =>
    reply.status(problem(code, detail).status).type("application/problem+json").send(problem(code, detail));

  const findUser = (raw: unknown) => {
    const id = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    return typeof id === "number" ? users.get(id) : undefined;
  };

  const bodyOf = (body: unknown): Record<string, unknown> | undefined =>
    body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;

  app.get("/sandbox", async (_req, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      // The page is one document with inline script and style (sandbox only, never with a BOT_TOKEN).
      .header(
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
      )
      .send(sandboxPage()),
  );

  app.get("/sandbox/api/state", async () => ({
    bot: { id: double.bot.id, username: double.bot.username, first_name: double.bot.first_name },
    publicUrl: base,
    users: list.map((u) => ({
      id: u.id,
      first_name: u.first_name,
      last_name: u.last_name ?? null,
      username: u.username ?? null,
      language_code: u.language_code ?? null,
      role: u.role ?? null,
      label: label(u),
      ...chatState(u.id),
      messages: double.messages(u.id).map(present),
    })),
  }));

  // A new person to act as (to open a shop of one's own, say). Kept in memory: a restart forgets
  // the chat, while what they did in the app stays in the database.
  let nextId = 7_000_000_000 + (Date.now() % 1_000_000) * 100;
  app.post("/sandbox/api/users", async (req, reply) => {
    const body = bodyOf(req.body);
    const name = typeof body?.first_name === "string" ? body.first_name.trim() : "";
    const lang = body?.language_code ?? "en";
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (!body || name.length < 1 || name.length > 64 || /[\u0000-\u001f\u007f]/.test(name)) {
      return fail(
        reply,
        "invalid_request",
        "Body must be { first_name: 1-64 characters, language_code?: en|ru|uz }.",
      );
    }
    if (lang !== "en" && lang !== "ru" && lang !== "uz") {
      return fail(reply, "invalid_request", "language_code must be en, ru or uz.");
    }
    nextId += 1;
    while (users.has(nextId)) nextId += 1;
    const user: SandboxUser = { id: nextId, first_name: name, language_code: lang, role: "new user" };
    list.push(user);
    users.set(user.id, user);
    double.addUser(user);
    return reply.status(201).send({ id: user.id, first_name: user.first_name, label: label(user) });
  });

  // The user's Telegram language, as the page's switch sets it: Telegram puts it in every update's
  // `from.language_code`, so the bot answers in it from the next message or press on, and the Mini
  // App opens in it.
  app.post("/sandbox/api/language", async (req, reply) => {
    const body = bodyOf(req.body);
    const lang = body?.language_code;
    if (!body || !Number.isInteger(body.userId) || !(LANGS as readonly unknown[]).includes(lang)) {
      return fail(
        reply,
        "invalid_request",
        `Body must be { userId: integer, language_code: ${LANGS.join("|")} }.`,
      );
    }
    const user = findUser(body.userId);
    if (!user) return fail(reply, "not_found", `No sandbox user ${String(body.userId)}.`);
    user.language_code = lang as string;
    double.addUser(user);
    return { userId: user.id, language_code: user.language_code };
  });

  app.post("/sandbox/api/press", async (req, reply) => {
    const body = bodyOf(req.body);
    const messageId = body?.messageId;
    const data = body?.data;
    if (!body || !Number.isInteger(body.userId) || !Number.isInteger(messageId) || typeof data !== "string") {
      return fail(
        reply,
        "invalid_request",
        "Body must be { userId: integer, messageId: integer, data: string }.",
      );
    }
    if (data.length === 0 || Buffer.byteLength(data) > 64) {
      return fail(reply, "invalid_request", "data must be 1-64 bytes, like Telegram's callback_data.");
    }
    const user = findUser(body.userId);
    if (!user) return fail(reply, "not_found", `No sandbox user ${String(body.userId)}.`);
    if (!double.messages(user.id).some((m) => m.message_id === messageId)) {
      return fail(reply, "not_found", `No message ${String(messageId)} in ${user.first_name}'s chat.`);
    }
    const callbackQueryId = double.pressButton(user.id, user.id, messageId as number, data);
    return { callbackQueryId };
  });

  app.post("/sandbox/api/send", async (req, reply) => {
    const body = bodyOf(req.body);
    const text = body?.text;
    if (!body || !Number.isInteger(body.userId) || typeof text !== "string") {
      return fail(reply, "invalid_request", "Body must be { userId: integer, text: string }.");
    }
    if (text.trim() === "" || text.length > MAX_TEXT) {
      return fail(reply, "invalid_request", `text must be 1-${MAX_TEXT} characters and not blank.`);
    }
    const user = findUser(body.userId);
    if (!user) return fail(reply, "not_found", `No sandbox user ${String(body.userId)}.`);
    return { message: present(double.sendText(user.id, text)) };
  });

  app.post("/sandbox/api/contact", async (req, reply) => {
    const body = bodyOf(req.body);
    const phone = body?.phone;
    if (
      !body ||
      !Number.isInteger(body.userId) ||
      typeof phone !== "string" ||
      !/^\+?[0-9 ()-]{5,20}$/.test(phone)
    ) {
      return fail(reply, "invalid_request", "Body must be { userId: integer, phone: string of digits }.");
    }
    const user = findUser(body.userId);
    if (!user) return fail(reply, "not_found", `No sandbox user ${String(body.userId)}.`);
    return { message: present(double.sendContact(user.id, phone.replace(/[ ()-]/g, ""))) };
  });

  app.post("/sandbox/api/block", async (req, reply) => {
    const body = bodyOf(req.body);
    if (!body || !Number.isInteger(body.userId) || typeof body.blocked !== "boolean") {
      return fail(reply, "invalid_request", "Body must be { userId: integer, blocked: boolean }.");
    }
    const user = findUser(body.userId);
    if (!user) return fail(reply, "not_found", `No sandbox user ${String(body.userId)}.`);
    if (body.blocked) double.blockBot(user.id);
    else double.unblockBot(user.id);
    return { userId: user.id, blocked: body.blocked };
  });

  app.get<{
    Params: { userId: string };
    Querystring: { startapp?: string; url?: string; button?: string; theme?: string; lang?: string };
  }>("/sandbox/api/launch/:userId", async (req, reply) => {
    const user = findUser(req.params.userId);
    if (!user) return fail(reply, "not_found", `No sandbox user ${req.params.userId}.`);
    const { startapp, url, button, theme, lang } = req.query;
    // The theme Telegram would send (light or night mode) and the user's app language.
    if (theme !== undefined && theme !== "light" && theme !== "dark")
      return fail(reply, "invalid_request", "theme must be light or dark.");
    if (lang !== undefined && !(LANGS as readonly string[]).includes(lang))
      return fail(reply, "invalid_request", `lang must be one of ${LANGS.join(", ")}.`);
    const look = { ...(theme ? { theme: theme as SandboxTheme } : {}), ...(lang ? { lang } : {}) };
    if (
      startapp !== undefined &&
      (typeof startapp !== "string" || !/^[A-Za-z0-9_-]{0,512}$/.test(startapp))
    ) {
      return fail(reply, "invalid_request", "startapp may contain only A-Z, a-z, 0-9, _ and - (up to 512).");
    }
    if (url === undefined) return { url: launch(user, startapp || undefined, undefined, look) };
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
      return fail(reply, "invalid_request", "url must be an absolute http(s) URL.");
    }
    const action = interpretLink(url, double.bot.username);
    if (action.kind === "mini_app") return { url: launch(user, action.startParam, undefined, look) };
    if (action.kind === "start") return { send: `/start ${action.payload}`.trim() };
    // a web_app button opens its URL with fresh launch parameters; a url button just opens
    if (button === "web_app") return { url: launch(user, undefined, url, look) };
    return { url };
  });

  app.get<{ Params: { fileId: string } }>("/sandbox/api/file/:fileId", async (req, reply) => {
    const file = double.file(req.params.fileId);
    if (file?.bytes) {
      return reply.type(file.mimeType).header("cache-control", "private, max-age=86400").send(file.bytes);
    }
    if (file?.url) return reply.redirect(file.url);
    return fail(reply, "not_found", "No such file.");
  });

  app.get("/sandbox/api/stream", (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 1000\n\n");
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const onChange = (e: { chatId: number; kind: string; message: ChatMessage }) => {
      if (!users.has(e.chatId)) return;
      send("change", {
        chatId: e.chatId,
        kind: e.kind,
        message: present(e.message),
        chat: chatState(e.chatId),
      });
    };
    const onCall = (call: { method: string; outcome: string; params: Record<string, unknown> }) => {
      if (call.outcome !== "ok") return;
      const method = call.method.toLowerCase();
      if (method === "answercallbackquery") {
        const answer = double.callbackAnswers.find(
          (a) => a.callbackQueryId === String(call.params.callback_query_id),
        );
        if (answer) send("answer", answer);
      } else if (method === "sendchataction") {
        send("action", { chatId: Number(call.params.chat_id), action: call.params.action });
      } else if (method === "setchatmenubutton" && call.params.chat_id !== undefined) {
        const chatId = Number(call.params.chat_id);
        if (users.has(chatId)) send("chat", { chatId, chat: chatState(chatId) });
      }
    };
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    const stop = () => {
      clearInterval(ping);
      double.events.off("change", onChange);
      double.events.off("call", onCall);
      streams.delete(stop);
      if (!res.writableEnded) res.end();
    };
    double.events.on("change", onChange);
    double.events.on("call", onCall);
    streams.add(stop);
    req.raw.on("close", stop);
    send("ready", { at: new Date().toISOString() });
  });

  app.addHook("preClose", async () => {
    for (const stop of [...streams]) stop();
  });
}
