/**
 * The newest D1 migration this code needs. A Worker cannot read `migrations/` at run time, so the
 * name lives here; test/node/schema-version.test.ts fails when a newer migration file exists and
 * this was not bumped with it.
 * @module
 */

/** File name of the newest migration, as `wrangler d1 migrations apply` records it in `d1_migrations.name`. */
export const NEWEST_MIGRATION = "0010_legacy_account_removals.sql";
