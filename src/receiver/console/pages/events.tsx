/**
 * Events: filter by event, status, account and time, search by gig ID; the detail view with
 * summary, validation issues and the pretty-printed body; replay one, or all `invalid` matching
 * a filter after a confirmation that says how many.
 * @module
 */
import type { EventSummary } from "../../../domain/storage/events-read.ts";
import { ago, count, withQuery } from "../format.ts";
import { ActionForm, Badge, Layout, Notice, Time } from "../layout.tsx";
import { EventRows } from "./accounts.tsx";

export interface EventFilterValues {
  event?: string;
  status?: string;
  account?: string;
  since?: string;
  gig?: string;
}

export function EventsPage(props: {
  rows: EventSummary[];
  filters: EventFilterValues;
  next: string | null;
  error?: string;
  notice?: string;
  csrf: string;
  who?: string;
  nowMs: number;
}) {
  const f = props.filters;
  const bulkQuery = { event: f.event, account: f.account, since: f.since };
  return (
    <Layout title="Events" screen="events" csrf={props.csrf} who={props.who}>
      {props.notice && <Notice>{props.notice}</Notice>}
      <form class="filters" method="get" action="/console/events">
        <label>
          Event
          <input name="event" value={f.event ?? ""} placeholder="gigs.updated" size={14} />
        </label>
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {["accepted", "recorded", "invalid"].map((s) => (
              <option value={s} selected={f.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Account
          <input name="account" value={f.account ?? ""} size={20} />
        </label>
        <label>
          Since (ISO 8601)
          <input name="since" value={f.since ?? ""} placeholder="2026-11-01" size={12} />
        </label>
        <label>
          Gig ID
          <input name="gig" value={f.gig ?? ""} size={20} />
        </label>
        <button type="submit">Search</button>
      </form>
      {props.error && <Notice error>{props.error}</Notice>}
      {f.gig && <p class="muted">Events of the gig's account, among its 1,000 newest, whose body names this gig.</p>}
      {f.status === "invalid" && !f.gig && (
        <p>
          <a href={withQuery("/console/events/replay", bulkQuery)}>Replay all invalid events matching this filter…</a>
        </p>
      )}
      <EventRows rows={props.rows} nowMs={props.nowMs} showAccount />
      {props.next && (
        <nav class="pager" aria-label="Pages">
          <a href={withQuery("/console/events", { cursor: props.next })}>Next page</a>
        </nav>
      )}
    </Layout>
  );
}

export function EventPage(props: {
  event: EventSummary;
  body: string;
  bodyNote?: string;
  csrf: string;
  who?: string;
  nowMs: number;
}) {
  const e = props.event;
  const rows: [string, string | number | null][] = [
    ["Event", e.event],
    ["Status", e.status],
    ["Account", e.account],
    ["User", e.user],
    ["Subscription", e.subscription],
    ["Argyle's available count", e.available_count],
    ["Items", e.item_count],
    ["Window", e.window_from || e.window_to ? `${e.window_from ?? "?"} → ${e.window_to ?? "?"}` : null],
    ["Gig IDs", e.gig_ids],
    ["Jobs queued", e.jobs],
    ["Body bytes", e.body_bytes],
    ["Duplicate of", e.duplicate_of],
    ["Replay of", e.replay_of],
    ["Enqueued at", e.enqueued_at],
  ];
  return (
    <Layout title="Event" screen="events" csrf={props.csrf} who={props.who}>
      <p class="id">
        {e.id} · received <Time iso={e.received_at} text={ago(e.received_at, props.nowMs)} />
      </p>
      <ActionForm action={`/console/events/${e.id}/replay`} csrf={props.csrf} label="Replay this event" />
      <h2>Summary</h2>
      <div class="table-wrap">
        <table>
          <tbody>
            {rows.map(([label, value]) => (
              <tr>
                <th scope="row">{label}</th>
                <td class={label === "Account" || label.endsWith("of") ? "id" : undefined}>
                  {label === "Status" ? (
                    <Badge value={String(value)} />
                  ) : label === "Account" && value ? (
                    <a href={`/console/accounts/${value}`}>{value}</a>
                  ) : (label === "Duplicate of" || label === "Replay of") && value ? (
                    <a href={`/console/events/${value}`}>{value}</a>
                  ) : (
                    (value ?? <span class="muted">—</span>)
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Validation issues</h2>
      {e.issues && e.issues.length > 0 ? (
        <ul>
          {e.issues.map((i) => (
            <li>
              <code>{i.path || "(body)"}</code>: {i.message}
            </li>
          ))}
        </ul>
      ) : (
        <p>None.</p>
      )}
      <h2>Body</h2>
      {props.bodyNote && <p class="muted">{props.bodyNote}</p>}
      <section aria-label="Event body">
        {/* Focusable so keyboard users can scroll a long body. */}
        <pre tabindex={0}>{props.body}</pre>
      </section>
    </Layout>
  );
}

export function ReplayConfirmPage(props: {
  filters: EventFilterValues;
  matching: number;
  limit: number;
  csrf: string;
  who?: string;
}) {
  const f = props.filters;
  const described = [f.event && `event ${f.event}`, f.account && `account ${f.account}`, f.since && `since ${f.since}`]
    .filter(Boolean)
    .join(", ");
  return (
    <Layout title="Replay invalid events" screen="events" csrf={props.csrf} who={props.who}>
      <p>
        <strong>{count(props.matching)}</strong> invalid event{props.matching === 1 ? "" : "s"} match
        {props.matching === 1 ? "es" : ""}
        {described ? ` (${described})` : ""}. Each is run through ingest again as a new event; the originals stay. This
        runs {props.limit} at a time, newest first; you can continue after each batch.
      </p>
      {props.matching > 0 && (
        <ActionForm
          action="/console/events/replay"
          csrf={props.csrf}
          label={`Replay ${count(Math.min(props.limit, props.matching))} of ${count(props.matching)}`}
          fields={{ event: f.event, account: f.account, since: f.since }}
        />
      )}{" "}
      <a href={withQuery("/console/events", { status: "invalid", event: f.event, account: f.account, since: f.since })}>
        Cancel
      </a>
    </Layout>
  );
}

export function BulkResultPage(props: {
  title: string;
  screen: "events" | "failures";
  lines: { id: string; href: string; text: string }[];
  stopped: string | null;
  next: string | null;
  action: string;
  fields: Record<string, string | undefined>;
  backHref: string;
  csrf: string;
  who?: string;
}) {
  return (
    <Layout title={props.title} screen={props.screen} csrf={props.csrf} who={props.who}>
      <Notice error={props.stopped !== null}>
        Done: {props.lines.length}.
        {props.stopped ? " Stopped early: the database or queue is unavailable; continue to retry." : ""}
        {props.next ? " More match." : " Nothing more matches."}
      </Notice>
      <ul>
        {props.lines.map((l) => (
          <li>
            <a class="id" href={l.href}>
              {l.id}
            </a>
            : {l.text}
          </li>
        ))}
      </ul>
      {props.next && (
        <ActionForm
          action={props.action}
          csrf={props.csrf}
          label="Continue with the next batch"
          fields={{ ...props.fields, cursor: props.next }}
        />
      )}{" "}
      <a href={props.backHref}>Back</a>
    </Layout>
  );
}
