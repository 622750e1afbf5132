/**
 * What a reliability scenario is, what it reports (one row of RELIABILITY.md), and the steps
 * every pipeline scenario ends with: wait for the queues to drain, then check the event log, the
 * mirror, the fetches and the logs against what happened.
 * @module
 */
import { localShardCount } from "../common/stack.ts";
import { checkEvents } from "./event-check.ts";
import { checkFetches } from "./fetch-check.ts";
import { checkMirror, type Truth } from "./mirror-check.ts";
import type { Delivery, Pipeline } from "./pipeline.ts";
import { currentScale, type Scale, type Sizes, sizesFor } from "./scale.ts";
import { seedFor } from "./seeds.ts";

export interface ScenarioContext {
  scale: Scale;
  sizes: Sizes;
  seed: number;
  /** Gig shards the run binds: GIG_SHARDS (else wrangler.toml's), raised to the scenario's `minShards`. */
  shards: number;
  /** Progress lines (the script prints them; tests show them only on failure). */
  log: (line: string) => void;
}

export interface Scenario {
  /** Kebab-case, unique: `npm run reliability -- --only <id>` runs just this one. */
  id: string;
  title: string;
  /** The test file that runs it at small size. */
  testFile: string;
  defaultSeed: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
  /** Gig shards the scenario needs at least; it runs with that many when fewer are asked for. */
  minShards?: number;
}

export interface ScenarioResult {
  /** Webhook deliveries (distinct sends, duplicates included), or requests for the fuzzer. */
  deliveries: number;
  faults: number;
  /** Faults by kind, e.g. `D1 12 · queue 3 · 5xx 40`. */
  faultKinds: string;
  /** Webhook redeliveries after a 503 plus queue message retries. */
  retries: number;
  events: { recorded: number; expected: number } | null;
  gigs: { expected: number; stored: number } | null;
  removed: { expected: number; tombstoned: number } | null;
  /** Must be 0: gigs missing or stale, removals not applied, accepted webhooks without an event. */
  lost: number;
  /** Gig fetches beyond their causes; must be 0 (null where not measured). */
  excessFetches: number | null;
  /** Every broken invariant, one line each; empty for a pass. */
  violations: string[];
  notes: string[];
}

export interface ScenarioRun extends ScenarioResult {
  id: string;
  /** Gig shards the stack ran with (GIG_SHARDS, else wrangler.toml's). */
  shards: number;
  title: string;
  testFile: string;
  seed: number;
  scale: Scale;
  ms: number;
}

/** Runs `scenario` at the scale and seed the environment asks for. */
export async function runScenario(
  scenario: Scenario,
  options: { env?: Record<string, string | undefined>; log?: (line: string) => void; scale?: Scale } = {},
): Promise<ScenarioRun> {
  const env = options.env ?? process.env;
  const scale = options.scale ?? currentScale(env);
  const seed = seedFor(scenario.defaultSeed, env);
  const log = options.log ?? ((line: string) => console.log(line));
  // A scenario that needs more shards (a move needs two) runs with them: report what it ran with.
  const shards = Math.max(scenario.minShards ?? 1, localShardCount(undefined, env));
  log(
    `[reliability] ${scenario.id}: seed ${seed}, ${scale}, ${shards} shard(s) (replay: ${replayCommand(scenario, seed, scale, shards)})`,
  );
  const started = performance.now();
  const result = await scenario.run({ scale, sizes: sizesFor(scale), seed, shards, log });
  return {
    ...result,
    id: scenario.id,
    shards,
    title: scenario.title,
    testFile: scenario.testFile,
    seed,
    scale,
    ms: Math.round(performance.now() - started),
  };
}

/** The command that replays a scenario's run. */
export function replayCommand(scenario: Pick<Scenario, "id">, seed: number, scale: Scale, shards: number): string {
  return `RELIABILITY_SCALE=${scale} RELIABILITY_SEED=${seed} node scripts/reliability.ts --only ${scenario.id} --shards ${shards}`;
}

/** One line per broken invariant, for a test's failure message. */
export function describeRun(run: ScenarioRun): string {
  const head = `${run.id} (seed ${run.seed}, ${run.scale}, ${run.shards} shard(s)): lost ${run.lost}, ${run.violations.length} violation(s)`;
  return [head, ...run.violations.slice(0, 40), `replay: ${replayCommand(run, run.seed, run.scale, run.shards)}`].join(
    "\n",
  );
}

export interface Conclusion {
  truth: Truth;
  /** Deliveries whose event rows to check (default: all the pipeline made). */
  deliveries?: readonly Delivery[];
  /** Run the cron sweep as if 3 minutes later: it sends events whose jobs never left (the outbox). */
  sweep?: boolean;
  drainTimeoutMs?: number;
  /** Gigs whose fetches to check (default all). */
  fetchedGigs?: ReadonlySet<string>;
  /** Faults the scenario caused itself (not injected through a knob), e.g. `["404", 6]`. */
  extraFaults?: [string, number][];
  notes?: string[];
}

