import { describe, expect, it } from "vitest";
import { verifySignature } from "../../../src/domain/signature.ts";
import { parseWebhook } from "../../../src/domain/webhook-schema.ts";
import type { Gig, Webhook } from "../../../src/local-argyle/model.ts";
import { MutationError } from "../../../src/local-argyle/store.ts";
import { call, localArgyle } from "./helpers.ts";

const encoder = new TextEncoder();

/** The envelope as the receiver would parse it: proves the shape matches Argyle's docs. */
function asReceived(event: string, data: unknown) {
  return parseWebhook(encoder.encode(JSON.stringify({ event, name: "test", data })));
}

describe("store changes", () => {
  it("updateGigs changes the gigs, bumps updated_at strictly later, and describes it as gigs.updated", async () => {
    // A clock stuck far in the past still yields later updated_at values.
    const argyle = localArgyle({ now: () => 0 });
    const account = argyle.store.accounts()[1]?.id as string;
    const before = new Map(argyle.store.gigsOf(account).map((g) => [g.id, g]));
    const change = argyle.store.updateGigs(account, 6);

    expect(change.event).toBe("gigs.updated");
    expect(Object.keys(change.data)).toEqual([
      "account",
      "user",
      "available_from",
      "available_to",
      "available_count",
      "updated_count",
      "updated_gigs",
      "updated_from",
      "updated_to",
    ]);
    expect(asReceived(change.event, change.data).kind).toBe("gig");
    const ids = change.gigIds;
    expect(ids).toHaveLength(6);
    expect(change.data).toMatchObject({ updated_count: 6, updated_gigs: ids, available_count: 140 });
    const starts = ids.map((id) => before.get(id)?.start_datetime as string).sort();
    expect(change.data).toMatchObject({ updated_from: starts[0], updated_to: starts.at(-1) });
    for (const id of ids) {
      const old = before.get(id) as Gig;
      const response = await call(argyle, `/v2/gigs/${id}`);
      const now = (await response.json()) as Gig;
      expect(Date.parse(now.updated_at)).toBeGreaterThan(Date.parse(old.updated_at));
      expect({ ...now, updated_at: old.updated_at }).not.toEqual(old);
      expect(now.start_datetime).toBe(old.start_datetime);
      // What was handed out before stays as it was.
      expect(argyle.store.gig(id)).not.toBe(old);
    }
  });

  it("updateGigs takes exact IDs, but only the account's own", () => {
    const argyle = localArgyle();
    const [a, b] = argyle.store.accounts();
    const ids = argyle.store
      .gigsOf(a?.id as string)
      .slice(0, 2)
      .map((g) => g.id);
    expect(argyle.store.updateGigs(a?.id as string, ids).gigIds).toEqual(ids);
    expect(() => argyle.store.updateGigs(b?.id as string, ids)).toThrow(MutationError);
  });

  it("removeGigs removes gigs from GET and lists, and describes it as gigs.removed", async () => {
    const argyle = localArgyle();
    const account = argyle.store.accounts()[0]?.id as string;
    const change = argyle.store.removeGigs(account, 3);
    expect(change.event).toBe("gigs.removed");
    expect(change.data).toMatchObject({ removed_count: 3, removed_gigs: change.gigIds, available_count: 22 });
    expect(asReceived(change.event, change.data).kind).toBe("gig");
    for (const id of change.gigIds) expect((await call(argyle, `/v2/gigs/${id}`)).status).toBe(404);
    const listed = (await (await call(argyle, `/v2/gigs?account=${account}&limit=200`)).json()) as { results: Gig[] };
    expect(listed.results).toHaveLength(22);
    expect(listed.results.some((g) => change.gigIds.includes(g.id))).toBe(false);
  });

  it("addGigs adds recent gigs that a list of the added window finds exactly", async () => {
    const argyle = localArgyle();
    const account = argyle.store.accounts()[2]?.id as string;
    const change = argyle.store.addGigs(account, 5);
    expect(change.event).toBe("gigs.added");
    expect(change.data).toMatchObject({ added_count: 5, available_count: 65 });
    expect(asReceived(change.event, change.data).kind).toBe("gig");
    const { added_from, added_to } = change.data as { added_from: string; added_to: string };
    const path = `/v2/gigs?account=${account}&from_start_datetime=${added_from}&to_start_datetime=${added_to}`;
    const listed = (await (await call(argyle, path)).json()) as { results: Gig[] };
    expect(listed.results.map((g) => g.id).sort()).toEqual([...change.gigIds].sort());
    expect(change.data).toMatchObject({ available_to: added_to });
    for (const gig of listed.results) {
      expect(Object.keys(gig)).toEqual(Object.keys(argyle.store.gigsOf(account)[0] as Gig));
      expect(gig.created_at).toBe(gig.updated_at);
    }
  });

  it("builds gigs.partially_synced and gigs.fully_synced payloads for an account", () => {
    const argyle = localArgyle();
    const account = argyle.store.accounts()[1]?.id as string;
    const partial = argyle.store.partiallySynced(account, 3);
    expect(partial.data).toMatchObject({ days_synced: 3 });
    const { available_from, available_to, available_count } = partial.data;
    expect(available_count).toBeGreaterThan(0);
    expect(available_count).toBeLessThan(140);
    expect(Date.parse(available_to ?? "") - Date.parse(available_from ?? "")).toBeLessThanOrEqual(3 * 86_400_000);
    expect(asReceived(partial.event, partial.data).kind).toBe("gig");

    const full = argyle.store.fullySynced(account);
    expect(full.data).toEqual(argyle.store.availability(account));
    expect(full.data.available_count).toBe(140);
    expect(asReceived(full.event, full.data).kind).toBe("gig");
  });
});

