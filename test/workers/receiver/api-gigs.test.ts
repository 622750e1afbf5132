import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import gig from "../../fixtures/gig.json";
import {
  ACCOUNT,
  API_TOKEN,
  api,
  apiJson,
  type Gig,
  insertGigs,
  makeGig,
  ORIGIN,
  removeGigs,
  USER,
} from "../api-helpers.ts";
import { clearTables, countRows, gigIds } from "../helpers.ts";

/** Argyle's documented list envelope. */
interface GigPage {
  next: string | null;
  previous: string | null;
  results: Gig[];
}

const OTHER_ACCOUNT = "0187c66e-ffff-811c-b006-2232f00f426a";
const OTHER_USER = "018051aa-ffff-a0db-2f38-6cfa325e9d69";

/** An ISO start `minutes` after 2023-03-01T00:00:00Z. */
function startAt(minutes: number): string {
  return new Date(Date.UTC(2023, 2, 1) + minutes * 60_000).toISOString();
}

/**
 * Follows `next` from `firstUrl` the way Argyle's clients do, calling `between` after each page.
 * Returns every page.
 */
async function walk(firstUrl: string, between: (page: number) => Promise<void> = async () => {}): Promise<GigPage[]> {
  const pages: GigPage[] = [];
  let url: string | null = firstUrl;
  while (url !== null) {
    const { status, body }: { status: number; body: GigPage } = await apiJson<GigPage>(url);
    expect(status).toBe(200);
    pages.push(body);
    if (pages.length > 100) throw new Error("pagination does not end");
    await between(pages.length);
    url = body.next;
  }
  return pages;
}

const ids = (page: GigPage) => page.results.map((g) => g.id);

