/**
 * The newest D1 migrations this code needs, per database role. A Worker cannot read
 * `migrations/` or `migrations-shard/` at run time, so the names live here;
 * test/node/schema-version.test.ts fails when a newer migration file exists in either folder and
 * this was not bumped with it.
 * @module
 */

/** Newest file in `migrations/` (the catalog, binding DB), as `d1_migrations.name` records it. */
export const NEWEST_MIGRATION = "0011_shard_directory.sql";

/** Newest file in `migrations-shard/` (every gig shard, bindings SHARD_n). */
export const NEWEST_SHARD_MIGRATION = "0001_gig_shard.sql";
