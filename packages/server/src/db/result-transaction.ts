import type { Failure, Result } from "../core/result.ts";
import type { Database, Sql } from "./database.ts";

/** Thrown inside a transaction to roll it back with a business failure; never escapes `inTransaction`. */
class Rollback extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
  }
}

/**
 * Runs `fn` in one transaction that commits when it returns success and rolls back when it returns
 * a failure (nothing half-done is ever saved), handing the failure back as a value.
 */
export async function inTransaction<T>(
  db: Database,
  fn: (tx: Sql) => Promise<Result<T>>,
): Promise<Result<T>> {
  try {
    return await db.transaction(async (tx) => {
      const r = await fn(tx);
      if (!r.ok) throw new Rollback(r);
      return r;
    });
  } catch (err) {
    if (err instanceof Rollback) return err.failure;
    throw err;
  }
}
