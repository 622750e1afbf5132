/**
 * Moving an account from its home shard A to shard B (an operator's command). A state machine kept
 * in the account's directory row, so any step may crash and the next message (or the cron's
 * revival) carries on from the catalog alone:
 *
 *   copying/clear   fence A ('moving': no job writes there any more), fence B ('moving', not yet
 *                   readable), delete whatever B holds of the account (≤ 1,000 gigs per step)
 *   copying/copy    one page of gigs by (account, id) after the cursor, A → B verbatim; the
 *                   last page also copies the accounts row
 *   copying/verify  compare A and B page by page (every column); a difference starts over at
 *                   clear, at most MOVE_TRIES times, then the move fails loudly (A unfenced)
 *   flip            unfence B, then one catalog batch: shard = B, state 'cleanup'; A's fence
 *                   becomes 'moved' (jobs holding the old entry store nothing there)
 *   cleanup/delete  after MOVE_GRACE_MS (reads that looked up A before the flip finish), delete
 *                   the account's rows on A (≤ 1,000 gigs per step); A keeps the 'moved' fence;
 *                   the directory's move columns are cleared and the audit log records the move
 *
 * Every step is one bounded batch per database, guarded by `move_id` so a stale message of an
 * earlier move changes nothing. Reads follow `directory.shard` throughout: A until the flip, B
 * after it. Free of Hono: the receiver's routes and the consumer's runner both call it.
 * @module
 */
import * as v from "valibot";
import { auditStatement } from "../lifecycle/audit.ts";
import { logError, logInfo } from "../log.ts";
import { CATALOG_SHARD, isShardBinding, shardDb, shardNames } from "./bindings.ts";
import {
  accountRowStatement,
  gigPageStatement,
  pageDifference,
  type Row,
  replaceRowsStatements,
  rowDifference,
} from "./move-rows.ts";

/** Gigs per copy or verify page: ~850 KB at the measured ~4,240 bytes a gig, well within a batch. */
export const MOVE_PAGE = 200;
/** Rows one delete statement removes (on B before a copy, on A in cleanup). */
export const DELETE_CHUNK = 1_000;
/** Wait after the flip before A's rows go: reads that looked up A just before it finish first. */
export const MOVE_GRACE_MS = 60_000;
/** Copies a move attempts before failing (a difference each time means something keeps changing). */
export const MOVE_TRIES = 3;

const Try = v.pipe(v.number(), v.integer(), v.minValue(1));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
/** Where a move stands within its directory state, kept in `directory.move_cursor` as JSON. */
const PhaseSchema = v.variant("phase", [
  v.object({ phase: v.literal("clear"), try: Try }),
  v.object({ phase: v.literal("copy"), try: Try, after: v.string() }),
  v.object({ phase: v.literal("verify"), try: Try, after: v.string(), checked: Count }),
  v.object({ phase: v.literal("failed"), try: Try, error: v.string() }),
  v.object({ phase: v.literal("abandon") }),
  v.object({ phase: v.literal("fences") }),
  v.object({ phase: v.literal("delete"), deleted: Count }),
]);
export type MovePhase = v.InferOutput<typeof PhaseSchema>;

export interface MoveRow {
  account: string;
  shard: string;
  user: string | null;
  move_state: "copying" | "cleanup" | null;
  move_from: string | null;
  move_to: string | null;
  move_id: string | null;
  move_cursor: string | null;
  move_copied: number;
  move_started_ms: number | null;
  move_progress_ms: number | null;
  move_flipped_ms: number | null;
  purged: number;
}

/** A directory row (`d`) with its move columns and whether the catalog marks the account purged. */
export const MOVE_ROW_COLUMNS = `d.account, d.shard, d.user, d.move_state, d.move_from, d.move_to, d.move_id,
  d.move_cursor, d.move_copied, d.move_started_ms, d.move_progress_ms, d.move_flipped_ms,
  EXISTS (SELECT 1 FROM purged_accounts p WHERE p.account = d.account) AS purged`;

/** The account's directory row with its move columns and whether the catalog marks it purged. */
export async function readMove(catalog: D1Database, account: string): Promise<MoveRow | null> {
  return catalog
    .prepare(`SELECT ${MOVE_ROW_COLUMNS} FROM directory d WHERE d.account = ?1`)
    .bind(account)
    .first<MoveRow>();
}

