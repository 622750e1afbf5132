/**
 * Which shard a job's account lives in: the directory's entry, or a new placement the first time
 * any job works for the account (the receiver never asks: its hot path touches only the catalog).
 *
 * Entries are remembered in the isolate for a few minutes, so a steady stream of jobs costs no
 * catalog read. A remembered entry may be stale after a move; that is safe, because the old shard
 * is fenced: a job that writes there stores nothing, learns it in its own transaction, forgets the
 * entry (`forgetHome`) and is deferred to look again.
 * @module
 */
import type { Job } from "../domain/jobs.ts";
import { accountIsPurged } from "../domain/lifecycle/purged.ts";
import { type DirectoryEntry, lookupAccount, recordPlacement } from "../domain/shards/directory.ts";
import { pickShardFor } from "../domain/shards/placement.ts";
import type { JobContext } from "./job-context.ts";

/** No shard is open for new accounts: an operator must open one (or add one). */
export class NoOpenShardError extends Error {
  constructor() {
    super("no gig shard is open for new accounts: open one (npm run shards -- open SHARD_n) or add a shard");
  }
}

/** The subrequest budget ran out before the directory could be asked. */
export class NoBudgetError extends Error {}

/**
 * The account was deleted before any job placed it: its marker is only in the catalog, so placing
 * it now would store its gigs in a shard with nothing to stop them. The job stores nothing.
 */
export class PurgedUnplacedError extends Error {
  constructor() {
    super("account purged before it was placed: stored nothing");
  }
}

/** How long an isolate trusts a remembered entry. */
const REMEMBER_MS = 5 * 60_000;
/** Entries remembered at most (the oldest go first): bounded memory with many accounts. */
const REMEMBER_MAX = 10_000;

const remembered = new Map<string, { entry: Promise<DirectoryEntry>; atMs: number }>();

/**
 * The account's directory entry, placing it if it is new. A remembered entry costs nothing; else
 * one catalog query (taken from the budget here), and three more the first time.
 */
export function resolveHome(job: Job, ctx: JobContext): Promise<DirectoryEntry> {
  const hit = remembered.get(job.account);
  if (hit && ctx.now() - hit.atMs < REMEMBER_MS) return hit.entry;
  if (!ctx.budget.take()) return Promise.reject(new NoBudgetError("subrequest budget spent"));
  const entry = lookupOrPlace(job, ctx);
  remembered.delete(job.account);
  remembered.set(job.account, { entry, atMs: ctx.now() });
  if (remembered.size > REMEMBER_MAX) remembered.delete(remembered.keys().next().value as string);
  // A failed lookup must not be remembered: the next job asks again.
  entry.catch(() => remembered.delete(job.account));
  return entry;
}

async function lookupOrPlace(job: Job, ctx: JobContext): Promise<DirectoryEntry> {
  const known = await lookupAccount(ctx.catalog, job.account);
  if (known) return known;
  ctx.budget.take(3);
  // A new account may still be a deleted one (accounts.removed, or the API, before any job ran):
  // the catalog's marker decides, lifted only by a webhook newer than a finished retention purge.
  if (await accountIsPurged(ctx.catalog, job.account, job.origin === "webhook" ? job.received_at : null)) {
    throw new PurgedUnplacedError();
  }
  const shard = await pickShardFor(ctx.env, ctx.catalog);
  if (shard === null) throw new NoOpenShardError();
  return recordPlacement(ctx.catalog, job.account, job.user, shard, ctx.now());
}

/** Drops the remembered entry (the job met a fence: the account moved). */
export function forgetHome(account: string): void {
  remembered.delete(account);
}

/** Drops every remembered entry (tests that empty the directory between cases). */
export function forgetAllHomes(): void {
  remembered.clear();
}
