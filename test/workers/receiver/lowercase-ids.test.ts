/**
 * Argyle IDs are checked for their shape in either case, but rows and lookups compare exact
 * strings: before, `?account=<UPPERCASE>` found nothing, and a webhook with uppercase IDs stored
 * rows no lowercase query found. Every boundary now lowercases: webhook payloads, job messages,
 * the gig object's key fields (its stored text stays byte-exact), and every API parameter.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getGig, listGigs } from "../../../src/domain/argyle-client.ts";
import { parseJob } from "../../../src/domain/jobs.ts";
import { parseWebhook } from "../../../src/domain/webhook-schema.ts";
import updated from "../../fixtures/webhooks/gigs.updated.json";
import { ACCOUNT, apiJson, fetchJob, insertAccount, insertFailure, insertGigs, makeGig } from "../api-helpers.ts";
import { clearTables, postWebhook } from "../helpers.ts";

const GIG = "0187dbfa-6f5e-a33a-af26-7e12ff408fea";
const up = (id: string) => id.toUpperCase();

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("webhook payloads", () => {
  const shouting = JSON.stringify({
    ...updated,
    data: {
      ...updated.data,
      account: up(updated.data.account),
      user: up(updated.data.user),
      updated_gigs: [up(GIG), GIG, up(updated.data.updated_gigs[0] as string)],
    },
  });

  it("parse to lowercase IDs, so one gig named in two cases is one gig", () => {
    const parsed = parseWebhook(new TextEncoder().encode(shouting));
    expect(parsed.kind).toBe("gig");
    if (parsed.kind !== "gig" || parsed.envelope.event !== "gigs.updated") return;
    expect(parsed.envelope.data.account).toBe(updated.data.account);
    expect(parsed.envelope.data.user).toBe(updated.data.user);
    expect(parsed.envelope.data.updated_gigs).toEqual([GIG, GIG, updated.data.updated_gigs[0]]);
  });

  it("are recorded and queued with lowercase IDs", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const res = await postWebhook(shouting);
    expect(res.status).toBe(202);
    const { id } = await res.json<{ id: string }>();
    const row = await env.DB.prepare("SELECT account, user, gig_ids FROM events WHERE id = ?1").bind(id).first();
    expect(row).toEqual({ account: updated.data.account, user: updated.data.user, gig_ids: 2 });
    const jobs = send.mock.calls.flatMap(([messages]) => [...messages].map((m) => m.body));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ account: updated.data.account, user: updated.data.user });
    expect(jobs[0] && "ids" in jobs[0] ? jobs[0].ids : null).toEqual([GIG, updated.data.updated_gigs[0]]);
  });

  it("an invalid event is filed under its lowercase account", async () => {
    const body = JSON.stringify({ event: "gigs.updated", name: "n", data: { account: up(ACCOUNT), user: 5 } });
    const res = await postWebhook(body);
    const { id, status } = await res.json<{ id: string; status: string }>();
    expect(status).toBe("invalid");
    const row = await env.DB.prepare("SELECT account FROM events WHERE id = ?1").bind(id).first();
    expect(row).toEqual({ account: ACCOUNT });
  });
});

describe("job messages", () => {
  it("parse to lowercase IDs (a message queued before this fix, or redriven from a failure)", () => {
    const parsed = parseJob(fetchJob({ account: up(ACCOUNT), user: up(updated.data.user), ids: [up(GIG)] }));
    expect(parsed.success).toBe(true);
    expect(parsed.output).toMatchObject({ account: ACCOUNT, user: updated.data.user, ids: [GIG] });
  });
});

describe("gig objects from Argyle", () => {
  const options = (text: string) => ({
    baseUrl: "https://argyle.test/v2",
    keyId: "k",
    keySecret: "s",
    timeoutMs: 1000,
    fetch: async () => new Response(text),
  });

  it("get lowercase key fields, while the stored text stays exactly as Argyle sent it", async () => {
    const text = JSON.stringify(makeGig(up(GIG), "2023-03-01T00:00:00Z", up(ACCOUNT)));
    const fetched = await getGig(options(text), GIG);
    expect(fetched.gig.id).toBe(GIG);
    expect(fetched.gig.account).toBe(ACCOUNT);
    expect(fetched.json).toBe(text);
    const page = await listGigs(
      options(JSON.stringify({ next: null, previous: null, results: [JSON.parse(text)] })),
      {},
    );
    expect(page.gigs.map((g) => [g.gig.id, g.gig.account])).toEqual([[GIG, ACCOUNT]]);
    expect(page.gigs[0]?.json).toBe(text);
  });
});

describe("API parameters", () => {
  beforeEach(async () => {
    await insertGigs([makeGig(GIG, "2023-03-01T00:00:00Z")]);
    await insertAccount({ id: ACCOUNT });
    await insertFailure({ id: "0190c0de-0000-7000-8000-0000000000aa" });
    await postWebhook(JSON.stringify(updated));
  });

  it("/v2/gigs?account= and /v2/gigs/{id} find rows whatever the case", async () => {
    const list = await apiJson<{ results: { id: string }[] }>(`/v2/gigs?account=${up(ACCOUNT)}`);
    expect(list.body.results.map((g) => g.id)).toEqual([GIG]);
    const byUser = await apiJson<{ results: { id: string }[] }>(`/v2/gigs?user=${up(updated.data.user)}`);
    expect(byUser.body.results.map((g) => g.id)).toEqual([GIG]);
    expect((await apiJson(`/v2/gigs/${up(GIG)}`)).status).toBe(200);
  });

  it("/api/accounts/{id}, /api/events?account= and /api/failures?account= find rows whatever the case", async () => {
    const account = await apiJson<{ id: string }>(`/api/accounts/${up(ACCOUNT)}`);
    expect(account.status).toBe(200);
    expect(account.body.id).toBe(ACCOUNT);
    const events = await apiJson<{ data: unknown[] }>(`/api/events?account=${up(ACCOUNT)}`);
    expect(events.body.data).toHaveLength(1);
    const failures = await apiJson<{ data: unknown[] }>(`/api/failures?account=${up(ACCOUNT)}`);
    expect(failures.body.data).toHaveLength(1);
  });

  it("/api/events/{id} and /api/failures/{id}/retry accept our own IDs in upper case too", async () => {
    const events = await apiJson<{ data: { id: string }[] }>("/api/events");
    const eventId = events.body.data[0]?.id as string;
    expect((await apiJson(`/api/events/${up(eventId)}`)).status).toBe(200);
    const retry = await apiJson(`/api/failures/${up("0190c0de-0000-7000-8000-0000000000aa")}/retry`, {
      method: "POST",
    });
    expect(retry.status).toBe(202);
  });
});
