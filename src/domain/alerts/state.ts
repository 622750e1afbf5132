/**
 * The alert state machine, pure: given an alert's row (or none), whether its condition holds in
 * this check, and the damping count M, what the row becomes and which notice (if any) to send.
 *
 *   (none) ─holds─▶ pending ─held M checks─▶ open ─ack─▶ acknowledged
 *                     │ clear: forgotten        │ clear M checks   │ clear M checks
 *                     ▼                         ▼                  ▼
 *   resolved ◀──────────────────────────────── resolved ◀──────────┘
 *   resolved ─holds─▶ pending (again) ─held M checks─▶ open, noticed as "re-opened"
 *
 * Notices go out on opened, re-opened and resolved only; a flap shorter than M checks sends none.
 * An acknowledged alert whose rule reports something newer than it had (a new failure, a new
 * invalid event) is re-opened at once: acknowledging silences what was known, not what comes next.
 * @module
 */
import type { Finding, RuleName } from "./rules.ts";

export type AlertStatus = "pending" | "open" | "acknowledged" | "resolved";
export type Transition = "opened" | "reopened" | "resolved";

export interface AlertRow {
  id: string;
  rule: RuleName;
  scope: string;
  status: AlertStatus;
  hits: number;
  clears: number;
  opens: number;
  summary: string;
  next_step: string;
  affected: number;
  since: string | null;
  marker: string | null;
  opened_at: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  checked_at: string;
}

export type Step =
  | { kind: "none" }
  | { kind: "insert"; row: AlertRow; notice: Transition | null }
  | { kind: "update"; row: AlertRow; previous: AlertRow; notice: Transition | null }
  | { kind: "delete"; previous: AlertRow };

/**
 * One check of one alert key. `row` is null when the key has no row; `finding` is null when the
 * condition is clear. `newId` names a new row.
 */
export function step(
  row: AlertRow | null,
  finding: Finding | null,
  checks: number,
  nowIso: string,
  newId: () => string,
): Step {
  if (row === null) {
    if (finding === null) return { kind: "none" };
    const fresh: AlertRow = {
      id: newId(),
      rule: finding.rule,
      scope: finding.scope,
      status: "pending",
      hits: 0,
      clears: 0,
      opens: 0,
      summary: finding.summary,
      next_step: finding.nextStep,
      affected: finding.affected,
      since: finding.since,
      marker: finding.marker,
      opened_at: null,
      acknowledged_at: null,
      resolved_at: null,
      checked_at: nowIso,
    };
    const next = held(fresh, finding, checks, nowIso);
    return { kind: "insert", row: next.row, notice: next.notice };
  }

  if (finding === null) {
    switch (row.status) {
      case "resolved":
        return { kind: "none" };
      case "pending":
        // A flap shorter than M checks: a key that never opened is forgotten; a resolved one
        // that started to come back goes back to rest, its history intact.
        if (row.opens === 0) return { kind: "delete", previous: row };
        return update(row, { ...row, status: "resolved", hits: 0, checked_at: nowIso }, null);
      case "open":
      case "acknowledged": {
        const clears = row.clears + 1;
        if (clears < checks) return update(row, { ...row, clears, checked_at: nowIso }, null);
        return update(
          row,
          { ...row, status: "resolved", hits: 0, clears: 0, resolved_at: nowIso, checked_at: nowIso },
          "resolved",
        );
      }
    }
  }

  const next = held(row, finding, checks, nowIso);
  return update(row, next.row, next.notice);
}

/** The row after a check in which the condition holds. */
function held(
  row: AlertRow,
  finding: Finding,
  checks: number,
  nowIso: string,
): { row: AlertRow; notice: Transition | null } {
  const facts = {
    summary: finding.summary,
    next_step: finding.nextStep,
    affected: finding.affected,
    since: finding.since,
    checked_at: nowIso,
  };
  switch (row.status) {
    case "resolved":
    case "pending": {
      const hits = row.status === "resolved" ? 1 : row.hits + 1;
      if (hits < checks)
        return { row: { ...row, ...facts, status: "pending", hits, clears: 0, marker: finding.marker }, notice: null };
      const notice: Transition = row.opens > 0 ? "reopened" : "opened";
      return {
        row: {
          ...row,
          ...facts,
          status: "open",
          hits,
          clears: 0,
          opens: row.opens + 1,
          marker: finding.marker,
          opened_at: nowIso,
          acknowledged_at: null,
          resolved_at: null,
        },
        notice,
      };
    }
    case "open":
      return { row: { ...row, ...facts, clears: 0, marker: finding.marker }, notice: null };
    case "acknowledged": {
      if (newer(finding.marker, row.marker)) {
        return {
          row: {
            ...row,
            ...facts,
            status: "open",
            clears: 0,
            opens: row.opens + 1,
            marker: finding.marker,
            opened_at: nowIso,
            acknowledged_at: null,
          },
          notice: "reopened",
        };
      }
      // The marker stays as it was when acknowledged, so anything newer still re-opens.
      return { row: { ...row, ...facts, clears: 0 }, notice: null };
    }
  }
}

/** Markers are time-ordered ids: a greater one is newer. */
function newer(candidate: string | null, known: string | null): boolean {
  return candidate !== null && (known === null || candidate > known);
}

function update(previous: AlertRow, row: AlertRow, notice: Transition | null): Step {
  return { kind: "update", row, previous, notice };
}
