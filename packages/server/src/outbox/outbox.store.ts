import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import type { OutboxKind } from "./outbox-messages.ts";

/** An outbox row as a worker claims it. */
export interface ClaimedRow {
  id: number;
  kind: OutboxKind | string;
  order_id: number | null;
  event_id: number | null;
  chat_id: number;
  payload: unknown;
  attempts: number;
  /** A send of this row was under way when its last worker vanished: it may have reached Telegram. */
  interrupted: boolean;
}

const secondsFromNow = (s: number) => sql<Date>`now() + make_interval(secs => ${s})`;
const now = () => sql<Date>`now()`;
const OPEN = ["pending", "sending"] as const;

/**
 * Every query of the outbox's delivery side (the writer is `outbox.writer.ts`): claiming rows with a
 * lease, renewing it, and recording each outcome; plus where the messages about an order live in
 * each chat (`order_messages`), so later changes edit them in place.
 */
export class OutboxStore {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` due rows for `lockSeconds`, skipping rows other workers hold, and within
   * an (order, chat) only the oldest open row, so one chat's messages about an order keep their order.
   * At most one row per chat, and none of the chats in `skipChats` (chats that must wait before
   * their next message): a chat with a backlog then never fills a batch, it goes one row at a time
   * while the rows behind it in other chats keep flowing.
   */
  async claim(limit: number, lockSeconds: number, skipChats: readonly number[] = []): Promise<ClaimedRow[]> {
    const k = kysely(this.db);
    const rows = await k
      // Candidates, locked (other workers skip them for the instant this statement takes)…
      .with("candidate", (db) =>
        db
          .selectFrom("outbox as o")
          .select(["o.id", "o.chat_id"])
          .where("o.status", "in", OPEN)
          .where("o.next_attempt_at", "<=", now())
          .where((w) => w.or([w("o.locked_until", "is", null), w("o.locked_until", "<", now())]))
          .where((w) =>
            w.not(
              w.exists(
                w
                  .selectFrom("outbox as p")
                  .select(sql.lit(1).as("one"))
                  .whereRef("p.order_id", "=", "o.order_id")
                  .whereRef("p.chat_id", "=", "o.chat_id")
                  .whereRef("p.id", "<", "o.id")
                  .where("p.status", "in", OPEN),
              ),
            ),
          )
          .$if(skipChats.length > 0, (q) => q.where("o.chat_id", "not in", [...skipChats]))
          .orderBy("o.id")
          .limit(limit * 4)
          .forUpdate()
          .skipLocked(),
      )
      // …of which the first of each chat is taken.
      .with("firsts", (db) =>
        db
          .selectFrom("candidate")
          .select(["id", sql<number>`row_number() over (partition by chat_id order by id)`.as("nth")]),
      )
      .updateTable("outbox")
      .set((eb) => ({
        status: "sending",
        locked_until: secondsFromNow(lockSeconds),
        attempts: eb("attempts", "+", 1),
      }))
      .where("id", "in", (eb) =>
        eb
          .selectFrom("firsts")
          .select("firsts.id")
          .where("firsts.nth", "=", 1)
          .orderBy("firsts.id")
          .limit(limit),
      )
      .returning((eb) => [
        "id",
        "kind",
        "order_id",
        "event_id",
        "chat_id",
        "payload",
        "attempts",
        eb("sending_since", "is not", null).$castTo<boolean>().as("interrupted"),
      ])
      .execute();
    // UPDATE … RETURNING has no order: keep a chat's messages in the order they were written.
    return rows.sort((a, b) => a.id - b.id);
  }

  /** Keeps this worker's claims alive while it works on them. */
  async renew(ids: readonly number[], lockSeconds: number): Promise<void> {
    if (ids.length === 0) return;
    await kysely(this.db)
      .updateTable("outbox")
      .set({ locked_until: secondsFromNow(lockSeconds) })
      .where("status", "=", "sending")
      .where("id", "in", [...ids])
      .execute();
  }

  /** Puts a claimed row back untouched (its attempt does not count), due again after `delaySeconds`. */
  async putBack(id: number, delaySeconds: number): Promise<void> {
    await kysely(this.db)
      .updateTable("outbox")
      .set((eb) => ({
        status: "pending",
        locked_until: null,
        sending_since: null,
        attempts: eb("attempts", "-", 1),
        next_attempt_at: secondsFromNow(delaySeconds),
      }))
      .where("id", "=", id)
      .execute();
  }

  /** Recorded just before the send: a worker that takes the row over knows it may have gone out. */
  async sending(id: number): Promise<void> {
    await kysely(this.db).updateTable("outbox").set({ sending_since: now() }).where("id", "=", id).execute();
  }

  async retryLater(id: number, error: string, delaySeconds: number): Promise<void> {
    await kysely(this.db)
      .updateTable("outbox")
      .set({
        status: "pending",
        locked_until: null,
        sending_since: null,
        last_error: error,
        next_attempt_at: secondsFromNow(delaySeconds),
      })
      .where("id", "=", id)
      .execute();
  }

  async failed(id: number, error: string): Promise<void> {
    await kysely(this.db)
      .updateTable("outbox")
      .set({ status: "failed", locked_until: null, sending_since: null, last_error: error })
      .where("id", "=", id)
      .execute();
  }

  /** Marks the row sent and, in the same transaction, remembers where its message lives. */
  async sent(
    row: { id: number; chat_id: number },
    done: { messageId?: number; note?: string; remember?: { orderId: number; role: string } },
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const k = kysely(tx);
      if (done.remember && done.messageId !== undefined)
        await k
          .insertInto("order_messages")
          .values({
            order_id: done.remember.orderId,
            chat_id: row.chat_id,
            role: done.remember.role,
            message_id: done.messageId,
          })
          .onConflict((oc) =>
            oc.columns(["order_id", "chat_id", "role"]).doUpdateSet((eb) => ({
              message_id: eb.ref("excluded.message_id"),
            })),
          )
          .execute();
      await k
        .updateTable("outbox")
        .set({
          status: "sent",
          locked_until: null,
          sending_since: null,
          sent_at: now(),
          message_id: done.messageId ?? null,
          last_error: done.note ?? null,
        })
        .where("id", "=", row.id)
        .execute();
    });
  }

  /** The message id of a message about `orderId` in `chatId` with this role (the seller's card…). */
  async messageOf(orderId: number, chatId: number, role: string): Promise<number | null> {
    const r = await kysely(this.db)
      .selectFrom("order_messages")
      .select("message_id")
      .where("order_id", "=", orderId)
      .where("chat_id", "=", chatId)
      .where("role", "=", role)
      .executeTakeFirst();
    return r?.message_id ?? null;
  }

  /** Forgets where a message about `orderId` in `chatId` with this role is (it needs no more edits). */
  async forget(orderId: number, chatId: number, role: string): Promise<void> {
    await kysely(this.db)
      .deleteFrom("order_messages")
      .where("order_id", "=", orderId)
      .where("chat_id", "=", chatId)
      .where("role", "=", role)
      .execute();
  }

  /** The buyer's rating message of an order, wherever it is. */
  async rateMessageOf(orderId: number): Promise<{ message_id: number; chat_id: number } | null> {
    const r = await kysely(this.db)
      .selectFrom("order_messages")
      .select(["message_id", "chat_id"])
      .where("order_id", "=", orderId)
      .where("role", "=", "buyer_rate")
      .executeTakeFirst();
    return r ?? null;
  }

  /** Where the seller's first card of an order stands in the outbox (null: none was written). */
  async newOrderCardStatus(orderId: number): Promise<string | null> {
    // The card's dedupe key (orders/order-events.ts), so the unique index answers.
    const r = await kysely(this.db)
      .selectFrom("outbox")
      .select("status")
      .where("dedupe_key", "=", `o${orderId}:new:seller`)
      .executeTakeFirst();
    return r?.status ?? null;
  }
}
