/**
 * The Worker's /health checks that the newest migration is applied, by a name it cannot read from
 * migrations/ at run time. This keeps that name honest: adding a migration without bumping
 * NEWEST_MIGRATION fails here, not in production as a health check that passes too early.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/common/stack.ts";
import { NEWEST_MIGRATION } from "../../src/domain/schema-version.ts";

describe("NEWEST_MIGRATION", () => {
  it("names the newest file in migrations/", async () => {
    const files = (await readdir(path.join(ROOT, "migrations")))
      .filter((f) => /^\d+_.*\.sql$/.test(f))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    expect(NEWEST_MIGRATION).toBe(files.at(-1));
  });
});
