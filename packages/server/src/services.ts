import { Authenticator } from "./auth/authenticate.ts";
import { CatalogService } from "./catalog/catalog.service.ts";
import type { Config } from "./config.ts";
import { Metrics } from "./core/metrics.ts";
import type { Database } from "./db/database.ts";
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
  orders: OrderService;
  /** Committed changes: to this process's streams at once, to other instances in batches. */
  changes: ChangeFeed;
}

export function createServices(deps: {
  config: Config;
  db: Database;
  /** The token init data is signed with. */
  botToken: string;
  metrics?: Metrics;
}): Services {
  const { config, db } = deps;
  const users = new UserRepository(db);
  const changes = new ChangeFeed(db);
  return {
    changes,
    config,
    db,
    metrics: deps.metrics ?? new Metrics(),
    users,
    auth: new Authenticator(users, deps.botToken, config.initDataMaxAge),
    catalog: new CatalogService(db, config, changes),
    orders: new OrderService(db, config, changes),
  };
}

declare module "fastify" {
  interface FastifyInstance {
    services: Services;
  }
}
