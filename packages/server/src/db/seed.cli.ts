import { loadConfig } from "../config.ts";
import { openDatabase } from "./database.ts";
import { migrate } from "./migrations.ts";
import { seedIfEmpty } from "./seed.ts";

const config = loadConfig();
const db = await openDatabase(config.databaseUrl);
await migrate(db);
console.log(
  (await seedIfEmpty(db)) ? "seeded demo shops and offers" : "the database already has shops; left it alone",
);
await db.close();