/** The phase stored in the row; an unreadable cursor (never written by this code) restarts the copy. */
export function phaseOf(row: MoveRow): MovePhase | null {
  if (!row.move_state) return null;
  const fallback: MovePhase = row.move_state === "copying" ? { phase: "clear", try: 1 } : { phase: "fences" };
  if (!row.move_cursor) return fallback;
  try {
    const parsed = v.safeParse(PhaseSchema, JSON.parse(row.move_cursor));
    return parsed.success ? parsed.output : fallback;
  } catch {
    return fallback;
  }
}

/** What the API shows of a move. */
export interface MoveView {
  account: string;
  shard: string;
  state: "copying" | "verifying" | "cleanup" | "failed" | "abandoning" | null;
  from: string | null;
  to: string | null;
  move_id: string | null;
  copied: number;
  verified: number | null;
  deleted: number | null;
  try: number | null;
  error: string | null;
  started_at: string | null;
  progress_at: string | null;
  flipped_at: string | null;
}

export function viewMove(row: MoveRow): MoveView {
  const phase = phaseOf(row);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const state: MoveView["state"] =
    phase === null
      ? null
      : phase.phase === "failed"
        ? "failed"
        : phase.phase === "abandon"
          ? "abandoning"
          : phase.phase === "verify"
            ? "verifying"
            : row.move_state;
  return {
    account: row.account,
    shard: row.shard,
    state,
    from: row.move_state === "cleanup" ? row.move_from : row.move_state === "copying" ? row.shard : null,
    to: row.move_state === "copying" ? row.move_to : row.move_state === "cleanup" ? row.shard : null,
    move_id: row.move_id,
    copied: row.move_copied,
    verified: phase?.phase === "verify" ? phase.checked : null,
    deleted: phase?.phase === "delete" ? phase.deleted : null,
    try: phase && "try" in phase ? phase.try : null,
    error: phase?.phase === "failed" ? phase.error : null,
    started_at: iso(row.move_started_ms),
    progress_at: iso(row.move_progress_ms),
    flipped_at: iso(row.move_flipped_ms),
  };
}

/** A move the request may not start: nothing was changed. */
export class MoveRefused extends Error {
  readonly status: 404 | 409 | 422;
  readonly code: string;

  constructor(status: 404 | 409 | 422, code: string, message: string) {
    super(message);
    this.name = "MoveRefused";
    this.status = status;
    this.code = code;
  }
}

export interface StartedMove {
  /** 'started' (or restarted after a failure): a message must be queued; 'running': it already is. */
  outcome: "started" | "running";
  row: MoveRow;
}

/**
 * Starts moving `account` to shard `to`, or answers with the move already running to `to`
 * (idempotent). A failed move to the same shard starts over. The directory change and the audit
 * row are one catalog transaction; the fences are written by the move's first step, so a crash
 * right after this leaves nothing half-done (the cron revives a move with no progress).
 */
