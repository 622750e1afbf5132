/**
 * The operator console at /console: server-rendered pages (Hono JSX) over the same D1 reads and
 * domain actions as the API, a strict CSP (same-origin CSS and JS only), and its own access
 * control (session cookie or Cloudflare Access; see guard.ts).
 * @module
 */
import { type Context, Hono } from "hono";
import { csrf as originCheck } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import * as v from "valibot";
import { ALERT_LIST, ALERT_STATUSES, acknowledgeAlert, listAlerts } from "../../domain/alerts/read.ts";
import { RULES } from "../../domain/alerts/rules.ts";
import { MAX_BULK_LIMIT, replayInvalidEvents, retryOpenFailures } from "../../domain/bulk-actions.ts";
import { ReplayRequest, RetryRequest } from "../../domain/bulk-params.ts";
import { isArgyleId } from "../../domain/ids.ts";
import { auditStatement } from "../../domain/lifecycle/audit.ts";
import { describeFieldErrors, pageCursors, parseListRequest } from "../../domain/list-params.ts";
import { logInfo } from "../../domain/log.ts";
import { EVENT_LIST, FAILURE_LIST } from "../../domain/ops-list-params.ts";
import { redriveFailure } from "../../domain/redrive.ts";
import { replayEvent } from "../../domain/replay.ts";
import { accountAt } from "../../domain/shards/account-read.ts";
import { shardDb } from "../../domain/shards/bindings.ts";
import { lookupAccount } from "../../domain/shards/directory.ts";
import { gigAccountAcross, storedGigAcross } from "../../domain/shards/gig-by-id.ts";
import { allShardTargets } from "../../domain/shards/read-scope.ts";
import {
  BACKFILL_STATES,
  type BackfillState,
  listConsoleAccounts,
  readAccountDetail,
} from "../../domain/storage/console-accounts.ts";
import {
  buildInvalidEventCountQuery,
  buildOpenFailureCountQuery,
  countMatching,
} from "../../domain/storage/console-bulk.ts";
import { findEventsByGig } from "../../domain/storage/console-events.ts";
import { readOverview } from "../../domain/storage/console-overview.ts";
import { getEventWithBody, listEvents } from "../../domain/storage/events-read.ts";
import { listFailures } from "../../domain/storage/failures.ts";
import { accessConfig } from "./access.ts";
import { consoleSecret, isAdminToken } from "./admin-token.ts";
import { openAlertCount } from "./alerts-hook.ts";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets.ts";
import { withQuery } from "./format.ts";
import { type ConsoleEnv, requirePrincipal } from "./guard.ts";
import { AccountPage, AccountsPage } from "./pages/accounts.tsx";
import { AlertsPage } from "./pages/alerts.tsx";
import { BulkResultPage, EventPage, EventsPage, ReplayConfirmPage } from "./pages/events.tsx";
import { FailuresPage, RetryConfirmPage } from "./pages/failures.tsx";
import { LoginPage } from "./pages/login.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { clearFailures, recordFailure, retryAfterSeconds } from "./rate-limit.ts";
import { endSession, startSession } from "./session.ts";

export const consoleApp = new Hono<ConsoleEnv>();

const ACCOUNTS_PAGE = 50;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

consoleApp.use(
  "*",
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      scriptSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: "no-referrer",
    crossOriginEmbedderPolicy: "require-corp",
  }),
  // Pages show account data: never cached by the browser or anything in between.
  async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  },
  // Hono's Origin check on every form POST, on top of SameSite=Strict and the CSRF token.
  originCheck(),
);

consoleApp.get("/assets/console.css", (c) =>
  c.body(CONSOLE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }),
);
consoleApp.get("/assets/console.js", (c) =>
  c.body(CONSOLE_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }),
);

async function page(
  c: Context,
  element: { toString(): string | Promise<string> },
  status: 200 | 400 | 401 | 404 | 429 = 200,
): Promise<Response> {
  return c.html(`<!doctype html>${await element.toString()}`, status);
}

