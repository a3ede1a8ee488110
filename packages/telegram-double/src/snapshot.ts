import type { Update } from "grammy/types";
import type { PressedButton } from "./methods/callbacks.ts";
import type { StoredFile } from "./methods/files.ts";
import type { UserRecord } from "./state.ts";

/**
 * What Telegram keeps across a restart of the bot, as JSON: users and their chats (messages with
 * their ids, the next message id, blocked, menu button, reply keyboard), the update id counter,
 * the updates not yet confirmed and the bot's `allowed_updates`, the files the bot sent, and the button presses of the last 15
 * minutes (their callback queries can still be answered). Without it a restarted double would
 * number messages from 1 again while the bot's database still points at the old ids.
 */
export interface DoubleSnapshot {
  version: 1;
  users: UserRecord[];
  nextUpdateId: number;
  pending: Update[];
  /** The bot's `allowed_updates` setting; absent: Telegram's default. */
  allowedUpdates?: string[];
  files: Array<Omit<StoredFile, "bytes"> & { bytes?: string }>;
  presses: Array<Omit<PressedButton, "at"> & { at: string }>;
}

const PRESS_TTL_MS = 15 * 60 * 1000;

export function toSnapshot(parts: {
  users: Iterable<UserRecord>;
  feed: { nextUpdateId: number; pending: Update[]; allowedUpdates?: string[] };
  files: StoredFile[];
  presses: PressedButton[];
  now: number;
}): DoubleSnapshot {
  return {
    version: 1,
    users: structuredClone([...parts.users]),
    nextUpdateId: parts.feed.nextUpdateId,
    pending: structuredClone(parts.feed.pending),
    ...(parts.feed.allowedUpdates ? { allowedUpdates: [...parts.feed.allowedUpdates] } : {}),
    files: parts.files.map(({ bytes, ...f }) => ({
      ...f,
      ...(bytes ? { bytes: bytes.toString("base64") } : {}),
    })),
    presses: parts.presses
      .filter((p) => parts.now - p.at.getTime() < PRESS_TTL_MS)
      .map((p) => ({ ...p, at: p.at.toISOString() })),
  };
}

/** Checks the shape of a parsed snapshot (a file on disk may be anything); throws when it is not one. */
export function readSnapshot(value: unknown): DoubleSnapshot {
  const s = value as Partial<DoubleSnapshot> | null;
  if (
    !s ||
    typeof s !== "object" ||
    s.version !== 1 ||
    !Array.isArray(s.users) ||
    !Number.isSafeInteger(s.nextUpdateId) ||
    !Array.isArray(s.pending) ||
    (s.allowedUpdates !== undefined &&
      (!Array.isArray(s.allowedUpdates) || !s.allowedUpdates.every((t) => typeof t === "string"))) ||
    !Array.isArray(s.files) ||
    !Array.isArray(s.presses) ||
    !s.users.every((u) => u && typeof u.user?.id === "number" && Array.isArray(u.messages))
  ) {
    throw new Error("not a TelegramDouble snapshot (version 1)");
  }
  return s as DoubleSnapshot;
}

export function filesOf(snapshot: DoubleSnapshot): StoredFile[] {
  return snapshot.files.map(({ bytes, ...f }) => ({
    ...f,
    ...(bytes !== undefined ? { bytes: Buffer.from(bytes, "base64") } : {}),
  }));
}

export function pressesOf(snapshot: DoubleSnapshot): PressedButton[] {
  return snapshot.presses.map((p) => ({ ...p, at: new Date(p.at) }));
}
