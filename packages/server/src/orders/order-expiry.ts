import { ACTIVE_STATUSES, type OrderStatus } from "@lastbite/shared";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { LAST_PICKUP_UNTIL_SQL } from "./order.repository.ts";
import type { OrderTransitions } from "./order-transitions.ts";

/**
 * Expires pending orders past their accept deadline, and pickup orders nobody collected by
 * NO_SHOW_GRACE after the last pickup window of their items closed (no-shows). The scan only
 * nominates: the transition re-checks each condition on the locked row.
 */
export class OrderExpiry {
  constructor(
    private readonly db: Database,
    private readonly transitions: OrderTransitions,
    private readonly config: Pick<Config, "noShowGrace">,
  ) {}

  /** Returns how many orders it expired. */
  async expireDue(limit = 100): Promise<number> {
    const due = await this.db.query<{ id: number; status: OrderStatus }>(
      `select id, status from orders where status = 'pending' and accept_deadline <= now()
       union all
       select o.id, o.status from orders o
        where o.status = any($3) and o.status <> 'pending' and o.delivery_type = 'pickup'
          and (${LAST_PICKUP_UNTIL_SQL}) <= now() - make_interval(secs => $2)
       limit $1`,
      [limit, this.config.noShowGrace, ACTIVE_STATUSES],
    );
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
