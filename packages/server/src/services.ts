import { Authenticator } from "./auth/authenticate.ts";
import { BuyerService } from "./buyers/buyer.service.ts";
import { CatalogService } from "./catalog/catalog.service.ts";
import { OfferSearch } from "./catalog/offer-search.ts";
import { OfferShare, type ShareBot } from "./catalog/offer-share.ts";
import type { Config } from "./config.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { Cursors } from "./core/cursor.ts";
import { Metrics } from "./core/metrics.ts";
import type { Database } from "./db/database.ts";
import { JobRunner } from "./jobs/job-runner.ts";
import { OrderService } from "./orders/order.service.ts";
import { ChangeFeed } from "./realtime/change-feed.ts";
import { UserRepository } from "./users/user.repository.ts";

/**
 * The application's services: what routes, the bot and jobs call. Declared here, below `app.ts`
 * and the route files, so both import it and neither imports the other.
 */
export interface Services {
  config: Config;
  db: Database;
  metrics: Metrics;
  users: UserRepository;
  auth: Authenticator;
  catalog: CatalogService;
  /** The catalogue's list: filters, sorts and pages. */
  offerSearch: OfferSearch;
  orders: OrderService;
  /** A buyer's favourites, alert settings and impact. */
  buyers: BuyerService;
  /** Committed changes: to this process's streams at once, to other instances in batches. */
  changes: ChangeFeed;
  /** Signs and reads the page cursors every paginated list gives out. */
  cursors: Cursors;
  /**
   * The bot, once Telegram has said who it is (for t.me links the Mini App shares), and the Bot API
   * client `createTelegram` wires for the HTTP side (null without Telegram).
   */
  bot: ShareBot;
  /** Offers shared into chats with Telegram's prepared inline messages. */
  shares: OfferShare;
  /** The time every rule compares with: the system's, or a test's fake. */
  clock: Clock;
  /** Scheduled jobs (expiries, reminders); main.ts starts it, tests call `runDue()`. */
  jobs: JobRunner;
}

export function createServices(deps: {
  config: Config;
  db: Database;
  /** The token init data is signed with. */
  botToken: string;
  metrics?: Metrics;
  clock?: Clock;
}): Services {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const users = new UserRepository(db);
  const changes = new ChangeFeed(db);
  const cursors = new Cursors(deps.botToken);
  const metrics = deps.metrics ?? new Metrics();
  const orders = new OrderService(db, config, changes, clock, cursors, metrics);
  const bot: ShareBot = { username: null, api: null };
  return {
    cursors,
    bot,
    shares: new OfferShare(db, bot, { publicUrl: config.publicUrl, timeZone: config.shopTimezone }),
    changes,
    config,
    db,
    metrics,
    users,
    auth: new Authenticator(users, deps.botToken, config.initDataMaxAge),
    catalog: new CatalogService(db, config, changes),
    offerSearch: new OfferSearch(db, cursors),
    buyers: new BuyerService(db, changes, config.shopTimezone),
    orders,
    clock,
    jobs: new JobRunner({ db, clock, config, transitions: orders.transitions, changes, metrics }),
  };
}

declare module "fastify" {
  interface FastifyInstance {
    services: Services;
  }
}
