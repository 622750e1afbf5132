/**
 * `npm run dry-run`'s D1 check: both Workers must bind the same catalog and the same gig shards
 * (SHARD_1..SHARD_N, no gap), by name and id, each with its role's migrations folder, in every
 * environment. Broken configs are written to a temp dir as fixtures.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { shardBindingProblems } from "../../../scripts/lib/deploy/shard-bindings-check.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const original = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

/** A project dir holding both configs, each edited by `edit` (receiver, consumer). */
function fixture(receiver: (toml: string) => string, consumer: (toml: string) => string = (t) => t): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dry-run-shards-"));
  writeFileSync(path.join(dir, "wrangler.toml"), receiver(original("wrangler.toml")));
  writeFileSync(path.join(dir, "wrangler.consumer.toml"), consumer(original("wrangler.consumer.toml")));
  return dir;
}

/** Removes the `[[<prefix>d1_databases]]` block binding `binding`. */
function dropBinding(toml: string, prefix: string, binding: string): string {
  const block = new RegExp(
    `\\[\\[${prefix.replace(/\./g, "\\.")}d1_databases\\]\\]\\nbinding = "${binding}"\\n(?:[^\\n\\[]+\\n)*`,
  );
  expect(toml).toMatch(block);
  return toml.replace(block, "");
}

const same = (t: string) => t;

describe("npm run dry-run's shard binding check", () => {
  it("passes the project's own configs", () => {
    expect(shardBindingProblems(ROOT)).toEqual([]);
  });

  it("names a shard bound in one config but not the other", () => {
    const dir = fixture(same, (t) => dropBinding(t, "env.staging.", "SHARD_2"));
    expect(shardBindingProblems(dir)).toEqual([
      "env staging: SHARD_2 is bound in wrangler.toml but not in wrangler.consumer.toml: both Workers need it",
    ]);
  });

  it("names a shard whose database differs between the configs", () => {
    const dir = fixture(same, (t) =>
      t.replace("00000000-0000-4000-8000-000000000032", "00000000-0000-4000-8000-0000000000ff"),
    );
    expect(shardBindingProblems(dir)).toEqual([
      'env production: SHARD_2 has a different database_id in wrangler.toml ("00000000-0000-4000-8000-000000000032") and wrangler.consumer.toml ("00000000-0000-4000-8000-0000000000ff"): it must be the same database',
    ]);
  });

  it("names a catalog whose database_name differs between the configs", () => {
    const dir = fixture((t) =>
      t.replace('database_name = "argyle-gig-mirror"\n', 'database_name = "argyle-gig-mirror-old"\n'),
    );
    expect(shardBindingProblems(dir)).toEqual([
      'top level: DB has a different database_name in wrangler.toml ("argyle-gig-mirror-old") and wrangler.consumer.toml ("argyle-gig-mirror"): it must be the same database',
    ]);
  });

  it("names a gap in the shard numbering, in each config that has it", () => {
    const drop = (t: string) => dropBinding(t, "", "SHARD_1");
    expect(shardBindingProblems(fixture(drop, drop))).toEqual([
      "wrangler.toml (top level): shard numbering has a gap: SHARD_1 missing before SHARD_2",
      "wrangler.consumer.toml (top level): shard numbering has a gap: SHARD_1 missing before SHARD_2",
    ]);
  });

  it("names an environment with no shard at all", () => {
    const drop = (t: string) => dropBinding(dropBinding(t, "env.production.", "SHARD_1"), "env.production.", "SHARD_2");
    expect(shardBindingProblems(fixture(drop, drop))).toEqual([
      'wrangler.toml (env production): no gig shard: bind SHARD_1 (migrations_dir = "migrations-shard")',
      'wrangler.consumer.toml (env production): no gig shard: bind SHARD_1 (migrations_dir = "migrations-shard")',
    ]);
  });

  it("names a binding with the wrong migrations folder for its role", () => {
    const wrongFolder = (t: string) =>
      t.replace(
        'database_name = "argyle-gig-shard-1-staging"\ndatabase_id = "00000000-0000-4000-8000-000000000021"\nmigrations_dir = "migrations-shard"',
        'database_name = "argyle-gig-shard-1-staging"\ndatabase_id = "00000000-0000-4000-8000-000000000021"\nmigrations_dir = "migrations"',
      );
    expect(shardBindingProblems(fixture(wrongFolder))).toEqual([
      'wrangler.toml (env staging): SHARD_1 must have migrations_dir = "migrations-shard" (has "migrations")',
    ]);
  });

  it("names a misspelt shard binding and two bindings sharing one database", () => {
    const broken = (t: string) =>
      t
        .replace(
          'binding = "SHARD_2"\ndatabase_name = "argyle-gig-shard-2"\n',
          'binding = "SHARD_02"\ndatabase_name = "argyle-gig-shard-2"\n',
        )
        .replace("00000000-0000-4000-8000-000000000012", "00000000-0000-4000-8000-000000000011");
    expect(shardBindingProblems(fixture(broken, broken))).toEqual([
      "wrangler.toml (top level): D1 binding SHARD_02 is not a shard name: gig shards are SHARD_1, SHARD_2, … (no leading zero)",
      "wrangler.toml (top level): SHARD_1 and SHARD_02 share database_id 00000000-0000-4000-8000-000000000011: each needs its own database",
      "wrangler.consumer.toml (top level): D1 binding SHARD_02 is not a shard name: gig shards are SHARD_1, SHARD_2, … (no leading zero)",
      "wrangler.consumer.toml (top level): SHARD_1 and SHARD_02 share database_id 00000000-0000-4000-8000-000000000011: each needs its own database",
    ]);
  });
});
