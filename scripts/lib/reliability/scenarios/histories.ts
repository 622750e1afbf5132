/**
 * The property: for any history of changes at Argyle, delivered late, twice, out of order or in
 * bursts, under any mix of the faults, once the queues drain the mirror equals Argyle's truth.
 * fast-check generates the histories from the scenario's seed and shrinks a failing one; the
 * shrunk counterexample is saved under test/node/pipeline/regressions/ and replayed from then on.
 * One pipeline serves every run; each run takes fresh accounts, so runs cannot disturb each other.
 * RELIABILITY_DEBUG=1 prints every history run and its time.
 * @module
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { createRandom, type Random } from "../../../../src/local-argyle/random.ts";
import { ROOT } from "../../common/stack.ts";
import type { FaultRule } from "../binding-faults.ts";
import { checkEvents } from "../event-check.ts";
import { combine, crashes, isConsumerD1Batch, isReceiverD1, isReceiverQueue, randomFailures } from "../fault-rules.ts";
import { checkFetches } from "../fetch-check.ts";
import { argyleKnobs, type ChangeSpec, type FaultMix, type History, historyArbitrary } from "../history.ts";
import { checkMirror } from "../mirror-check.ts";
import { type Delivery, Pipeline } from "../pipeline.ts";
import { faultKinds, type Scenario, type ScenarioContext, type ScenarioResult, sweep } from "../scenario.ts";
import { Workload } from "../workload.ts";

export const REGRESSIONS_DIR = path.join(ROOT, "test/node/pipeline/regressions");

/** Gigs per account: few, so histories keep hitting the same gigs. */
const GIGS_PER_ACCOUNT = 8;
/** Accounts kept for shrinking and regressions beyond the runs themselves. */
const SPARE_ACCOUNTS = 400;
const DRAIN_TIMEOUT_MS = 60_000;

export const HISTORY_SCENARIO: Scenario = {
  id: "property-histories",
  title: "Property: random histories (late, twice, out of order, bursts) under random faults",
  testFile: "test/node/pipeline/histories.test.ts",
  defaultSeed: 4101,
  run: (ctx) => runHistories(ctx, { regressions: true }),
};

/** A saved counterexample. */
export interface Regression {
  /** What it shows (written by whoever keeps it). */
  note?: string;
  seed: number;
  found: string;
  violations: string[];
  history: History;
}

export async function loadRegressions(): Promise<{ file: string; regression: Regression }[]> {
  let files: string[];
  try {
    files = (await readdir(REGRESSIONS_DIR)).filter((f) => f.endsWith(".json")).sort();
  } catch {
    return [];
  }
  return Promise.all(
    files.map(async (file) => ({
      file,
      regression: JSON.parse(await readFile(path.join(REGRESSIONS_DIR, file), "utf8")) as Regression,
    })),
  );
}

interface RunOutcome {
  violations: string[];
  deliveries: number;
  redeliveries: number;
  events: { recorded: number; expected: number };
  gigs: { expected: number; stored: number };
  removed: { expected: number; tombstoned: number };
  lost: number;
  excess: number;
}

