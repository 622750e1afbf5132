/**
 * The invariant every scenario ends on: once the queues are empty, the mirror equals Argyle's
 * truth. Live gigs are read back through the read API (GET /v2/gigs, the objects clients see),
 * tombstones and failures from D1 and /api/failures. Each difference becomes one readable line.
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import type { Gig } from "../../../src/local-argyle/model.ts";
import type { Pipeline } from "./pipeline.ts";

export interface Truth {
  accounts: readonly string[];
  /**
   * Gigs the mirror must hold live with Argyle's current object. Default: every gig live at Argyle
   * in `accounts` (after a full sync the mirror knows them all).
   */
  expectedLive?: ReadonlySet<string>;
  /** Gigs removed at Argyle that the mirror heard of (ID → account): each must be tombstoned. */
  removed: ReadonlyMap<string, string>;
  /** Gigs Argyle serves but nobody can store (invalid objects): they, and only they, are failures. */
  permanent?: ReadonlySet<string>;
}

export interface MirrorReport {
  gigsExpected: number;
  /** Expected gigs stored with Argyle's current object. */
  gigsStored: number;
  removedExpected: number;
  tombstoned: number;
  /** Expected gigs missing or stale, removed gigs still live, live gigs Argyle no longer has. */
  lost: number;
  problems: string[];
}

interface ListPage {
  next: string | null;
  results: Gig[];
}

interface FailureRow {
  id: string;
  kind: string;
  reason: string;
  status: string;
  job: { ids?: string[] } | null;
  last_error: string | null;
}

/** Compares the mirror with the local Argyle's current state. */
export async function checkMirror(p: Pipeline, truth: Truth): Promise<MirrorReport> {
  const problems: string[] = [];
  const permanent = truth.permanent ?? new Set<string>();
  const report: MirrorReport = {
    gigsExpected: 0,
    gigsStored: 0,
    removedExpected: truth.removed.size,
    tombstoned: 0,
    lost: 0,
    problems,
  };
  for (const account of truth.accounts) {
    const atArgyle = new Map(p.argyle.store.gigsOf(account).map((g) => [g.id, g]));
    const served = await servedGigs(p, account);
    // Wherever the account was placed: the catalog's legacy tables or any shard.
    const rows = await p.stack.gigRows<{ id: string; removed_at: string | null }>(
      "SELECT id, removed_at FROM gigs WHERE account = ?1",
      account,
    );
    const inD1 = new Map(rows.map((r) => [r.id, r]));

    for (const [id, gig] of atArgyle) {
      if (permanent.has(id)) continue;
      if (truth.expectedLive && !truth.expectedLive.has(id)) continue;
      report.gigsExpected++;
      const copy = served.get(id);
      if (!copy) {
        problems.push(`missing: gig ${id} (account ${account}) exists at Argyle but is not served`);
        report.lost++;
      } else if (!isDeepStrictEqual(copy, gig)) {
        problems.push(`stale: gig ${id} served with updated_at ${copy.updated_at}, Argyle has ${gig.updated_at}`);
        report.lost++;
      } else {
        report.gigsStored++;
      }
    }
    // Whatever the mirror serves must be Argyle's current object, expected or not.
    for (const [id, copy] of served) {
      const gig = atArgyle.get(id);
      if (!gig) {
        problems.push(`ghost: gig ${id} is served live but Argyle no longer has it`);
        report.lost++;
      } else if (truth.expectedLive && !truth.expectedLive.has(id) && !isDeepStrictEqual(copy, gig)) {
        problems.push(`stale: gig ${id} (not named by any webhook) served with updated_at ${copy.updated_at}`);
        report.lost++;
      }
    }
    for (const [id, removedFrom] of truth.removed) {
      if (removedFrom !== account || p.argyle.store.gig(id) !== undefined) continue;
      const row = inD1.get(id);
      if (row?.removed_at) {
        report.tombstoned++;
      } else if (row && !served.has(id)) {
        problems.push(`not tombstoned: gig ${id} was removed at Argyle; its row has no removed_at`);
        report.lost++;
      } else if (!row) {
        problems.push(`no tombstone: gig ${id} was removed at Argyle and the mirror has no row for it`);
        report.lost++;
      }
    }
    problems.push(...(await unexpectedFailures(p, account, permanent)));
  }
  return report;
}

/** Every gig GET /v2/gigs serves for `account`, following `next` to the end. */
async function servedGigs(p: Pipeline, account: string): Promise<Map<string, Gig>> {
  const gigs = new Map<string, Gig>();
  let url: string | null = `/v2/gigs?account=${account}&limit=200`;
  while (url) {
    const page: ListPage = await p.api<ListPage>(url);
    for (const gig of page.results) gigs.set(gig.id, gig);
    url = page.next;
  }
  return gigs;
}

/** Failures other than the permanent ones expected, and permanent ones not recorded. */
async function unexpectedFailures(p: Pipeline, account: string, permanent: ReadonlySet<string>): Promise<string[]> {
  const { data } = await p.api<{ data: FailureRow[] }>(`/api/failures?account=${account}&limit=200`);
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const f of data) {
    const ids = f.job?.ids ?? [];
    const expected = f.kind === "fetch_gigs" && f.reason === "permanent" && ids.every((id) => permanent.has(id));
    if (expected) for (const id of ids) covered.add(id);
    else problems.push(`unexpected failure ${f.id}: ${f.kind} ${f.reason} (${ids.length} gigs): ${f.last_error}`);
  }
  for (const id of permanent) {
    if (p.argyle.store.gigsOf(account).some((g) => g.id === id) && !covered.has(id)) {
      problems.push(`permanent failure not recorded: gig ${id} cannot be stored and no failure names it`);
    }
  }
  return problems;
}
