import {
  ACTIVE_STATUSES,
  CODE_STATUSES,
  extractBookingCode,
  FINAL_STATUSES,
  type OrderFilter,
  type OrderStatus,
} from "@lastbite/shared";
import type { Config } from "../config.ts";
import type { Cursors } from "../core/cursor.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import { type LoadedOrder, loadOrder, loadOrders, type OrderWhere } from "./order.repository.ts";

/** Which page of a list: how many, and after which position (a cursor the list gave out). */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}
export interface OrderPage {
  orders: LoadedOrder[];
  /** Where the next page starts; null on the last page. */
  next_cursor: string | null;
}

/** The statuses each list filter shows, from the lifecycle's groups; `all` has no condition. */
const FILTER_STATUSES: Record<OrderFilter, readonly OrderStatus[] | null> = {
  all: null,
  active: ACTIVE_STATUSES,
  finished: FINAL_STATUSES,
};

/** Reading orders: a buyer's own, a seller's shops' (or any, for admins), and a booking-code lookup. */
export class OrderQueries {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, "adminIds">,
    private readonly cursors: Cursors,
  ) {}

  async forBuyer(buyerId: number, orderId: number): Promise<Result<LoadedOrder>> {
    const [o] = await loadOrders(
      this.db,
      (eb) => eb.and([eb("o.id", "=", orderId), eb("o.buyer_id", "=", buyerId)]),
      1,
    );
    return o ? ok(o) : fail("not_found", `order ${orderId} does not exist`);
  }

  async forSeller(userId: number, orderId: number): Promise<Result<LoadedOrder>> {
    const o = await loadOrder(this.db, orderId);
    if (!o || (o.owner_id !== userId && !this.config.adminIds.includes(userId)))
      return fail("not_found", `order ${orderId} does not exist`);
    return ok(o);
  }

  /** A buyer's own orders, newest first, a page at a time. */
  listForBuyer(buyerId: number, filter: OrderFilter, page: PageRequest): Promise<Result<OrderPage>> {
    const statuses = FILTER_STATUSES[filter];
    return this.page(`orders:buyer:${buyerId}:${filter}`, page, (eb) =>
      eb.and([eb("o.buyer_id", "=", buyerId), ...(statuses ? [eb("o.status", "in", statuses)] : [])]),
    );
  }

  /** The orders of every shop `ownerId` owns, newest first, a page at a time. */
  listForSeller(ownerId: number, filter: OrderFilter, page: PageRequest): Promise<Result<OrderPage>> {
    const statuses = FILTER_STATUSES[filter];
    return this.page(`orders:seller:${ownerId}:${filter}`, page, (eb) =>
      eb.and([eb("s.owner_id", "=", ownerId), ...(statuses ? [eb("o.status", "in", statuses)] : [])]),
    );
  }

  /**
   * Keyset paging on the order id (newest first): a page starts below the last id the previous one
   * showed, so orders placed or changed meanwhile never shift a page or repeat one.
   */
  private async page(scope: string, page: PageRequest, where: OrderWhere): Promise<Result<OrderPage>> {
    let before: number | null = null;
    if (page.cursor !== undefined) {
      const position = this.cursors.decode(scope, page.cursor);
      if (!position.ok) return position;
      const [id] = position.value;
      if (typeof id !== "number" || !Number.isSafeInteger(id))
        return fail("invalid_request", "cursor is not one this list gave out; start again without it");
      before = id;
    }
    const rows = await loadOrders(
      this.db,
      (eb) => (before === null ? where(eb) : eb.and([where(eb), eb("o.id", "<", before)])),
      page.limit + 1,
    );
    const orders = rows.slice(0, page.limit);
    const last = orders.at(-1);
    return ok({
      orders,
      next_cursor: rows.length > page.limit && last ? this.cursors.encode(scope, [last.id]) : null,
    });
  }

  /** What a QR scan calls: the seller's order whose booking code is live. */
  async verifyCode(ownerId: number, input: string): Promise<Result<LoadedOrder>> {
    const code = extractBookingCode(input);
    if (!code) return fail("invalid_request", "a booking code has 6 letters and digits");
    const [o] = await loadOrders(
      this.db,
      (eb) =>
        eb.and([
          eb("s.owner_id", "=", ownerId),
          eb("o.code", "=", code),
          eb("o.status", "in", CODE_STATUSES),
        ]),
      1,
    );
    if (o) return ok(o);
    // A code already handed over says so, and when: "no such order" would send the seller hunting.
    const [done] = await loadOrders(
      this.db,
      (eb) =>
        eb.and([eb("s.owner_id", "=", ownerId), eb("o.code", "=", code), eb("o.status", "=", "completed")]),
      1,
    );
    if (done) {
      const at = done.timeline.findLast((s) => s.status === "completed")?.at ?? done.updated_at;
      const iso = new Date(at).toISOString();
      return fail("code_already_used", `the order with the code ${code} was handed over at ${iso}`, iso);
    }
    return fail("code_not_found", `no active order of your shops has the code ${code}`);
  }
}