export async function startMove(
  env: object,
  account: string,
  to: string,
  moveId: string,
  tokenRole: string,
  nowMs: number,
): Promise<StartedMove> {
  const catalog = shardDb(env, CATALOG_SHARD);
  if (!isShardBinding(to) || !shardNames(env).includes(to)) {
    throw new MoveRefused(422, "unknown_shard", `${to} is not a gig shard bound to this Worker (SHARD_<n>).`);
  }
  const row = await readMove(catalog, account);
  if (!row) throw new MoveRefused(404, "not_found", "The directory has no such account: nothing to move.");
  if (row.purged) throw new MoveRefused(409, "account_purged", "The account is deleted (purged): nothing to move.");
  const phase = phaseOf(row);
  const restart = phase?.phase === "failed" && row.move_to === to;
  if (phase && !restart) {
    const target = row.move_state === "copying" ? row.move_to : row.shard;
    if (target === to) return { outcome: "running", row };
    throw new MoveRefused(409, "move_running", `The account is already moving to ${target}; wait for it to finish.`);
  }
  if (!restart && row.shard === to) throw new MoveRefused(409, "already_home", `The account already lives in ${to}.`);
  const status = await catalog
    .prepare("SELECT status FROM shards WHERE name = ?1")
    .bind(to)
    .first<{ status: string }>();
  if (status?.status === "closed") {
    throw new MoveRefused(
      409,
      "shard_closed",
      `${to} is closed to new accounts; open it first to move accounts into it.`,
    );
  }
  const cursor = JSON.stringify({ phase: "clear", try: 1 } satisfies MovePhase);
  // The audit row is written only if the directory changed (same transaction, `changes()`): a
  // request that lost a race to another records nothing, and a failed write records nothing.
  const [update] = await catalog.batch([
    catalog
      .prepare(
        `UPDATE directory SET move_state = 'copying', move_to = ?2, move_from = NULL, move_id = ?3,
           move_cursor = ?4, move_copied = 0, move_started_ms = ?5, move_progress_ms = ?5, move_flipped_ms = NULL
         WHERE account = ?1 AND move_id IS ?6 AND move_state IS ?7`,
      )
      .bind(account, to, moveId, cursor, nowMs, row.move_id, row.move_state),
    auditStatement(
      catalog,
      {
        action: "move_account",
        reason: "api",
        tokenRole,
        account,
        user: row.user,
        target: moveId,
        detail: { step: restart ? "restart" : "start", from: row.shard, to },
      },
      nowMs,
      { onlyIfChanged: true },
    ),
  ]);
  if (!update?.meta.changes) {
    // Another request changed the row between the read and the write: answer with what won.
    const now = await readMove(catalog, account);
    if (now?.move_state && (now.move_to === to || now.shard === to)) return { outcome: "running", row: now };
    throw new MoveRefused(409, "move_running", "The account's move state changed meanwhile; ask again.");
  }
  logInfo("account move started", { account, from: row.shard, to, move_id: moveId });
  const started = await readMove(catalog, account);
  if (!started) throw new Error(`move: account ${account} vanished from the directory`);
  return { outcome: "started", row: started };
}

/** What one step did. */
export type StepResult =
  | { type: "progress"; note: string }
  /** Nothing to do before `ms` from now (the grace period after the flip). */
  | { type: "wait"; ms: number }
  | { type: "done"; note: string }
  /** This message's move is not the directory's (finished, failed, or replaced): it stops. */
  | { type: "stale"; note: string };

/**
 * Runs the next bounded step of the move `moveId` of `account`. Throws on a D1 error (the caller
 * retries; every step is idempotent and resumes from the catalog).
 */
export async function stepMove(env: object, account: string, moveId: string, nowMs: number): Promise<StepResult> {
  const catalog = shardDb(env, CATALOG_SHARD);
  const row = await readMove(catalog, account);
  if (!row || row.move_id !== moveId || !row.move_state) return { type: "stale", note: "no such move running" };
  const phase = phaseOf(row);
  if (!phase) return { type: "stale", note: "no such move running" };
  if (phase.phase === "failed") return { type: "stale", note: `move failed: ${phase.error}` };
  if (row.move_state === "copying") {
    const target = row.move_to;
    if (!target) throw new Error(`move ${moveId}: copying without a target`);
    const step = { env, catalog, row, from: row.shard, to: target, nowMs };
    if (row.purged && phase.phase !== "abandon")
      return setPhase(step, { phase: "abandon" }, "account purged: abandoning");
    switch (phase.phase) {
      case "clear":
        return clearTarget(step, phase.try);
      case "copy":
        return copyPage(step, phase.try, phase.after);
      case "verify":
        return verifyPage(step, phase.try, phase.after, phase.checked);
      case "abandon":
        return abandon(step);
      default:
        return setPhase(step, { phase: "clear", try: 1 }, "unexpected phase: copy restarts");
    }
  }
  const from = row.move_from;
  if (!from) throw new Error(`move ${moveId}: cleanup without a source`);
  const step = { env, catalog, row, from, to: row.shard, nowMs };
  if (phase.phase === "fences") return settleFences(step);
  if (phase.phase === "delete") return deleteSource(step, phase.deleted);
  return setPhase(step, { phase: "fences" }, "unexpected phase: cleanup restarts");
}

interface Step {
  env: object;
  catalog: D1Database;
  row: MoveRow;
  /** The shard the account leaves. */
  from: string;
  /** The shard the account goes to. */
  to: string;
  nowMs: number;
}

/**
 * Checkpoints the move in the catalog, optionally setting the copied count. Only while the row is
 * still in the state this step read: two messages of one move (a revived one and a late
 * continuation) may overlap, and a late copy checkpoint must not land on a move already flipped.
 */
