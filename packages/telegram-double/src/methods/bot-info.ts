import { randomBytes, randomInt } from "node:crypto";
import type { BotCommand, MenuButton, User } from "grammy/types";
import { badRequest } from "../api-error.ts";
import type { DoubleState } from "../state.ts";
import { type Handlers, type MethodFamily, optString } from "./common.ts";
import { checkUrl } from "./markup.ts";

/** The bot itself: who it is (getMe), its command lists and its menu buttons. */
export class BotSettings implements MethodFamily {
  private readonly commands = new Map<string, BotCommand[]>();
  private defaultMenuButton: MenuButton = { type: "default" };

  constructor(private readonly state: DoubleState) {}

  myCommands(scope: Record<string, unknown>, languageCode: string): BotCommand[] {
    return [...(this.commands.get(commandKey(scope, languageCode)) ?? [])];
  }

  menuButton(chatId?: number): MenuButton {
    return (chatId !== undefined && this.state.users.get(chatId)?.menuButton) || this.defaultMenuButton;
  }

  handlers(): Handlers {
    return {
      getMe: () => ({
        ...this.state.bot,
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: false,
        has_main_web_app: false,
      }),
      setChatMenuButton: ({ params }) => {
        const button = (params.menu_button as MenuButton | undefined) ?? { type: "default" };
        if (
          !button ||
          typeof button !== "object" ||
          !["default", "commands", "web_app"].includes(button.type)
        ) {
          throw badRequest("can't parse menu button");
        }
        if (button.type === "web_app") checkUrl(button.web_app?.url, "Web App", this.state.strictUrls);
        if (params.chat_id === undefined) this.defaultMenuButton = button;
        else this.state.chatRecord(params.chat_id).menuButton = button;
        this.state.changed();
        return true;
      },
      getChatMenuButton: ({ params }) =>
        params.chat_id === undefined
          ? this.defaultMenuButton
          : (this.state.chatRecord(params.chat_id).menuButton ?? this.defaultMenuButton),
      setMyCommands: ({ params }) => {
        const commands = params.commands;
        if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
        for (const c of commands as BotCommand[]) {
          if (!c || typeof c.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) {
            throw badRequest("BOT_COMMAND_INVALID");
          }
          if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256) {
            throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
          }
        }
        this.commands.set(
          commandKey(params.scope, optString(params.language_code) ?? ""),
          commands.map((c: BotCommand) => ({ command: c.command, description: c.description })),
        );
        this.state.changed();
        return true;
      },
      getMyCommands: ({ params }) =>
        this.myCommands(scopeOf(params.scope), optString(params.language_code) ?? ""),
      deleteMyCommands: ({ params }) => {
        this.commands.delete(commandKey(params.scope, optString(params.language_code) ?? ""));
        return true;
      },
    };
  }
}

/** The bot user; its id is the token's prefix, as on Telegram. */
export function botUser(
  token: string,
  bot: { id?: number; username?: string; first_name?: string } | undefined,
): User & { username: string } {
  return {
    id: bot?.id ?? (Number(token.split(":")[0]) || 7_000_000_000),
    is_bot: true,
    first_name: bot?.first_name ?? "Lastbite Sandbox",
    username: bot?.username ?? "lastbite_sandbox_bot",
  };
}

/** A token shaped like BotFather's: `<bot id>:AA<33 characters>`. */
export function generateToken(): string {
  const id = randomInt(1_000_000_000, 8_000_000_000);
  return `${id}:AA${randomBytes(33).toString("base64url").slice(0, 33)}`;
}

function commandKey(scope: unknown, languageCode: string): string {
  return `${JSON.stringify(scopeOf(scope))}|${languageCode}`;
}

function scopeOf(scope: unknown): Record<string, unknown> {
  return scope && typeof scope === "object" ? (scope as Record<string, unknown>) : { type: "default" };
}
