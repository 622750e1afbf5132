/**
 * Waiting for the mirror to catch up with a sent webhook, through the read API:
 * - gigs.updated: every listed gig answers 200 (fetched and stored);
 * - gigs.removed: every listed gig answers 404 (tombstoned);
 * - gigs.added: the account's `gigs_stored` reaches the window's gig count and stops changing;
 * - gigs.*_synced: the account's backfill pass started by this webhook is `done`;
 * - accounts.removed: the account reads as deleted (404), i.e. its purge has begun.
 * @module
 */

import type { SendEvent } from "./args.ts";
import { type AccountSnapshot, accountSnapshot, gigStatus, type ReadApi } from "./read-api.ts";
import type { SendTarget } from "./target.ts";

export type WaitGoal =
  | { kind: "none"; reason: string }
  | { kind: "stored"; ids: string[] }
  | { kind: "removed"; ids: string[] }
  | { kind: "count"; account: string; atLeast: number }
  | { kind: "backfill"; account: string }
  | { kind: "deleted"; account: string };

/** What "caught up" means for `event` about `target`. */
export function waitGoal(event: SendEvent, target: SendTarget): WaitGoal {
  const ids = target.gigs.map((g) => g.id);
  switch (event) {
    case "gigs.updated":
      return { kind: "stored", ids };
    case "gigs.removed":
      return { kind: "removed", ids };
    case "gigs.added":
      return { kind: "count", account: target.account, atLeast: target.count };
    case "gigs.partially_synced":
    case "gigs.fully_synced":
      return { kind: "backfill", account: target.account };
    case "accounts.removed":
      return { kind: "deleted", account: target.account };
    case "accounts.connected":
      return { kind: "none", reason: "not a gig event: the receiver only records it" };
  }
}

export interface WaitOptions {
  api: ReadApi;
  timeoutMs: number;
  /** Pause between polls. */
  intervalMs: number;
  /** gigs.added: how long `gigs_stored` must hold still to count as settled. */
  stableMs: number;
  /** The account before the webhook was sent (null: unknown to the mirror, or not read). */
  baseline: AccountSnapshot | null;
  onProgress: (text: string) => void;
  now?: () => number;
}

export type WaitOutcome = { ok: true } | { ok: false; reason: string };

/** One look at the mirror. `failed` ends the wait at once. */
interface Check {
  done: boolean;
  progress: string;
  /** What is still missing, for the timeout message. */
  missing: string;
  failed?: string;
}

/** Polls until `goal` is met, it fails, or `timeoutMs` pass. */
export async function waitForMirror(goal: WaitGoal, options: WaitOptions): Promise<WaitOutcome> {
  if (goal.kind === "none") return { ok: true };
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const check = checker(goal, options, now);
  for (;;) {
    const result = await check();
    options.onProgress(result.progress);
    if (result.failed) return { ok: false, reason: result.failed };
    if (result.done) return { ok: true };
    if (now() + options.intervalMs > deadline) {
      return {
        ok: false,
        reason: `timed out after ${Number((options.timeoutMs / 1000).toFixed(2))} s: ${result.missing}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}

function checker(goal: Exclude<WaitGoal, { kind: "none" }>, options: WaitOptions, now: () => number) {
  switch (goal.kind) {
    case "stored":
      return gigsChecker(options.api, goal.ids, 200, "stored", "not stored yet");
    case "removed":
      return gigsChecker(options.api, goal.ids, 404, "removed", "still stored");
    case "count":
      return countChecker(options, goal.account, goal.atLeast, now);
    case "backfill":
      return backfillChecker(options, goal.account);
    case "deleted":
      return deletedChecker(options, goal.account);
  }
}

const CONCURRENCY = 6;
const SHOWN_IDS = 5;

/** Polls each gig still pending until it answers `want`. */
function gigsChecker(api: ReadApi, ids: readonly string[], want: number, verb: string, pendingText: string) {
  const pending = new Set(ids);
  const lastAnswer = new Map<string, string>();
  return async (): Promise<Check> => {
    const queue = [...pending];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const answer = await gigStatus(api, id);
          if (answer.status === want) pending.delete(id);
          lastAnswer.set(id, answer.status === null ? answer.error : String(answer.status));
        }
      }),
    );
    const left = [...pending];
    const shown = left.slice(0, SHOWN_IDS).map((id) => `${id} (${lastAnswer.get(id)})`);
    const more = left.length > SHOWN_IDS ? ` and ${left.length - SHOWN_IDS} more` : "";
    return {
      done: left.length === 0,
      progress: `${verb} ${ids.length - left.length}/${ids.length}`,
      missing: `${left.length} of ${ids.length} gigs ${pendingText}: ${shown.join(", ")}${more}`,
    };
  };
}

/** Polls the account until `gigs_stored` ≥ `atLeast` and has not changed for `stableMs`. */
function countChecker(options: WaitOptions, account: string, atLeast: number, now: () => number) {
  let last: number | null = null;
  let since = now();
  return async (): Promise<Check> => {
    const answer = await accountSnapshot(options.api, account);
    const stored = answer.status === 200 ? (answer.value?.gigsStored ?? 0) : 0;
    if (stored !== last) {
      last = stored;
      since = now();
    }
    return {
      done: stored >= atLeast && now() - since >= options.stableMs,
      progress: `stored ${stored} gigs of the account (expecting at least ${atLeast})`,
      missing: `the account has ${stored} gigs stored, expected at least ${atLeast}${describeAnswer(answer)}`,
    };
  };
}

/**
 * Polls the account until a backfill pass that began after the webhook is done. A pass already
 * `done` beforehand does not count: only a change (a new completion time, or having seen the
 * pass run) shows this webhook's pass finished.
 */
function backfillChecker(options: WaitOptions, account: string) {
  const before = options.baseline;
  let sawRunning = false;
  return async (): Promise<Check> => {
    const answer = await accountSnapshot(options.api, account);
    const snapshot = answer.status === 200 ? answer.value : null;
    const status = snapshot?.backfillStatus ?? null;
    if (status === "running") sawRunning = true;
    const fresh =
      before === null ||
      before.backfillStatus !== "done" ||
      sawRunning ||
      (snapshot?.backfillCompletedAt != null && snapshot.backfillCompletedAt !== before.backfillCompletedAt);
    const stored = snapshot?.gigsStored ?? 0;
    return {
      done: status === "done" && fresh,
      progress: `backfill ${status ?? "not started"}: ${stored} gigs stored`,
      missing: `backfill_status is ${status ?? "not set"}${describeAnswer(answer)}`,
      ...(status === "failed" && sawRunning ? { failed: "the backfill failed (see GET /api/failures)" } : {}),
    };
  };
}

/** Polls the account until it reads as deleted: the purge marks it before deleting anything. */
function deletedChecker(options: WaitOptions, account: string) {
  return async (): Promise<Check> => {
    const answer = await accountSnapshot(options.api, account);
    const stored = answer.status === 200 ? (answer.value?.gigsStored ?? 0) : 0;
    return {
      done: answer.status === 404,
      progress: answer.status === 404 ? "account deleted" : `account still readable: ${stored} gigs stored`,
      missing: `the account still reads as stored${describeAnswer(answer)}`,
    };
  };
}

function describeAnswer(answer: Awaited<ReturnType<typeof accountSnapshot>>): string {
  if (answer.status === null) return ` (read API: ${answer.error})`;
  if (answer.status === 404) return " (the mirror does not know the account yet)";
  if (answer.status !== 200) return ` (read API answered ${answer.status})`;
  return "";
}

/** `1.84 s` */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
