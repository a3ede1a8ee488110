import type {
  Actor,
  CreateOrderBody,
  OrderAction,
  OrderFilter,
  ReasonCode,
  SellerStats,
} from "@lastbite/shared";
import type { Config } from "../config.ts";
import type { Clock } from "../core/clock.ts";
import type { Cursors } from "../core/cursor.ts";
import type { Metrics } from "../core/metrics.ts";
import type { Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import type { LoadedOrder } from "./order.repository.ts";
import type { OrderChanges } from "./order-events.ts";
import type { JobTimes } from "./order-jobs.ts";
import { type CreatedOrder, OrderPlacement } from "./order-placement.ts";
import { type OrderPage, OrderQueries, type PageRequest } from "./order-queries.ts";
import { type Door, OrderTransitions } from "./order-transitions.ts";
import { SellerStatsQuery } from "./seller-stats.ts";

export type { OrderChanges, OrderEventNotice } from "./order-events.ts";
export type { CreatedOrder } from "./order-placement.ts";

/**
 * The orders context's one door for routes, the bot and jobs: placement, transitions and queries
 * live in their own modules; this only composes them.
 */
export class OrderService {
  readonly placement: OrderPlacement;
  readonly transitions: OrderTransitions;
  readonly queries: OrderQueries;
  readonly stats: SellerStatsQuery;

  constructor(
    db: Database,
    config: Pick<Config, "adminIds" | "shopTimezone"> & JobTimes,
    changes: OrderChanges,
    clock: Clock,
    cursors: Cursors,
    metrics?: Metrics,
  ) {
    this.placement = new OrderPlacement(db, config, changes, clock, metrics);
    this.transitions = new OrderTransitions(db, config, changes, clock);
    this.queries = new OrderQueries(db, config, cursors);
    this.stats = new SellerStatsQuery(db, config.adminIds, config.shopTimezone);
  }

  /** A shop's figures per day (its owner, or an admin); `storeId` defaults to the caller's first shop. */
  sellerStats(userId: number, storeId: number | undefined, days: number): Promise<Result<SellerStats>> {
    return this.stats.forShop(userId, storeId, days);
  }

  create(buyerId: number, body: CreateOrderBody, idempotencyKey?: string): Promise<Result<CreatedOrder>> {
    return this.placement.create(buyerId, body, idempotencyKey);
  }

  /**
   * Applies `action` as `actor`, who came through door `as`; `reason` is what they wrote, if anything,
   * `reasonCode` a quick choice of the catalogue (each reader sees it in their language).
   */
  act(
    actor: Actor,
    as: Door,
    orderId: number,
    action: OrderAction,
    reason?: string | null,
    reasonCode?: ReasonCode | null,
  ): Promise<Result<LoadedOrder>> {
    return this.transitions.act(actor, as, orderId, action, {
      reason: reason ?? null,
      reasonCode: reasonCode ?? null,
    });
  }

  rate(buyerId: number, orderId: number, stars: number, comment?: string): Promise<Result<LoadedOrder>> {
    return this.transitions.rate(buyerId, orderId, stars, comment);
  }

  forBuyer(buyerId: number, orderId: number): Promise<Result<LoadedOrder>> {
    return this.queries.forBuyer(buyerId, orderId);
  }

  forSeller(userId: number, orderId: number): Promise<Result<LoadedOrder>> {
    return this.queries.forSeller(userId, orderId);
  }

  listForBuyer(buyerId: number, filter: OrderFilter, page: PageRequest): Promise<Result<OrderPage>> {
    return this.queries.listForBuyer(buyerId, filter, page);
  }

  listForSeller(ownerId: number, filter: OrderFilter, page: PageRequest): Promise<Result<OrderPage>> {
    return this.queries.listForSeller(ownerId, filter, page);
  }

  verifyCode(ownerId: number, input: string): Promise<Result<LoadedOrder>> {
    return this.queries.verifyCode(ownerId, input);
  }
}