describe("mutate → signed webhook deliveries", () => {
  async function subscribe(argyle: ReturnType<typeof localArgyle>, body: object): Promise<Webhook> {
    const response = await call(argyle, "/v2/webhooks", { method: "POST", body: JSON.stringify(body) });
    return (await response.json()) as Webhook;
  }

  function capturing() {
    const received: { request: Request; body: Uint8Array<ArrayBuffer> }[] = [];
    const deliver = async (request: Request) => {
      received.push({ request, body: new Uint8Array(await request.arrayBuffer()) });
      return new Response(null, { status: request.url.includes("broken") ? 500 : 202 });
    };
    return { received, deliver };
  }

  it("POSTs the event, signed with each subscription's secret, to the subscriptions of it", async () => {
    const { received, deliver } = capturing();
    const argyle = localArgyle({ deliver });
    const signed = await subscribe(argyle, {
      name: "mirror",
      url: "https://r.test/a",
      events: ["gigs.updated"],
      secret: "k1",
    });
    const all = await subscribe(argyle, { name: "everything", url: "https://r.test/b", events: ["*"], secret: "k2" });
    await subscribe(argyle, { name: "other", url: "https://r.test/c", events: ["gigs.added"], secret: "k3" });
    const unsigned = await subscribe(argyle, { name: "plain", url: "https://r.test/broken", events: ["gigs.updated"] });

    const result = await argyle.mutate({ action: "update", count: 4 });

    expect(result.gig_ids).toHaveLength(4);
    expect(received.map((r) => r.request.url).sort()).toEqual([
      "https://r.test/a",
      "https://r.test/b",
      "https://r.test/broken",
    ]);
    const statuses = Object.fromEntries(result.deliveries.map((d) => [d.webhook, d.status]));
    expect(statuses).toEqual({ [signed.id]: 202, [all.id]: 202, [unsigned.id]: 500 });

    for (const { request, body } of received) {
      expect(request.method).toBe("POST");
      expect(request.headers.get("content-type")).toBe("application/json");
      const envelope = JSON.parse(new TextDecoder().decode(body));
      expect(envelope).toEqual({ event: "gigs.updated", name: expect.any(String), data: result.payload.data });
      const header = request.headers.get("x-argyle-signature");
      if (request.url.endsWith("/a")) {
        expect(envelope.name).toBe("mirror");
        expect(header).toMatch(/^[0-9a-f]{128}$/);
        expect(await verifySignature(["k1"], body, header)).toBe(true);
        expect(await verifySignature(["k2"], body, header)).toBe(false);
      } else if (request.url.endsWith("/b")) {
        expect(await verifySignature(["k2"], body, header)).toBe(true);
      } else {
        // Argyle signs only when the subscription has a secret.
        expect(header).toBeNull();
      }
    }
    const sent = (await (await call(argyle, `/v2/webhooks/${signed.id}`)).json()) as Webhook;
    expect(sent.last_sent_at).toEqual(expect.stringMatching(/Z$/));
    expect(argyle.store.webhooks.all().find((w) => w.name === "other")?.last_sent_at).toBeNull();
    expect(argyle.stats.snapshot()).toMatchObject({ deliveries: 3, deliveriesOk: 2 });
  });

  it("reports a subscription it cannot reach with status null and the error", async () => {
    const argyle = localArgyle({ deliver: () => Promise.reject(new TypeError("fetch failed")) });
    await subscribe(argyle, { name: "x", url: "https://r.test/x", events: ["gigs.removed"], secret: "s" });
    const result = await argyle.mutate({ action: "remove", count: 1 });
    expect(result.deliveries).toEqual([expect.objectContaining({ status: null, error: "TypeError: fetch failed" })]);
    expect(argyle.store.gig(result.gig_ids[0] as string)).toBeUndefined();
  });

  it("tells each gigs.partially_synced subscription the days it asked for", async () => {
    const { received, deliver } = capturing();
    const argyle = localArgyle({ deliver });
    const base = { events: ["gigs.partially_synced"], secret: "s" };
    await subscribe(argyle, { ...base, name: "d7", url: "https://r.test/7", config: { days_synced: 7 } });
    await subscribe(argyle, { ...base, name: "default", url: "https://r.test/default" });
    const result = await argyle.mutate({ action: "partially_synced" });
    const days = Object.fromEntries(
      received.map(({ request, body }) => [
        new URL(request.url).pathname,
        JSON.parse(new TextDecoder().decode(body)).data.days_synced,
      ]),
    );
    expect(days).toEqual({ "/7": 7, "/default": 30 });
    expect(result.deliveries.map((d) => d.days_synced).sort()).toEqual([30, 7]);
  });
  it("webhook faults, for the alert rules: a wrong signature, data without its account, or nothing sent", async () => {
    const { received, deliver } = capturing();
    const argyle = localArgyle({ deliver });
    await subscribe(argyle, { name: "s", url: "https://r.test/s", events: ["gigs.updated"], secret: "k" });

    argyle.faults.update({ webhookSignatureWrong: true });
    await argyle.mutate({ action: "update", count: 1 });
    const wrong = received.at(-1);
    expect(
      await verifySignature(
        ["k"],
        wrong?.body as Uint8Array<ArrayBuffer>,
        wrong?.request.headers.get("x-argyle-signature") ?? "",
      ),
    ).toBe(false);

    argyle.faults.update({ webhookSignatureWrong: false, webhookDataInvalid: true });
    await argyle.mutate({ action: "update", count: 1 });
    const invalid = received.at(-1);
    expect(
      await verifySignature(
        ["k"],
        invalid?.body as Uint8Array<ArrayBuffer>,
        invalid?.request.headers.get("x-argyle-signature") ?? "",
      ),
    ).toBe(true);
    const data = JSON.parse(new TextDecoder().decode(invalid?.body)).data;
    expect(data.account).toBeUndefined();
    expect(asReceived("gigs.updated", data).kind).toBe("invalid");

    argyle.faults.update({ webhookDataInvalid: false, webhooksPaused: true });
    const count = received.length;
    const paused = await argyle.mutate({ action: "update", count: 1 });
    expect(received).toHaveLength(count);
    expect(paused.deliveries).toEqual([
      expect.objectContaining({ status: null, error: "not sent: webhooksPaused fault" }),
    ]);
  });
});

