/**
 * One watchdog run, called once per cron run by the consumer: evaluate every rule (one batched
 * read), step each alert key through the state machine, write transitions with their notices
 * (one batch), then send queued notices. Evaluation never waits on the alert endpoint, and a
 * failure anywhere is logged, never thrown: the cron's other work must not depend on alerting.
 * @module
 */
import { describeError } from "../errors.ts";
import { newTimeOrderedId } from "../ids.ts";
import { logError, logInfo } from "../log.ts";
import { type AlertEnv, readAlertConfig } from "./config.ts";
import { type DeliverySummary, deliverNotifications, pruneNotificationsStatement } from "./outbox.ts";
import { driftQuery, type Finding, findingsFrom, ruleQueries } from "./rules.ts";
import { combineShardRows, readShardRuleRows, SHARD_RULES, type ShardBinding } from "./shard-rules.ts";
import { type AlertRow, type Step, step } from "./state.ts";
import { liveAlertsStatement, rowsOfKeys, stepStatements } from "./store.ts";

/** Signature-failure buckets are kept a day: enough to look back, and the table stays tiny. */
const KEEP_BUCKETS_MS = 86_400_000;

export interface AlertDeps {
  db: D1Database;
  /** Injected so tests (and the dev stack) can watch what is sent. Default: global fetch. */
  fetch?: typeof fetch;
  /** The gig shards, whose accounts the stalled-backfill, drift and no-webhook rules read too. */
  shards?: readonly ShardBinding[];
}

export interface AlertRunSummary {
  findings: number;
  transitions: { opened: number; reopened: number; resolved: number };
  delivery: DeliverySummary | null;
}

export async function runAlerts(deps: AlertDeps, env: AlertEnv, nowMs: number): Promise<AlertRunSummary | null> {
  let config: ReturnType<typeof readAlertConfig>;
  try {
    config = readAlertConfig(env);
  } catch (error) {
    logError("alerts are off: a setting is malformed", { error: describeError(error) });
    return null;
  }
  const summary: AlertRunSummary = {
    findings: 0,
    transitions: { opened: 0, reopened: 0, resolved: 0 },
    delivery: null,
  };
  try {
    const steps = await evaluate(deps.db, config, nowMs, deps.shards ?? []);
    summary.findings = steps.findings;
    for (const s of steps.steps)
      if ((s.kind === "insert" || s.kind === "update") && s.notice) summary.transitions[s.notice]++;
  } catch (error) {
    logError("alert evaluation failed; it runs again on the next cron run", { error: describeError(error) });
  }
  try {
    summary.delivery = await deliverNotifications(deps.db, config, nowMs, deps.fetch ?? fetch);
  } catch (error) {
    logError("sending alert notifications failed; they are retried on the next cron run", {
      error: describeError(error),
    });
  }
  const t = summary.transitions;
  if (summary.findings > 0 || t.opened + t.reopened + t.resolved > 0 || (summary.delivery?.sent ?? 0) > 0) {
    logInfo("alerts", {
      findings: summary.findings,
      ...t,
      sent: summary.delivery?.sent,
      failed: summary.delivery?.failed,
    });
  }
  return summary;
}

async function evaluate(
  db: D1Database,
  config: ReturnType<typeof readAlertConfig>,
  nowMs: number,
  shards: readonly ShardBinding[],
) {
  const queries = ruleQueries(config, nowMs);
  const names = Object.keys(queries);
  const batch = await db.batch<Record<string, unknown>>([
    ...names.map((name) => {
      const q = queries[name] as { sql: string; params: (string | number)[] };
      return db.prepare(q.sql).bind(...q.params);
    }),
    liveAlertsStatement(db),
  ]);
  const catalogResults: Record<string, Record<string, unknown>[]> = {};
  names.forEach((name, i) => {
    catalogResults[name] = batch[i]?.results ?? [];
  });
  const live = (batch[names.length]?.results ?? []) as unknown as AlertRow[];
  const shardRows = await readShardRuleRows(shards, config, nowMs);
  const { results, drift } = combineShardRows(catalogResults, await readDrift(db, config), shardRows);
  const { findings, partial } = findingsFrom(config, nowMs, results, drift);
  // A shard that could not be read may hold what these rules look for: they resolve nothing this run.
  if (shardRows.failed.length > 0) for (const rule of SHARD_RULES) partial.add(rule);

  const key = (rule: string, scope: string) => `${rule}\u0000${scope}`;
  const rows = new Map<string, AlertRow>(live.map((r) => [key(r.rule, r.scope), r]));
  const fresh = findings.filter((f) => !rows.has(key(f.rule, f.scope)));
  for (const row of await rowsOfKeys(
    db,
    fresh.map((f) => ({ rule: f.rule, scope: f.scope })),
  )) {
    rows.set(key(row.rule, row.scope), row);
  }
  const byKey = new Map<string, Finding>(findings.map((f) => [key(f.rule, f.scope), f]));
  const nowIso = new Date(nowMs).toISOString();
  const newId = () => newTimeOrderedId(nowMs);
  const steps: Step[] = [];
  for (const [k, row] of rows) {
    const finding = byKey.get(k) ?? null;
    // A rule that could not list every scope leaves the ones it did not see alone.
    if (finding === null && partial.has(row.rule)) continue;
    steps.push(step(row, finding, config.checks, nowIso, newId));
  }
  for (const [k, finding] of byKey) if (!rows.has(k)) steps.push(step(null, finding, config.checks, nowIso, newId));

  const statements = stepStatements(db, steps, nowIso, newId);
  statements.push(pruneNotificationsStatement(db, nowMs));
  statements.push(db.prepare("DELETE FROM signature_failures WHERE minute_ms < ?1").bind(nowMs - KEEP_BUCKETS_MS));
  await db.batch(statements);
  return { findings: findings.length, steps };
}

/** The drift rule's row, or null while `accounts.drift_found` does not exist (see `driftQuery`). */
async function readDrift(db: D1Database, config: ReturnType<typeof readAlertConfig>) {
  const q = driftQuery(config);
  try {
    return await db
      .prepare(q.sql)
      .bind(...q.params)
      .first<Record<string, unknown>>();
  } catch (error) {
    if (/no such column/i.test(describeError(error))) return null;
    throw error;
  }
}
