/**
 * The schema state of every database the receiver is bound to: the catalog (DB) and each gig
 * shard (SHARD_n), each against the newest migration of its role. One round trip per database,
 * all in parallel, so /health costs one D1 latency however many shards there are.
 * @module
 */
import { describeError } from "../domain/errors.ts";
import { NEWEST_MIGRATION, NEWEST_SHARD_MIGRATION } from "../domain/schema-version.ts";
import { CATALOG_SHARD, shardDb, shardNames } from "../domain/shards/bindings.ts";
import { checkSchema, type SchemaState } from "../domain/storage/schema-check.ts";

export type DatabaseHealth =
  | { name: string; reachable: true; state: SchemaState }
  | { name: string; reachable: false; error: string };

/** Every database, the catalog first then the shards in numeric order. Never throws. */
export async function databaseHealth(env: object): Promise<DatabaseHealth[]> {
  const targets = [
    { name: CATALOG_SHARD, expected: NEWEST_MIGRATION },
    ...shardNames(env).map((name) => ({ name, expected: NEWEST_SHARD_MIGRATION })),
  ];
  return Promise.all(
    targets.map(async ({ name, expected }): Promise<DatabaseHealth> => {
      try {
        return { name, reachable: true, state: await checkSchema(shardDb(env, name), expected) };
      } catch (error) {
        return { name, reachable: false, error: describeError(error) };
      }
    }),
  );
}

/** Database name → the migration it has applied: the expected one when current, else its newest (or null). */
export function appliedByDatabase(health: DatabaseHealth[]): Record<string, string | null> {
  return Object.fromEntries(
    health.map((h) => [h.name, !h.reachable ? null : h.state.ready ? h.state.migration : h.state.applied]),
  );
}
