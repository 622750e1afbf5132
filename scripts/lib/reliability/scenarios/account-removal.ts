/**
 * Accounts removed at Argyle while their backfills and fetches are in flight, under faults in the
 * receiver and the consumer (D1 calls failing, some after committing; queue sends failing). Of
 * the removed accounts nothing may remain (gigs, events, bodies, failures, account rows) and each
 * purge must be complete and audited; the other accounts must equal Argyle, as in every scenario.
 * @module
 */
import { createRandom } from "../../../../src/local-argyle/random.ts";
import {
  combine,
  isConsumerD1Batch,
  isConsumerD1Read,
  isConsumerQueue,
  isReceiverD1,
  randomFailures,
} from "../fault-rules.ts";
import { Pipeline, SUBSCRIPTION, sleep } from "../pipeline.ts";
import { conclude, type Scenario, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { type Change, pool, Workload } from "../workload.ts";

export const ACCOUNT_REMOVAL_SCENARIO: Scenario = {
  id: "accounts-removed-in-flight",
  title:
    "Accounts removed while their backfills and fetches run: 20 % of consumer D1 batches fail (a third after committing), 10 % of reads, 20 % of queue sends, 10 % of receiver D1 calls",
  testFile: "test/node/pipeline/account-removal.test.ts",
  defaultSeed: 4101,
  run: runAccountRemoval,
};

async function runAccountRemoval(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = createRandom(ctx.seed);
  const gigs = ctx.sizes.faultGigs;
  const p = await Pipeline.start({
    seed: ctx.seed,
    accounts: [{ gigs }, { gigs }, { gigs: Math.round(gigs / 2) }, { gigs: Math.round(gigs / 2) }],
    // Small pages and budget: each backfill is many messages, so removals land mid-walk.
    consumerVars: { ARGYLE_PAGE_SIZE: "10", MAX_SUBREQUESTS: "20" },
  });
  try {
    p.faults?.setRule(
      combine(
        randomFailures(createRandom(`${ctx.seed}:faults`), {
          match: isConsumerD1Batch,
          rate: 0.2,
          afterShare: 1 / 3,
        }),
        randomFailures(createRandom(`${ctx.seed}:reads`), { match: isConsumerD1Read, rate: 0.1 }),
        randomFailures(createRandom(`${ctx.seed}:queue`), { match: isConsumerQueue, rate: 0.2, afterShare: 1 / 3 }),
        randomFailures(createRandom(`${ctx.seed}:receiver`), { match: isReceiverD1, rate: 0.1, afterShare: 1 / 3 }),
      ),
    );
    const accounts = p.argyle.store.accounts().map((a) => a.id);
    const removed = [accounts[0], accounts[2]] as string[];
    const kept = accounts.filter((a) => !removed.includes(a));
    const work = new Workload(p.argyle.store);
    // Changes are made at Argyle now (before any account goes); their webhooks arrive throughout.
    const changes: Change[] = [];
    for (let i = 0; i < ctx.sizes.faultChanges; i++) {
      const change = work.random(random, random.pick(accounts));
      if (change) changes.push(change);
    }
    const removal = async () => {
      // Wait until the first removed account's backfill has stored something: it is mid-walk.
      for (let i = 0; i < 200; i++) {
        if ((await p.stack.gigCount("SELECT COUNT(*) AS n FROM gigs WHERE account = ?1", removed[0])) > 0) break;
        await sleep(25);
      }
      for (const account of removed) {
        const data = p.argyle.store.removeAccount(account);
        await p.deliver(JSON.stringify({ event: "accounts.removed", name: SUBSCRIPTION, data }));
      }
    };
    await Promise.all([
      pool(accounts, accounts.length, (account) => p.deliver(work.fullySynced(account)).then(() => undefined)),
      pool(changes, 3, (change) => p.deliver(change.payload).then(() => undefined)),
      removal(),
    ]);
    ctx.log(`${changes.length} changes and ${removed.length} removals delivered; waiting for the queues`);
    await p.waitForDrain(undefined, 90_000);
    // A purge whose message ran out of luck is revived by the cron (15 minutes without progress).
    for (let round = 0; round < 5 && (await unfinishedPurges(p, removed)) > 0; round++) {
      await p.stack.runCron(new Date(Date.now() + (round + 1) * 16 * 60_000));
      await p.waitForDrain(undefined, 90_000);
    }

    const keptDeliveries = p.deliveries.filter((d) => kept.includes(accountOf(d.body) ?? ""));
    const keptRemovals = new Map([...work.removed].filter(([, account]) => kept.includes(account)));
    const keptGigs = new Set(kept.flatMap((a) => p.argyle.store.gigsOf(a).map((g) => g.id)));
    for (const id of keptRemovals.keys()) keptGigs.add(id);
    const result = await conclude(p, {
      truth: { accounts: kept, removed: keptRemovals },
      deliveries: keptDeliveries,
      fetchedGigs: keptGigs,
      // Receiver faults may leave an event's "queued" mark unwritten: the cron's sweep settles it.
      sweep: true,
      drainTimeoutMs: 90_000,
      notes: [`${removed.length} of ${accounts.length} accounts removed mid-sync`],
    });
    const leftovers = await remains(p, removed);
    result.violations.push(...leftovers);
    result.lost += leftovers.length;
    return result;
  } finally {
    await p.close();
  }
}

function accountOf(body: string): string | null {
  try {
    return (JSON.parse(body) as { data?: { account?: string } }).data?.account ?? null;
  } catch {
    return null;
  }
}

async function unfinishedPurges(p: Pipeline, accounts: readonly string[]): Promise<number> {
  const marks = accounts.map((_, i) => `?${i + 1}`).join(", ");
  const row = await p.stack.db
    .prepare(`SELECT COUNT(*) AS n FROM purged_accounts WHERE completed_at IS NULL AND account IN (${marks})`)
    .bind(...accounts)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

const SHARD_TABLES = new Set(["gigs", "accounts"]);

/** What is left of removed accounts: one line per table holding anything, or per missing audit. */
async function remains(p: Pipeline, accounts: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const account of accounts) {
    for (const [table, column] of [
      ["gigs", "account"],
      ["events", "account"],
      ["failures", "account"],
      ["accounts", "id"],
    ] as const) {
      // gigs and accounts may be on any shard (or the catalog's legacy tables); events and
      // failures are catalog-only tables, which the shards do not have.
      const n = SHARD_TABLES.has(table)
        ? await p.stack.gigCount(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?1`, account)
        : ((
            await p.stack.db
              .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?1`)
              .bind(account)
              .first<{ n: number }>()
          )?.n ?? 0);
      if (n) problems.push(`removed account ${account}: ${n} row(s) left in ${table}`);
    }
    const purge = await p.stack.db
      .prepare("SELECT completed_at FROM purged_accounts WHERE account = ?1")
      .bind(account)
      .first<{ completed_at: string | null }>();
    if (!purge?.completed_at) problems.push(`removed account ${account}: purge not complete`);
    const audit = await p.stack.db
      .prepare("SELECT COUNT(*) AS n FROM audit_log WHERE account = ?1 AND action = 'purge'")
      .bind(account)
      .first<{ n: number }>();
    if (audit?.n !== 1) problems.push(`removed account ${account}: ${audit?.n ?? 0} purge audit rows, expected 1`);
  }
  // Bodies no event uses any more are gone (only the purge deletes bodies in this short run).
  const orphans = await p.stack.db
    .prepare(
      "SELECT COUNT(*) AS n FROM event_bodies b WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.body_sha256 = b.sha256)",
    )
    .first<{ n: number }>();
  if (orphans?.n) problems.push(`${orphans.n} raw bodies left without an event`);
  return problems;
}
