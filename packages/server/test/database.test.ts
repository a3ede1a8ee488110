import { describe, expect, it } from "vitest";
import { DATABASES, freshDatabase } from "./helpers.ts";

const waitFor = async (pred: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(DATABASES)("database layer on %s", (kind) => {
  it("delivers NOTIFY only when the transaction commits", async () => {
    const { db, drop } = await freshDatabase(kind);
    try {
      const got: string[] = [];
      await db.listen("test_channel", (p) => got.push(p));
      await db
        .transaction(async (tx) => {
          await tx.query("select pg_notify('test_channel', 'rolled back')");
          throw new Error("boom");
        })
        .catch(() => {});
      await db.transaction(async (tx) => {
        await tx.query("select pg_notify('test_channel', 'committed')");
      });
      await waitFor(() => got.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(["committed"]);
    } finally {
      await drop();
    }
  });

  it("reads times as the API's ISO strings when asked, as Dates otherwise, in and out of a transaction", async () => {
    const { db, drop } = await freshDatabase(kind);
    try {
      const text =
        "select '2026-12-07 21:27:04.112572+05'::timestamptz as t, null::timestamptz as n, $1::int8 as i";
      const [iso] = await db.query<{ t: unknown; n: unknown; i: unknown }>(text, [7], { timestamps: "iso" });
      expect(iso).toEqual({ t: "2026-12-07T16:27:04.112Z", n: null, i: 7 });
      const [dated] = await db.query<{ t: unknown }>(text, [7]);
      expect(dated?.t).toEqual(new Date("2026-12-07T16:27:04.112Z"));
      const [inTx] = await db.transaction((tx) => tx.query<{ t: unknown }>(text, [7], { timestamps: "iso" }));
      expect(inTx?.t).toBe("2026-12-07T16:27:04.112Z");
    } finally {
      await drop();
    }
  });

  // Only PostgreSQL has a connection to lose (and a JIT compiler); PGlite runs in-process.
  if (kind !== "postgres") return;
  it("runs its statements without JIT compilation, whatever the server's default", async () => {
    const { db, drop } = await freshDatabase(kind);
    try {
      // Every pooled connection, not just the first: take several at once.
      const settings = await Promise.all(
        Array.from({ length: 4 }, () => db.transaction((tx) => tx.query<{ jit: string }>("show jit"))),
      );
      expect(settings.flat().map((r) => r.jit)).toEqual(["off", "off", "off", "off"]);
    } finally {
      await drop();
    }
  });

  it("re-establishes LISTEN after its connection is killed", async () => {
    const { db, drop } = await freshDatabase(kind);
    try {
      const got: string[] = [];
      let reconnects = 0;
      await db.listen(
        "test_channel",
        (p) => got.push(p),
        () => reconnects++,
      );
      // Kill every other backend of this database: the LISTEN connection among them.
      await db.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      );
      await waitFor(() => reconnects === 1);
      await db.query("select pg_notify('test_channel', 'after reconnect')");
      await waitFor(() => got.includes("after reconnect"));
    } finally {
      await drop();
    }
  });
});
