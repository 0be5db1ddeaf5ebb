import { defineConfig } from "drizzle-kit";

/** drizzle-kit reads the schema split per aggregate and writes SQL migrations to server/migrations. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./server/src/storage/db/schema/index.ts",
  out: "./server/migrations",
});