describe("control API", () => {
  const local = (argyle: ReturnType<typeof localArgyle>, path: string, init?: RequestInit) =>
    argyle.app.request(`http://argyle.test/_local${path}`, init);

  it("POST /_local/mutate applies a change for the given account and answers with its webhook", async () => {
    const received: string[] = [];
    const deliver = async (request: Request) => {
      received.push(await request.text());
      return new Response("ok");
    };
    const argyle = localArgyle({ deliver });
    await call(argyle, "/v2/webhooks", {
      method: "POST",
      body: JSON.stringify({ name: "n", url: "https://r.test/", events: ["gigs.added"], secret: "s" }),
    });
    const account = argyle.store.accounts()[2]?.id as string;
    const response = await local(argyle, "/mutate", {
      method: "POST",
      body: JSON.stringify({ action: "add", account, count: 3 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { event: string; gig_ids: string[]; deliveries: { status: number }[] };
    expect(body.event).toBe("gigs.added");
    expect(body.gig_ids).toHaveLength(3);
    expect(body.deliveries.map((d) => d.status)).toEqual([200]);
    expect(received).toHaveLength(1);
    expect(argyle.store.gigsOf(account)).toHaveLength(63);
  });

  it("remove_account forgets the account and its gigs and delivers a signed accounts.removed", async () => {
    const received: { body: string; signature: string | null }[] = [];
    const deliver = async (request: Request) => {
      received.push({ body: await request.text(), signature: request.headers.get("x-argyle-signature") });
      return new Response("ok");
    };
    const argyle = localArgyle({ deliver });
    await call(argyle, "/v2/webhooks", {
      method: "POST",
      body: JSON.stringify({ name: "n", url: "https://r.test/", events: ["accounts.removed"], secret: "s" }),
    });
    const account = argyle.store.accounts()[1] as { id: string; user: string };
    const gig = argyle.store.gigsOf(account.id)[0] as Gig;
    const response = await local(argyle, "/mutate", {
      method: "POST",
      body: JSON.stringify({ action: "remove_account", account: account.id }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ event: "accounts.removed", gig_ids: [] });
    const [delivery] = received;
    const envelope = JSON.parse(delivery?.body ?? "{}");
    expect(envelope).toEqual({
      event: "accounts.removed",
      name: "n",
      data: { account: account.id, user: account.user },
    });
    expect(await verifySignature(["s"], encoder.encode(delivery?.body), delivery?.signature ?? undefined)).toBe(true);
    expect(asReceived(envelope.event, envelope.data).kind).toBe("other");
    // Argyle deleted it: the account and its gigs are gone from every route.
    expect(argyle.store.account(account.id)).toBeUndefined();
    expect((await call(argyle, `/v2/gigs/${gig.id}`)).status).toBe(404);
    const list = (await (await call(argyle, `/v2/gigs?account=${account.id}`)).json()) as { results: unknown[] };
    expect(list.results).toEqual([]);
  });

  it("POST /_local/mutate refuses what it cannot apply with 400", async () => {
    const argyle = localArgyle();
    const gig = argyle.store.gigsOf(argyle.store.accounts()[0]?.id as string)[0] as Gig;
    for (const body of [
      { action: "explode" },
      { action: "update", account: "0190aaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa" },
      { action: "add", ids: [gig.id] },
      { action: "update", account: argyle.store.accounts()[1]?.id, ids: [gig.id] },
      { action: "update", count: 1, ids: [gig.id] },
    ]) {
      const response = await local(argyle, "/mutate", { method: "POST", body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as { issues: string[] }).issues).toHaveLength(1);
    }
    expect(argyle.store.gig(gig.id)).toBe(gig);
  });

  it("GET /_local/accounts lists accounts, users and gig counts", async () => {
    const argyle = localArgyle();
    const body = (await (await local(argyle, "/accounts")).json()) as {
      accounts: { id: string; user: string; gigs: number }[];
    };
    expect(body.accounts.map((a) => a.gigs)).toEqual([25, 140, 60]);
    expect(body.accounts[0]?.user).toBe(body.accounts[1]?.user);
    expect(body.accounts.map((a) => a.id)).toEqual(argyle.store.accounts().map((a) => a.id));
  });

  it("GET /_local/stats counts requests by route and status, fetches per gig and list pages; reset clears", async () => {
    const argyle = localArgyle();
    const [a, b] = argyle.store.gigsOf(argyle.store.accounts()[0]?.id as string) as [Gig, Gig];
    await call(argyle, `/v2/gigs/${a.id}`);
    await call(argyle, `/v2/gigs/${a.id}`);
    await call(argyle, `/v2/gigs/${b.id}`);
    await call(argyle, "/v2/gigs?limit=7");
    await call(argyle, "/v2/gigs?limit=700");
    await argyle.app.request("http://argyle.test/v2/gigs");

    const stats = await (await local(argyle, "/stats")).json();
    expect(stats).toMatchObject({
      requests: { "GET /v2/gigs/:id": { "200": 3 }, "GET /v2/gigs": { "200": 1, "400": 1, "401": 1 } },
      gigFetches: { [a.id]: 2, [b.id]: 1 },
      listPages: 1,
      listedGigs: 7,
    });
    expect(argyle.stats.refetchedIds()).toEqual([a.id]);

    const reset = await local(argyle, "/stats/reset", { method: "POST" });
    expect(await reset.json()).toMatchObject({ requests: {}, gigFetches: {}, listPages: 0 });
    expect(argyle.stats.fetchCount(a.id)).toBe(0);
  });
});