function checkpoint(s: Step, phase: MovePhase, copied: number | null): D1PreparedStatement {
  return s.catalog
    .prepare(
      `UPDATE directory SET move_cursor = ?3, move_progress_ms = ?4,
         move_copied = CASE WHEN ?5 IS NULL THEN move_copied ELSE ?5 END
       WHERE account = ?1 AND move_id = ?2 AND move_state = ?6`,
    )
    .bind(s.row.account, s.row.move_id, JSON.stringify(phase), s.nowMs, copied, s.row.move_state);
}

async function setPhase(s: Step, phase: MovePhase, note: string, copied: number | null = null): Promise<StepResult> {
  await checkpoint(s, phase, copied).run();
  return { type: "progress", note };
}

function fenceStatement(db: D1Database, account: string, reason: "moving" | "moved", shard: string, nowMs: number) {
  return db
    .prepare(
      `INSERT INTO account_fences (account, reason, shard, since_ms) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (account) DO UPDATE SET reason = excluded.reason, shard = excluded.shard,
         since_ms = CASE WHEN account_fences.reason = excluded.reason AND account_fences.shard = excluded.shard
                         THEN account_fences.since_ms ELSE excluded.since_ms END`,
    )
    .bind(account, reason, shard, nowMs);
}

/** SQL: the account (?1) carries this move's 'moving' fence here: the target is still being filled. */
const MOVING_HERE = "EXISTS (SELECT 1 FROM account_fences f WHERE f.account = ?1 AND f.reason = 'moving')";

function unfenceStatement(db: D1Database, account: string): D1PreparedStatement {
  return db.prepare("DELETE FROM account_fences WHERE account = ?1").bind(account);
}

function deleteGigChunkStatement(db: D1Database, account: string, guard = "1"): D1PreparedStatement {
  return db
    .prepare(`DELETE FROM gigs WHERE rowid IN (SELECT rowid FROM gigs WHERE account = ?1 LIMIT ?2) AND ${guard}`)
    .bind(account, DELETE_CHUNK);
}

/**
 * Fences A (idempotent: repeated by every clear step, so a crash after the directory changed but
 * before the fence was written is mended), fences B, and empties B of the account: leftovers of an
 * earlier failed try, or an earlier move away from B, must not survive into the verify.
 */
async function clearTarget(s: Step, attempt: number): Promise<StepResult> {
  const { account } = s.row;
  const a = shardDb(s.env, s.from);
  const b = shardDb(s.env, s.to);
  await fenceStatement(a, account, "moving", s.to, s.nowMs).run();
  // B is fenced only while it is not the account's home: a stale message of this move arriving
  // after the flip (B holds the account row, unfenced) must not fence or empty the new home. Every
  // write on B below runs only under B's 'moving' fence (MOVING_HERE).
  const [, deleted] = await b.batch([
    b
      .prepare(
        `INSERT INTO account_fences (account, reason, shard, since_ms)
         SELECT ?1, 'moving', ?2, ?3
         WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE id = ?1) OR EXISTS (SELECT 1 FROM account_fences WHERE account = ?1)
         ON CONFLICT (account) DO UPDATE SET reason = 'moving', shard = excluded.shard`,
      )
      .bind(account, s.to, s.nowMs),
    deleteGigChunkStatement(b, account, MOVING_HERE),
  ]);
  if ((deleted?.meta.changes ?? 0) >= DELETE_CHUNK) {
    await checkpoint(s, { phase: "clear", try: attempt }, null).run();
    return { type: "progress", note: `cleared ${DELETE_CHUNK} stale gigs on ${s.to}` };
  }
  // The accounts row goes last of all, so the copy's inserts never meet a half-state account row
  // (its drift triggers count inserts while a reconciliation pass runs).
  await b.prepare(`DELETE FROM accounts WHERE id = ?1 AND ${MOVING_HERE}`).bind(account).run();
  return setPhase(s, { phase: "copy", try: attempt, after: "" }, `${s.to} cleared; copying`, 0);
}

