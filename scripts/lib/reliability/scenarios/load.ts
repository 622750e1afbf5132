/**
 * Load: signed deliveries at a fixed concurrency against the receiver on the local runtime (the
 * plain Workers, no fault injection in the way). All must be answered 202, exactly one event each
 * must be recorded, and once the queue drains every gig they named must be stored in its newest
 * version.
 * @module
 */
import { createRandom } from "../../../../src/local-argyle/random.ts";
import { checkMirror } from "../mirror-check.ts";
import { Pipeline, sleep } from "../pipeline.ts";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario.ts";
import { pool, Workload } from "../workload.ts";

export const LOAD_SCENARIO: Scenario = {
  id: "load",
  title: "Load: signed deliveries at high concurrency against the receiver",
  testFile: "test/node/pipeline/load.test.ts",
  defaultSeed: 6101,
  run: runLoad,
};

const DRAIN_TIMEOUT_MS = 180_000;

async function runLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const n = ctx.sizes.loadDeliveries;
  const concurrency = ctx.sizes.loadConcurrency;
  const random = createRandom(ctx.seed);
  const p = await Pipeline.start({
    seed: ctx.seed,
    accounts: [{ gigs: Math.ceil(n / 2) }, { gigs: Math.ceil(n / 2) }],
    faultInjection: false,
  });
  try {
    const work = new Workload(p.argyle.store);
    const accounts = p.argyle.store.accounts().map((a) => a.id);
    const bodies = Array.from({ length: n }, () => {
      const change = work.update(random.pick(accounts), random.int(1, 3));
      if (!change) throw new Error("an account ran out of gigs");
      return p.bodyOf(change.payload);
    });

    const latencies: number[] = [];
    const started = performance.now();
    await pool(bodies, concurrency, async (body) => {
      const t = performance.now();
      // One attempt each: under load, every delivery must be accepted the first time.
      await p.deliver(body, 1);
      latencies.push(performance.now() - t);
    });
    const sendMs = performance.now() - started;
    ctx.log(`${n} deliveries in ${Math.round(sendMs)} ms`);

    const violations: string[] = [];
    const statuses = new Map<number, number>();
    for (const d of p.deliveries) statuses.set(d.status, (statuses.get(d.status) ?? 0) + 1);
    const accepted = statuses.get(202) ?? 0;
    if (accepted !== n) violations.push(`answers: ${[...statuses].map(([s, k]) => `${s} × ${k}`).join(", ")}`);
    const events = await p.stack.db
      .prepare("SELECT COUNT(*) AS n, COUNT(duplicate_of) AS dups FROM events")
      .first<{ n: number; dups: number }>();
    if (events?.n !== n) violations.push(`${events?.n} events recorded for ${n} deliveries`);
    // Two updates of the same gig make the same body (it names the gig, not the change): the
    // second is rightly marked a duplicate, and still queued.
    const repeats = n - new Set(bodies).size;
    if (events?.dups !== repeats) violations.push(`${events?.dups} events marked duplicates; ${repeats} bodies repeat`);

    const truth = { accounts, expectedLive: work.named, removed: new Map<string, string>() };
    const drainStarted = performance.now();
    let mirror = await checkMirror(p, truth);
    while (mirror.problems.length > 0 && performance.now() - drainStarted < DRAIN_TIMEOUT_MS) {
      await sleep(250);
      mirror = await checkMirror(p, truth);
    }
    const drainMs = performance.now() - drainStarted;
    violations.push(...mirror.problems.slice(0, 40), ...p.logs.leaks().slice(0, 20));

    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
    return {
      deliveries: n,
      faults: 0,
      faultKinds: "",
      retries: p.deliveries.reduce((k, d) => k + d.attempts - 1, 0),
      events: { recorded: events?.n ?? 0, expected: n },
      gigs: { expected: mirror.gigsExpected, stored: mirror.gigsStored },
      removed: null,
      lost: mirror.lost + Math.max(0, n - (events?.n ?? 0)),
      excessFetches: null,
      violations,
      notes: [
        `concurrency ${concurrency}: ${Math.round((n / sendMs) * 1000)} deliveries/s, latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`,
        `queue drained and every gig stored ${(drainMs / 1000).toFixed(1)} s after the last 202`,
        `${p.logs.lines.length} log lines captured and scanned`,
      ],
    };
  } finally {
    await p.close();
  }
}
