/**
 * Moving an account between shards: reads follow the directory and see the same rows before,
 * during (after every step) and after the move; the old shard ends empty but for its fence; a
 * write racing the move stores nothing on the old shard; a crash mid-copy resumes from the
 * catalog; a difference the verify finds makes it copy again, and a copy that never matches fails
 * loudly with the account still on its old shard.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MOVE_STALL_MS, MOVES_REVIVED_PER_RUN, reviveStalledMoves } from "../../../src/consumer/moves-cron.ts";
import {
  MOVE_GRACE_MS,
  MOVE_PAGE,
  MOVE_TRIES,
  MoveRefused,
  readMove,
  type StepResult,
  startMove,
  stepMove,
  viewMove,
} from "../../../src/domain/shards/move.ts";
import { moveJob } from "../../../src/domain/shards/move-job.ts";
import { clearTables } from "../helpers.ts";
import {
  guardedGigWrite,
  MOVE_ACCOUNT,
  OTHER_ACCOUNT,
  readThroughDirectory,
  seedAccount,
  shardHolds,
} from "../move-helpers.ts";
import { meter, runBatch } from "./helpers.ts";

beforeEach(() => clearTables());
afterEach(() => vi.restoreAllMocks());

const T0 = Date.parse("2026-11-29T12:00:00Z");

/** Runs steps of `moveId` until done, checking `each` after every one; the clock jumps over waits. */
async function runSteps(moveId: string, each: (r: StepResult) => Promise<void>, start = T0 + 1) {
  let now = start;
  const results: StepResult[] = [];
  for (let n = 0; n < 100; n++) {
    const result = await stepMove(env, MOVE_ACCOUNT, moveId, now);
    results.push(result);
    await each(result);
    if (result.type === "done" || result.type === "stale") return { results, now };
    now += result.type === "wait" ? result.ms : 1;
  }
  throw new Error("move did not finish in 100 steps");
}

/** The account's move as the API shows it. */
async function currentView() {
  const row = await readMove(env.DB, MOVE_ACCOUNT);
  if (!row) throw new Error("the account left the directory");
  return viewMove(row);
}