/** A gig's place in Argyle's order: newest start first, gigs without a start last, then id. */
type ListKey = readonly [start: number, id: string];
const listKey = (g: Gig): ListKey => [g.start_datetime === null ? -Infinity : Date.parse(g.start_datetime), g.id];
function compareListKeys(a: ListKey, b: ListKey): number {
  if (a[0] !== b[0]) return a[0] > b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

beforeEach(clearTables);

describe("GET /v2/gigs/{id}", () => {
  it("answers the gig exactly as fetched from Argyle: same bytes, same fields, same values", async () => {
    // Tab-indented: a server that parsed and re-serialised the gig could not reproduce this text.
    const text = JSON.stringify(gig, null, "\t");
    await insertGigs([gig], { text });
    const res = await api(`/v2/gigs/${gig.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const received = await res.text();
    expect(received).toBe(text);
    expect(JSON.parse(received)).toEqual(gig);
  });

  it("reads as Argyle documents the gig object: money as decimal strings, nulls kept", async () => {
    await insertGigs([gig]);
    const { body } = await apiJson<Gig>(`/v2/gigs/${gig.id}`);
    expect(body.income).toEqual({
      currency: "USD",
      total_charge: "42.00",
      customer_price: "33.68",
      fees: "8.37",
      total: "30.68",
      pay: "26.58",
      tips: "6.42",
      bonus: "0.00",
      other: "-2.32",
    });
    expect(body.all_datetimes.cancel_at).toBeNull();
    expect(body.task_details.orders[0]?.income.tips).toBeNull();
    expect(Object.keys(body)).toEqual(Object.keys(gig));
  });

  it.each([
    ["unknown", "0187dbfa-0000-a33a-af26-7e12ff408fea"],
    ["not an id", "not-an-id"],
    ["injection-shaped", encodeURIComponent("' OR 1=1 --")],
    ["oversized", "a".repeat(10_000)],
  ])("answers Argyle's 404 for an %s id", async (_label, id) => {
    await insertGigs([gig]);
    const res = await api(`/v2/gigs/${id}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "Not found." });
  });

  it("answers 404 for a removed gig, whether or not its data was ever fetched", async () => {
    const [kept, never] = [makeGig(gigIds(2)[0] as string, startAt(1)), makeGig(gigIds(2)[1] as string, startAt(2))];
    await insertGigs([kept], { removedAt: "2023-03-09T00:00:00Z" });
    await insertGigs([never], { removedAt: "2023-03-09T00:00:00Z", text: null });
    for (const id of [kept.id, never.id]) {
      const res = await api(`/v2/gigs/${id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: "Not found." });
    }
  });
});

describe("GET /v2/gigs: Argyle's list envelope", () => {
  it("answers {results, next, previous} with 10 gigs by default, newest first, and a full next URL", async () => {
    await insertGigs(gigIds(12).map((id, i) => makeGig(id, startAt(i))));
    const res = await api("/v2/gigs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const page = await res.json<GigPage>();
    expect(Object.keys(page)).toEqual(["results", "next", "previous"]);
    expect(page.results).toHaveLength(10);
    expect(page.previous).toBeNull();
    expect(page.next).toMatch(/^https:\/\/receiver\.test\/v2\/gigs\?cursor=[A-Za-z0-9_-]+$/);
    expect(page.results[0]).toEqual(makeGig(gigIds(12)[11] as string, startAt(11)));
  });

  it("serves each result as stored, byte for byte", async () => {
    const text = JSON.stringify(gig, null, 1);
    await insertGigs([gig], { text });
    const raw = await (await api("/v2/gigs")).text();
    expect(raw).toBe(`{"results":[${text}],"next":null,"previous":null}`);
  });

  it("answers an empty list as Argyle does, keys in Argyle's order", async () => {
    expect(await (await api("/v2/gigs")).text()).toBe('{"results":[],"next":null,"previous":null}');
  });

  it("uses the origin the client called, so links work behind any hostname", async () => {
    await insertGigs(gigIds(3).map((id, i) => makeGig(id, startAt(i))));
    const { body } = await apiJson<GigPage>("https://mirror.example.org/v2/gigs?limit=1");
    expect(body.next).toMatch(/^https:\/\/mirror\.example\.org\/v2\/gigs\?cursor=/);
  });

  it("orders as Argyle does: newest start first, then id; gigs without a start last; removed gigs left out", async () => {
    const [a, b, c, d, e] = gigIds(5);
    await insertGigs([
      makeGig(a as string, startAt(5)),
      makeGig(b as string, startAt(1)),
      makeGig(c as string, null),
      makeGig(d as string, startAt(1)),
      makeGig(e as string, startAt(0)),
    ]);
    await removeGigs([e as string]);
    const { body } = await apiJson<GigPage>("/v2/gigs");
    expect(ids(body)).toEqual([a, b, d, c]);
  });

  it("honours limit from 1 to 200", async () => {
    await insertGigs(gigIds(205).map((id, i) => makeGig(id, startAt(i))));
    expect((await apiJson<GigPage>("/v2/gigs?limit=1")).body.results).toHaveLength(1);
    const max = (await apiJson<GigPage>("/v2/gigs?limit=200")).body;
    expect(max.results).toHaveLength(200);
    expect((await apiJson<GigPage>(max.next as string)).body.results).toHaveLength(5);
  });
});

describe("GET /v2/gigs: filters", () => {
  const [g1, g2, g3, g4, g5] = gigIds(5);
  beforeEach(async () => {
    await insertGigs([makeGig(g1 as string, "2023-03-01T23:59:59Z"), makeGig(g2 as string, "2023-03-02T00:00:00Z")]);
    await insertGigs([makeGig(g3 as string, "2023-03-02T12:30:00.250Z")], { user: OTHER_USER });
    await insertGigs([makeGig(g4 as string, "2023-03-03T00:00:00Z", OTHER_ACCOUNT)], { user: OTHER_USER });
    await insertGigs([makeGig(g5 as string, null)]);
  });

  async function list(query: string): Promise<string[]> {
    const { status, body } = await apiJson<GigPage>(`/v2/gigs?${query}`);
    expect(status).toBe(200);
    return ids(body);
  }

  it("filters by account", async () => {
    expect(await list(`account=${ACCOUNT}`)).toEqual([g3, g2, g1, g5]);
    expect(await list(`account=${OTHER_ACCOUNT}`)).toEqual([g4]);
  });

  it("filters by user", async () => {
    expect(await list(`user=${OTHER_USER}`)).toEqual([g4, g3]);
    expect(await list(`user=${USER}`)).toEqual([g2, g1, g5]);
  });

  it("filters by account and user together", async () => {
    expect(await list(`account=${ACCOUNT}&user=${OTHER_USER}`)).toEqual([g3]);
    expect(await list(`account=${OTHER_ACCOUNT}&user=${USER}`)).toEqual([]);
  });

  it("bounds start_datetime inclusively at both ends", async () => {
    expect(await list("from_start_datetime=2023-03-02T00:00:00Z")).toEqual([g4, g3, g2]);
    expect(await list("to_start_datetime=2023-03-02T00:00:00Z")).toEqual([g2, g1]);
    expect(await list("from_start_datetime=2023-03-02T12:30:00.250Z&to_start_datetime=2023-03-03T00:00:00Z")).toEqual([
      g4,
      g3,
    ]);
  });

  it("reads datetimes leniently: bare dates, fractions, offsets, no zone", async () => {
    expect(await list("from_start_datetime=2023-03-02")).toEqual([g4, g3, g2]);
    expect(await list("from_start_datetime=2023-03-02T01:00:00%2B01:00&to_start_datetime=2023-03-02")).toEqual([g2]);
    expect(await list("to_start_datetime=2023-03-01T23:59:59.999999")).toEqual([g1]);
    // An unencoded "+" arrives as a space.
    expect(await list("to_start_datetime=2023-03-02T01:00:00+01:00")).toEqual([g2, g1]);
  });

  it("answers an empty page when from is after to", async () => {
    expect(await list("from_start_datetime=2023-03-03&to_start_datetime=2023-03-01")).toEqual([]);
  });

  it("ignores parameters it does not know, as Argyle does", async () => {
    expect(await list(`account=${OTHER_ACCOUNT}&ordering=-start_datetime&foo=bar`)).toEqual([g4]);
  });

  it("treats empty values as not given", async () => {
    expect(await list("account=&limit=&cursor=")).toEqual([g4, g3, g2, g1, g5]);
  });
});

describe("GET /v2/gigs: bad parameters answer 400 in Argyle's shape", () => {
  it.each([
    ["account=nope", { account: ["Enter a valid UUID."] }],
    ["user=0187c66e-e7e5-811c-b006", { user: ["Enter a valid UUID."] }],
    ["from_start_datetime=yesterday", { from_start_datetime: ["Enter a valid date/time."] }],
    ["to_start_datetime=2023-02-30", { to_start_datetime: ["Enter a valid date/time."] }],
    ["to_start_datetime=2023-03-02T25:00:00Z", { to_start_datetime: ["Enter a valid date/time."] }],
    ["limit=0", { limit: ["Ensure this value is greater than or equal to 1."] }],
    ["limit=201", { limit: ["Ensure this value is less than or equal to 200."] }],
    ["limit=1e9", { limit: ["Enter a whole number."] }],
    ["limit=-5", { limit: ["Enter a whole number."] }],
    ["limit=10.5", { limit: ["Enter a whole number."] }],
    ["limit=999999999999", { limit: ["Enter a whole number."] }],
    ["cursor=garbage", { cursor: ["Invalid cursor."] }],
    ["cursor=eyJ0IjoiZ2lncyJ9", { cursor: ["Invalid cursor."] }], // {"t":"gigs"}: valid base64 JSON, not a cursor
    [
      "account=nope&limit=0&to_start_datetime=x",
      {
        account: ["Enter a valid UUID."],
        limit: ["Ensure this value is greater than or equal to 1."],
        to_start_datetime: ["Enter a valid date/time."],
      },
    ],
  ])("%s", async (query, expected) => {
    const { status, body } = await apiJson(`/v2/gigs?${query}`);
    expect(status).toBe(400);
    expect(body).toEqual(expected);
  });

  it("answers injection-shaped and oversized parameters with a 400 and changes nothing", async () => {
    await insertGigs(gigIds(3).map((id, i) => makeGig(id, startAt(i))));
    const huge = "a".repeat(10_240);
    const hostile = [
      `account=${encodeURIComponent("' OR 1=1 --")}`,
      `user=${encodeURIComponent(`${USER}' OR '1'='1`)}`,
      `from_start_datetime=${encodeURIComponent("2023-03-01'; DROP TABLE gigs; --")}`,
      `to_start_datetime=${encodeURIComponent("0) OR (1=1")}`,
      `limit=${encodeURIComponent("10; DELETE FROM gigs")}`,
      "limit=1e9",
      `cursor=${encodeURIComponent("'; DROP TABLE gigs; --")}`,
      ...["account", "user", "from_start_datetime", "to_start_datetime", "limit", "cursor"].map((p) => `${p}=${huge}`),
    ];
    for (const query of hostile) {
      const res = await api(`/v2/gigs?${query}`);
      expect(res.status, query).toBe(400);
      const body = await res.text();
      expect(body.length, query).toBeLessThan(500); // errors never echo the input
    }
    expect(await countRows("gigs")).toBe(3);
    expect((await apiJson<GigPage>("/v2/gigs")).body.results).toHaveLength(3);
  });

  it("refuses another list's cursor", async () => {
    await env.DB.prepare(
      "INSERT INTO event_bodies (sha256, body, first_received_at) VALUES ('00', x'7b7d', '2024-01-01T00:00:00Z')",
    ).run();
    for (const id of gigIds(2, "0191")) {
      await env.DB.prepare(
        "INSERT INTO events (id, received_at, status, body_sha256, body_bytes) VALUES (?1, '2024-01-01T00:00:00Z', 'recorded', '00', 2)",
      )
        .bind(id)
        .run();
    }
    const events = await apiJson<{ next: string }>("/api/events?limit=1");
    const cursor = new URL(events.body.next).searchParams.get("cursor");
    expect((await apiJson(`/v2/gigs?cursor=${cursor}`)).body).toEqual({ cursor: ["Invalid cursor."] });
  });
});

describe("GET /v2/gigs: keyset pagination", () => {
  it("walking next with limit 7 visits every gig exactly once while new gigs keep arriving", async () => {
    // 50 gigs in random order: ties on start (resolved by id), and ten without a start, so that a
    // page boundary falls inside their run too.
    const original = gigIds(50).map((id, i) => makeGig(id, i % 5 === 0 ? null : startAt(Math.floor(i / 3))));
    await insertGigs([...original].sort(() => Math.random() - 0.5));
    let inserted = 0;
    const pages = await walk("/v2/gigs?limit=7", async () => {
      // Three more per page: before everything, somewhere in the middle, and without a start.
      const fresh = gigIds(3, `02${(inserted++).toString(16).padStart(2, "0")}`);
      await insertGigs([
        makeGig(fresh[0] as string, startAt(-100)),
        makeGig(fresh[1] as string, startAt(Math.floor(Math.random() * 20))),
        makeGig(fresh[2] as string, null),
      ]);
    });
    const seen = pages.flatMap(ids);
    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    for (const g of original) expect(seen).toContain(g.id); // nothing missed
    expect(pages.slice(0, -1).every((p) => p.results.length === 7)).toBe(true);
    // Seen in order: newest start first (gigs without one last), then id.
    const all = pages.flatMap((p) => p.results).map(listKey);
    for (let i = 1; i < all.length; i++) {
      expect(compareListKeys(all[i - 1] as ListKey, all[i] as ListKey)).toBeLessThan(0);
    }
  });

  it("carries filters and limit in the cursor: next needs no other parameter", async () => {
    await insertGigs(gigIds(10).map((id, i) => makeGig(id, startAt(i))));
    await insertGigs(gigIds(10, "0191").map((id, i) => makeGig(id, startAt(i), OTHER_ACCOUNT)));
    const pages = await walk(`/v2/gigs?account=${OTHER_ACCOUNT}&from_start_datetime=${startAt(2)}&limit=3`);
    const newestFirst = gigIds(10, "0191").slice(2).reverse();
    expect(pages.map(ids)).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6, 8)]);
    expect(new URL(pages[0]?.next as string).search).toMatch(/^\?cursor=[^&]+$/);
  });

  it("accepts a cursor with the same filters repeated, or a new limit, and refuses different filters", async () => {
    await insertGigs(gigIds(10).map((id, i) => makeGig(id, startAt(i))));
    const first = (await apiJson<GigPage>(`/v2/gigs?account=${ACCOUNT}&limit=2`)).body;
    const cursor = new URL(first.next as string).searchParams.get("cursor");
    const same = await apiJson<GigPage>(`/v2/gigs?account=${ACCOUNT}&cursor=${cursor}&limit=5`);
    expect(ids(same.body)).toEqual(gigIds(10).reverse().slice(2, 7));
    const other = await apiJson(`/v2/gigs?account=${OTHER_ACCOUNT}&cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ account: [expect.stringContaining("cursor")] });
  });

  it("walks back with previous, page by page, to a first page whose previous is null", async () => {
    const all = gigIds(20).map((id, i) => makeGig(id, i < 4 ? null : startAt(i % 7)));
    await insertGigs(all);
    const forward = await walk("/v2/gigs?limit=6");
    expect(forward.map((p) => p.results.length)).toEqual([6, 6, 6, 2]);
    expect(forward[0]?.previous).toBeNull();
    expect(forward.slice(1).every((p) => p.previous !== null)).toBe(true);

    // From the last page back to the first, following previous.
    const backward: GigPage[] = [forward.at(-1) as GigPage];
    while ((backward.at(-1) as GigPage).previous !== null) {
      backward.push((await apiJson<GigPage>((backward.at(-1) as GigPage).previous as string)).body);
      if (backward.length > 10) throw new Error("previous does not end");
    }
    expect(backward.map(ids).reverse()).toEqual(forward.map(ids));

    // A page reached backwards leads forward again to the same pages.
    const again = (await apiJson<GigPage>(backward.at(-1)?.next as string)).body;
    expect(ids(again)).toEqual(ids(forward[1] as GigPage));
  });

  it("leaves out gigs removed between pages, and an emptied page still leads back", async () => {
    const all = gigIds(5).map((id, i) => makeGig(id, startAt(i)));
    await insertGigs(all);
    const first = (await apiJson<GigPage>("/v2/gigs?limit=2")).body;
    expect(ids(first)).toEqual(gigIds(5).slice(3).reverse());
    await removeGigs(gigIds(5).slice(0, 3));
    const emptied = (await apiJson<GigPage>(first.next as string)).body;
    expect(emptied).toEqual({ next: null, previous: expect.any(String), results: [] });
    // The way back still includes the gig the emptied page started after.
    const back = (await apiJson<GigPage>(emptied.previous as string)).body;
    expect(ids(back)).toEqual(gigIds(5).slice(3).reverse());
  });

  it("pages within a time window without re-reading what lies before it", async () => {
    await insertGigs(gigIds(30).map((id, i) => makeGig(id, i < 3 ? null : startAt(i))));
    const pages = await walk(`/v2/gigs?from_start_datetime=${startAt(10)}&to_start_datetime=${startAt(20)}&limit=4`);
    expect(pages.flatMap(ids)).toEqual(gigIds(30).slice(10, 21).reverse());
    const last = pages.at(-1) as GigPage;
    const back = (await apiJson<GigPage>(last.previous as string)).body;
    expect(ids(back)).toEqual(gigIds(30).slice(13, 17).reverse());
  });

  it("keeps the token out of next and previous links", async () => {
    await insertGigs(gigIds(3).map((id, i) => makeGig(id, startAt(i))));
    const page1 = (await apiJson<GigPage>("/v2/gigs?limit=1")).body;
    const page2 = (await apiJson<GigPage>(page1.next as string)).body;
    for (const url of [page1.next, page2.next, page2.previous]) {
      expect(url).not.toContain(API_TOKEN);
      expect(url?.startsWith(`${ORIGIN}/v2/gigs?cursor=`)).toBe(true);
    }
  });
});

describe("when D1 fails", () => {
  it("answers 503 with Retry-After, so a client retries instead of giving up", async () => {
    vi.spyOn(env.DB, "prepare").mockImplementation(() => {
      throw new Error("D1_ERROR: Network connection lost.");
    });
    vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      for (const path of ["/v2/gigs", `/v2/gigs/${gigIds(1)[0]}`, "/api/events", "/api/accounts"]) {
        const res = await api(path);
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
      }
    } finally {
      vi.restoreAllMocks();
    }
  });
});