/** Copies one page of gigs A → B; the last page brings the accounts row along. */
async function copyPage(s: Step, attempt: number, after: string): Promise<StepResult> {
  const { account } = s.row;
  const a = shardDb(s.env, s.from);
  const b = shardDb(s.env, s.to);
  const [page, accountRow] = await a.batch<Row>([
    gigPageStatement(a, account, after, MOVE_PAGE),
    accountRowStatement(a, account),
  ]);
  const gigs = page?.results ?? [];
  const last = gigs.length < MOVE_PAGE;
  const statements = [
    ...replaceRowsStatements(b, "gigs", account, gigs),
    ...(last ? replaceRowsStatements(b, "accounts", account, accountRow?.results ?? []) : []),
  ];
  if (statements.length > 0) await b.batch(statements);
  const copied = s.row.move_copied + gigs.length;
  const lastId = String(gigs.at(-1)?.id ?? after);
  const next: MovePhase = last
    ? { phase: "verify", try: attempt, after: "", checked: 0 }
    : { phase: "copy", try: attempt, after: lastId };
  await checkpoint(s, next, copied).run();
  return { type: "progress", note: last ? `copied ${copied} gigs and the account row; verifying` : `copied ${copied}` };
}

/** Compares one page of A and B; at the end also the accounts row, then flips. */
async function verifyPage(s: Step, attempt: number, after: string, checked: number): Promise<StepResult> {
  const { account } = s.row;
  const a = shardDb(s.env, s.from);
  const b = shardDb(s.env, s.to);
  // One more than a page: B holding a row past A's last one shows as a difference.
  const [[pageA, accountA], [pageB, accountB]] = await Promise.all([
    a.batch<Row>([gigPageStatement(a, account, after, MOVE_PAGE), accountRowStatement(a, account)]),
    b.batch<Row>([gigPageStatement(b, account, after, MOVE_PAGE), accountRowStatement(b, account)]),
  ]);
  const rowsA = pageA?.results ?? [];
  const rowsB = pageB?.results ?? [];
  const last = rowsA.length < MOVE_PAGE;
  const accountDiff = last ? rowDifference(accountA?.results[0], accountB?.results[0]) : null;
  const difference = pageDifference(rowsA, rowsB) ?? (accountDiff ? `account row: ${accountDiff}` : null);
  if (difference) return verifyFailed(s, attempt, difference);
  const total = checked + rowsA.length;
  if (!last) {
    return setPhase(
      s,
      { phase: "verify", try: attempt, after: String(rowsA.at(-1)?.id), checked: total },
      `verified ${total}`,
    );
  }
  return flip(s, total);
}

async function verifyFailed(s: Step, attempt: number, difference: string): Promise<StepResult> {
  const { account } = s.row;
  if (attempt < MOVE_TRIES) {
    logError("account move: verify found a difference; copying again", {
      account,
      from: s.from,
      to: s.to,
      try: attempt,
      difference,
    });
    return setPhase(s, { phase: "clear", try: attempt + 1 }, `verify failed (${difference}); copying again`);
  }
  // Alert-worthy: the copy never matched. A is unfenced so its jobs write again (the account is
  // read and written there as before); the directory keeps the failed move for the API to show.
  const error = `verify failed ${attempt} times; last: ${difference}`;
  await s.catalog.batch([
    checkpoint(s, { phase: "failed", try: attempt, error }, null),
    auditStatement(
      s.catalog,
      {
        action: "move_account",
        account,
        user: s.row.user,
        target: s.row.move_id,
        detail: { step: "failed", from: s.from, to: s.to, error },
      },
      s.nowMs,
      { onlyIfChanged: true },
    ),
  ]);
  await unfenceStatement(shardDb(s.env, s.from), account).run();
  logError("account move failed: the account stays on its shard; check and start it again", {
    account,
    from: s.from,
    to: s.to,
    error,
  });
  return { type: "done", note: error };
}

/**
 * B becomes home. B's fence goes first (a job that resolves B after the flip must be able to
 * write), then the directory flips in one catalog statement, then A's fence says 'moved'.
 */
