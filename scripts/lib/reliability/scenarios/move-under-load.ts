/**
 * Accounts moved between gig shards (POST /api/accounts/{id}/move) while webhooks for them keep
 * arriving: one move runs clean, the others under consumer faults (catalog D1 calls failing, some
 * after committing; queue sends failing), and one move's message is lost at the API (the queue
 * send after the 202 fails), so only the cron's revival of stalled moves can finish it. After the
 * drain the mirror must equal Argyle, and each moved account must live wholly on its target shard:
 * the directory names the target with no move state, the old shard keeps only a 'moved' fence.
 * @module
 */
import { createRandom } from "../../../../src/local-argyle/random.ts";
import type { BindingOp } from "../fault-protocol.ts";
import { combine, isConsumerD1Batch, isConsumerD1Read, isConsumerQueue, randomFailures } from "../fault-rules.ts";
import { checkFetches } from "../fetch-check.ts";
import { Pipeline, SECRETS, sleep } from "../pipeline.ts";
import { conclude, type Scenario, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { type Change, pool, Workload } from "../workload.ts";

export const MOVE_UNDER_LOAD_SCENARIO: Scenario = {
  id: "move-under-load",
  title:
    "Accounts moved between shards while their webhooks keep coming: 15 % of consumer D1 batches fail (a third after committing), 10 % of reads, 15 % of queue sends; one move's message is lost at the API",
  testFile: "test/node/pipeline/move-under-load.test.ts",
  minShards: 2,
  defaultSeed: 5203,
  run: runMoveUnderLoad,
};

/** Past the cron's stall threshold for moves (15 minutes without progress), as in account-removal. */
const CRON_STEP_MS = 16 * 60_000;
/** Drains wait through the 60 s grace after a flip (real time: the move's clock is the Worker's). */
const DRAIN_TIMEOUT_MS = 150_000;

interface Move {
  account: string;
  from: string;
  to: string;
  /** How the move is stressed: nothing, consumer faults, or its API queue send lost. */
  stress: "clean" | "faults" | "lost-message";
}

interface DirectoryRow {
  shard: string;
  move_state: string | null;
  move_from: string | null;
  move_to: string | null;
  move_id: string | null;
  move_cursor: string | null;
}

async function runMoveUnderLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = createRandom(ctx.seed);
  const gigs = ctx.sizes.faultGigs;
  const p = await Pipeline.start({
    seed: ctx.seed,
    accounts: [{ gigs }, { gigs }, { gigs }, { gigs: Math.round(gigs / 2) }],
    // A move needs a second shard: ctx.shards is never below the scenario's minShards (2).
    shards: ctx.shards,
  });
  try {
    const accounts = p.argyle.store.accounts().map((a) => a.id);
    const work = new Workload(p.argyle.store);

    // 1. Every account fully synced, with no faults: each has a home shard and all its gigs there.
    await pool(accounts, accounts.length, (account) => p.deliver(work.fullySynced(account)).then(() => undefined));
    const synced = await p.waitForDrain(undefined, DRAIN_TIMEOUT_MS);
    if (synced.length > 0) throw new Error(`the initial sync did not drain: ${synced.join("; ")}`);

    // 2. Three accounts move (the fourth stays put, its webhooks flowing beside the moves).
    const stresses: Move["stress"][] = ["clean", "faults", "lost-message"];
    const moves: Move[] = [];
    for (const [i, stress] of stresses.entries()) {
      const account = accounts[i] as string;
      const from = (await directoryRow(p, account))?.shard;
      if (!from?.startsWith("SHARD_")) throw new Error(`account ${account} was not placed on a gig shard: ${from}`);
      moves.push({ account, from, to: otherShard(from, ctx.shards, i), stress });
    }
    // Changes are made at Argyle now; their webhooks arrive before, during and after the moves.
    const changes: Change[] = [];
    for (let i = 0; i < ctx.sizes.faultChanges; i++) {
      const change = work.random(random, random.pick(accounts));
      if (change) changes.push(change);
    }
    const lost = moves.find((m) => m.stress === "lost-message") as Move;
    const consumerFaults = combine(
      randomFailures(createRandom(`${ctx.seed}:faults`), { match: isConsumerD1Batch, rate: 0.15, afterShare: 1 / 3 }),
      randomFailures(createRandom(`${ctx.seed}:reads`), { match: isConsumerD1Read, rate: 0.1 }),
      randomFailures(createRandom(`${ctx.seed}:queue`), { match: isConsumerQueue, rate: 0.15, afterShare: 1 / 3 }),
    );
    let faultsOn = false;
    let lostSends = 0;
    p.faults?.setRule(
      combine(
        // The API's send of this move's message fails after the directory committed the move.
        (op: BindingOp) => {
          if (!isMoveSendAtApi(op, lost.account)) return "pass";
          lostSends++;
          return "fail";
        },
        (op) => (faultsOn ? consumerFaults(op) : "pass"),
      ),
    );

    let delivered = 0;
    const stream = pool(changes, 2, async (change) => {
      await p.deliver(change.payload);
      delivered++;
      await sleep(random.int(10, 60));
    });
    const moving = (async () => {
      const third = Math.ceil(changes.length / 3);
      while (delivered < third) await sleep(20);
      const clean = moves.find((m) => m.stress === "clean") as Move;
      await startMove(p, clean);
      // The clean move copies before the faults start; the others run under them.
      await waitForMove(p, clean.account, (row) => row.move_state !== "copying", 30_000);
      faultsOn = true;
      for (const move of moves.filter((m) => m.stress !== "clean")) await startMove(p, move);
    })();
    await Promise.all([stream, moving]);
    ctx.log(`${changes.length} changes delivered and ${moves.length} moves started; waiting for the queues`);

    // 3. The cron, as the platform runs it, past the moves' 15-minute stall threshold (each
    // round 16 minutes later): the lost move's message exists only once the cron revives it. The
    // cron runs under the same faults, so its revival may fail too; rounds repeat until no move
    // is left copying, before waiting out the 60 s grace (real time) once for all moves.
    let rounds = 0;
    const copying = async () => {
      const rows = await Promise.all(moves.map((m) => directoryRow(p, m.account)));
      return rows.filter((row) => row?.move_state === "copying").length;
    };
    for (; rounds < 8 && (await copying()) > 0; rounds++) {
      await p.stack.runCron(new Date(Date.now() + (rounds + 1) * CRON_STEP_MS));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await copying()) > 0) await sleep(100);
    }
    await p.waitForDrain(undefined, DRAIN_TIMEOUT_MS);
    // A cleanup whose message was lost in turn (a failed continuation send) needs the cron again.
    for (let more = 0; more < 3 && (await unfinishedMoves(p, moves)).length > 0; more++, rounds++) {
      await p.stack.runCron(new Date(Date.now() + (rounds + 1) * CRON_STEP_MS));
      await p.waitForDrain(undefined, DRAIN_TIMEOUT_MS);
    }
    ctx.log(`cron ran ${rounds} time(s); moves unfinished: ${(await unfinishedMoves(p, moves)).length}`);

    const removed = new Map(work.removed);
    // A job that raced a move's fence stored nothing and runs again later (the design's deferral),
    // fetching its gigs again: a cost of the move, not a fetch without cause. So the no-excess
    // check covers the account that stays put, and the moved accounts' refetches are reported.
    const movedAccounts = new Set(moves.map((m) => m.account));
    const gigsOf = (keep: (account: string) => boolean) => {
      const ids = new Set(accounts.filter(keep).flatMap((a) => p.argyle.store.gigsOf(a).map((g) => g.id)));
      for (const [id, account] of work.removed) if (keep(account)) ids.add(id);
      return ids;
    };
    const movedRefetches = checkFetches(
      p,
      gigsOf((a) => movedAccounts.has(a)),
    ).excess;
    const result = await conclude(p, {
      truth: { accounts, removed },
      fetchedGigs: gigsOf((a) => !movedAccounts.has(a)),
      sweep: true,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      notes: [
        `${ctx.shards} gig shards (at least 2, whatever --shards asks: a move needs two)`,
        `${moves.length} of ${accounts.length} accounts moved: ${moves.map((m) => `${m.from}→${m.to} (${m.stress})`).join(", ")}`,
        `${lostSends} move message send(s) lost at the API`,
        `cron run ${rounds} time(s), each 16 minutes later than the last`,
        `${movedRefetches} fetch(es) of moved accounts' gigs beyond their causes, not counted as excess: a job a move's fence deferred fetches again`,
      ],
    });
    if (lostSends === 0) result.violations.push("the lost-message move's send was never failed: the run proves less");
    const homes = await checkHomes(p, moves);
    result.violations.push(...homes);
    result.lost += homes.length;
    return result;
  } finally {
    await p.close();
  }
}

