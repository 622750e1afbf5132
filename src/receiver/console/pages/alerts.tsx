/**
 * Alerts: what the watchdog (issue 13) found, open and recent, newest first as GET /api/alerts
 * lists them, filtered by status and rule, with Acknowledge on each open alert.
 * @module
 */
import { ALERT_STATUSES } from "../../../domain/alerts/read.ts";
import { RULES } from "../../../domain/alerts/rules.ts";
import type { AlertRow } from "../../../domain/alerts/state.ts";
import type { LiveAlertCount } from "../alerts-hook.ts";
import { ago, count, withQuery } from "../format.ts";
import { ActionForm, Badge, Layout, Notice, Time } from "../layout.tsx";

export interface AlertFilterFields {
  status?: string | undefined;
  rule?: string | undefined;
}

function When(props: { iso: string | null; nowMs: number }) {
  return props.iso ? <Time iso={props.iso} text={ago(props.iso, props.nowMs)} /> : <span class="muted">—</span>;
}

export function AlertsPage(props: {
  rows: AlertRow[];
  live: LiveAlertCount;
  filters: AlertFilterFields;
  next: string | null;
  notice?: string | undefined;
  error?: string | undefined;
  csrf: string;
  who?: string | undefined;
  nowMs: number;
}) {
  const { filters, nowMs } = props;
  return (
    <Layout title="Alerts" screen="alerts" csrf={props.csrf} who={props.who}>
      {props.notice && <Notice>{props.notice}</Notice>}
      <p>
        <strong>{count(props.live.open)}</strong> open, <strong>{count(props.live.acknowledged)}</strong> acknowledged.
        Acknowledging stops further notices for what is known; the alert resolves by itself once its condition clears.
      </p>
      <form class="filters" method="get" action="/console/alerts">
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {ALERT_STATUSES.map((s) => (
              <option value={s} selected={filters.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rule
          <select name="rule">
            <option value="">any</option>
            {RULES.map((r) => (
              <option value={r} selected={filters.rule === r}>
                {r.replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {props.error && <Notice error>{props.error}</Notice>}
      {props.rows.length === 0 ? (
        <p>No alerts match.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Scope</th>
                <th scope="col">Status</th>
                <th scope="col">What is wrong</th>
                <th scope="col">Next step</th>
                <th scope="col" class="num">
                  Affected
                </th>
                <th scope="col" class="hide-narrow">
                  Since
                </th>
                <th scope="col" class="hide-narrow">
                  Opened
                </th>
                <th scope="col" class="hide-narrow">
                  Acknowledged
                </th>
                <th scope="col" class="hide-narrow">
                  Resolved
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((a) => (
                <tr>
                  <td>{a.rule.replaceAll("_", " ")}</td>
                  <td class="id">
                    {a.scope ? <a href={`/console/accounts/${a.scope}`}>{a.scope}</a> : "whole mirror"}
                  </td>
                  <td>
                    <Badge value={a.status} />
                    {a.status === "open" && (
                      <>
                        {" "}
                        <ActionForm
                          action={`/console/alerts/${a.id}/ack`}
                          csrf={props.csrf}
                          label="Acknowledge"
                          fields={{ status: filters.status, rule: filters.rule }}
                        />
                      </>
                    )}
                  </td>
                  <td>{a.summary}</td>
                  <td>
                    <code>{a.next_step}</code>
                  </td>
                  <td class="num">{count(a.affected)}</td>
                  <td class="hide-narrow">
                    <When iso={a.since} nowMs={nowMs} />
                  </td>
                  <td class="hide-narrow">
                    <When iso={a.opened_at} nowMs={nowMs} />
                  </td>
                  <td class="hide-narrow">
                    <When iso={a.acknowledged_at} nowMs={nowMs} />
                  </td>
                  <td class="hide-narrow">
                    <When iso={a.resolved_at} nowMs={nowMs} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.next && (
        <nav class="pager" aria-label="Pages">
          <a href={withQuery("/console/alerts", { cursor: props.next })}>Next page</a>
        </nav>
      )}
    </Layout>
  );
}