/** Drains, checks every invariant, and reports the scenario's row. */
export async function conclude(p: Pipeline, c: Conclusion): Promise<ScenarioResult> {
  const violations: string[] = [];
  const accounts = c.truth.accounts;
  const timeout = c.drainTimeoutMs ?? 60_000;
  let outstanding = await p.waitForDrain(accounts, timeout);
  if (c.sweep) outstanding = await sweep(p, accounts, timeout);
  if (outstanding.length > 0) violations.push(`queues not drained after ${timeout} ms: ${outstanding.join("; ")}`);
  // Read the result with the faults off: the read API answering 500 under injected faults is not
  // what is being checked here.
  p.faults?.setRule(null);
  violations.push(...(p.faults?.anomalies() ?? []).map((a) => `queue ledger: ${a}`));

  const deliveries = c.deliveries ?? p.deliveries;
  const failedDeliveries = deliveries.filter((d) => d.status !== 202);
  for (const d of failedDeliveries.slice(0, 5)) {
    violations.push(`a delivery ended ${d.status} after ${d.attempts} attempts`);
  }
  const events = await checkEvents(p, deliveries, accounts);
  violations.push(...events.problems);
  // The mirror is final once drained; a short grace covers bookkeeping still being written.
  const mirror = await checkMirror(p, c.truth);
  violations.push(...mirror.problems);
  const fetches = checkFetches(p, c.fetchedGigs, c.truth.permanent);
  violations.push(...fetches.problems);
  violations.push(...p.logs.leaks());

  const stats = p.faults?.stats();
  const kinds = faultKinds(p, c.extraFaults);
  const redeliveries = deliveries.reduce((n, d) => n + d.attempts - 1, 0);
  return {
    deliveries: deliveries.length,
    faults: kinds.total,
    faultKinds: kinds.text,
    retries: redeliveries + (stats?.messageRetries ?? 0),
    events: { recorded: events.recorded, expected: events.expected },
    gigs: { expected: mirror.gigsExpected, stored: mirror.gigsStored },
    removed: { expected: mirror.removedExpected, tombstoned: mirror.tombstoned },
    lost: mirror.lost + events.lost,
    excessFetches: p.faults ? fetches.excess : null,
    violations,
    notes: [
      ...(c.notes ?? []),
      `${p.logs.lines.length} log lines captured and scanned`,
      ...(stats && stats.compressedDelays > 0
        ? [
            `${stats.compressedDelays} queue delay(s) over ${p.faults?.maxDelay} s were shortened (longest asked: ${stats.longestRequestedDelaySeconds} s)`,
          ]
        : []),
    ],
  };
}

/**
 * Runs the cron sweep until no accepted event of `accounts` is left without its jobs marked
 * queued, as the platform's cron would every minute (25 events per run on the Free plan). Each run
 * is dated 3 minutes ahead: the sweep leaves events younger than a minute to the receiver. Returns
 * what is still on the queues afterwards (empty = drained).
 */
export async function sweep(p: Pipeline, accounts: readonly string[], timeoutMs: number): Promise<string[]> {
  const marks = accounts.map((_, i) => `?${i + 1}`).join(", ");
  const unqueued = p.stack.db.prepare(
    `SELECT COUNT(*) AS n FROM events WHERE status = 'accepted' AND enqueued_at IS NULL AND account IN (${marks})`,
  );
  for (let round = 0; round < 100; round++) {
    const left = await unqueued.bind(...accounts).first<{ n: number }>();
    if (!left?.n) break;
    await p.stack.runCron(new Date(Date.now() + 3 * 60_000));
    await p.waitForDrain(accounts, timeoutMs);
  }
  return p.waitForDrain(accounts, timeoutMs);
}

/** Every fault of a run, counted by kind: the bindings' (from the ledger) and Argyle's (its stats). */
export function faultKinds(p: Pipeline, extra: [string, number][] = []): { total: number; text: string } {
  const injected = p.faults?.stats().injected;
  const argyle = p.argyle.stats.snapshot().faults;
  const kinds: [string, number][] = [
    ["D1", sumInjected(injected, (k) => k.includes(" DB.") && !k.endsWith("crash"))],
    ["shard D1", sumInjected(injected, (k) => / SHARD_\d+\./.test(k) && !k.endsWith("crash"))],
    ["queue", sumInjected(injected, (k) => /JOBS|DEAD_LETTERS/.test(k) && !k.endsWith("crash"))],
    ["crash", sumInjected(injected, (k) => k.endsWith("crash"))],
    ["5xx", argyle.server_error ?? 0],
    ["429", argyle.rate_limit ?? 0],
    ["timeout", argyle.timeout ?? 0],
    ["malformed", argyle.malformed ?? 0],
    ["404", argyle.not_found ?? 0],
    ["401", argyle.auth ?? 0],
    ...extra,
  ];
  return {
    total: kinds.reduce((n, [, v]) => n + v, 0),
    text: kinds
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(" · "),
  };
}

function sumInjected(injected: Record<string, number> | undefined, match: (key: string) => boolean): number {
  return Object.entries(injected ?? {})
    .filter(([k]) => match(k))
    .reduce((n, [, v]) => n + v, 0);
}
