import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from "kysely";
import type { Sql } from "./database.ts";
import type { DB } from "./schema.ts";

/**
 * Kysely over our own `Sql`: the same typed query runs on the pool, on PGlite, or inside an open
 * transaction of `Database.transaction()` (whose retry on deadlock and PGlite serialisation we keep),
 * so Kysely only builds and types the SQL and never manages connections or transactions itself.
 */
class SqlConnection implements DatabaseConnection {
  constructor(private readonly sql: Sql) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return { rows: await this.sql.query<R>(q.sql, q.parameters) };
  }
  // biome-ignore lint/correctness/useYield: streaming is not used; refusing loudly beats a silent fallback
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported over Sql");
  }
}

class SqlDriver implements Driver {
  private readonly connection: SqlConnection;
  constructor(sql: Sql) {
    this.connection = new SqlConnection(sql);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {
    throw new Error("use Database.transaction(), then kysely(tx)");
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

const instances = new WeakMap<Sql, Kysely<DB>>();

/** The typed query builder over `sql` (the database or an open transaction); one per `Sql`, reused. */
export function kysely(sql: Sql): Kysely<DB> {
  let k = instances.get(sql);
  if (!k) {
    k = new Kysely<DB>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new SqlDriver(sql),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    instances.set(sql, k);
  }
  return k;
}