async function flip(s: Step, verified: number): Promise<StepResult> {
  const { account } = s.row;
  await unfenceStatement(shardDb(s.env, s.to), account).run();
  const result = await s.catalog
    .prepare(
      `UPDATE directory SET shard = ?3, move_from = ?4, move_to = NULL, move_state = 'cleanup',
         move_cursor = ?5, move_flipped_ms = ?6, move_progress_ms = ?6
       WHERE account = ?1 AND move_id = ?2 AND move_state = 'copying'`,
    )
    .bind(account, s.row.move_id, s.to, s.from, JSON.stringify({ phase: "fences" } satisfies MovePhase), s.nowMs)
    .run();
  if (!result.meta.changes) return { type: "stale", note: "the move changed under the flip" };
  logInfo("account move flipped", { account, from: s.from, to: s.to, gigs: verified });
  return settleFences({ ...s, row: { ...s.row, move_flipped_ms: s.nowMs } });
}

/** After the flip: A's fence says 'moved' (kept for good), B carries none. Idempotent. */
async function settleFences(s: Step): Promise<StepResult> {
  const { account } = s.row;
  await fenceStatement(shardDb(s.env, s.from), account, "moved", s.to, s.nowMs).run();
  await unfenceStatement(shardDb(s.env, s.to), account).run();
  await checkpoint(s, { phase: "delete", deleted: 0 }, null).run();
  const wait = graceLeft(s);
  return wait > 0 ? { type: "wait", ms: wait } : { type: "progress", note: "fences settled" };
}

function graceLeft(s: Step): number {
  return (s.row.move_flipped_ms ?? 0) + MOVE_GRACE_MS - s.nowMs;
}

/** After the grace period: one chunk of A's gigs, then A's accounts row and the directory's move columns. */
async function deleteSource(s: Step, deleted: number): Promise<StepResult> {
  const wait = graceLeft(s);
  if (wait > 0) return { type: "wait", ms: wait };
  const { account } = s.row;
  const a = shardDb(s.env, s.from);
  const removed = (await deleteGigChunkStatement(a, account).run()).meta.changes ?? 0;
  const total = deleted + removed;
  if (removed >= DELETE_CHUNK)
    return setPhase(s, { phase: "delete", deleted: total }, `deleted ${total} gigs on ${s.from}`);
  await a.prepare("DELETE FROM accounts WHERE id = ?1").bind(account).run();
  // The audit row only if this message finished the move (overlapping messages of one move).
  const [finished] = await s.catalog.batch([
    s.catalog
      .prepare(
        `UPDATE directory SET move_state = NULL, move_from = NULL, move_to = NULL, move_cursor = NULL,
           move_progress_ms = ?3
         WHERE account = ?1 AND move_id = ?2 AND move_state = 'cleanup'`,
      )
      .bind(account, s.row.move_id, s.nowMs),
    auditStatement(
      s.catalog,
      {
        action: "move_account",
        account,
        user: s.row.user,
        target: s.row.move_id,
        detail: { step: "done", from: s.from, to: s.to, copied: s.row.move_copied, deleted: total },
      },
      s.nowMs,
      { onlyIfChanged: true },
    ),
  ]);
  if (!finished?.meta.changes) return { type: "stale", note: "the move changed under the cleanup" };
  logInfo("account moved", { account, from: s.from, to: s.to, copied: s.row.move_copied, deleted: total });
  return { type: "done", note: `moved: ${s.row.move_copied} gigs copied, ${total} deleted on ${s.from}` };
}

/**
 * The account was purged while it was being copied: the purge empties its home (A); what the copy
 * put on B is deleted here, then both fences go and the move ends.
 */
async function abandon(s: Step): Promise<StepResult> {
  const { account } = s.row;
  const b = shardDb(s.env, s.to);
  const removed = (await deleteGigChunkStatement(b, account).run()).meta.changes ?? 0;
  if (removed >= DELETE_CHUNK) return setPhase(s, { phase: "abandon" }, `abandoning: deleted ${removed} on ${s.to}`);
  await b.batch([b.prepare("DELETE FROM accounts WHERE id = ?1").bind(account), unfenceStatement(b, account)]);
  await unfenceStatement(shardDb(s.env, s.from), account).run();
  await s.catalog
    .prepare(
      `UPDATE directory SET move_state = NULL, move_to = NULL, move_from = NULL, move_cursor = NULL,
         move_progress_ms = ?3
       WHERE account = ?1 AND move_id = ?2`,
    )
    .bind(account, s.row.move_id, s.nowMs)
    .run();
  logInfo("account move abandoned: the account was purged", { account, from: s.from, to: s.to });
  return { type: "done", note: "abandoned: the account was purged" };
}
