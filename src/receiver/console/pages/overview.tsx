/**
 * Overview: is every account complete and current, what is stuck, what needs me.
 * @module
 */
import type { Overview } from "../../../domain/storage/console-overview.ts";
import type { LiveAlertCount } from "../alerts-hook.ts";
import { CountBar, HourlyChart } from "../charts.tsx";
import { ago, count, duration } from "../format.ts";
import { Badge, Layout, Time } from "../layout.tsx";

/** Bytes as MB with one decimal (D1's limit is 10 GB a database). */
function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function OverviewPage(props: {
  data: Overview;
  openAlerts: LiveAlertCount;
  csrf: string;
  who?: string;
  nowMs: number;
}) {
  const { data, nowMs } = props;
  const backlogAge = data.backlog.oldestReceivedAt
    ? duration(nowMs - Date.parse(data.backlog.oldestReceivedAt))
    : "none";
  const day = data.hours.reduce(
    (t, h) => ({
      accepted: t.accepted + h.counts.accepted,
      recorded: t.recorded + h.counts.recorded,
      invalid: t.invalid + h.counts.invalid,
    }),
    { accepted: 0, recorded: 0, invalid: 0 },
  );
  return (
    <Layout title="Overview" screen="overview" csrf={props.csrf} who={props.who} refresh={60}>
      <dl class="tiles">
        <div class="tile">
          <dt>Webhooks, 24 h</dt>
          <dd>{count(day.accepted + day.recorded + day.invalid)}</dd>
        </div>
        <div class="tile">
          <dt>Invalid, 24 h</dt>
          <dd>
            <a href="/console/events?status=invalid">{count(day.invalid)}</a>
          </dd>
        </div>
        <div class="tile">
          <dt>Backlog (events not yet queued)</dt>
          <dd>
            {count(data.backlog.events)} <span class="muted">oldest {backlogAge}</span>
          </dd>
        </div>
        <div class="tile">
          <dt>Backfills in flight</dt>
          <dd>
            {count(data.backfills.running)} <span class="muted">{count(data.backfills.stalled)} stalled</span>
          </dd>
        </div>
        <div class="tile">
          <dt>Open failures</dt>
          <dd>
            <a href="/console/failures?status=open">{count(data.openFailures)}</a>
          </dd>
        </div>
        <div class="tile">
          <dt>Open alerts</dt>
          <dd>
            <a href="/console/alerts?status=open">{count(props.openAlerts.open)}</a>{" "}
            <span class="sub">
              <a href="/console/alerts?status=acknowledged">{count(props.openAlerts.acknowledged)} acknowledged</a>
            </span>
          </dd>
        </div>
      </dl>

      <h2>Gig shards</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Shard</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Accounts
              </th>
              <th scope="col" class="num">
                Live gigs
              </th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col" class="hide-narrow">
                Migration
              </th>
            </tr>
          </thead>
          <tbody>
            {data.shards.map((s) => (
              <tr>
                <td class="id">{s.name === "DB" ? "DB (catalog, legacy)" : s.name}</td>
                <td>
                  <Badge value={s.status} />
                </td>
                <td class="num">{count(s.accounts)}</td>
                <td class="num">
                  {count(s.gigs)}
                  {s.gigsCapped ? "+" : ""}
                </td>
                <td class="num">
                  {s.sizeBytes === null ? (
                    <span class="muted">not measured</span>
                  ) : (
                    <>
                      {megabytes(s.sizeBytes)}{" "}
                      {s.measuredAt && <Time iso={s.measuredAt} text={ago(s.measuredAt, nowMs)} />}
                    </>
                  )}
                </td>
                <td class="hide-narrow">{s.migration ?? <span class="muted">not recorded</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.shards.length === 0 && <p>No gig shard is bound: add SHARD_1 to wrangler.toml.</p>}

      <h2>Webhooks per hour (UTC), by status</h2>
      <HourlyChart hours={data.hours} />

      <h2>Accounts needing attention</h2>
      {data.attention.length === 0 ? (
        <p>No account has a failed or stalled backfill, an error, or an open failure.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Stored / Argyle</th>
                <th scope="col">Backfill</th>
                <th scope="col" class="num">
                  Open failures
                </th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {data.attention.map((a) => {
                const stalled = a.backfill_status === "running" && (a.backfill_progress_ms ?? 0) < nowMs - 15 * 60_000;
                return (
                  <tr>
                    <td class="id">
                      <a href={`/console/accounts/${a.id}`}>{a.id}</a>
                    </td>
                    <td>
                      <CountBar stored={a.gigs_stored} available={a.available_count} /> {count(a.gigs_stored)} /{" "}
                      {a.available_count ?? "?"}
                    </td>
                    <td>
                      <Badge value={a.backfill_status} /> {stalled ? "stalled" : ""}
                    </td>
                    <td class="num">{a.open_failures}</td>
                    <td>
                      {a.last_error ?? <span class="muted">none</span>}{" "}
                      {a.last_error_at && <Time iso={a.last_error_at} text={ago(a.last_error_at, nowMs)} />}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
