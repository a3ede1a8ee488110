import { ACTIVE_STATUSES } from "@lastbite/shared";
import { sql } from "kysely";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { kysely } from "../db/kysely.ts";
import { lastPickupUntil } from "./order.repository.ts";
import type { OrderTransitions } from "./order-transitions.ts";

/**
 * Expires pending orders past their accept deadline, and pickup orders nobody collected by
 * NO_SHOW_GRACE after the last pickup window of their items closed (no-shows). The scan only
 * nominates: the transition re-checks each condition when it writes.
 */
export class OrderExpiry {
  constructor(
    private readonly db: Database,
    private readonly transitions: OrderTransitions,
    private readonly config: Pick<Config, "noShowGrace">,
  ) {}

  /** Returns how many orders it expired. */
  async expireDue(limit = 100): Promise<number> {
    const k = kysely(this.db);
    const due = await k
      .selectFrom("orders")
      .select(["id", "status"])
      .where("status", "=", "pending")
      .where("accept_deadline", "<=", sql<Date>`now()`)
      .unionAll(
        k
          .selectFrom("orders as o")
          .select(["o.id", "o.status"])
          .where(
            "o.status",
            "in",
            ACTIVE_STATUSES.filter((s) => s !== "pending"),
          )
          .where("o.delivery_type", "=", "pickup")
          .where(
            (eb) => eb.fn.coalesce(lastPickupUntil(eb), sql<Date>`'infinity'::timestamptz`),
            "<=",
            sql<Date>`now() - make_interval(secs => ${this.config.noShowGrace})`,
          ),
      )
      .limit(limit)
      .execute();
    let n = 0;
    for (const { id, status } of due) {
      const reasonCode = status === "pending" ? "accept_timeout" : "no_show";
      const r = await this.transitions.act({ type: "system", id: null }, "system", id, "expire", {
        reasonCode,
      });
      if (r.ok) n++;
    }
    return n;
  }
}