describe("account move", () => {
  it("moves gigs, tombstones and sync state; reads never change; the old shard keeps only a 'moved' fence", async () => {
    const count = MOVE_PAGE * 2 + 37;
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", count);
    await seedAccount(OTHER_ACCOUNT, "SHARD_1", 30, "0192");
    const before = await readThroughDirectory(MOVE_ACCOUNT);
    expect(before?.gigs).toHaveLength(count);
    expect(before?.gigs.filter((g) => g.removed_at !== null).length).toBeGreaterThan(0);
    expect(before?.gigs.some((g) => g.data === null)).toBe(true);

    const started = await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-1", "admin", T0);
    expect(started.outcome).toBe("started");
    expect(await readThroughDirectory(MOVE_ACCOUNT)).toEqual(before);

    let fencedChecked = false;
    const { results } = await runSteps("move-1", async () => {
      expect(await readThroughDirectory(MOVE_ACCOUNT)).toEqual(before);
      const row = await readMove(env.DB, MOVE_ACCOUNT);
      if (row?.move_state === "copying" && !fencedChecked) {
        // From the first step on, a job writing with a stale view of the directory stores nothing on A.
        expect(await guardedGigWrite("SHARD_1", MOVE_ACCOUNT, "0199aaaa-aaaa-bbbb-cccc-000000000001")).toBe(0);
        fencedChecked = true;
      }
    });
    expect(fencedChecked).toBe(true);
    expect(results.map((r) => r.type)).toContain("wait");
    expect(results.at(-1)?.type).toBe("done");

    const after = await readMove(env.DB, MOVE_ACCOUNT);
    expect(after).toMatchObject({
      shard: "SHARD_2",
      move_state: null,
      move_to: null,
      move_from: null,
      move_copied: count,
    });
    expect(await shardHolds("SHARD_1", MOVE_ACCOUNT)).toEqual({
      gigs: 0,
      accounts: 0,
      fence: { reason: "moved", shard: "SHARD_2" },
    });
    expect(await shardHolds("SHARD_2", MOVE_ACCOUNT)).toEqual({ gigs: count, accounts: 1, fence: null });
    // The other account on A is untouched.
    expect(await shardHolds("SHARD_1", OTHER_ACCOUNT)).toMatchObject({ gigs: 30, accounts: 1, fence: null });
    // B is writable for the account now; A is not.
    expect(await guardedGigWrite("SHARD_2", MOVE_ACCOUNT, "0199aaaa-aaaa-bbbb-cccc-000000000002")).toBe(1);
    expect(await guardedGigWrite("SHARD_1", MOVE_ACCOUNT, "0199aaaa-aaaa-bbbb-cccc-000000000003")).toBe(0);

    const audit = await env.DB.prepare("SELECT detail FROM audit_log WHERE action = 'move_account' ORDER BY id").all<{
      detail: string;
    }>();
    expect(audit.results.map((r) => JSON.parse(r.detail))).toEqual([
      { step: "start", from: "SHARD_1", to: "SHARD_2" },
      { step: "done", from: "SHARD_1", to: "SHARD_2", copied: count, deleted: count },
    ]);
  });

  it("loses no write that races the move: a fenced write is deferred, re-resolves and lands on the new home", async () => {
    const ids = await seedAccount(MOVE_ACCOUNT, "SHARD_1", MOVE_PAGE + 20);
    await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-w", "admin", T0);
    // Writes as jobs make them (design: resolve the home, write with the fence check in the
    // statement, defer and re-resolve if fenced). Each resolves one step before it writes, so
    // some hold a stale home across the fence and the flip.
    type Pending = { id: string; data: string; shard: string | null };
    const pending: Pending[] = [];
    const expected = new Map<string, string>();
    let deferred = 0;
    const resolve = async () => (await readMove(env.DB, MOVE_ACCOUNT))?.shard ?? null;
    let n = 0;
    const writeRound = async () => {
      for (const w of pending.splice(0)) {
        if (w.shard && (await guardedGigWrite(w.shard, MOVE_ACCOUNT, w.id, w.data)) === 1) continue;
        deferred++;
        pending.push({ ...w, shard: await resolve() });
      }
      // Two new writes per step: an update of a copied gig and a new gig.
      for (const id of [
        ids[(n * 7) % ids.length] as string,
        `0199${String(n).padStart(4, "0")}-aaaa-bbbb-cccc-000000000000`,
      ]) {
        const data = JSON.stringify({ id, version: n });
        expected.set(id, data);
        pending.push({ id, data, shard: await resolve() });
      }
      n++;
    };
    await runSteps("move-w", writeRound);
    for (let round = 0; pending.length > 0 && round < 5; round++) await writeRound();
    expect(deferred).toBeGreaterThan(0);
    // The last round's writes resolved after the move; land them too.
    for (const w of pending.splice(0)) expect(await guardedGigWrite(w.shard ?? "", MOVE_ACCOUNT, w.id, w.data)).toBe(1);

    const after = await readThroughDirectory(MOVE_ACCOUNT);
    const stored = new Map(after?.gigs.map((g) => [String(g.id), g.data]));
    for (const [id, data] of expected) expect({ id, data: stored.get(id) }).toEqual({ id, data });
    expect((await shardHolds("SHARD_1", MOVE_ACCOUNT)).gigs).toBe(0);
  });

  it("moves a legacy account out of the catalog (shard DB) into a gig shard", async () => {
    await seedAccount(MOVE_ACCOUNT, "DB", MOVE_PAGE + 3);
    const before = await readThroughDirectory(MOVE_ACCOUNT);
    await startMove(env, MOVE_ACCOUNT, "SHARD_1", "move-db", "admin", T0);
    const { results } = await runSteps("move-db", async () => {
      expect(await readThroughDirectory(MOVE_ACCOUNT)).toEqual(before);
    });
    expect(results.at(-1)?.type).toBe("done");
    expect((await readMove(env.DB, MOVE_ACCOUNT))?.shard).toBe("SHARD_1");
    expect(await shardHolds("DB", MOVE_ACCOUNT)).toEqual({
      gigs: 0,
      accounts: 0,
      fence: { reason: "moved", shard: "SHARD_1" },
    });
    expect(await shardHolds("SHARD_1", MOVE_ACCOUNT)).toMatchObject({ gigs: MOVE_PAGE + 3, accounts: 1, fence: null });
  });

  it("keeps the old shard's rows through the grace period after the flip", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 10);
    await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-g", "admin", T0);
    let flippedAt = 0;
    for (let n = 0; n < 10; n++) {
      const r = await stepMove(env, MOVE_ACCOUNT, "move-g", T0 + n);
      if (r.type === "wait") {
        flippedAt = T0 + n;
        expect(r.ms).toBe(MOVE_GRACE_MS);
        break;
      }
    }
    expect(flippedAt).toBeGreaterThan(0);
    expect((await readMove(env.DB, MOVE_ACCOUNT))?.shard).toBe("SHARD_2");
    expect(await stepMove(env, MOVE_ACCOUNT, "move-g", flippedAt + MOVE_GRACE_MS - 1)).toEqual({ type: "wait", ms: 1 });
    expect((await shardHolds("SHARD_1", MOVE_ACCOUNT)).gigs).toBe(10);
    expect((await stepMove(env, MOVE_ACCOUNT, "move-g", flippedAt + MOVE_GRACE_MS)).type).toBe("done");
    expect((await shardHolds("SHARD_1", MOVE_ACCOUNT)).gigs).toBe(0);
  });

  it("resumes from the catalog after a crash mid-copy: the lost continuation is revived by the cron", async () => {
    const count = MOVE_PAGE * 12 + 5;
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", count);
    const before = await readThroughDirectory(MOVE_ACCOUNT);
    const started = await startMove(env, MOVE_ACCOUNT, "SHARD_3", "move-c", "admin", Date.now());
    const m = meter();
    // A few messages (each ends at its page bound and queues its continuation), then a crash
    // loses the last continuation.
    let next: unknown[] = [moveJob(started.row, Date.now(), "api")];
    for (let n = 0; n < 4; n++) {
      await runBatch(next);
      expect(m.sent).toHaveLength(1);
      next = m.sent.splice(0);
    }
    const mid = await readMove(env.DB, MOVE_ACCOUNT);
    expect(mid?.move_state).toBe("copying");
    expect(mid?.move_copied).toBeGreaterThan(0);
    expect(mid?.move_copied).toBeLessThan(count);
    expect(await readThroughDirectory(MOVE_ACCOUNT)).toEqual(before);

    // Nothing is revived while the move is fresh; after 15 minutes without progress it is.
    expect(await reviveStalledMoves(env, Date.now())).toBe(0);
    expect(await reviveStalledMoves(env, Date.now() + MOVE_STALL_MS + 1)).toBe(1);
    let pending = m.sent.splice(0);
    // Each message runs a grace period after the last, as the queue's delay would deliver it.
    let clock = Date.now();
    const now = vi.spyOn(Date, "now").mockImplementation(() => clock);
    for (let n = 0; pending.length > 0 && n < 100; n++) {
      clock += MOVE_GRACE_MS;
      await runBatch(pending);
      pending = m.sent.splice(0);
    }
    now.mockRestore();
    expect(await readMove(env.DB, MOVE_ACCOUNT)).toMatchObject({
      shard: "SHARD_3",
      move_state: null,
      move_copied: count,
    });
    expect(await readThroughDirectory(MOVE_ACCOUNT)).toEqual(before);
    expect(await shardHolds("SHARD_1", MOVE_ACCOUNT)).toMatchObject({ gigs: 0, accounts: 0 });
  });

  it("copies again when the verify finds a difference, and fails loudly when it never matches", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 50);
    const before = await readThroughDirectory(MOVE_ACCOUNT);
    await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-v", "admin", T0);
    // Run until the copy is done, then spoil one copied gig's data on B.
    let now = T0 + 1;
    const spoil = () =>
      env.SHARD_2.prepare(
        "UPDATE gigs SET data = '{\"spoilt\":1}' WHERE id = (SELECT MIN(id) FROM gigs WHERE account = ?1)",
      )
        .bind(MOVE_ACCOUNT)
        .run();
    const untilVerify = async () => {
      for (let n = 0; n < 10; n++) {
        if ((await currentView()).state === "verifying") return;
        await stepMove(env, MOVE_ACCOUNT, "move-v", now++);
      }
      throw new Error("never reached the verify");
    };
    await untilVerify();
    await spoil();
    await stepMove(env, MOVE_ACCOUNT, "move-v", now++);
    expect(await currentView()).toMatchObject({ state: "copying", try: 2 });
    // The second copy is clean: the move completes with B equal to A.
    const { results } = await runSteps("move-v", async () => {}, now);
    expect(results.at(-1)?.type).toBe("done");
    expect(await readThroughDirectory(MOVE_ACCOUNT)).toEqual(before);

    // A copy that never matches: fails after MOVE_TRIES, A unfenced, the account still read from A.
    await clearTables();
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 50);
    await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-f", "admin", T0);
    let last: StepResult | undefined;
    for (let attempt = 1; attempt <= MOVE_TRIES; attempt++) {
      for (let n = 0; n < 10; n++) {
        if ((await currentView()).state === "verifying") break;
        await stepMove(env, MOVE_ACCOUNT, "move-f", now++);
      }
      await spoil();
      last = await stepMove(env, MOVE_ACCOUNT, "move-f", now++);
    }
    expect(last?.type).toBe("done");
    const failed = await currentView();
    expect(failed).toMatchObject({ state: "failed", shard: "SHARD_1", to: "SHARD_2", try: MOVE_TRIES });
    expect(failed.error).toMatch(/verify failed 3 times; last: gig .*: column data differs/);
    expect((await readThroughDirectory(MOVE_ACCOUNT))?.gigs).toHaveLength(50);
    expect((await shardHolds("SHARD_1", MOVE_ACCOUNT)).fence).toBeNull();
    expect(await guardedGigWrite("SHARD_1", MOVE_ACCOUNT, "0199aaaa-aaaa-bbbb-cccc-000000000004")).toBe(1);
    // A later message of the failed move changes nothing; the cron leaves it to the operator.
    expect((await stepMove(env, MOVE_ACCOUNT, "move-f", now++)).type).toBe("stale");
    expect(await reviveStalledMoves(env, now + MOVE_STALL_MS * 2)).toBe(0);
    // Asking again for the same target starts it over.
    expect((await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-f2", "admin", now)).outcome).toBe("started");
  });

  it("revives a stalled move however many failed moves wait for the operator", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 3);
    await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-s", "admin", T0);
    // More failed moves than one cron run revives, all older than the stalled one: they sort first.
    const failed = JSON.stringify({ phase: "failed", try: MOVE_TRIES, error: "verify failed" });
    await env.DB.batch(
      Array.from({ length: MOVES_REVIVED_PER_RUN + 2 }, (_, i) =>
        env.DB.prepare(
          `INSERT INTO directory (account, shard, placed_ms, move_state, move_to, move_id, move_cursor, move_progress_ms)
           VALUES (?1, 'SHARD_1', 1, 'copying', 'SHARD_2', ?2, ?3, 1)`,
        ).bind(`0187c66e-e7e5-811c-b006-${String(i).padStart(12, "0")}`, `move-failed-${i}`, failed),
      ),
    );
    const m = meter();
    expect(await reviveStalledMoves(env, T0 + MOVE_STALL_MS + 1)).toBe(1);
    expect(m.sent).toEqual([expect.objectContaining({ kind: "move_account", account: MOVE_ACCOUNT })]);
  });

  it("refuses what it cannot do and changes nothing", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 3);
    const refused = async (to: string, account = MOVE_ACCOUNT) => {
      try {
        await startMove(env, account, to, "move-x", "admin", T0);
      } catch (error) {
        if (error instanceof MoveRefused) return `${error.status} ${error.code}`;
        throw error;
      }
      return "started";
    };
    expect(await refused("SHARD_9")).toBe("422 unknown_shard");
    expect(await refused("DB")).toBe("422 unknown_shard");
    expect(await refused("SHARD_1")).toBe("409 already_home");
    expect(await refused("SHARD_2", OTHER_ACCOUNT)).toBe("404 not_found");
    await env.DB.prepare("INSERT INTO shards (name, status) VALUES ('SHARD_3', 'closed')").run();
    expect(await refused("SHARD_3")).toBe("409 shard_closed");
    expect((await readMove(env.DB, MOVE_ACCOUNT))?.move_state).toBeNull();
    expect(await shardHolds("SHARD_1", MOVE_ACCOUNT)).toMatchObject({ gigs: 3, fence: null });

    expect(await refused("SHARD_2")).toBe("started");
    // Same target again: idempotent; another target while it runs: refused.
    expect((await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-y", "admin", T0)).outcome).toBe("running");
    expect((await readMove(env.DB, MOVE_ACCOUNT))?.move_id).toBe("move-x");
    expect(await refused("SHARD_3")).toBe("409 move_running");

    await env.DB.prepare(
      "INSERT INTO purged_accounts (account, reason, requested_at, progress_ms) VALUES (?1, 'api', '2026-11-29T00:00:00Z', 0)",
    )
      .bind(OTHER_ACCOUNT)
      .run();
    await seedAccount(OTHER_ACCOUNT, "SHARD_1", 1, "0192");
    expect(await refused("SHARD_2", OTHER_ACCOUNT)).toBe("409 account_purged");
  });

  it("two requests racing to start the same move start it once, audited once", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", 3);
    const outcomes = await Promise.all(
      ["race-a", "race-b", "race-c"].map((id) => startMove(env, MOVE_ACCOUNT, "SHARD_2", id, "admin", T0)),
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["running", "running", "started"]);
    const winner = outcomes.find((o) => o.outcome === "started")?.row.move_id;
    expect(outcomes.map((o) => o.row.move_id)).toEqual([winner, winner, winner]);
    const audit = await env.DB.prepare("SELECT target FROM audit_log WHERE action = 'move_account'").all<{
      target: string;
    }>();
    expect(audit.results).toEqual([{ target: winner }]);
  });

  it("abandons a move whose account is purged mid-copy: the target is emptied and unfenced", async () => {
    await seedAccount(MOVE_ACCOUNT, "SHARD_1", MOVE_PAGE + 10);
    await startMove(env, MOVE_ACCOUNT, "SHARD_2", "move-p", "admin", T0);
    await stepMove(env, MOVE_ACCOUNT, "move-p", T0 + 1); // clear
    await stepMove(env, MOVE_ACCOUNT, "move-p", T0 + 2); // first page
    expect((await shardHolds("SHARD_2", MOVE_ACCOUNT)).gigs).toBe(MOVE_PAGE);
    await env.DB.prepare(
      "INSERT INTO purged_accounts (account, reason, requested_at, progress_ms) VALUES (?1, 'api', '2026-11-29T00:00:00Z', 0)",
    )
      .bind(MOVE_ACCOUNT)
      .run();
    const { results } = await runSteps("move-p", async () => {}, T0 + 3);
    expect(results.at(-1)).toEqual({ type: "done", note: "abandoned: the account was purged" });
    expect(await shardHolds("SHARD_2", MOVE_ACCOUNT)).toEqual({ gigs: 0, accounts: 0, fence: null });
    expect((await shardHolds("SHARD_1", MOVE_ACCOUNT)).fence).toBeNull();
    expect(await readMove(env.DB, MOVE_ACCOUNT)).toMatchObject({ shard: "SHARD_1", move_state: null });
  });
});
