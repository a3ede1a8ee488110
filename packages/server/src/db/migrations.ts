import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "./database.ts";
import { kysely } from "./kysely.ts";

/**
 * The schema, as an append-only list of `.sql` files in `migrations/` named `NNN_name.sql`: never
 * edit one that has shipped, add the next. The same SQL runs on PostgreSQL and PGlite.
 */
const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

export function loadMigrations(dir = MIGRATIONS_DIR): { version: number; name: string; sql: string }[] {
  return readdirSync(dir)
    .flatMap((file) => {
      const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
      return m
        ? [{ version: Number(m[1]), name: m[2] as string, sql: readFileSync(path.join(dir, file), "utf8") }]
        : [];
    })
    .sort((a, b) => a.version - b.version);
}

export const MIGRATIONS = loadMigrations();

/**
 * Applies pending migrations in one transaction under an advisory lock, so two instances starting
 * together never race: the second waits, then finds nothing left to do.
 */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(7452019)");
    await tx.query(
      "create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())",
    );
    const k = kysely(tx);
    const done = new Set(
      (await k.selectFrom("schema_migrations").select("version").execute()).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await k.insertInto("schema_migrations").values({ version: m.version, name: m.name }).execute();
      applied.push(m.version);
    }
    return applied;
  });
}

/**
 * Splits a migration into statements at a `;` that ends a line, except inside dollar-quoted bodies
 * (`$$ … $$` of a function). Line comments are dropped outside those bodies.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (const line of sql.split("\n")) {
    const code: string = quote ? line : line.replace(/--.*$/, "");
    for (const tag of code.match(/\$[a-z_]*\$/gi) ?? ([] as string[])) {
      if (quote === null) quote = tag;
      else if (tag === quote) quote = null;
    }
    current += `${code}\n`;
    if (quote === null && /;\s*$/.test(code)) {
      out.push(current.trim().replace(/;$/, ""));
      current = "";
    }
  }
  if (current.trim()) out.push(current.trim());
  return out.filter(Boolean);
}