function clientIp(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

consoleApp.get("/login", async (c) => {
  if (accessConfig(c.env)) return c.redirect("/console", 303);
  return page(c, <LoginPage />);
});

consoleApp.post("/login", async (c) => {
  const secret = consoleSecret(c.env);
  if (!secret || accessConfig(c.env)) return c.redirect("/console", 303);
  const ip = clientIp(c);
  const wait = retryAfterSeconds(ip);
  if (wait > 0) {
    c.header("retry-after", String(wait));
    return page(
      c,
      <LoginPage error={`Too many wrong tokens from your address: try again in ${Math.ceil(wait / 60)} min.`} />,
      429,
    );
  }
  const form = await c.req.parseBody();
  const token = typeof form.token === "string" ? form.token : "";
  if (!(await isAdminToken(c.env, token))) {
    recordFailure(ip);
    logInfo("console login refused", { ip });
    return page(c, <LoginPage error="That is not the admin token." />, 401);
  }
  clearFailures(ip);
  await startSession(c, secret);
  logInfo("console login", { ip });
  return c.redirect("/console", 303);
});

consoleApp.use("*", requirePrincipal);

consoleApp.post("/logout", (c) => {
  endSession(c);
  return c.redirect("/console/login", 303);
});

consoleApp.get("/", async (c) => {
  const p = c.get("principal");
  const nowMs = Date.now();
  const [data, openAlerts] = await Promise.all([readOverview(c.env, c.env.DB, nowMs), openAlertCount(c.env.DB)]);
  return page(c, <OverviewPage data={data} openAlerts={openAlerts} csrf={p.csrf} who={p.who} nowMs={nowMs} />);
});

consoleApp.get("/accounts", async (c) => {
  const p = c.get("principal");
  const statusParam = c.req.query("status");
  const status = BACKFILL_STATES.includes(statusParam as BackfillState) ? (statusParam as BackfillState) : undefined;
  const after = c.req.query("after");
  const targets = await allShardTargets(c.env, c.env.DB);
  const { rows, next } = await listConsoleAccounts(c.env.DB, targets, {
    ...(status ? { status } : {}),
    ...(after && isArgyleId(after) ? { after } : {}),
    limit: ACCOUNTS_PAGE,
  });
  return page(c, <AccountsPage rows={rows} status={status} next={next} csrf={p.csrf} who={p.who} nowMs={Date.now()} />);
});

consoleApp.get("/accounts/:id", async (c) => {
  const p = c.get("principal");
  const id = c.req.param("id").toLowerCase();
  // The directory names the account's shard; its page reads that shard and the catalog's events.
  const entry = isArgyleId(id) ? await lookupAccount(c.env.DB, id) : null;
  const [account, detail] = entry
    ? await Promise.all([
        accountAt(c.env, c.env.DB, entry),
        readAccountDetail(c.env.DB, shardDb(c.env, entry.shard), id),
      ])
    : [null, null];
  if (!account || !detail) return c.text("No account has this id.", 404);
  return page(
    c,
    <AccountPage
      account={account}
      gigs={detail.gigs}
      events={detail.events}
      csrf={p.csrf}
      who={p.who}
      nowMs={Date.now()}
    />,
  );
});

/** A gig's stored JSON, exactly as kept: the console's session cannot use /v2, which wants the API token. */
consoleApp.get("/gigs/:id", async (c) => {
  const id = c.req.param("id").toLowerCase();
  const gig = isArgyleId(id) ? await storedGigAcross(c.env, c.env.DB, id) : null;
  if (!gig) return c.text("No gig has this id.", 404);
  const text = gig.data ?? JSON.stringify({ id, removed_at: gig.removed_at, note: "tombstone: never fetched" });
  return c.body(text, 200, { "content-type": "application/json; charset=utf-8", "content-disposition": "inline" });
});

consoleApp.get("/events", async (c) => {
  const p = c.get("principal");
  const q = c.req.query();
  const filters = { event: q.event, status: q.status, account: q.account, since: q.since, gig: q.gig };
  const nowMs = Date.now();
  const notice = q.replayed && isArgyleId(q.replayed) ? `Replayed as event ${q.replayed}.` : undefined;
  if (q.gig) {
    const gig = q.gig.trim().toLowerCase();
    if (!isArgyleId(gig))
      return page(
        c,
        <EventsPage
          rows={[]}
          filters={filters}
          next={null}
          error="A gig ID has the shape 8-4-4-4-12 hex."
          csrf={p.csrf}
          who={p.who}
          nowMs={nowMs}
        />,
        400,
      );
    const rows = await findEventsByGig(c.env.DB, gig, await gigAccountAcross(c.env, gig));
    return page(c, <EventsPage rows={rows} filters={filters} next={null} csrf={p.csrf} who={p.who} nowMs={nowMs} />);
  }
  const { gig: _gig, replayed: _replayed, ...listQuery } = q;
  const parsed = parseListRequest(EVENT_LIST, listQuery);
  if (!parsed.ok) {
    return page(
      c,
      <EventsPage
        rows={[]}
        filters={filters}
        next={null}
        error={describeFieldErrors(parsed.errors)}
        csrf={p.csrf}
        who={p.who}
        nowMs={nowMs}
      />,
      400,
    );
  }
  const request = parsed.value;
  const result = await listEvents(c.env.DB, request);
  const edges = { first: result.rows[0]?.id, last: result.rows.at(-1)?.id };
  const next = pageCursors(EVENT_LIST, request, edges, result.hasMore).next;
  const shown = q.cursor ? { ...filters, ...request.params } : filters;
  return page(
    c,
    <EventsPage
      rows={result.rows}
      filters={shown}
      next={next}
      notice={notice}
      csrf={p.csrf}
      who={p.who}
      nowMs={nowMs}
    />,
  );
});

consoleApp.get("/events/replay", async (c) => {
  const p = c.get("principal");
  const q = c.req.query();
  const filters = { event: q.event || undefined, account: q.account || undefined, since: q.since || undefined };
  const parsed = v.safeParse(ReplayRequest, { filter: definedOnly(filters) });
  if (!parsed.success) return c.text("These filters are not valid: go back and correct them.", 400);
  const matching = await countMatching(c.env.DB, buildInvalidEventCountQuery(parsed.output.filter));
  return page(
    c,
    <ReplayConfirmPage filters={filters} matching={matching} limit={MAX_BULK_LIMIT} csrf={p.csrf} who={p.who} />,
  );
});

consoleApp.post("/events/replay", async (c) => {
  const p = c.get("principal");
  const form = await c.req.parseBody();
  const fields = { event: str(form.event), account: str(form.account), since: str(form.since) };
  const parsed = v.safeParse(ReplayRequest, { filter: definedOnly(fields), cursor: str(form.cursor) ?? null });
  if (!parsed.success) return c.text("These filters are not valid: go back and correct them.", 400);
  // Audited before it acts, like every mutating API call (a D1 failure answers 503).
  await consoleAudit(c.env.DB, "replay", "bulk", parsed.output.filter);
  const report = await replayInvalidEvents(
    { db: c.env.DB, jobs: c.env.JOBS },
    parsed.output.filter,
    parsed.output.cursor,
    MAX_BULK_LIMIT,
  );
  c.executionCtx.waitUntil(report.settle);
  const lines = report.results.map((r) => ({
    id: r.id,
    href: `/console/events/${r.replay_id}`,
    text: `replayed as ${r.replay_id}: ${r.status}`,
  }));
  return page(
    c,
    <BulkResultPage
      title="Replay invalid events"
      screen="events"
      lines={lines}
      stopped={report.stopped}
      next={report.next}
      action="/console/events/replay"
      fields={fields}
      backHref="/console/events?status=invalid"
      csrf={p.csrf}
      who={p.who}
    />,
  );
});

consoleApp.get("/events/:id", async (c) => {
  const p = c.get("principal");
  const id = c.req.param("id").toLowerCase();
  const found = isArgyleId(id) ? await getEventWithBody(c.env.DB, id) : null;
  if (!found) return c.text("No event has this id.", 404);
  let body: string;
  let bodyNote: string | undefined;
  try {
    const text = utf8.decode(found.body);
    try {
      body = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      body = text;
      bodyNote = "Not JSON: shown as received.";
    }
  } catch {
    body = "";
    bodyNote = `Not UTF-8 (${found.body.byteLength} bytes): fetch it as base64 from GET /api/events/${id}.`;
  }
  return page(
    c,
    <EventPage event={found.summary} body={body} bodyNote={bodyNote} csrf={p.csrf} who={p.who} nowMs={Date.now()} />,
  );
});

consoleApp.post("/events/:id/replay", async (c) => {
  const id = c.req.param("id").toLowerCase();
  // The same steps as POST /api/events/{id}/replay: audited once found, before it runs.
  const audit = () => consoleAudit(c.env.DB, "replay", id);
  const result = isArgyleId(id) ? await replayEvent({ db: c.env.DB, jobs: c.env.JOBS }, id, audit) : null;
  if (result === null) return c.text("No event has this id.", 404);
  c.executionCtx.waitUntil(result.settle);
  logInfo("replay", {
    id: result.id,
    replay_of: id,
    status: result.status,
    event: result.event,
    jobs: result.jobs,
    via: "console",
  });
  return c.redirect(`/console/events/${result.id}`, 303);
});

consoleApp.get("/failures", async (c) => {
  const p = c.get("principal");
  const q = c.req.query();
  const nowMs = Date.now();
  const notice =
    q.redriven && isArgyleId(q.redriven)
      ? `Failure ${q.redriven} redriven: its job is back on the queue.`
      : q.already
        ? "That failure was already redriven."
        : undefined;
  const { redriven: _r, already: _a, ...listQuery } = q;
  const parsed = parseListRequest(FAILURE_LIST, listQuery);
  if (!parsed.ok) {
    return page(
      c,
      <FailuresPage
        rows={[]}
        status={q.status}
        account={q.account}
        next={null}
        error={describeFieldErrors(parsed.errors)}
        csrf={p.csrf}
        who={p.who}
        nowMs={nowMs}
      />,
      400,
    );
  }
  const result = await listFailures(c.env.DB, parsed.value);
  const edges = { first: result.rows[0]?.id, last: result.rows.at(-1)?.id };
  const next = pageCursors(FAILURE_LIST, parsed.value, edges, result.hasMore).next;
  const params = parsed.value.params;
  return page(
    c,
    <FailuresPage
      rows={result.rows}
      status={params.status}
      account={params.account}
      next={next}
      notice={notice}
      csrf={p.csrf}
      who={p.who}
      nowMs={nowMs}
    />,
  );
});

consoleApp.get("/failures/retry", async (c) => {
  const p = c.get("principal");
  const account = c.req.query("account") || undefined;
  const parsed = v.safeParse(RetryRequest, { filter: definedOnly({ account }) });
  if (!parsed.success) return c.text("This account filter is not valid: go back and correct it.", 400);
  const matching = await countMatching(c.env.DB, buildOpenFailureCountQuery(parsed.output.filter));
  return page(
    c,
    <RetryConfirmPage account={account} matching={matching} limit={MAX_BULK_LIMIT} csrf={p.csrf} who={p.who} />,
  );
});

consoleApp.post("/failures/retry", async (c) => {
  const p = c.get("principal");
  const form = await c.req.parseBody();
  const fields = { account: str(form.account) };
  const parsed = v.safeParse(RetryRequest, { filter: definedOnly(fields), cursor: str(form.cursor) ?? null });
  if (!parsed.success) return c.text("This account filter is not valid: go back and correct it.", 400);
  await consoleAudit(c.env.DB, "redrive", "bulk", parsed.output.filter);
  const report = await retryOpenFailures(
    { db: c.env.DB, jobs: c.env.JOBS },
    parsed.output.filter,
    parsed.output.cursor,
    MAX_BULK_LIMIT,
  );
  const lines = report.results.map((r) => ({
    id: r.id,
    href: `/console/failures?account=${fields.account ?? ""}`,
    text: r.outcome.replace("_", " "),
  }));
  return page(
    c,
    <BulkResultPage
      title="Redrive failures"
      screen="failures"
      lines={lines}
      stopped={report.stopped}
      next={report.next}
      action="/console/failures/retry"
      fields={fields}
      backHref="/console/failures?status=open"
      csrf={p.csrf}
      who={p.who}
    />,
  );
});

consoleApp.post("/failures/:id/retry", async (c) => {
  const id = c.req.param("id").toLowerCase();
  if (!isArgyleId(id)) return c.text("No failure has this id.", 404);
  await consoleAudit(c.env.DB, "redrive", id);
  // The same path as POST /api/failures/{id}/retry.
  const result = await redriveFailure({ db: c.env.DB, jobs: c.env.JOBS }, id);
  switch (result.outcome) {
    case "not_found":
      return c.text("No failure has this id.", 404);
    case "already_redriven":
      return c.redirect("/console/failures?already=1", 303);
    case "invalid_job":
      return c.text("The stored job no longer matches the job schema; see GET /api/failures for its issues.", 422);
    case "redriven":
      return c.redirect(`/console/failures?redriven=${id}`, 303);
  }
});

consoleApp.get("/alerts", async (c) => {
  const p = c.get("principal");
  const q = c.req.query();
  const nowMs = Date.now();
  const notice =
    q.acknowledged && isArgyleId(q.acknowledged)
      ? `Alert ${q.acknowledged} acknowledged: no more notices for it until it resolves or its rule finds something newer.`
      : q.not_open
        ? "That alert is no longer open (it resolved or went back to pending): nothing to acknowledge."
        : undefined;
  const { acknowledged: _a, not_open: _n, ...listQuery } = q;
  const filters = { status: q.status, rule: q.rule };
  const parsed = parseListRequest(ALERT_LIST, listQuery);
  const live = openAlertCount(c.env.DB);
  if (!parsed.ok) {
    return page(
      c,
      <AlertsPage
        rows={[]}
        live={await live}
        filters={filters}
        next={null}
        error={describeFieldErrors(parsed.errors)}
        csrf={p.csrf}
        who={p.who}
        nowMs={nowMs}
      />,
      400,
    );
  }
  const [result, counts] = await Promise.all([listAlerts(c.env.DB, parsed.value), live]);
  const edges = { first: result.rows[0]?.id, last: result.rows.at(-1)?.id };
  const next = pageCursors(ALERT_LIST, parsed.value, edges, result.hasMore).next;
  const params = parsed.value.params;
  return page(
    c,
    <AlertsPage
      rows={result.rows}
      live={counts}
      filters={{ status: params.status, rule: params.rule }}
      next={next}
      notice={notice}
      csrf={p.csrf}
      who={p.who}
      nowMs={nowMs}
    />,
  );
});

consoleApp.post("/alerts/:id/ack", async (c) => {
  const id = c.req.param("id").toLowerCase();
  if (!isArgyleId(id)) return c.text("No alert has this id.", 404);
  const form = await c.req.parseBody();
  // Back to the list as it was filtered; only known values, so the redirect cannot be steered.
  const status = ALERT_STATUSES.find((s) => s === form.status);
  const rule = RULES.find((r) => r === form.rule);
  await consoleAudit(c.env.DB, "acknowledge", id);
  // The same step as POST /api/alerts/{id}/ack.
  const result = await acknowledgeAlert(c.env.DB, id);
  switch (result.outcome) {
    case "not_found":
      return c.text("No alert has this id.", 404);
    case "not_open":
      return c.redirect(withQuery("/console/alerts", { status, rule, not_open: "1" }), 303);
    case "acknowledged":
      return c.redirect(withQuery("/console/alerts", { status, rule, acknowledged: id }), 303);
  }
});

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function definedOnly(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The audit row of a console action (role `console`: a signed-in session or Cloudflare Access). */
function consoleAudit(
  db: D1Database,
  action: "replay" | "redrive" | "acknowledge",
  target: string,
  filter?: object,
): Promise<unknown> {
  const detail = filter
    ? { bulk: true, ...Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v == null ? null : String(v)])) }
    : null;
  return auditStatement(db, { action, tokenRole: "console", target, detail }).run();
}
