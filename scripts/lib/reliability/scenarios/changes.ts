/**
 * The workload the consumer-side and Argyle-side fault scenarios share: two accounts fully synced
 * (a backfill each), then a stream of random changes at Argyle, each delivered as its webhook,
 * under the scenario's faults. It ends when the queues drain; then the mirror must equal Argyle.
 * @module
 */
import type { FaultInput } from "../../../../src/local-argyle/faults.ts";
import { createRandom, type Random } from "../../../../src/local-argyle/random.ts";
import type { FaultRule } from "../binding-faults.ts";
import { Pipeline, type PipelineOptions } from "../pipeline.ts";
import { type Conclusion, conclude, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { type Change, pool, Workload } from "../workload.ts";

export interface ChangesOptions {
  /** The local Argyle's fault knobs for the whole run (initial sync included). */
  argyleFaults?: FaultInput;
  /** Faults in the Workers' bindings for the whole run. */
  rule?: (random: Random) => FaultRule;
  consumerVars?: Record<string, string>;
  queueOverrides?: PipelineOptions["queueOverrides"];
  /** Gigs Argyle starts serving as invalid objects (after the sync): the only failures allowed. */
  permanent?: number;
  /**
   * Runs between the initial sync and the changes, and is awaited together with their delivery;
   * it returns what to add to the conclusion (e.g. its own faults).
   */
  during?: (p: Pipeline, work: Workload, random: Random) => Promise<Partial<Conclusion>>;
  /** Extra checks once drained; each string is a violation. */
  check?: (p: Pipeline) => string[] | Promise<string[]>;
}

/** Webhooks delivered at once. */
const CONCURRENCY = 3;

export async function runChanges(ctx: ScenarioContext, options: ChangesOptions): Promise<ScenarioResult> {
  const random = createRandom(ctx.seed);
  const gigs = ctx.sizes.faultGigs;
  const p = await Pipeline.start({
    seed: ctx.seed,
    accounts: [{ gigs }, { gigs: Math.round(gigs / 2) }],
    ...(options.argyleFaults ? { argyleFaults: options.argyleFaults } : {}),
    // Small pages: backfills take several pages, so faults hit them mid-walk too.
    consumerVars: { ARGYLE_PAGE_SIZE: "25", ...options.consumerVars },
    ...(options.queueOverrides ? { queueOverrides: options.queueOverrides } : {}),
  });
  try {
    if (options.rule) p.faults?.setRule(options.rule(createRandom(`${ctx.seed}:faults`)));
    const accounts = p.argyle.store.accounts().map((a) => a.id);
    const work = new Workload(p.argyle.store);
    await pool(accounts, accounts.length, async (account) => {
      await p.deliver(work.fullySynced(account));
    });

    const permanent = new Set<string>();
    if (options.permanent) {
      // Break gigs only once the backfills have listed them: a listing with an invalid object
      // fails as a whole (see the report), which is not what this scenario is about.
      await p.waitForDrain(accounts, 60_000);
      const account = accounts[0] as string;
      const ids = p.argyle.store
        .gigsOf(account)
        .slice(0, options.permanent)
        .map((g) => g.id);
      const change = work.updateIds(account, ids);
      for (const id of ids) {
        (p.argyle.store.gig(id) as unknown as Record<string, unknown>).account = "not-an-argyle-id";
        permanent.add(id);
      }
      await p.deliver(change.payload);
    }

    const changes: Change[] = [];
    for (let i = 0; i < ctx.sizes.faultChanges; i++) {
      const account = random.pick(accounts);
      const change = work.random(random, account);
      if (change) changes.push(change);
    }
    const [, extra] = await Promise.all([
      pool(changes, CONCURRENCY, async (change) => {
        await p.deliver(change.payload);
      }),
      options.during?.(p, work, random) ?? Promise.resolve({}),
    ]);
    ctx.log(`${changes.length} changes delivered; waiting for the queues to drain`);
    const result = await conclude(p, {
      truth: { accounts, removed: work.removed, permanent },
      drainTimeoutMs: 90_000,
      ...extra,
    });
    result.violations.push(...((await options.check?.(p)) ?? []));
    return result;
  } finally {
    await p.close();
  }
}
