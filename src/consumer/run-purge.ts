/**
 * purge_account: mark the account purged in the catalog (the authoritative record) and on every
 * shard holding it, then delete it chunk by chunk while the invocation's budget lasts: the
 * shards' gigs first, then the catalog's events, bodies and failures, then the shards' account
 * rows, and last the audit row and the catalog marker's completion. The rest continues as a new
 * message. Every chunk is its own transaction, so a crash or redelivery resumes from what is
 * left, and the cron revives a purge whose message was lost (it reads the catalog's marker).
 *
 * The shards come from the directory, read here (not from the job's home shard): during a move
 * the account has rows on two shards, and an account never placed has none.
 * @module
 */
import type { PurgeAccountJob } from "../domain/jobs.ts";
import {
  catalogFinishStatements,
  catalogProgressStatement,
  catalogPurgeChunkStatements,
  markPurgeStatement,
  type PurgeProgress,
  type PurgeRequest,
  purgeShards,
  readPurgeStatement,
  type ShardPurgeProgress,
  shardFinishStatements,
  shardPurgeChunkStatements,
} from "../domain/lifecycle/purge.ts";
import { logInfo } from "../domain/log.ts";
import { CATALOG_SHARD, shardDb } from "../domain/shards/bindings.ts";
import type { DirectoryEntry } from "../domain/shards/directory.ts";
import { d1Retry } from "./commit.ts";
import { continuationId, emptyStats, type JobContext, type JobStats, type Outcome } from "./job-context.ts";

/**
 * Chunks per message: each holds one database (single-threaded) for one bounded transaction; a
 * short message also lets other work interleave with a 50,000-gig purge.
 */
export const PURGE_CHUNKS_PER_MESSAGE = 10;

export async function runPurge(job: PurgeAccountJob, ctx: JobContext): Promise<Outcome> {
  const stats = emptyStats();
  const catalog = ctx.catalog;
  const request: PurgeRequest = {
    account: job.account,
    user: job.user,
    reason: job.reason,
    tokenRole: job.token_role ?? null,
  };
  if (!ctx.budget.take()) return carryOn(job, stats, "deferred: subrequest budget spent");
  let entry: DirectoryEntry | null;
  let progress: PurgeProgress | null;
  try {
    // One catalog transaction: the mark (from here on the account reads as deleted), where it lives, how far we got.
    const [, found, read] = await catalog.batch([
      markPurgeStatement(catalog, request, ctx.now()),
      catalog
        .prepare(
          `SELECT account, shard, user, move_state AS moveState, move_to AS moveTo, move_from AS moveFrom
           FROM directory WHERE account = ?1`,
        )
        .bind(job.account),
      readPurgeStatement(catalog, job.account),
    ]);
    entry = (found?.results[0] as DirectoryEntry | undefined) ?? null;
    progress = (read?.results[0] as PurgeProgress | undefined) ?? null;
  } catch (error) {
    return d1Retry(error, ctx, stats);
  }
  // A purge already complete still runs through (cheap): a late accounts.removed's own event goes too.
  const shards = purgeShards(entry);
  const home = entry?.shard ?? CATALOG_SHARD;
  let chunks = 0;
  let homeGigs = 0;
  let shardsEmpty = true;
  let catalogEmpty = false;
  try {
    // 1. Every shard's gigs, chunk by chunk, counted in that shard's marker.
    for (const name of shards) {
      const db = shardDb(ctx.env, name);
      let more = 1;
      while (more && chunks < PURGE_CHUNKS_PER_MESSAGE && ctx.budget.take()) {
        chunks++;
        const results = await db.batch<ShardPurgeProgress>(shardPurgeChunkStatements(db, request, ctx.now()));
        const row = results.at(-1)?.results[0];
        more = row?.more ?? 0;
        if (name === home) homeGigs = row?.gigs_deleted ?? 0;
      }
      if (more) {
        shardsEmpty = false;
        break;
      }
    }
    // 2. The catalog's events, bodies and failures.
    while (shardsEmpty && !catalogEmpty && chunks < PURGE_CHUNKS_PER_MESSAGE && ctx.budget.take()) {
      chunks++;
      const results = await catalog.batch(catalogPurgeChunkStatements(catalog, job.account, ctx.now()));
      progress = (results.at(-2)?.results[0] as PurgeProgress | undefined) ?? progress;
      catalogEmpty = !(results.at(-1)?.results[0] as { more: number } | undefined)?.more;
    }
    // 3. The shards' account rows and markers, then the audit row and the catalog's completion.
    if (shardsEmpty && catalogEmpty && ctx.budget.remaining >= shards.length + 1) {
      const nowMs = ctx.now();
      for (const name of shards) {
        ctx.budget.take();
        const db = shardDb(ctx.env, name);
        const results = await db.batch<{ gigs_deleted: number }>(
          shardFinishStatements(db, job.account, new Date(nowMs).toISOString(), name !== CATALOG_SHARD),
        );
        // The home shard's count: during a move the other shard held copies of the same gigs.
        if (name === home) homeGigs = results.at(-1)?.results[0]?.gigs_deleted ?? homeGigs;
      }
      ctx.budget.take();
      const results = await catalog.batch<PurgeProgress>(
        catalogFinishStatements(catalog, job.account, homeGigs, nowMs),
      );
      progress = results.at(-1)?.results[0] ?? progress;
      if (progress?.completed_at) return done(job, progress, stats);
    }
    // Progress for the cron's stall check (and the API's answer), once per message.
    if (ctx.budget.take()) await catalogProgressStatement(catalog, job.account, homeGigs, ctx.now()).run();
  } catch (error) {
    // Chunks already committed stay committed; the redelivery carries on from what is left. A
    // shard with no binding here is a config error: retried (with backoff) until it is fixed.
    return d1Retry(error, ctx, stats);
  }
  stats.removed = homeGigs;
  stats.stored = 0;
  return carryOn(job, stats, `purge continues: ${homeGigs} gigs deleted so far`);
}

function carryOn(job: PurgeAccountJob, stats: JobStats, note: string): Outcome {
  return { type: "ack", continuation: { ...job, job_id: continuationId(job.job_id) }, note, stats };
}

function done(job: PurgeAccountJob, progress: PurgeProgress, stats: JobStats): Outcome {
  stats.removed = progress.gigs_deleted;
  stats.stored = 0;
  logInfo("account purged", {
    account: job.account,
    reason: progress.reason,
    gigs: progress.gigs_deleted,
    events: progress.events_deleted,
    bodies: progress.bodies_deleted,
    failures: progress.failures_deleted,
  });
  return { type: "ack", note: "purge complete", stats };
}
