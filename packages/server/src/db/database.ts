import { mkdirSync } from "node:fs";
import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import pg from "pg";
import { isoFromPostgres, TIMESTAMPTZ } from "./timestamps.ts";

/** How a query's answer is read. */
export interface QueryOptions {
  /**
   * "iso": its `timestamptz` columns come as the API's ISO strings (`isoFromPostgres`) instead of
   * Dates, for answers that are only passed on (a catalogue page).
   */
  timestamps?: "iso";
}

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Sql {
  query<T = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<T[]>;
}

/**
 * One interface over PostgreSQL (`pg` pool) and the embedded PGlite: the same SQL runs on both.
 * Domain code only ever sees `Sql` and `transaction()`.
 */
export interface Database extends Sql {
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in one transaction; rolls back if it throws. Retries on deadlock/serialisation failure. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a NOTIFY channel; returns the unsubscribe function. `onReconnect` is called when
   * the listening connection was lost and re-established: notices sent meanwhile are gone.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const INT8 = 20;
const NUMERIC = 1700;
const toNumber = (v: string) => Number(v);

const RETRYABLE = new Set(["40001", "40P01"]);

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}

const statementNames = new Map<string, string>();

/**
 * A query with parameters as a named prepared statement: each pooled connection parses and plans it
 * once and then only binds (the same text always gets the same name). Queries without parameters,
 * and the rare text beyond the first 2,000 distinct ones, run unnamed.
 */
function prepared(text: string, params: readonly unknown[], options?: QueryOptions): pg.QueryConfig {
  const types = options?.timestamps === "iso" ? ISO_TIMESTAMPS : undefined;
  if (params.length === 0) return { text, types };
  let name = statementNames.get(text);
  if (!name && statementNames.size < 2000) {
    name = `s${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name
    ? { name, text, values: params as unknown[], types }
    : { text, values: params as unknown[], types };
}

/** How the pool reads values: bigint and numeric as numbers (ids and so'm fit in a double). */
const POOL_TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 || oid === NUMERIC
      ? toNumber
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};
/** The same, with `timestamptz` as ISO strings (QueryOptions.timestamps). */
const ISO_TIMESTAMPS = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMPTZ && format !== "binary"
      ? isoFromPostgres
      : POOL_TYPES.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

class PostgresDatabase implements Database {
  readonly kind = "postgres" as const;
  private listener: pg.Client | null = null;
  private readonly handlers = new Map<string, Set<(p: string) => void>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  async query<T>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<T[]> {
    const res = await this.pool.query(prepared(text, params, options));
    return res.rows as T[];
  }

  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return withRetry(async () => {
      const client = await this.pool.connect();
      try {
        await client.query("BEGIN");
        const tx: Sql = {
          query: async <R>(text: string, params: readonly unknown[] = [], options?: QueryOptions) =>
            (await client.query(prepared(text, params, options))).rows as R[],
        };
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  }

  private readonly reconnectHandlers = new Set<() => void>();
  private closing = false;
  private reconnectDelay = 500;

  /** One dedicated connection LISTENs for every channel; if it drops, it is re-established with backoff. */
  private async connectListener(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    client.on("notification", (msg) => {
      for (const h of this.handlers.get(msg.channel) ?? []) h(msg.payload ?? "");
    });
    const lost = () => {
      if (this.listener !== client || this.closing) return;
      this.listener = null;
      client.end().catch(() => {});
      setTimeout(() => void this.reconnect(), this.reconnectDelay).unref();
    };
    client.on("error", lost);
    client.on("end", lost);
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    this.listener = client;
    return client;
  }

  private async reconnect(): Promise<void> {
    if (this.closing || this.listener) return;
    try {
      await this.connectListener();
      this.reconnectDelay = 500;
      for (const h of this.reconnectHandlers) h();
    } catch {
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 30_000);
      setTimeout(() => void this.reconnect(), this.reconnectDelay).unref();
    }
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
    let set = this.handlers.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(onPayload);
    if (onReconnect) this.reconnectHandlers.add(onReconnect);
    if (!this.listener) await this.connectListener();
    else if (isNew) await this.listener.query(`LISTEN ${channel}`);
    return async () => {
      set.delete(onPayload);
      if (onReconnect) this.reconnectHandlers.delete(onReconnect);
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.listener?.end().catch(() => {});
    await this.pool.end();
  }
}

/** PGlite merges a query's parsers into its own. */
const PGLITE_ISO = { parsers: { [TIMESTAMPTZ]: isoFromPostgres } };
const pgliteOptions = (options?: QueryOptions) => (options?.timestamps === "iso" ? PGLITE_ISO : undefined);

class PgliteDatabase implements Database {
  readonly kind = "pglite" as const;
  constructor(private readonly db: PGlite) {}

  async query<T>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<T[]> {
    return (await this.db.query<T>(text, params as unknown[], pgliteOptions(options))).rows;
  }

  /** PGlite has one connection: its own `transaction` runs exclusively, which serialises them for us. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) => {
      const tx: Sql = {
        query: async <R>(text: string, params: readonly unknown[] = [], options?: QueryOptions) =>
          (await t.query<R>(text, params as unknown[], pgliteOptions(options))).rows,
      };
      return fn(tx);
    });
  }

  /** In-process: the connection cannot drop, so there is never a reconnect. */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(channel, onPayload);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** Opens `postgres://…`, `memory://` (throw-away PGlite) or a directory (persistent PGlite). */
export async function openDatabase(url: string): Promise<Database> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // No JIT compilation: PostgreSQL's default compiles a statement whose estimated cost passes
      // 100,000 on every execution, prepared or not. A batch of searches sorted by price over 10,000
      // offers is estimated at 94,000; a slightly bigger catalogue would add ~24 ms of compiling to
      // each batch (EXPLAIN: "JIT … Emission 21 ms") for statements that run in a few ms.
      options: "-c jit=off",
      types: POOL_TYPES,
    });
    pool.on("error", () => {});
    await pool.query("select 1");
    return new PostgresDatabase(pool, url);
  }
  const parsers = { [pgliteTypes.INT8]: toNumber, [pgliteTypes.NUMERIC]: toNumber };
  // The extensions the migrations create (PostgreSQL ships them in contrib).
  const extensions = { pg_trgm };
  if (url === "memory://") return new PgliteDatabase(await PGlite.create({ parsers, extensions }));
  mkdirSync(url, { recursive: true });
  return new PgliteDatabase(await PGlite.create({ dataDir: url, parsers, extensions }));
}
