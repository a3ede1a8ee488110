import { randomInt } from "node:crypto";
import type { CallbackQuery } from "grammy/types";
import { badRequest } from "../api-error.ts";
import { type DoubleState, userObject } from "../state.ts";
import { type Handlers, type MethodFamily, optString, toBool } from "./common.ts";

/** An `answerCallbackQuery` the bot made for a press. */
export interface CallbackAnswer {
  callbackQueryId: string;
  userId: number;
  data?: string;
  text?: string;
  showAlert: boolean;
  url?: string;
  at: Date;
}

/** A button press simulated with `pressButton`. */
export interface PressedButton {
  id: string;
  userId: number;
  chatId: number;
  messageId: number;
  data: string;
  /** false when no callback button on that message carries this data (Telegram still delivers) */
  matchedButton: boolean;
  at: Date;
  answered: boolean;
}

const QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid";
const CALLBACK_QUERY_TTL_MS = 15 * 60 * 1000;

/** Inline button presses and the bot's answers to them. */
export class CallbackQueries implements MethodFamily {
  readonly presses: PressedButton[] = [];
  readonly answers: CallbackAnswer[] = [];

  constructor(private readonly state: DoubleState) {}

  /** Records a press of `callbackData` on a message and builds the callback query to deliver. */
  press(userId: number, chatId: number, messageId: number, callbackData: string): CallbackQuery {
    const rec = this.state.record(userId);
    const chat = this.state.users.get(chatId);
    const message = chat?.messages.find((m) => m.message_id === messageId);
    if (!chat || !message) throw new Error(`pressButton: no message ${messageId} in chat ${chatId}`);
    const matchedButton = (message.reply_markup?.inline_keyboard ?? []).some((row) =>
      row.some((b) => "callback_data" in b && b.callback_data === callbackData),
    );
    const id = randomCallbackId();
    this.presses.push({
      id,
      userId,
      chatId,
      messageId,
      data: callbackData,
      matchedButton,
      at: new Date(this.state.now()),
      answered: false,
    });
    return {
      id,
      from: userObject(rec.user),
      message: this.state.toApiMessage(message) as CallbackQuery["message"] & object,
      chat_instance: chatInstance(chatId),
      data: callbackData,
    };
  }

  handlers(): Handlers {
    return {
      answerCallbackQuery: ({ params }) => {
        const id = optString(params.callback_query_id);
        if (!id) throw badRequest("query_id is empty");
        const press = this.presses.find((p) => p.id === id);
        if (!press || press.answered || this.state.now() - press.at.getTime() > CALLBACK_QUERY_TTL_MS) {
          throw badRequest(QUERY_TOO_OLD);
        }
        const answer: CallbackAnswer = {
          callbackQueryId: id,
          userId: press.userId,
          data: press.data,
          showAlert: toBool(params.show_alert),
          at: new Date(this.state.now()),
        };
        const text = optString(params.text);
        if (text !== undefined && text.length > 200) throw badRequest("MESSAGE_TOO_LONG");
        if (text !== undefined) answer.text = text;
        const url = optString(params.url);
        if (url !== undefined) answer.url = url;
        press.answered = true;
        this.answers.push(answer);
        return true;
      },
    };
  }
}

function chatInstance(chatId: number): string {
  // stable per chat, like Telegram's opaque chat_instance
  return String((BigInt(chatId) * 2654435761n + 7046029254386353131n) % 9223372036854775807n);
}

function randomCallbackId(): string {
  return (BigInt(randomInt(1, 2 ** 47)) * 65536n + BigInt(randomInt(0, 65536))).toString();
}
