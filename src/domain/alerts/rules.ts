/**
 * The watchdog's rules: each reads a few indexed rows and says whether its condition holds, for
 * which scope, how many things are affected, since when, and what to do. Every query but the
 * drift one runs in one D1 batch (one subrequest), and each reads no row at all when nothing is
 * wrong (test/workers/consumer/alert-query-plans.test.ts holds the plans to that).
 * @module
 */
import { timeOrderedIdFloor } from "../ids.ts";
import { type AlertConfig, SIGNATURE_WINDOW_MS } from "./config.ts";
import { humanDuration, isoOrNull, timeOfId } from "./time.ts";

export const RULES = [
  "auth_refused",
  "open_failures",
  "backlog_age",
  "backfill_stalled",
  "invalid_webhooks",
  "signature_failures",
  "reconciliation_drift",
  "no_webhooks",
] as const;
export type RuleName = (typeof RULES)[number];

/** A condition that holds now, for one alert key. */
export interface Finding {
  rule: RuleName;
  /** '' for the whole mirror, else the account id. */
  scope: string;
  summary: string;
  nextStep: string;
  affected: number;
  since: string | null;
  /** The newest thing covered (a failure or event id): something newer re-opens an acknowledged alert. */
  marker: string | null;
}

/** What one evaluation found. Rules listed in `partial` may have more scopes than it found: their absent scopes are left as they are. */
export interface Findings {
  findings: Finding[];
  partial: Set<RuleName>;
}

/** Per-account rules report at most this many accounts per run. */
export const MAX_SCOPES = 50;
const HOUR = 3_600_000;

export interface RuleQuery {
  sql: string;
  params: (string | number)[];
}

/** The batched rule queries, in the order `findingsFrom` reads their results. Exported for the query-plan tests. */
export function ruleQueries(config: AlertConfig, nowMs: number): Record<string, RuleQuery> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    // Jobs still retrying (their attempt log is live): the backlog's age and the auth refusals.
    retrying: {
      sql: `SELECT COUNT(*) AS n,
          SUM(CASE WHEN first_failed_ms < ?2 THEN 1 ELSE 0 END) AS old_n, MIN(first_failed_ms) AS oldest_ms,
          SUM(CASE WHEN reason = 'auth' AND updated_at >= ?3 THEN 1 ELSE 0 END) AS auth_n,
          MIN(CASE WHEN reason = 'auth' AND updated_at >= ?3 THEN first_failed_ms END) AS auth_since_ms
        FROM job_attempts WHERE updated_at >= ?1`,
      params: [iso(nowMs - config.retryLiveMs), nowMs - config.backlogMs, iso(nowMs - config.authLiveMs)],
    },
    // Accepted events whose jobs are not on the queue yet, older than the backlog threshold.
    // INDEXED BY: left to itself the planner picks events_by_status, which reads every accepted
    // event in history; the partial index holds only the un-queued ones (none, when all is well).
    unsent: {
      sql: `SELECT COUNT(*) AS n, MIN(id) AS oldest FROM events INDEXED BY events_not_enqueued
        WHERE status = 'accepted' AND enqueued_at IS NULL AND id < ?1`,
      params: [timeOrderedIdFloor(nowMs - config.backlogMs)],
    },
    failures: {
      sql: "SELECT COUNT(*) AS n, MIN(id) AS oldest, MAX(id) AS newest FROM failures WHERE status = 'open'",
      params: [],
    },
    stalled: {
      sql: `SELECT id, backfill_progress_ms FROM accounts
        WHERE backfill_status = 'running' AND backfill_progress_ms < ?1 AND COALESCE(backfill_retry_ms, 0) < ?2
        ORDER BY backfill_progress_ms LIMIT ?3`,
      params: [nowMs - config.backfillStallMs, nowMs, MAX_SCOPES + 1],
    },
    invalid: {
      sql: "SELECT COUNT(*) AS n, MIN(id) AS oldest, MAX(id) AS newest FROM events WHERE status = 'invalid' AND replay_of IS NULL AND id >= ?1",
      params: [timeOrderedIdFloor(nowMs - HOUR)],
    },
    signatures: {
      sql: "SELECT COALESCE(SUM(count), 0) AS n, MIN(minute_ms) AS first_ms FROM signature_failures WHERE minute_ms >= ?1",
      params: [nowMs - SIGNATURE_WINDOW_MS],
    },
    // Two O(1) reads: the newest event by primary key, and whether any account exists.
    quiet: {
      sql: "SELECT (SELECT MAX(id) FROM events) AS newest, EXISTS (SELECT 1 FROM accounts) AS has_accounts",
      params: [],
    },
  };
}