/** One pipeline, a pool of fresh accounts, and the executor of histories. */
export class HistoryBench {
  readonly p: Pipeline;
  readonly #pool: string[];
  readonly #seed: number;
  /** Sums over every run so far, for the scenario's row. */
  readonly #totals = {
    runs: 0,
    deliveries: 0,
    redeliveries: 0,
    events: 0,
    eventsExpected: 0,
    gigs: 0,
    stored: 0,
    removed: 0,
    tombstoned: 0,
    lost: 0,
    excess: 0,
  };

  private constructor(p: Pipeline, seed: number) {
    this.p = p;
    this.#seed = seed;
    this.#pool = p.argyle.store.accounts().map((a) => a.id);
  }

  static async start(seed: number, accounts: number): Promise<HistoryBench> {
    const p = await Pipeline.start({
      seed,
      accounts: Array.from({ length: accounts }, () => ({ gigs: GIGS_PER_ACCOUNT })),
      consumerVars: { ARGYLE_PAGE_SIZE: "3" },
    });
    return new HistoryBench(p, seed);
  }

  /** Whether fresh accounts are left for a history. */
  canRun(history: History): boolean {
    return this.#pool.length >= history.accounts;
  }

  /** Runs `history` on fresh accounts; returns what broke (nothing, for a pass). */
  async execute(history: History): Promise<RunOutcome> {
    const started = Date.now();
    try {
      return await this.#execute(history);
    } finally {
      if (process.env.RELIABILITY_DEBUG)
        console.log(`history run: ${Date.now() - started} ms ${JSON.stringify(history)}`);
    }
  }

  async #execute(history: History): Promise<RunOutcome> {
    const p = this.p;
    const faults = p.faults;
    if (!faults) throw new Error("histories need fault injection");
    if (this.#pool.length < history.accounts) throw new Error("the account pool is used up");
    const slot = this.#pool.splice(0, history.accounts);
    const random = createRandom(`${this.#seed}:${JSON.stringify(history)}`);
    const firstDelivery = p.deliveries.length;
    const work = new Workload(p.argyle.store);
    const gigIds = new Set(slot.flatMap((a) => p.argyle.store.gigsOf(a).map((g) => g.id)));
    const removalsDelivered = new Set<string>();
    const violations: string[] = [];

    p.argyle.faults.replace({ hangMs: 30_000, ...argyleKnobs(history.faults.argyle) });
    faults.setRule(faultRule(history.faults, random));
    await Promise.all(slot.map((a) => p.deliver(work.fullySynced(a))));
    const drained = async () => {
      const left = await p.waitForDrain(slot, DRAIN_TIMEOUT_MS);
      if (left.length > 0) violations.push(`queues not drained: ${left.join("; ")}`);
    };
    await drained();

    const authWindow = history.faults.argyle === "401-window";
    if (authWindow) p.argyle.faults.update({ authFailing: true });
    const due = new Map<number, { body: string; removes: string[] }[]>();
    const deliverDue = async (at: number) => {
      const burst = due.get(at) ?? [];
      due.delete(at);
      await Promise.all(
        burst.map(async ({ body, removes }) => {
          const d = await p.deliver(body);
          if (d.status === 202) for (const id of removes) removalsDelivered.add(id);
        }),
      );
    };
    for (const [i, step] of history.steps.entries()) {
      if (authWindow && i === Math.floor(history.steps.length / 2)) p.argyle.faults.update({ authFailing: false });
      const change = applyChange(p, work, slot, step.change);
      if (change) {
        for (const id of change.gigIds) gigIds.add(id);
        for (const delay of step.copies) {
          const list = due.get(i + delay) ?? [];
          list.push({ body: change.body, removes: change.removes });
          due.set(i + delay, list);
        }
      }
      await deliverDue(i);
      // Settling under a 401 would only wait for the window to end.
      if (step.settle && !p.argyle.faults.settings.authFailing) await drained();
    }
    if (authWindow) p.argyle.faults.update({ authFailing: false });
    for (const at of [...due.keys()].sort((a, b) => a - b)) await deliverDue(at);
    if (history.finalSync) {
      await drained();
      await Promise.all(slot.map((a) => p.deliver(work.fullySynced(a))));
    }
    await drained();
    // Events whose "queued" mark was lost to a fault are the cron sweep's: run it as if later
    // (with the faults off: the sweep is not what this checks).
    faults.setRule(null);
    p.argyle.faults.reset();
    const left = await sweep(p, slot, DRAIN_TIMEOUT_MS);
    if (left.length > 0) violations.push(`queues not drained after the sweep: ${left.join("; ")}`);

    // The mirror must hold a tombstone for every removed gig it heard of: by a removal webhook,
    // or because it had a row for it.
    const rows = await p.stack.gigRows<{ id: string }>(
      `SELECT id FROM gigs WHERE account IN (${slot.map((_, i) => `?${i + 1}`).join(", ")})`,
      ...slot,
    );
    const known = new Set(rows.map((r) => r.id));
    const removed = new Map([...work.removed].filter(([id]) => removalsDelivered.has(id) || known.has(id)));
    const deliveries: Delivery[] = p.deliveries.slice(firstDelivery);
    const events = await checkEvents(p, deliveries, slot);
    const mirror = await checkMirror(p, { accounts: slot, removed });
    const fetches = checkFetches(p, gigIds);
    violations.push(...events.problems, ...mirror.problems, ...fetches.problems);
    const outcome: RunOutcome = {
      violations,
      deliveries: deliveries.length,
      redeliveries: deliveries.reduce((n, d) => n + d.attempts - 1, 0),
      events: { recorded: events.recorded, expected: events.expected },
      gigs: { expected: mirror.gigsExpected, stored: mirror.gigsStored },
      removed: { expected: mirror.removedExpected, tombstoned: mirror.tombstoned },
      lost: mirror.lost + events.lost,
      excess: fetches.excess,
    };
    this.#count(outcome);
    return outcome;
  }

  #count(o: RunOutcome): void {
    const t = this.#totals;
    t.runs++;
    t.deliveries += o.deliveries;
    t.redeliveries += o.redeliveries;
    t.events += o.events.recorded;
    t.eventsExpected += o.events.expected;
    t.gigs += o.gigs.expected;
    t.stored += o.gigs.stored;
    t.removed += o.removed.expected;
    t.tombstoned += o.removed.tombstoned;
    t.lost += o.lost;
    t.excess += o.excess;
  }

  /** The scenario's row, from every run so far. */
  result(violations: string[], notes: string[]): ScenarioResult {
    const stats = this.p.faults?.stats();
    const kinds = faultKinds(this.p);
    return {
      deliveries: this.#totals.deliveries,
      faults: kinds.total,
      faultKinds: kinds.text,
      retries: this.#totals.redeliveries + (stats?.messageRetries ?? 0),
      events: { recorded: this.#totals.events, expected: this.#totals.eventsExpected },
      gigs: { expected: this.#totals.gigs, stored: this.#totals.stored },
      removed: { expected: this.#totals.removed, tombstoned: this.#totals.tombstoned },
      lost: this.#totals.lost,
      excessFetches: this.#totals.excess,
      violations: [...violations, ...this.p.logs.leaks()],
      notes: [
        `${this.#totals.runs} histories run (fast-check runs, shrinking and saved regressions)`,
        ...notes,
        `${this.p.logs.lines.length} log lines captured and scanned`,
      ],
    };
  }

  close(): Promise<void> {
    return this.p.close();
  }
}

/** Applies a change at Argyle; its webhook body, or null when it changes nothing. */
function applyChange(
  p: Pipeline,
  work: Workload,
  slot: readonly string[],
  change: ChangeSpec,
): { body: string; gigIds: string[]; removes: string[] } | null {
  const account = slot[change.account % slot.length] as string;
  const live = p.argyle.store.gigsOf(account);
  const pick = (positions: number[]) => [...new Set(positions.map((i) => live[i % live.length]?.id as string))];
  switch (change.op) {
    case "update": {
      if (live.length === 0) return null;
      const c = work.updateIds(account, pick(change.gigs));
      return { body: p.bodyOf(c.payload), gigIds: c.gigIds, removes: [] };
    }
    case "remove": {
      if (live.length === 0) return null;
      const c = work.remove(account, pick(change.gigs));
      return c && { body: p.bodyOf(c.payload), gigIds: c.gigIds, removes: c.gigIds };
    }
    case "add": {
      const c = work.add(account, change.count);
      return { body: p.bodyOf(c.payload), gigIds: c.gigIds, removes: [] };
    }
    case "sync": {
      const payload = change.full ? p.argyle.store.fullySynced(account) : p.argyle.store.partiallySynced(account);
      return { body: p.bodyOf(payload), gigIds: [], removes: [] };
    }
  }
}

function faultRule(mix: FaultMix, random: Random): FaultRule {
  return combine(
    randomFailures(
      random,
      { match: isReceiverD1, rate: mix.ingest, afterShare: 1 / 3 },
      { match: isReceiverQueue, rate: mix.ingest, afterShare: 1 / 3 },
      { match: isConsumerD1Batch, rate: mix.consumer, afterShare: 1 / 3 },
    ),
    crashes(random, mix.crash, 3),
  );
}

async function runHistories(ctx: ScenarioContext, options: { regressions: boolean }): Promise<ScenarioResult> {
  const regressions = options.regressions ? await loadRegressions() : [];
  const bench = await HistoryBench.start(ctx.seed, ctx.sizes.historyRuns * 2 + SPARE_ACCOUNTS);
  const violations: string[] = [];
  const notes: string[] = [];
  try {
    for (const { file, regression } of regressions) {
      const outcome = await bench.execute(regression.history);
      violations.push(...outcome.violations.map((v) => `regression ${file}: ${v}`));
    }
    let runs = 0;
    let firstFailure = false;
    const details = await fc.check(
      fc.asyncProperty(historyArbitrary(ctx.sizes.historySteps), async (history) => {
        // Out of fresh accounts (a long shrink): skip the candidate rather than fail on it.
        fc.pre(bench.canRun(history));
        runs++;
        const outcome = await bench.execute(history);
        if (outcome.violations.length > 0) {
          if (!firstFailure) {
            firstFailure = true;
            ctx.log(`first failing history (before shrinking): ${JSON.stringify(history)}`);
            for (const v of outcome.violations.slice(0, 20)) ctx.log(`  ${v}`);
          }
          throw new Error(outcome.violations.join("\n"));
        }
      }),
      {
        seed: ctx.seed,
        numRuns: ctx.sizes.historyRuns,
        // Shrinking re-runs whole histories: stop it (keeping the smallest failure) in time.
        plugins: [fc.interruptAfterTimeLimit(ctx.scale === "full" ? 300_000 : 90_000)],
      },
    );
    ctx.log(`${runs} histories run (${regressions.length} regressions replayed)`);
    if (details.interrupted && !details.failed) notes.push(`stopped by its time limit after ${details.numRuns} runs`);
    if (details.failed && details.counterexample) {
      const [history] = details.counterexample as [History];
      const message =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const file = await saveRegression({
        note: "Found by the property test; say here what it shows once understood.",
        seed: ctx.seed,
        found: new Date().toISOString(),
        violations: message.split("\n").slice(0, 20),
        history,
      });
      violations.push(
        `counterexample after ${details.numShrinks} shrinks, saved as ${path.relative(ROOT, file)}: ${JSON.stringify(history)}`,
        ...message.split("\n").slice(0, 20),
      );
    }
    return bench.result(violations, notes);
  } finally {
    await bench.close();
  }
}

/** Replays saved counterexamples only (the regression tests). */
export async function replayRegression(ctx: ScenarioContext, history: History): Promise<ScenarioResult> {
  const bench = await HistoryBench.start(ctx.seed, history.accounts);
  try {
    const outcome = await bench.execute(history);
    return bench.result(outcome.violations, []);
  } finally {
    await bench.close();
  }
}

async function saveRegression(regression: Regression): Promise<string> {
  await mkdir(REGRESSIONS_DIR, { recursive: true });
  const file = path.join(REGRESSIONS_DIR, `history-${regression.seed}-${Date.now()}.json`);
  await writeFile(file, `${JSON.stringify(regression, null, 2)}\n`);
  return file;
}
