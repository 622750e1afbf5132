import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Gig } from "../../../src/local-argyle/model.ts";
import { allPages, call, type ListBody, localArgyle, ORIGIN } from "./helpers.ts";

const argyle = localArgyle();
const [small, large, other] = argyle.store.accounts().map((a) => a.id) as [string, string, string];

/** Argyle's list order: newest start first, then ID ascending. */
type ListKey = readonly [startMs: number, id: string];
const listKey = (g: Gig): ListKey => [Date.parse(g.start_datetime), g.id];
function compareListKeys(a: ListKey, b: ListKey): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

async function list(path: string): Promise<ListBody<Gig>> {
  const response = await call(argyle, path);
  expect(response.status).toBe(200);
  return (await response.json()) as ListBody<Gig>;
}

describe("GET /v2/gigs/:id", () => {
  it("returns the gig object as the store holds it", async () => {
    const gig = argyle.store.gigsOf(large)[7] as Gig;
    const response = await call(argyle, `/v2/gigs/${gig.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(gig);
  });

  it("answers an unknown or malformed ID with 404 {detail: 'Not found.'}", async () => {
    for (const id of ["0190aaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "nope"]) {
      const response = await call(argyle, `/v2/gigs/${id}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: "Not found." });
    }
  });
});

describe("GET /v2/gigs", () => {
  it("lists 10 gigs by default, newest start first then ID, keys in Argyle's order, with no previous link", async () => {
    const body = await list("/v2/gigs");
    expect(Object.keys(body)).toEqual(["results", "next", "previous"]);
    expect(body.results).toHaveLength(10);
    expect(body.previous).toBeNull();
    expect(body.results.map(listKey)).toEqual(body.results.map(listKey).sort(compareListKeys));
    expect(body.results[0]?.start_datetime).toBe(
      argyle.store
        .accounts()
        .flatMap((a) => argyle.store.gigsOf(a.id).map((g) => g.start_datetime))
        .sort()
        .at(-1),
    );
  });

  it("filters by account and by user (a user's accounts together)", async () => {
    const byAccount = (await allPages(argyle, `/v2/gigs?account=${small}&limit=200`)).flatMap((p) => p.results);
    expect(byAccount.map((g) => g.id)).toEqual(argyle.store.gigsOf(small).map((g) => g.id));

    const user = argyle.store.account(small)?.user;
    const byUser = (await allPages(argyle, `/v2/gigs?user=${user}&limit=200`)).flatMap((p) => p.results);
    expect(byUser).toHaveLength(25 + 140);
    expect(new Set(byUser.map((g) => g.account))).toEqual(new Set([small, large]));

    const mismatch = await list(`/v2/gigs?account=${other}&user=${user}`);
    expect(mismatch).toEqual({ next: null, previous: null, results: [] });
  });

  it("treats from/to_start_datetime as inclusive bounds", async () => {
    const gigs = argyle.store.gigsOf(large);
    const from = gigs[40]?.start_datetime as string;
    const to = gigs[20]?.start_datetime as string;
    const expected = gigs.filter((g) => g.start_datetime >= from && g.start_datetime <= to).map((g) => g.id);
    const path = `/v2/gigs?account=${large}&from_start_datetime=${from}&to_start_datetime=${to}&limit=200`;
    const body = await list(path);
    expect(body.results.map((g) => g.id)).toEqual(expected);
    // Newest first: the window's latest start leads.
    expect(body.results[0]?.start_datetime).toBe(to);
    expect(body.results.at(-1)?.start_datetime).toBe(from);
    // The same instant written with an offset selects the same gigs.
    const shifted = new Date(Date.parse(from)).toISOString().replace("Z", "+00:00").replace("+", "%2B");
    const again = await list(
      `/v2/gigs?account=${large}&from_start_datetime=${shifted}&to_start_datetime=${to}&limit=200`,
    );
    expect(again.results.map((g) => g.id)).toEqual(expected);
  });

  it("visits every gig exactly once, whatever the page size and filters", async () => {
    const gigs = argyle.store.gigsOf(large);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: gigs.length - 1 }),
        fc.integer({ min: 0, max: gigs.length - 1 }),
        async (limit, i, j) => {
          const from = gigs[Math.min(i, j)]?.start_datetime as string;
          const to = gigs[Math.max(i, j)]?.start_datetime as string;
          const path = `/v2/gigs?account=${large}&limit=${limit}&from_start_datetime=${from}&to_start_datetime=${to}`;
          const pages = await allPages(argyle, path);
          const seen = pages.flatMap((p) => p.results.map((g) => g.id));
          const expected = gigs.filter((g) => g.start_datetime >= from && g.start_datetime <= to).map((g) => g.id);
          expect(seen).toEqual(expected);
          expect(pages.every((p) => p.results.length <= limit)).toBe(true);
        },
      ),
      { numRuns: 40, seed: 1 },
    );
  });

  it("keeps the walk exact while gigs are added and updated between pages", async () => {
    const fresh = localArgyle();
    const account = fresh.store.accounts()[1]?.id as string;
    const before = fresh.store.gigsOf(account).map((g) => g.id);
    const added: string[] = [];
    const pages = await allPages(fresh, `/v2/gigs?account=${account}&limit=15`, (page) => {
      if (page % 2 === 0) added.push(...fresh.store.addGigs(account, 2).gigIds);
      if (page % 3 === 0) fresh.store.updateGigs(account, 4);
    });
    const seen = pages.flatMap((p) => p.results);
    const ids = seen.map((g) => g.id);
    // Nothing twice, nothing that existed skipped, nothing out of order.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => before.includes(id))).toEqual(before);
    expect(seen.map(listKey)).toEqual(seen.map(listKey).sort(compareListKeys));
    expect(ids.every((id) => before.includes(id) || added.includes(id))).toBe(true);
    // New gigs are recent, so they land at the head of a newest-first list: a new walk starts with them.
    const again = (await allPages(fresh, `/v2/gigs?account=${account}&limit=200`)).flatMap((p) => p.results);
    expect(new Set(again.slice(0, added.length).map((g) => g.id))).toEqual(new Set(added));
  });

  it("links next and previous on the request's own origin, with only a cursor", async () => {
    const first = await list(`/v2/gigs?account=${large}&limit=5`);
    expect(first.next).toMatch(new RegExp(`^${ORIGIN}/v2/gigs\\?cursor=[A-Za-z0-9_-]+$`));
    const second = await list(first.next as string);
    expect(second.previous).toMatch(/\/v2\/gigs\?cursor=/);
    const back = await list(second.previous as string);
    expect(back.results.map((g) => g.id)).toEqual(first.results.map((g) => g.id));
    expect(back.previous).toBeNull();

    const last = (await allPages(argyle, `/v2/gigs?account=${large}&limit=50`)).at(-1);
    expect(last?.next).toBeNull();
    expect(last?.results.at(-1)?.id).toBe(argyle.store.gigsOf(large).at(-1)?.id);

    const viaOtherHost = await argyle.app.request(
      new Request(`http://127.0.0.1:8788/v2/gigs?limit=1`, { headers: { authorization: authOf() } }),
    );
    expect(((await viaOtherHost.json()) as ListBody<Gig>).next).toMatch(
      /^http:\/\/127\.0\.0\.1:8788\/v2\/gigs\?cursor=/,
    );
  });

  it("walks backward through previous links to the first page", async () => {
    const forward = await allPages(argyle, `/v2/gigs?account=${small}&limit=4`);
    let page = forward.at(-1) as ListBody<Gig>;
    const backward = [page];
    while (page.previous) {
      page = await list(page.previous);
      backward.unshift(page);
    }
    expect(backward.map((p) => p.results.map((g) => g.id))).toEqual(forward.map((p) => p.results.map((g) => g.id)));
  });

  it("answers limit out of 1..200 and malformed filters with DRF-style 400s", async () => {
    const cases: [string, Record<string, string[]>][] = [
      ["limit=201", { limit: ["Ensure this value is less than or equal to 200."] }],
      ["limit=0", { limit: ["Ensure this value is greater than or equal to 1."] }],
      ["limit=ten", { limit: ["A valid integer is required."] }],
      ["account=not-a-uuid", { account: ["Must be a valid UUID."] }],
      ["user=123", { user: ["Must be a valid UUID."] }],
      ["from_start_datetime=2023-13-01T00:00:00Z", { from_start_datetime: ["Enter a valid date/time."] }],
      // An unencoded "+" arrives as a space: Argyle refuses it, so a client must encode it.
      ["to_start_datetime=2023-03-01T00:00:00+00:00", { to_start_datetime: ["Enter a valid date/time."] }],
      ["cursor=bm90LWEtY3Vyc29y", { cursor: ["Invalid cursor"] }],
      ["cursor=%%%", { cursor: ["Invalid cursor"] }],
      [
        "limit=500&account=x",
        { limit: ["Ensure this value is less than or equal to 200."], account: ["Must be a valid UUID."] },
      ],
    ];
    for (const [query, body] of cases) {
      const response = await call(argyle, `/v2/gigs?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json(), query).toEqual(body);
    }
    // The bounds themselves are accepted (the dataset has 225 gigs).
    expect((await list("/v2/gigs?limit=200")).results).toHaveLength(200);
    expect((await list("/v2/gigs?limit=1")).results).toHaveLength(1);
  });

  it("refuses a webhooks cursor on the gigs list", async () => {
    await call(argyle, "/v2/webhooks", {
      method: "POST",
      body: JSON.stringify({ name: "a", url: "https://r.test/a", events: ["gigs.added"] }),
    });
    await call(argyle, "/v2/webhooks", {
      method: "POST",
      body: JSON.stringify({ name: "b", url: "https://r.test/b", events: ["gigs.added"] }),
    });
    const webhooks = (await (await call(argyle, "/v2/webhooks?limit=1")).json()) as ListBody<unknown>;
    const cursor = new URL(webhooks.next as string).searchParams.get("cursor");
    const response = await call(argyle, `/v2/gigs?cursor=${cursor}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ cursor: ["Invalid cursor"] });
  });
});

