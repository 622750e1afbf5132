/**
 * Failures: what the dead-letter path recorded (reason, last error, attempts), with redrive of
 * one, or of all open ones matching a filter after a confirmation that says how many.
 * @module
 */
import type { FailureSummary } from "../../../domain/storage/failures.ts";
import { ago, count, withQuery } from "../format.ts";
import { ActionForm, Badge, Layout, Notice, Time } from "../layout.tsx";

export function FailuresPage(props: {
  rows: FailureSummary[];
  status?: string;
  account?: string;
  next: string | null;
  notice?: string;
  error?: string;
  csrf: string;
  who?: string;
  nowMs: number;
}) {
  return (
    <Layout title="Failures" screen="failures" csrf={props.csrf} who={props.who}>
      {props.notice && <Notice>{props.notice}</Notice>}
      <form class="filters" method="get" action="/console/failures">
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {["open", "redriven"].map((s) => (
              <option value={s} selected={props.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Account
          <input name="account" value={props.account ?? ""} size={20} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {props.error && <Notice error>{props.error}</Notice>}
      <p>
        <a href={withQuery("/console/failures/retry", { account: props.account })}>
          Redrive all open failures{props.account ? " of this account" : ""}…
        </a>
      </p>
      {props.rows.length === 0 ? (
        <p>No failures match.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Recorded</th>
                <th scope="col">Kind</th>
                <th scope="col" class="hide-narrow">
                  Account
                </th>
                <th scope="col">Reason</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last error</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((f) => (
                <tr>
                  <td>
                    <Time iso={f.created_at} text={ago(f.created_at, props.nowMs)} />
                  </td>
                  <td>
                    {f.kind} <span class="muted">({f.gig_ids} gig IDs)</span>
                  </td>
                  <td class="id hide-narrow">
                    {f.account ? <a href={`/console/accounts/${f.account}`}>{f.account}</a> : "—"}
                  </td>
                  <td>{f.reason}</td>
                  <td class="num">{f.attempts}</td>
                  <td>{f.last_error ?? "—"}</td>
                  <td>
                    {f.status === "open" ? (
                      <ActionForm action={`/console/failures/${f.id}/retry`} csrf={props.csrf} label="Redrive" />
                    ) : (
                      <>
                        <Badge value={f.status} /> <Time iso={f.redriven_at} text={ago(f.redriven_at, props.nowMs)} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.next && (
        <nav class="pager" aria-label="Pages">
          <a href={withQuery("/console/failures", { cursor: props.next })}>Next page</a>
        </nav>
      )}
    </Layout>
  );
}

export function RetryConfirmPage(props: {
  account?: string;
  matching: number;
  limit: number;
  csrf: string;
  who?: string;
}) {
  return (
    <Layout title="Redrive failures" screen="failures" csrf={props.csrf} who={props.who}>
      <p>
        <strong>{count(props.matching)}</strong> open failure{props.matching === 1 ? "" : "s"}
        {props.account ? ` of account ${props.account}` : ""}. Each job goes back on the queue and the failure is marked
        redriven. This runs {props.limit} at a time, newest first; you can continue after each batch.
      </p>
      {props.matching > 0 && (
        <ActionForm
          action="/console/failures/retry"
          csrf={props.csrf}
          label={`Redrive ${count(Math.min(props.limit, props.matching))} of ${count(props.matching)}`}
          fields={{ account: props.account }}
        />
      )}{" "}
      <a href={withQuery("/console/failures", { status: "open", account: props.account })}>Cancel</a>
    </Layout>
  );
}
