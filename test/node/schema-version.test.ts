/**
 * The Worker's /health checks that the newest migration of each role is applied, by names it
 * cannot read from migrations/ or migrations-shard/ at run time. This keeps those names honest:
 * adding a migration to either folder without bumping its constant fails here, not in production
 * as a health check that passes too early.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/common/stack.ts";
import { NEWEST_MIGRATION, NEWEST_SHARD_MIGRATION } from "../../src/domain/schema-version.ts";

async function newestIn(folder: string): Promise<string | undefined> {
  return (await readdir(path.join(ROOT, folder)))
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .at(-1);
}

describe("newest migration constants", () => {
  it("NEWEST_MIGRATION names the newest file in migrations/ (the catalog)", async () => {
    expect(NEWEST_MIGRATION).toBe(await newestIn("migrations"));
  });

  it("NEWEST_SHARD_MIGRATION names the newest file in migrations-shard/ (every gig shard)", async () => {
    expect(NEWEST_SHARD_MIGRATION).toBe(await newestIn("migrations-shard"));
  });
});