/**
 * Reconciliation drift: accounts whose latest reconciliation pass found gigs out of step with
 * Argyle (`accounts.drift_found` is reset when a new pass starts, migration 0009, so the alert
 * resolves after a clean pass). It runs outside the batch so a database from before migration
 * 0006 (no such column) finds nothing instead of failing every rule. The partial index
 * accounts_by_drift holds only accounts with drift, so an idle run reads no row.
 */
export function driftQuery(config: AlertConfig): RuleQuery {
  return {
    // `drift_found > 0` lets SQLite use the partial index accounts_by_drift (a bound ?1 alone cannot).
    sql: "SELECT COUNT(*) AS n, COALESCE(SUM(drift_found), 0) AS gigs FROM accounts WHERE drift_found > 0 AND drift_found > ?1",
    params: [config.driftGigs],
  };
}

type Row = Record<string, unknown>;
const num = (value: unknown): number => (typeof value === "number" ? value : Number(value ?? 0) || 0);
const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** The findings in the rule queries' results (`results[name]` = the rows of `ruleQueries()[name]`). */
export function findingsFrom(
  config: AlertConfig,
  nowMs: number,
  results: Record<string, Row[]>,
  drift: Row | null,
): Findings {
  const findings: Finding[] = [];
  const partial = new Set<RuleName>();
  const first = (name: string): Row => results[name]?.[0] ?? {};
  const ago = (ms: number | null) => (ms === null ? "" : ` (${humanDuration(nowMs - ms)} ago)`);

  const retrying = first("retrying");
  const authN = num(retrying.auth_n);
  if (authN > 0) {
    const sinceMs = retrying.auth_since_ms === null ? null : num(retrying.auth_since_ms);
    findings.push({
      rule: "auth_refused",
      scope: "",
      summary: `Argyle refuses the consumer's API key (401/403), or it is not set: ${authN} job(s) are waiting to retry.`,
      nextStep:
        "Check the key in Argyle's console, then set it: `npx wrangler secret put ARGYLE_API_KEY_ID` and " +
        "`npx wrangler secret put ARGYLE_API_KEY_SECRET` (with `--config wrangler.consumer.toml --env <env>`). " +
        "Waiting jobs retry every AUTH_RETRY_SECONDS and resume by themselves.",
      affected: authN,
      since: isoOrNull(sinceMs),
      marker: null,
    });
  }

  const failures = first("failures");
  const failureN = num(failures.n);
  if (failureN > 0) {
    findings.push({
      rule: "open_failures",
      scope: "",
      summary: `${failureN} job(s) failed for good and wait in failures: their gigs are missing from the mirror.`,
      nextStep:
        "List them: `GET /api/failures?status=open` (each has a reason and last_error). Fix the cause, then " +
        "`POST /api/failures/{id}/retry` for each.",
      affected: failureN,
      since: isoOrNull(timeOfId(str(failures.oldest))),
      marker: str(failures.newest),
    });
  }

  const unsent = first("unsent");
  const unsentN = num(unsent.n);
  const oldJobs = num(retrying.old_n);
  if (unsentN > 0 || oldJobs > 0) {
    const unsentMs = timeOfId(str(unsent.oldest));
    const jobMs = retrying.oldest_ms === null || retrying.oldest_ms === undefined ? null : num(retrying.oldest_ms);
    const oldest = Math.min(unsentMs ?? Number.POSITIVE_INFINITY, jobMs ?? Number.POSITIVE_INFINITY);
    const sinceMs = Number.isFinite(oldest) ? oldest : null;
    findings.push({
      rule: "backlog_age",
      scope: "",
      summary:
        `The oldest unfinished work is older than ${humanDuration(config.backlogMs)}${ago(sinceMs)}: ` +
        `${unsentN} accepted event(s) not yet queued, ${oldJobs} job(s) still retrying.`,
      nextStep:
        "Look at the consumer's logs (`msg: \"job will retry\"`, reason and error) and the queue's backlog in the " +
        "Cloudflare dashboard. Un-queued events are re-queued by the cron; `GET /api/events?status=accepted` shows them.",
      affected: unsentN + oldJobs,
      since: isoOrNull(sinceMs),
      marker: null,
    });
  }

  const stalled = results.stalled ?? [];
  if (stalled.length > MAX_SCOPES) partial.add("backfill_stalled");
  for (const row of stalled.slice(0, MAX_SCOPES)) {
    const account = String(row.id);
    const progressMs = num(row.backfill_progress_ms);
    findings.push({
      rule: "backfill_stalled",
      scope: account,
      summary: `The backfill of account ${account} has made no progress for ${humanDuration(nowMs - progressMs)}, though the cron revives it every 15 min.`,
      nextStep:
        `Read \`GET /api/accounts/${account}\` (last_error, backfill) and the consumer's logs for this account. ` +
        "Once the cause is fixed, a `gigs.fully_synced` webhook or `POST /api/failures/{id}/retry` of its failure starts a new pass.",
      affected: 1,
      since: isoOrNull(progressMs),
      marker: null,
    });
  }

  const invalid = first("invalid");
  const invalidN = num(invalid.n);
  if (invalidN >= config.invalidWebhooks) {
    const sinceIso = isoOrNull(timeOfId(str(invalid.oldest)));
    findings.push({
      rule: "invalid_webhooks",
      scope: "",
      summary: `${invalidN} signed webhook(s) failed validation in the last hour: their work was not done.`,
      nextStep:
        `List them with their issues: \`GET /api/events?status=invalid${sinceIso ? `&since=${sinceIso}` : ""}\`. ` +
        "After a fix is deployed, `POST /api/events/{id}/replay` each one.",
      affected: invalidN,
      since: sinceIso,
      marker: str(invalid.newest),
    });
  }

  const signatures = first("signatures");
  const signatureN = num(signatures.n);
  if (signatureN >= config.signatureFailures) {
    findings.push({
      rule: "signature_failures",
      scope: "",
      summary: `${signatureN} webhook(s) were refused for a missing or wrong signature in the last ${humanDuration(SIGNATURE_WINDOW_MS)}.`,
      nextStep:
        "After a secret rotation: ARGYLE_WEBHOOK_SECRET must be the secret of the Argyle subscription " +
        "(`npm run argyle -- webhooks list`), the old one in ARGYLE_WEBHOOK_SECRET_PREVIOUS until Argyle uses the new one. " +
        "Otherwise someone is sending forged requests: set ARGYLE_SOURCE_IPS to Argyle's addresses.",
      affected: signatureN,
      since: isoOrNull(signatures.first_ms === null ? null : num(signatures.first_ms)),
      marker: null,
    });
  }

  if (drift && num(drift.n) > 0) {
    findings.push({
      rule: "reconciliation_drift",
      scope: "",
      summary: `Reconciliation found ${num(drift.gigs)} gig(s) out of step with Argyle in ${num(drift.n)} account(s).`,
      nextStep:
        "Compare `available_count` with `gigs_stored` in `GET /api/accounts`; a webhook was lost or a job failed. " +
        "Check `GET /api/failures?status=open` and `GET /api/events?status=invalid`.",
      affected: num(drift.gigs),
      since: null,
      marker: null,
    });
  }

  const quiet = first("quiet");
  if (config.noWebhookMs > 0 && num(quiet.has_accounts) > 0) {
    const newestMs = timeOfId(str(quiet.newest));
    if (newestMs === null || nowMs - newestMs >= config.noWebhookMs) {
      findings.push({
        rule: "no_webhooks",
        scope: "",
        summary: `No webhook has arrived for ${newestMs === null ? "as long as events are kept" : humanDuration(nowMs - newestMs)}, while accounts are connected.`,
        nextStep:
          "Check the subscription: `npm run argyle -- webhooks list` must show this receiver's /webhooks/argyle URL; " +
          "recreate it with `npm run argyle -- webhooks create --url …` if not.",
        affected: 1,
        since: isoOrNull(newestMs),
        marker: null,
      });
    }
  }

  return { findings, partial };
}