/** A shard other than `from`, chosen by `i` so moves go to different targets when there are several. */
function otherShard(from: string, shards: number, i: number): string {
  const n = Number(from.slice("SHARD_".length));
  return `SHARD_${((n - 1 + 1 + (i % (shards - 1))) % shards) + 1}`;
}

function isMoveSendAtApi(op: BindingOp, account: string): boolean {
  return (
    op.worker === "receiver" &&
    op.binding === "JOBS" &&
    op.messages.some((m) => m.kind === "move_account" && m.account === account)
  );
}

/** POST /api/accounts/{id}/move with the admin token; 202 or it throws. */
async function startMove(p: Pipeline, move: Move): Promise<void> {
  const response = await fetch(new URL(`/api/accounts/${move.account}/move`, p.stack.url), {
    method: "POST",
    headers: { authorization: `Bearer ${SECRETS.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify({ to: move.to }),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`move of ${move.account} to ${move.to}: ${response.status} ${text}`);
}

async function directoryRow(p: Pipeline, account: string): Promise<DirectoryRow | null> {
  return p.stack.db
    .prepare("SELECT shard, move_state, move_from, move_to, move_id, move_cursor FROM directory WHERE account = ?1")
    .bind(account)
    .first<DirectoryRow>();
}

async function waitForMove(
  p: Pipeline,
  account: string,
  done: (row: DirectoryRow) => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const row = await directoryRow(p, account);
    if (row && done(row)) return;
    await sleep(50);
  }
}

async function unfinishedMoves(p: Pipeline, moves: readonly Move[]): Promise<string[]> {
  const left: string[] = [];
  for (const move of moves) {
    const row = await directoryRow(p, move.account);
    if (row?.move_state !== null || row.shard !== move.to) left.push(move.account);
  }
  return left;
}

/**
 * Where each moved account's rows are: the directory names the target with no move state; the
 * target holds every gig row (live and tombstoned) and the accounts row, unfenced; the old shard
 * holds nothing of it but a 'moved' fence pointing at the target.
 */
async function checkHomes(p: Pipeline, moves: readonly Move[]): Promise<string[]> {
  const problems: string[] = [];
  const count = async (shard: string, table: string, column: string, account: string) =>
    (
      await p.stack
        .shardDb(shard)
        .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?1`)
        .bind(account)
        .first<{ n: number }>()
    )?.n ?? 0;
  for (const move of moves) {
    const { account, from, to } = move;
    const label = `moved account ${account} (${from}→${to}, ${move.stress})`;
    const row = await directoryRow(p, account);
    if (!row) {
      problems.push(`${label}: no directory row`);
      continue;
    }
    if (row.shard !== to) problems.push(`${label}: the directory says ${row.shard}`);
    // move_id stays as the last move's record; the state columns must be clear.
    const state = [row.move_state, row.move_from, row.move_to, row.move_cursor].filter((x) => x !== null);
    if (state.length > 0) problems.push(`${label}: move state left in the directory: ${state.join(", ")}`);

    const everywhere = await p.stack.gigCount("SELECT COUNT(*) AS n FROM gigs WHERE account = ?1", account);
    const onTarget = await count(to, "gigs", "account", account);
    if (onTarget === 0 || onTarget !== everywhere) {
      problems.push(`${label}: ${to} holds ${onTarget} of the ${everywhere} gig rows stored for it`);
    }
    if ((await count(to, "accounts", "id", account)) !== 1) problems.push(`${label}: no accounts row on ${to}`);
    if ((await count(to, "account_fences", "account", account)) !== 0) problems.push(`${label}: ${to} is fenced`);

    const oldGigs = await count(from, "gigs", "account", account);
    if (oldGigs > 0) problems.push(`${label}: ${oldGigs} gig row(s) left on ${from}`);
    if ((await count(from, "accounts", "id", account)) > 0) problems.push(`${label}: accounts row left on ${from}`);
    const fence = await p.stack
      .shardDb(from)
      .prepare("SELECT reason, shard FROM account_fences WHERE account = ?1")
      .bind(account)
      .first<{ reason: string; shard: string }>();
    if (fence?.reason !== "moved" || fence.shard !== to) {
      problems.push(
        `${label}: ${from}'s fence is ${fence ? `${fence.reason} → ${fence.shard}` : "missing"}, not moved → ${to}`,
      );
    }
  }
  return problems;
}
