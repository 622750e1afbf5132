/**
 * D1 overload is an expected answer (issue 11, item 5): one gig shard answers "D1 DB is
 * overloaded" (a tenth of those "reset") to half its calls for a while, and the catalog answers
 * overloaded to some of the receiver's webhooks (503 + Retry-After, redelivered). Every gig of
 * every account must arrive, nothing may be failed for good, and accounts on the other shards
 * must not be held up: none of their fetch jobs is redelivered (the consumer's catalog calls are
 * left alone here, so any redelivery of theirs could only come from the busy shard's trouble).
 * @module
 */
import { d1Overload, isD1Of, isReceiverD1 } from "../fault-rules.ts";
import type { Pipeline } from "../pipeline.ts";
import type { Scenario } from "../scenario.ts";
import { runChanges } from "./changes.ts";

const TEST_FILE = "test/node/pipeline/shard-overload.test.ts";
/** The shard made to struggle. */
export const BUSY_SHARD = "SHARD_1";
/** How long it struggles, from the first webhook on. */
const OVERLOAD_MS = 20_000;

export const SHARD_OVERLOAD_SCENARIO: Scenario = {
  id: "shard-overload",
  title: `Shard overload: ${BUSY_SHARD} answers "D1 DB is overloaded" to 50 % of calls for ${OVERLOAD_MS / 1000} s, the catalog to 10 % of webhook writes`,
  testFile: TEST_FILE,
  defaultSeed: 2301,
  run: (ctx) =>
    runChanges(ctx, {
      rule: (r) => {
        let since: number | null = null;
        const active = () => {
          since ??= Date.now();
          return Date.now() - since < OVERLOAD_MS;
        };
        const busy = d1Overload(r, isD1Of(BUSY_SHARD), 0.5, { resetShare: 0.1, active });
        // The webhook's one transaction (the event row and its outbox): overloaded, it answers 503.
        const catalog = d1Overload(r, (op) => isReceiverD1(op) && op.effects.includes("insert-events"), 0.1);
        return (op) => {
          const action = busy(op);
          return action !== "pass" ? action : catalog(op);
        };
      },
      check: checkShardIsolation,
    }),
};

/**
 * The overload reached the busy shard, and no fetch job of an account homed elsewhere was
 * redelivered. With one shard there is no other shard: only the first half applies.
 */
async function checkShardIsolation(p: Pipeline): Promise<string[]> {
  const violations: string[] = [];
  const injected = Object.entries(p.faults?.stats().injected ?? {})
    .filter(([key]) => key.includes(` ${BUSY_SHARD}.`))
    .reduce((n, [, v]) => n + v, 0);
  if (injected === 0) {
    violations.push(
      `no overload reached ${BUSY_SHARD}: the stack must bind gig shards and the consumer write gigs to them`,
    );
  }
  const { results } = await p.stack.db
    .prepare("SELECT account, shard FROM directory")
    .all<{ account: string; shard: string }>();
  const home = new Map(results.map((r) => [r.account, r.shard]));
  for (const account of p.argyle.store.accounts()) {
    const shard = home.get(account.id);
    if (!shard) {
      violations.push(`account ${account.id} was never placed in the directory`);
      continue;
    }
    if (shard === BUSY_SHARD) continue;
    const delayed = p.argyle.store
      .gigsOf(account.id)
      .map((g) => String(g.id))
      .filter((id) => p.faults?.redeliveries(id));
    if (delayed.length > 0) {
      violations.push(
        `account ${account.id} on ${shard} had ${delayed.length} gig fetch(es) redelivered while ${BUSY_SHARD} was overloaded`,
      );
    }
  }
  return violations;
}
