/**
 * Where the consumer's CPU goes, per unit of work the Free plan's 10 ms must hold: runs the real
 * job runners `n` times in a loop with Argyle and D1 replaced by stubs that answer at once, so
 * the benchmark can time them from outside (workerd's clocks stand still while code runs, so the
 * CPU is read from /proc around the request). POST /__bench/consumer-probe?piece=<piece>&n=<n>:
 * - page&size=S: a list_window walk of one page of S gigs (Argyle's JSON parsed, every gig
 *   validated and re-serialised, the upserts and the job's bookkeeping built and "committed");
 * - fetch: a fetch_gigs message of 42 gigs (IDS_PER_JOB), each answered by its own GET.
 * The answers are rendered once, from the local Argyle's realistic gigs; the stubs only hand
 * them back, so what is timed is the consumer's own code.
 * @module
 */

import { readConfig } from "../../../../src/consumer/config.ts";
import type { JobContext } from "../../../../src/consumer/job-context.ts";
import { runJob } from "../../../../src/consumer/run-job.ts";
import { createLimiter, SubrequestBudget } from "../../../../src/domain/budget.ts";
import { IDS_PER_JOB, JOB_VERSION, type Job } from "../../../../src/domain/jobs.ts";
import { createLocalArgyle } from "../../../../src/local-argyle/app.ts";

const BASE = "https://argyle.probe/v2";
const MAX_GIGS = 200;

const argyle = createLocalArgyle({ seed: 1, accounts: [{ gigs: MAX_GIGS }] });
const account = argyle.store.accounts()[0];
if (!account) throw new Error("the probe's dataset has no account");
const gigs = argyle.store.gigsOf(account.id);
const gigJson = new Map(gigs.map((g) => [g.id as string, JSON.stringify(g)]));
const pageJson = new Map<number, string>();

function pageOf(size: number): string {
  let text = pageJson.get(size);
  if (text === undefined) {
    text = JSON.stringify({ next: null, previous: null, results: gigs.slice(0, size) });
    pageJson.set(size, text);
  }
  return text;
}

/** Argyle, answering from memory: a list URL gets the page of `size`, a gig URL that gig. */
function stubArgyle(size: number): typeof fetch {
  return async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const id = /\/gigs\/([^/?]+)$/.exec(url.pathname)?.[1];
    const body = id ? gigJson.get(id) : pageOf(size);
    if (body === undefined) return new Response('{"detail": "Not found."}', { status: 404 });
    return new Response(body, { headers: { "content-type": "application/json" } });
  };
}

const noResults = { success: true, meta: { changes: 1 }, results: [] };
/** A statement that remembers its SQL, so the stub can answer the few reads a job makes. */
function statementOf(sql: string) {
  const statement = {
    sql,
    bind: () => statement,
    run: async () => noResults,
    all: async () => noResults,
    first: async () => null,
  };
  return statement;
}
/** What the stub answers a read in a batch: the account is not purged, a list_window knows no gigs. */
function resultsOf(sql: string): unknown[] {
  if (/FROM purged_accounts/.test(sql) && !/AS purged/.test(sql)) return [];
  if (/AS purged/.test(sql)) return [{ purged: 0 }];
  return [{ known: 0 }];
}
/** D1 that accepts everything at once. */
const stubDb = {
  prepare: (sql: string) => statementOf(sql),
  batch: async (statements: { sql: string }[]) =>
    statements.map((s) => ({ success: true, meta: { changes: 1 }, results: resultsOf(s.sql) })),
};

function job(piece: string, size: number): Job {
  const base = {
    v: JOB_VERSION,
    job_id: "probe:0",
    event_id: "probe",
    account: account?.id as string,
    user: account?.user ?? null,
    received_at: new Date().toISOString(),
    origin: "webhook",
  } as const;
  if (piece === "fetch") {
    return { ...base, kind: "fetch_gigs", ids: gigs.slice(0, IDS_PER_JOB).map((g) => g.id as string) };
  }
  const from = "2000-01-01T00:00:00.000Z";
  const to = "2100-01-01T00:00:00.000Z";
  return { ...base, kind: "list_window", from, to, expected: size, listed: 0, cursor: null };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const piece = url.searchParams.get("piece") ?? "page";
    const n = Number(url.searchParams.get("n") ?? "1");
    const size = Math.min(MAX_GIGS, Number(url.searchParams.get("size") ?? String(MAX_GIGS)));
    if (piece !== "page" && piece !== "fetch") return new Response(`unknown piece ${piece}`, { status: 400 });
    const config = readConfig({
      ARGYLE_API_URL: BASE,
      ARGYLE_API_KEY_ID: "probe",
      ARGYLE_API_KEY_SECRET: "probe",
    } as never);
    config.argyle.fetch = stubArgyle(size);
    const work = job(piece, size);
    for (let i = 0; i < n; i++) {
      const ctx: JobContext = {
        db: stubDb as never,
        catalog: stubDb as never,
        bindings: {},
        config,
        budget: new SubrequestBudget(1000),
        pages: new SubrequestBudget(1),
        limit: createLimiter(config.maxConcurrency),
        attempts: 1,
        now: Date.now,
      };
      const outcome = await runJob(work, ctx);
      const expected = piece === "fetch" ? IDS_PER_JOB : size;
      if (outcome.type !== "ack" || outcome.stats.stored !== expected) {
        return new Response(`the probe's job did not store ${expected} gigs: ${JSON.stringify(outcome)}`, {
          status: 500,
        });
      }
    }
    return new Response(null, { status: 204 });
  },
};
