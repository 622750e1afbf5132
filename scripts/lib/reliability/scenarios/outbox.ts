/**
 * The receiver as an outbox, and work dated by arrival (issue 10):
 * - `queue-down-worker-dies`: the Queue refuses every send for several cron runs, and the
 *   receiver's Worker dies at its send, right after each 202. Every webhook is delivered once:
 *   no redelivery from Argyle is needed (it documents none). Once the Queue is back, the cron's
 *   sweep sends the recorded work and the mirror must equal Argyle.
 * - `replay-amid-new`: old events are replayed (POST /api/events/{id}/replay) while new changes
 *   arrive, including a removal Argyle took back (the gig served alive since). The mirror must
 *   still equal Argyle, nothing wrongly tombstoned, and each account's `available_count` must be
 *   the newest webhook's.
 * @module
 */
import { createRandom } from "../../../../src/local-argyle/random.ts";
import { Pipeline, SECRETS, SUBSCRIPTION } from "../pipeline.ts";
import { conclude, type Scenario, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { type Change, pool, Workload } from "../workload.ts";

const TEST_FILE = "test/node/pipeline/outbox.test.ts";

export const OUTBOX_SCENARIOS: Scenario[] = [
  {
    id: "queue-down-worker-dies",
    title: "Outbox: the Queue is down for 3 cron runs and the receiver dies after every 202; no redelivery",
    testFile: TEST_FILE,
    defaultSeed: 4101,
    run: runQueueDown,
  },
  {
    id: "replay-amid-new",
    title: "Replays of old events amid new ones, one removal taken back by Argyle: nothing rewound",
    testFile: TEST_FILE,
    defaultSeed: 4102,
    run: runReplayAmidNew,
  },
];

/** Minutes the Queue stays down: one cron run each, all failing to send. */
const DOWN_MINUTES = 3;

async function runQueueDown(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = createRandom(ctx.seed);
  const p = await Pipeline.start({ seed: ctx.seed, accounts: [{ gigs: ctx.sizes.faultGigs }] });
  try {
    const account = p.argyle.store.accounts()[0]?.id as string;
    const work = new Workload(p.argyle.store);
    await p.deliver(work.fullySynced(account));
    await p.waitForDrain([account], 60_000);

    // Every send fails: the receiver's kills its invocation (the Worker dies right after the
    // 202, before marking anything), the cron's just fail.
    p.faults?.setRule((op) => {
      if (op.binding !== "JOBS") return "pass";
      return op.worker === "receiver" ? "crash" : "fail";
    });
    const changes: Change[] = [];
    for (let i = 0; i < ctx.sizes.faultChanges; i++) {
      const change = work.random(random, account);
      if (change) changes.push(change);
    }
    const before = p.deliveries.length;
    await pool(changes, 3, async (change) => {
      // One attempt each: a webhook the mirror needed Argyle to send again would count as lost.
      await p.deliver(change.payload, 1);
    });
    const violations: string[] = [];
    const outage = p.deliveries.slice(before);
    for (const d of outage.filter((d) => d.status !== 202).slice(0, 5)) {
      violations.push(`a webhook was answered ${d.status} while only the Queue was down`);
    }
    for (let minute = 1; minute <= DOWN_MINUTES; minute++) {
      await p.stack.runCron(new Date(Date.now() + (minute + 1) * 60_000));
    }
    const unsent = await p.stack.db
      .prepare("SELECT COUNT(*) AS n FROM events WHERE status = 'accepted' AND enqueued_at IS NULL")
      .first<{ n: number }>();
    if ((unsent?.n ?? 0) !== outage.length) {
      violations.push(`${unsent?.n ?? 0} events wait in the outbox, ${outage.length} were delivered during the outage`);
    }
    ctx.log(`${outage.length} webhooks accepted with the Queue down; ${unsent?.n ?? 0} in the outbox; Queue back`);

    p.faults?.setRule(null);
    const result = await conclude(p, {
      truth: { accounts: [account], removed: work.removed },
      sweep: true,
      notes: [`${outage.length} webhooks during the outage, each delivered once; ${DOWN_MINUTES} cron runs failed`],
    });
    result.violations.push(...violations);
    return result;
  } finally {
    await p.close();
  }
}

async function runReplayAmidNew(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = createRandom(ctx.seed);
  const p = await Pipeline.start({ seed: ctx.seed, accounts: [{ gigs: ctx.sizes.faultGigs }] });
  try {
    const account = p.argyle.store.accounts()[0]?.id as string;
    const work = new Workload(p.argyle.store);
    await p.deliver(work.fullySynced(account));
    await p.waitForDrain([account], 60_000);

    // A removal Argyle took back: the webhook says removed, then Argyle serves the gig again.
    const revived = p.argyle.store.gigsOf(account)[0]?.id as string;
    const retracted = await p.deliver(removalBody(account, p.argyle.store.accounts()[0]?.user ?? null, revived));
    await p.waitForDrain([account], 60_000);
    await p.deliver(work.updateIds(account, [revived]).payload);
    await p.waitForDrain([account], 60_000);

    // New changes in order, each followed by a replay of a random earlier event, in parallel
    // with the next changes.
    const replayed: string[] = [];
    let newestCount: number | null = null;
    const replays: Promise<void>[] = [];
    for (let i = 0; i < ctx.sizes.faultChanges; i++) {
      const change = work.random(random, account);
      if (!change) continue;
      const delivery = await p.deliver(change.payload);
      newestCount = change.payload.data.available_count ?? newestCount;
      const earlier = p.deliveries.filter((d) => d.eventId !== null && d !== delivery);
      const target = random.chance(0.3) ? retracted : random.pick(earlier);
      if (target.eventId) {
        replayed.push(target.eventId);
        replays.push(replay(p, target.eventId));
      }
    }
    await Promise.all(replays);
    // And once more at the end, when no later change can fetch the revived gig again.
    await p.waitForDrain([account], 60_000);
    if (retracted.eventId) {
      replayed.push(retracted.eventId);
      await replay(p, retracted.eventId);
    }
    ctx.log(`${ctx.sizes.faultChanges} changes, ${replayed.length} replays of older events`);

    const result = await conclude(p, {
      truth: { accounts: [account], removed: work.removed },
      notes: [
        `${replayed.length} replays, ${replayed.filter((id) => id === retracted.eventId).length} of the retracted removal`,
      ],
    });
    const state = await p.api<{ available_count: number | null }>(`/api/accounts/${account}`);
    if (state.available_count !== newestCount) {
      result.violations.push(`available_count is ${state.available_count}, the newest webhook said ${newestCount}`);
    }
    result.notes.push(`${replayed.length} replays`);
    return result;
  } finally {
    await p.close();
  }
}

async function replay(p: Pipeline, eventId: string): Promise<void> {
  const response = await fetch(new URL(`/api/events/${eventId}/replay`, p.stack.url), {
    method: "POST",
    headers: { authorization: `Bearer ${SECRETS.apiToken}` },
  });
  if (response.status !== 202) throw new Error(`replay of ${eventId} answered ${response.status}`);
}

/** A gigs.removed webhook for a gig Argyle still has (a removal it later took back). */
function removalBody(account: string, user: string | null, gig: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    event: "gigs.removed",
    name: SUBSCRIPTION,
    data: {
      account,
      user,
      available_from: "2016-04-16T05:32:41Z",
      available_to: now,
      available_count: null,
      removed_count: 1,
      removed_gigs: [gig],
      removed_from: now,
      removed_to: now,
    },
  });
}
