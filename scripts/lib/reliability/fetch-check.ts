/**
 * "Nothing fetched twice without cause": every time the local Argyle served a gig intact, some
 * job asked for it. A fetch job sent as new work (a webhook's, a sweep's) is one cause; a
 * redelivery of a job whose invocation a fault hit (its writes may be lost) is another; so is any
 * redelivery for a gig that cannot be stored (its fetch failed). Other retries are not: what was
 * fetched before them was committed, and must be skipped as fresh.
 * @module
 */
import type { Pipeline } from "./pipeline.ts";

export interface FetchReport {
  /** Intact gig fetches. */
  fetches: number;
  /** Fetches beyond their causes. */
  excess: number;
  problems: string[];
}

/** Checks the fetches of `gigIds` (every gig fetched, if omitted); `unstorable` gigs fail every fetch. */
export function checkFetches(
  p: Pipeline,
  gigIds?: ReadonlySet<string>,
  unstorable: ReadonlySet<string> = new Set(),
): FetchReport {
  const faults = p.faults;
  const counts = p.argyle.stats.snapshot().gigFetches;
  const report: FetchReport = { fetches: 0, excess: 0, problems: [] };
  for (const [id, n] of Object.entries(counts)) {
    if (gigIds && !gigIds.has(id)) continue;
    report.fetches += n;
    if (!faults) continue;
    const causes =
      faults.rootFetchJobs(id) + (unstorable.has(id) ? faults.redeliveries(id) : faults.faultRedeliveries(id));
    if (n > causes) {
      report.excess += n - causes;
      if (report.problems.length < 10) {
        report.problems.push(`gig ${id} fetched ${n} times for ${causes} cause(s)`);
      }
    }
  }
  if (report.excess > 0) report.problems.unshift(`${report.excess} fetch(es) without cause`);
  return report;
}
