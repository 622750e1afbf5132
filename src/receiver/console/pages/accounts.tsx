/**
 * Accounts: Argyle's count against gigs stored, backfill progress, last webhook and fetch, open
 * failures; one backfill state at a time, keyset pages in id order. And one account's page.
 * @module
 */
import type { AccountDetail } from "../../../domain/shards/account-read.ts";
import {
  type AccountEventRow,
  type AccountGigRow,
  BACKFILL_STATES,
  type ConsoleAccountRow,
} from "../../../domain/storage/console-accounts.ts";
import { CountBar } from "../charts.tsx";
import { ago, count, withQuery } from "../format.ts";
import { Badge, Layout, Time } from "../layout.tsx";

export function AccountsPage(props: {
  rows: ConsoleAccountRow[];
  status: string | undefined;
  next: string | null;
  csrf: string;
  who?: string;
  nowMs: number;
}) {
  const { nowMs } = props;
  return (
    <Layout title="Accounts" screen="accounts" csrf={props.csrf} who={props.who}>
      <form class="filters" method="get" action="/console/accounts">
        <label>
          Backfill
          <select name="status">
            <option value="">any</option>
            {BACKFILL_STATES.map((s) => (
              <option value={s} selected={props.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Stored / Argyle</th>
              <th scope="col">Backfill</th>
              <th scope="col" class="hide-narrow">
                Last webhook
              </th>
              <th scope="col" class="hide-narrow">
                Last fetch
              </th>
              <th scope="col" class="num">
                Open failures
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((a) => (
              <tr>
                <td class="id">
                  <a href={`/console/accounts/${a.id}`}>{a.id}</a>
                  {a.last_error && <div class="s-failed">{a.last_error}</div>}
                </td>
                <td>
                  <CountBar stored={a.gigs_stored} available={a.available_count} /> {count(a.gigs_stored)} /{" "}
                  {a.available_count ?? "?"}
                </td>
                <td>
                  <Badge value={a.backfill_status} /> {a.backfill_pages} pages, {count(a.backfill_gigs)} gigs
                </td>
                <td class="hide-narrow">
                  <Time iso={a.last_webhook_at} text={ago(a.last_webhook_at, nowMs)} />
                </td>
                <td class="hide-narrow">
                  <Time iso={a.last_fetch_at} text={ago(a.last_fetch_at, nowMs)} />
                </td>
                <td class="num">{a.open_failures}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.rows.length === 0 && <p>No accounts match.</p>}
      <nav class="pager" aria-label="Pages">
        <a href={withQuery("/console/accounts", { status: props.status })}>First page</a>
        {props.next && (
          <a href={withQuery("/console/accounts", { status: props.status, after: props.next })}>Next page</a>
        )}
      </nav>
    </Layout>
  );
}

export function AccountPage(props: {
  account: AccountDetail;
  gigs: AccountGigRow[];
  events: AccountEventRow[];
  csrf: string;
  who?: string;
  nowMs: number;
}) {
  const { account: a, nowMs } = props;
  return (
    <Layout title={`Account ${a.id}`} screen="accounts" csrf={props.csrf} who={props.who}>
      <dl class="tiles">
        <div class="tile">
          <dt>Stored / Argyle's count</dt>
          <dd>
            {count(a.gigs_stored)} / {a.available_count ?? "?"}{" "}
            <CountBar stored={a.gigs_stored} available={a.available_count} />
          </dd>
        </div>
        <div class="tile">
          <dt>Backfill</dt>
          <dd>
            <Badge value={a.backfill.status} />{" "}
            <span class="muted">
              {a.backfill.pages} pages, {count(a.backfill.gigs)} gigs
            </span>
          </dd>
        </div>
        <div class="tile">
          <dt>Last webhook</dt>
          <dd>
            <Time iso={a.last_webhook_at} text={ago(a.last_webhook_at, nowMs)} />
          </dd>
        </div>
        <div class="tile">
          <dt>Last fetch</dt>
          <dd>
            <Time iso={a.last_fetch_at} text={ago(a.last_fetch_at, nowMs)} />
          </dd>
        </div>
        <div class="tile">
          <dt>Open failures</dt>
          <dd>
            <a href={withQuery("/console/failures", { status: "open", account: a.id })}>{a.open_failures}</a>
          </dd>
        </div>
        <div class="tile">
          <dt>Shard</dt>
          <dd>
            {a.shard === "DB" ? "DB (catalog, legacy)" : a.shard}
            {a.move && (
              <span class="sub">
                {" "}
                moving {a.move.from ?? "?"} → {a.move.to ?? "?"} ({a.move.state})
              </span>
            )}
          </dd>
        </div>
      </dl>
      {a.last_error && <p class="notice error">Last error: {a.last_error}</p>}
      <h2>Gigs (newest start first, up to {props.gigs.length === 50 ? "50" : props.gigs.length})</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Gig</th>
              <th scope="col">Start</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Pay
              </th>
            </tr>
          </thead>
          <tbody>
            {props.gigs.map((g) => (
              <tr>
                <td class="id">
                  <a href={`/console/gigs/${g.id}`}>{g.id}</a> <span class="muted hide-narrow">{g.employer}</span>
                </td>
                <td>{g.start_datetime ?? "—"}</td>
                <td>{g.status ?? "—"}</td>
                <td class="num">{g.pay === null ? "—" : `${g.pay} ${g.currency ?? ""}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Recent events</h2>
      <EventRows rows={props.events} nowMs={nowMs} />
      <p>
        <a href={withQuery("/console/events", { account: a.id })}>All events of this account</a>
      </p>
    </Layout>
  );
}

export function EventRows(props: {
  rows: (Pick<AccountEventRow, "id" | "received_at" | "event" | "status" | "gig_ids"> & { account?: string | null })[];
  nowMs: number;
  showAccount?: boolean;
}) {
  if (props.rows.length === 0) return <p>No events.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            {props.showAccount && (
              <th scope="col" class="hide-narrow">
                Account
              </th>
            )}
            <th scope="col" class="num">
              Gig IDs
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((e) => (
            <tr>
              <td>
                <a href={`/console/events/${e.id}`}>
                  <Time iso={e.received_at} text={ago(e.received_at, props.nowMs)} />
                </a>
              </td>
              <td>{e.event ?? <span class="muted">not an envelope</span>}</td>
              <td>
                <Badge value={e.status} />
              </td>
              {props.showAccount && <td class="id hide-narrow">{e.account ?? "—"}</td>}
              <td class="num">{e.gig_ids}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