describe("authentication", () => {
  it("answers 401 {detail} without credentials or with wrong ones, on every /v2 route", async () => {
    const wrong = `Basic ${btoa("local-key-id:wrong")}`;
    for (const path of ["/v2/gigs", `/v2/gigs/${argyle.store.gigsOf(small)[0]?.id}`, "/v2/webhooks"]) {
      const variants: Record<string, string>[] = [{}, { authorization: wrong }, { authorization: "Bearer x" }];
      for (const headers of variants) {
        const response = await argyle.app.request(new Request(`${ORIGIN}${path}`, { headers }));
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe('Basic realm="api"');
        expect(await response.json()).toEqual({ detail: "Invalid username/password." });
      }
    }
  });

  it("accepts the configured key", async () => {
    const custom = localArgyle({ keyId: "id-1", keySecret: "s3cret" });
    const ok = await custom.app.request(`${ORIGIN}/v2/gigs`, {
      headers: { authorization: `Basic ${btoa("id-1:s3cret")}` },
    });
    expect(ok.status).toBe(200);
    const old = await custom.app.request(`${ORIGIN}/v2/gigs`, { headers: { authorization: authOf() } });
    expect(old.status).toBe(401);
  });
});

function authOf(): string {
  return `Basic ${btoa("local-key-id:local-key-secret")}`;
}
