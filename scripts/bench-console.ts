/**
 * `npm run bench:console`: server time of the operator console's pages over a large local D1 —
 * by default 10,000 accounts (20 gigs each) and 1,000,000 events over 48 hours — on the real
 * receiver Worker in the local runtime. Accounts and gigs are spread over the gig shards
 * (GIG_SHARDS, default 2) with their directory rows, as the consumer places them. Rows are
 * generated in SQL with recursive CTEs (seconds, not minutes), then every screen is requested
 * over HTTP with a session and timed.
 *
 *   npm run bench:console                         10,000 accounts, 1,000,000 events
 *   node scripts/bench-console.ts --accounts 1000 --events 100000 --runs 5
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startStack } from "./lib/common/stack.ts";

const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "10000" },
    events: { type: "string", default: "1000000" },
    "gigs-per-account": { type: "string", default: "20" },
    runs: { type: "string", default: "9" },
  },
});
const ACCOUNTS = Number(values.accounts);
const EVENTS = Number(values.events);
const GIGS_PER_ACCOUNT = Number(values["gigs-per-account"]);
const RUNS = Number(values.runs);
const TOKEN = "bench-admin-token";
const CHUNK = 10_000;
const SPAN_MS = 48 * 3_600_000;

const accountId = (expr: string) => `printf('0187c66e-0000-4000-8000-%012x', ${expr})`;

async function main(): Promise<void> {
  // On disk: an in-memory database of a million events outgrows what the local runtime allows.
  const dir = await mkdtemp(path.join(tmpdir(), "bench-console-"));
  const stack = await startStack({
    receiverVars: { API_TOKEN: TOKEN, ARGYLE_WEBHOOK_SECRET: "bench" },
    consumer: false,
    persistTo: dir,
  });
  try {
    const now = Date.now();
    const seedStart = performance.now();
    const run = (sql: string, ...params: (string | number)[]) =>
      stack.db
        .prepare(sql)
        .bind(...params)
        .run();

    // Laid out as the product lays it out: account i lives on shard i mod K (the directory in the
    // catalog says so), its accounts row and gigs on that shard, so the console reads the shards.
    const shards = Object.keys(stack.shards).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    const onShard =
      (shard: number) =>
      (sql: string, ...params: (string | number)[]) =>
        stack
          .shardDb(shards[shard] as string)
          .prepare(sql)
          .bind(...params)
          .run();
    await run(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
       INSERT INTO directory (account, shard, user, placed_ms)
       SELECT ${accountId("i")}, printf('SHARD_%d', i % ?2 + 1), NULL, ?3 FROM n`,
      ACCOUNTS,
      shards.length,
      now - 60_000,
    );
    for (const [k] of shards.entries()) {
      await onShard(k)(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
         INSERT INTO accounts (id, user, available_count, last_webhook_at, last_fetch_at, backfill_status,
           backfill_pages, backfill_gigs, backfill_progress_ms, backfill_completed_at, last_error, last_error_at)
         SELECT ${accountId("i")}, NULL, ?2 + (i % 97 = 0), ?3, ?3,
           CASE WHEN i % 500 = 0 THEN 'failed' WHEN i % 250 = 0 THEN 'running' ELSE 'done' END,
           1, ?2, ?4, ?3, CASE WHEN i % 500 = 0 THEN 'Argyle answered 503' END, CASE WHEN i % 500 = 0 THEN ?3 END
         FROM n WHERE i % ?5 = ?6`,
        ACCOUNTS,
        GIGS_PER_ACCOUNT,
        new Date(now - 60_000).toISOString(),
        now - 60_000,
        shards.length,
        k,
      );
    }
    const gigs = ACCOUNTS * GIGS_PER_ACCOUNT;
    for (let from = 0; from < gigs; from += CHUNK) {
      for (const [k] of shards.entries()) {
        await onShard(k)(
          `WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
           INSERT INTO gigs (id, account, status, start_datetime, start_ms, updated_ms, data, synced_ms, fetched_at)
           SELECT printf('0190%04x-aaaa-4bbb-8ccc-%012x', i % 65536, i), ${accountId(`i / ${GIGS_PER_ACCOUNT}`)}, 'completed',
             strftime('%Y-%m-%dT%H:%M:%SZ', (?3 - i * 60000) / 1000, 'unixepoch'), ?3 - i * 60000, ?3,
             json_object('id', i, 'income', json_object('pay', '12.34', 'currency', 'USD')), ?3, ?4
           FROM n WHERE (i / ${GIGS_PER_ACCOUNT}) % ?5 = ?6`,
          from,
          Math.min(gigs, from + CHUNK),
          now,
          new Date(now).toISOString(),
          shards.length,
          k,
        );
      }
    }
    // A thousand distinct bodies shared by the events (as duplicates share one stored body).
    await run(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
       INSERT INTO event_bodies (sha256, body, first_received_at)
       SELECT printf('%064x', i), CAST(json_object('event', 'gigs.updated', 'data', json_object('updated_gigs', json_array(printf('0190%04x-aaaa-4bbb-8ccc-%012x', i % 65536, i)))) AS BLOB), ?1
       FROM n`,
      new Date(now).toISOString(),
    );
    for (let from = 0; from < EVENTS; from += CHUNK) {
      console.error(
        `bench:console: events ${from.toLocaleString("en-US")}… (${((performance.now() - seedStart) / 1000).toFixed(1)} s)`,
      );
      // Newest first from `now`, evenly over SPAN_MS; the id's first 48 bits are its time, like ours.
      await run(
        `WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1),
         t(i, ms) AS (SELECT i, ?3 - (i * ?4) / ?5 FROM n)
         INSERT INTO events (id, received_at, event, account, status, issues, gig_ids, jobs, body_sha256, body_bytes, enqueued_at)
         SELECT substr(printf('%012x', ms), 1, 8) || '-' || substr(printf('%012x', ms), 9, 4) || '-7000-8000-' || printf('%012x', i),
           strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch'),
           CASE WHEN i % 10 = 1 THEN 'accounts.updated' ELSE 'gigs.updated' END,
           ${accountId(`i % ${ACCOUNTS}`)},
           CASE WHEN i % 50 = 0 THEN 'invalid' WHEN i % 10 = 1 THEN 'recorded' ELSE 'accepted' END,
           CASE WHEN i % 50 = 0 THEN '[{"path":"data.updated_gigs","message":"Invalid type"}]' END,
           1, 1, printf('%064x', i % 1000), 120,
           CASE WHEN i % 50 <> 0 AND i % 10 <> 1 AND i > 20 THEN strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch') END
         FROM t`,
        from,
        Math.min(EVENTS, from + CHUNK),
        now,
        SPAN_MS,
        EVENTS,
      );
    }
    await run(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
       INSERT INTO failures (id, created_at, job_id, kind, account, job, gig_ids, reason, attempts, last_error, status)
       SELECT printf('01900000-0000-7000-8000-%012x', i), ?1, printf('job-%d', i), 'fetch_gigs', ${accountId(`i * 7 % ${ACCOUNTS}`)},
         '{}', 1, 'transient', 20, 'Argyle answered 503', CASE WHEN i % 2 = 0 THEN 'open' ELSE 'redriven' END
       FROM n`,
      new Date(now).toISOString(),
    );
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const login = await fetch(`${stack.url}/console/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: stack.url },
      body: `token=${TOKEN}`,
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    if (!cookie.startsWith("console_session=")) throw new Error(`login failed: ${login.status}`);

    const account = `0187c66e-0000-4000-8000-${(500).toString(16).padStart(12, "0")}`;
    const pages: [string, string][] = [
      ["Overview", "/console"],
      ["Accounts (first page)", "/console/accounts"],
      ["Accounts (failed)", "/console/accounts?status=failed"],
      ["Account page", `/console/accounts/${account}`],
      ["Events (newest)", "/console/events"],
      ["Events (invalid)", "/console/events?status=invalid"],
      ["Events (account)", `/console/events?account=${account}`],
      [
        "Events (gig search)",
        `/console/events?gig=0190${((500 * GIGS_PER_ACCOUNT) % 65536).toString(16).padStart(4, "0")}-aaaa-4bbb-8ccc-${(500 * GIGS_PER_ACCOUNT).toString(16).padStart(12, "0")}`,
      ],
      ["Event detail", ""],
      ["Failures (open)", "/console/failures?status=open"],
      ["Bulk replay confirmation (count)", "/console/events/replay"],
    ];
    const newest = await stack.db.prepare("SELECT id FROM events ORDER BY id DESC LIMIT 1").first<{ id: string }>();
    const detail = pages.find(([name]) => name === "Event detail");
    if (detail && newest) detail[1] = `/console/events/${newest.id}`;

    console.log(
      `\nConsole server time: ${ACCOUNTS.toLocaleString("en-US")} accounts, ${gigs.toLocaleString("en-US")} gigs, ${EVENTS.toLocaleString("en-US")} events (seeded in ${seedSeconds.toFixed(1)} s); ${RUNS} requests per page after one warm-up\n`,
    );
    console.log("| page | median ms | max ms |\n|---|---:|---:|");
    for (const [name, route] of pages) {
      const times: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const started = performance.now();
        const res = await fetch(`${stack.url}${route}`, { headers: { cookie } });
        await res.text();
        if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
        if (i > 0) times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? 0;
      console.log(`| ${name} | ${median.toFixed(1)} | ${(times.at(-1) ?? 0).toFixed(1)} |`);
    }
  } finally {
    await stack.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
