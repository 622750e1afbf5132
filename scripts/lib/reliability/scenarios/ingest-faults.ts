/**
 * Faults at the door: the receiver's D1 writes and Queue sends fail (before taking effect, or
 * after, with the answer lost). Only a D1 failure may answer 503 (the sender may redeliver); a
 * Queue failure is the outbox's business. Afterwards the event log and the mirror are exactly
 * what the deliveries account for: no event lost, no gig ID lost, duplicates marked, events whose
 * jobs did not reach the queue (a send failed, or a commit's answer was lost) sent by the cron.
 * @module
 */
import { createRandom } from "../../../../src/local-argyle/random.ts";
import type { FaultRule } from "../binding-faults.ts";
import { combine, isReceiverD1, isReceiverQueue, randomFailures } from "../fault-rules.ts";
import { Pipeline } from "../pipeline.ts";
import { conclude, type Scenario, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { pool, Workload } from "../workload.ts";

const TEST_FILE = "test/node/pipeline/ingest-faults.test.ts";

function ingestScenario(
  id: string,
  title: string,
  defaultSeed: number,
  rule: (random: ReturnType<typeof createRandom>) => FaultRule,
): Scenario {
  return { id, title, testFile: TEST_FILE, defaultSeed, run: (ctx) => runIngest(ctx, rule) };
}

export const INGEST_SCENARIOS: Scenario[] = [
  ingestScenario("ingest-d1-fails", "Ingest: 30 % of D1 writes fail (a third after committing)", 1101, (r) =>
    randomFailures(r, { match: isReceiverD1, rate: 0.3, afterShare: 1 / 3 }),
  ),
  ingestScenario("ingest-queue-fails", "Ingest: 30 % of Queue sends fail (a third after sending)", 1102, (r) =>
    randomFailures(r, { match: isReceiverQueue, rate: 0.3, afterShare: 1 / 3 }),
  ),
  ingestScenario("ingest-both-intermittent", "Ingest: D1 and Queue both fail intermittently (20 % each)", 1103, (r) =>
    combine(
      randomFailures(r, { match: isReceiverD1, rate: 0.2, afterShare: 1 / 3 }),
      randomFailures(r, { match: isReceiverQueue, rate: 0.2, afterShare: 1 / 3 }),
    ),
  ),
];

/** Concurrent deliveries, as Argyle's senders overlap. */
const CONCURRENCY = 4;
/** One delivery in this many repeats an earlier body (Argyle delivering twice). */
const DUPLICATE_EVERY = 8;

async function runIngest(ctx: ScenarioContext, rule: (random: ReturnType<typeof createRandom>) => FaultRule) {
  const random = createRandom(ctx.seed);
  const p = await Pipeline.start({ seed: ctx.seed, accounts: [{ gigs: Math.max(60, ctx.sizes.ingestDeliveries) }] });
  try {
    p.faults?.setRule(rule(createRandom(`${ctx.seed}:faults`)));
    const account = p.argyle.store.accounts()[0]?.id as string;
    const work = new Workload(p.argyle.store);
    const bodies: string[] = [];
    for (let i = 0; i < ctx.sizes.ingestDeliveries; i++) {
      // Only bodies of earlier batches: a repeat never overlaps its original.
      const earlier = bodies.slice(0, i - (i % CONCURRENCY));
      if (earlier.length > 0 && random.int(1, DUPLICATE_EVERY) === 1) {
        bodies.push(random.pick(earlier));
        continue;
      }
      const change = work.random(random, account) ?? work.add(account, 1);
      bodies.push(p.bodyOf(change.payload));
    }
    // Batches of concurrent deliveries, one batch after another.
    for (let i = 0; i < bodies.length; i += CONCURRENCY) {
      await pool(bodies.slice(i, i + CONCURRENCY), CONCURRENCY, async (body) => {
        await p.deliver(body);
      });
    }
    ctx.log(`${bodies.length} deliveries, ${p.deliveries.reduce((n, d) => n + d.attempts - 1, 0)} redeliveries`);
    const result: ScenarioResult = await conclude(p, {
      truth: { accounts: [account], expectedLive: work.named, removed: work.removed },
      sweep: true,
    });
    return result;
  } finally {
    await p.close();
  }
}
