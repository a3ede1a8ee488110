import type {
  Actor,
  CreateOrderBody,
  OrderAction,
  OrderFilter,
  ReasonCode,
  SellerStats,
} from "@lastbite/shared";
import type { Config } from "../config.ts";
import type { Result } from "../core/result.ts";
import type { Database } from "../db/database.ts";
import type { LoadedOrder } from "./order.repository.ts";
import type { OrderChanges } from "./order-events.ts";
import { OrderExpiry } from "./order-expiry.ts";
import { type CreatedOrder, OrderPlacement } from "./order-placement.ts";
import { OrderQueries } from "./order-queries.ts";
import { type Door, OrderTransitions } from "./order-transitions.ts";
import { SellerStatsQuery } from "./seller-stats.ts";

export type { OrderChanges, OrderEventNotice } from "./order-events.ts";
export type { CreatedOrder } from "./order-placement.ts";

/**
 * The orders context's one door for routes, the bot and jobs: placement, transitions, queries and
 * expiry live in their own modules; this only composes them.
 */
export class OrderService {
  readonly placement: OrderPlacement;
  readonly transitions: OrderTransitions;
  readonly queries: OrderQueries;
  readonly expiry: OrderExpiry;
  readonly stats: SellerStatsQuery;

  constructor(
    db: Database,
    config: Pick<Config, "orderAcceptTimeout" | "adminIds" | "noShowGrace">,
    changes: OrderChanges,
  ) {
    this.placement = new OrderPlacement(db, config, changes);
    this.transitions = new OrderTransitions(db, config, changes);
    this.queries = new OrderQueries(db, config);
    this.expiry = new OrderExpiry(db, this.transitions, config);
    this.stats = new SellerStatsQuery(db, config.adminIds);
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

  listForBuyer(buyerId: number, filter: OrderFilter, limit?: number): Promise<LoadedOrder[]> {
    return this.queries.listForBuyer(buyerId, filter, limit);
  }

  listForSeller(ownerId: number, filter: OrderFilter, limit?: number): Promise<LoadedOrder[]> {
    return this.queries.listForSeller(ownerId, filter, limit);
  }

  verifyCode(ownerId: number, input: string): Promise<Result<LoadedOrder>> {
    return this.queries.verifyCode(ownerId, input);
  }

  expireDue(limit?: number): Promise<number> {
    return this.expiry.expireDue(limit);
  }
}
