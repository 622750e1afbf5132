/**
 * Reads across three gig shards keep the guarantees of one database. Gigs of random accounts
 * placed on SHARD_1..SHARD_3 (written with the consumer's own upsert and tombstone statements,
 * and directory rows): walking `/v2/gigs` by `next` (no filter, a user, an account) yields every
 * live gig once, in exactly the order one database's sort gives, and `previous` walks the same
 * pages back; gigs written between page fetches never make a gig present throughout skipped or
 * repeated. An account mid-move (its rows in two shards) is read once, from its home.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import * as v from "valibot";
import { beforeEach, describe, expect, it } from "vitest";
import { GigSchema } from "../../../src/domain/gig-schema.ts";
import { tombstoneStatements, upsertGigStatements } from "../../../src/domain/storage/gigs.ts";
import { apiJson, type Gig, insertFailure, makeGig, placeAccount, shardBinding } from "../api-helpers.ts";
import { clearTables, gigIds } from "../helpers.ts";

const SHARDS = ["SHARD_1", "SHARD_2", "SHARD_3"] as const;
const ACCOUNTS = Array.from({ length: 5 }, (_, i) => `0187c66e-0000-811c-b006-00000000000${i}`);
const USERS = ["018051aa-0000-a0db-2f38-000000000001", "018051aa-0000-a0db-2f38-000000000002"];
const BASE = Date.UTC(2023, 2, 1);
const iso = (minute: number) => new Date(BASE + minute * 60_000).toISOString();

interface GigPage {
  results: Gig[];
  next: string | null;
  previous: string | null;
}

/** One database's sort: newest start first, no start last, then id ascending. */
function singleDbOrder(a: Gig, b: Gig): number {
  const sa = a.start_datetime === null ? -Infinity : Date.parse(a.start_datetime);
  const sb = b.start_datetime === null ? -Infinity : Date.parse(b.start_datetime);
  if (sa !== sb) return sa > sb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

let clock = Date.now();
/** Observation times only move forward, as a fetch's start does. */
const tick = () => ++clock;

/** Stores gigs alive on `shard` exactly as the consumer's fetch does. */
async function store(shard: string, gigs: Gig[], user: string | null): Promise<void> {
  if (gigs.length === 0) return;
  const db = shardBinding(shard);
  const observed = gigs.map((g) => ({ gig: v.parse(GigSchema, g), json: JSON.stringify(g), syncedMs: tick() }));
  await db.batch(upsertGigStatements(db, observed, user));
}

/** Tombstones gigs on `shard` as a removal does. */
async function tombstone(shard: string, ids: string[], account: string, user: string | null): Promise<void> {
  if (ids.length === 0) return;
  const db = shardBinding(shard);
  await db.batch(
    tombstoneStatements(
      db,
      ids.map((id) => ({ id, syncedMs: tick() })),
      account,
      user,
    ),
  );
}

async function page(url: string): Promise<GigPage> {
  const { status, body } = await apiJson<GigPage>(url);
  expect(status, url).toBe(200);
  return body;
}

/** Every page from `first`, following `next`; `between` runs before each following fetch. */
async function walk(first: string, between: () => Promise<void> = async () => undefined): Promise<GigPage[]> {
  const pages = [await page(first)];
  while ((pages.at(-1) as GigPage).next !== null) {
    await between();
    pages.push(await page((pages.at(-1) as GigPage).next as string));
    if (pages.length > 60) throw new Error("next does not end");
  }
  return pages;
}

const ids = (pages: GigPage[]) => pages.flatMap((p) => p.results.map((g) => g.id));

beforeEach(clearTables);

describe("GET /v2/gigs across 3 shards (property)", () => {
  it("next walks every live gig once in a single database's order, by no filter, user and account; previous walks back the same pages", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
            start: fc.option(fc.integer({ min: 0, max: 5 })),
            removed: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 0, max: SHARDS.length - 1 }), {
          minLength: ACCOUNTS.length,
          maxLength: ACCOUNTS.length,
        }),
        fc.array(fc.integer({ min: 0, max: USERS.length - 1 }), {
          minLength: ACCOUNTS.length,
          maxLength: ACCOUNTS.length,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
        async (specs, placement, owners, limit, pick) => {
          await clearTables();
          const shardOf = (a: number) => SHARDS[placement[a] as number] as string;
          const userOf = (a: number) => USERS[owners[a] as number] as string;
          const gigs = gigIds(specs.length).map((id, i) => {
            const spec = specs[i] as (typeof specs)[number];
            return { gig: makeGig(id, spec.start === null ? null : iso(spec.start), ACCOUNTS[spec.account]), spec };
          });
          for (let a = 0; a < ACCOUNTS.length; a++) {
            const mine = gigs.filter((g) => g.spec.account === a);
            if (mine.length === 0) continue;
            await placeAccount(ACCOUNTS[a] as string, shardOf(a), userOf(a));
            // Reversed: the order must come from the queries and the merge, not from rowids.
            await store(shardOf(a), mine.map((g) => g.gig).reverse(), userOf(a));
            const gone = mine.filter((g) => g.spec.removed).map((g) => g.gig.id);
            await tombstone(shardOf(a), gone, ACCOUNTS[a] as string, userOf(a));
          }
          const live = gigs.filter((g) => !g.spec.removed);
          const walks: [string, (g: (typeof gigs)[number]) => boolean][] = [
            ["", () => true],
            [`&user=${USERS[0]}`, (g) => userOf(g.spec.account) === USERS[0]],
            [`&account=${ACCOUNTS[pick]}`, (g) => g.spec.account === pick],
          ];
          for (const [filter, keep] of walks) {
            const expected = live
              .filter(keep)
              .map((g) => g.gig)
              .sort(singleDbOrder)
              .map((g) => g.id);
            const forward = await walk(`/v2/gigs?limit=${limit}${filter}`);
            expect(ids(forward), filter || "no filter").toEqual(expected);
            const backward = [forward.at(-1) as GigPage];
            while ((backward.at(-1) as GigPage).previous !== null) {
              backward.push(await page((backward.at(-1) as GigPage).previous as string));
              if (backward.length > 60) throw new Error("previous does not end");
            }
            expect(backward.reverse().map((p) => p.results.map((g) => g.id))).toEqual(
              forward.map((p) => p.results.map((g) => g.id)),
            );
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 180_000);

  it("writes between page fetches never skip nor repeat a gig present throughout, whatever the filter", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ account: fc.integer({ min: 0, max: 3 }), start: fc.option(fc.integer({ min: 0, max: 5 })) }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        // Per page turn: new gigs (account, start), and whether to move or remove a volatile gig.
        fc.array(
          fc.record({
            added: fc.array(
              fc.record({ account: fc.integer({ min: 0, max: 4 }), start: fc.option(fc.integer({ min: 0, max: 5 })) }),
              {
                maxLength: 3,
              },
            ),
            move: fc.option(fc.integer({ min: 0, max: 5 })),
            remove: fc.boolean(),
          }),
          { maxLength: 12 },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom("", `&user=${USERS[0]}`, `&account=${ACCOUNTS[0]}`),
        async (initial, turns, limit, filter) => {
          await clearTables();
          // Accounts 0..3 on SHARD_1..3 (0 and 3 share SHARD_1), 0 and 1 owned by USERS[0];
          // account 4 is new: placed on SHARD_3 while the walk runs.
          const shardOf = (a: number) => SHARDS[a % 3] as string;
          const userOf = (a: number) => USERS[a < 2 ? 0 : 1] as string;
          let serial = 0;
          const newId = () => `0190${(serial++).toString(16).padStart(4, "0")}-0000-7000-8000-000000000000`;
          const byAccount = new Map<number, Gig[]>();
          const all = new Map<string, { gig: Gig; account: number }>();
          for (const spec of initial) {
            const gig = makeGig(newId(), spec.start === null ? null : iso(spec.start), ACCOUNTS[spec.account]);
            byAccount.set(spec.account, [...(byAccount.get(spec.account) ?? []), gig]);
            all.set(gig.id, { gig, account: spec.account });
          }
          for (const [a, gigs] of byAccount) {
            await placeAccount(ACCOUNTS[a] as string, shardOf(a), userOf(a));
            await store(shardOf(a), gigs, userOf(a));
          }
          // Every other initial gig is volatile (it may move or go); the rest stay put: those
          // must come out exactly once. Each stable gig is also rewritten (a newer object with
          // the same start), which must not disturb its place.
          const initialIds = [...all.keys()];
          const volatile = initialIds.filter((_, i) => i % 2 === 1);
          const stable = new Set(initialIds.filter((_, i) => i % 2 === 0));
          let turn = 0;
          const between = async () => {
            const t = turns[turn++];
            if (!t) return;
            for (const add of t.added) {
              const gig = makeGig(newId(), add.start === null ? null : iso(add.start), ACCOUNTS[add.account]);
              await placeAccount(ACCOUNTS[add.account] as string, shardOf(add.account), userOf(add.account));
              await store(shardOf(add.account), [gig], userOf(add.account));
              all.set(gig.id, { gig, account: add.account });
            }
            const target = volatile.shift();
            const entry = target === undefined ? undefined : all.get(target);
            if (entry) {
              if (t.remove) {
                await tombstone(
                  shardOf(entry.account),
                  [entry.gig.id],
                  ACCOUNTS[entry.account] as string,
                  userOf(entry.account),
                );
              } else if (t.move !== null) {
                const moved = { ...entry.gig, start_datetime: iso(t.move), updated_at: new Date(tick()).toISOString() };
                await store(shardOf(entry.account), [moved], userOf(entry.account));
              }
            }
            const rewrite = [...stable][turn % Math.max(stable.size, 1)];
            const kept = rewrite === undefined ? undefined : all.get(rewrite);
            if (kept) {
              const newer = { ...kept.gig, status: "cancelled", updated_at: new Date(tick()).toISOString() };
              await store(shardOf(kept.account), [newer], userOf(kept.account));
            }
          };
          const inScope = (account: number) =>
            filter === "" || (filter.includes("user") ? userOf(account) === USERS[0] : account === 0);

          const pages = await walk(`/v2/gigs?limit=${limit}${filter}`, between);
          const seen = pages.flatMap((p) => p.results);
          // Keys strictly increase in list order: nothing repeats, not even a gig that moved.
          for (let i = 1; i < seen.length; i++)
            expect(singleDbOrder(seen[i - 1] as Gig, seen[i] as Gig)).toBeLessThan(0);
          const seenIds = seen.map((g) => g.id);
          for (const id of stable) {
            const count = seenIds.filter((s) => s === id).length;
            expect(count, id).toBe(inScope((all.get(id) as { account: number }).account) ? 1 : 0);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 180_000);
});

describe("an account mid-move is read once, from its home", () => {
  const [MOVING, STAYING] = ACCOUNTS as [string, string];
  const USER = USERS[0] as string;
  const movingGigs = gigIds(6, "0193").map((id, i) => makeGig(id, iso(i), MOVING));
  const stayingGigs = gigIds(3, "0194").map((id, i) => makeGig(id, iso(i), STAYING));
  const each = (g: Gig) => g.id;
  const expectedAll = [...movingGigs, ...stayingGigs].sort(singleDbOrder).map(each);

  async function walksOnce(): Promise<void> {
    for (const filter of ["", `&user=${USER}`]) {
      expect(ids(await walk(`/v2/gigs?limit=2${filter}`)), filter || "no filter").toEqual(expectedAll);
    }
    expect(ids(await walk(`/v2/gigs?limit=2&account=${MOVING}`))).toEqual(
      [...movingGigs].sort(singleDbOrder).map(each),
    );
    const accounts = await apiJson<{ data: { id: string; shard: string }[] }>("/api/accounts");
    expect(accounts.body.data.filter((a) => a.id === MOVING)).toHaveLength(1);
  }

  beforeEach(async () => {
    await placeAccount(MOVING, "SHARD_1", USER);
    await placeAccount(STAYING, "SHARD_2", USER);
    await store("SHARD_1", movingGigs, USER);
    await store("SHARD_2", stayingGigs, USER);
    for (const [shard, account] of [
      ["SHARD_1", MOVING],
      ["SHARD_2", STAYING],
    ] as const) {
      await shardBinding(shard)
        .prepare("INSERT INTO accounts (id, user, backfill_status) VALUES (?1, ?2, 'done')")
        .bind(account, USER)
        .run();
    }
  });

  it("while copying (home SHARD_1, half copied to SHARD_2) and after the flip (home SHARD_2, SHARD_1 not yet emptied)", async () => {
    // Copying: SHARD_1 is fenced, SHARD_2 holds part of the copy, with a different object so
    // that the row served by id shows which shard answered.
    await shardBinding("SHARD_1")
      .prepare("INSERT INTO account_fences (account, reason, shard, since_ms) VALUES (?1, 'moving', 'SHARD_2', ?2)")
      .bind(MOVING, Date.now())
      .run();
    const copy = (g: Gig) => ({ ...g, status: "copy" });
    await store("SHARD_2", movingGigs.slice(0, 3).map(copy), USER);
    await env.DB.prepare("UPDATE directory SET move_state = 'copying', move_to = 'SHARD_2' WHERE account = ?1")
      .bind(MOVING)
      .run();
    await walksOnce();
    const first = movingGigs[0] as Gig;
    expect((await apiJson<Gig>(`/v2/gigs/${first.id}`)).body.status).toBe(first.status);
    const during = await apiJson<{ shard: string; move: unknown }>(`/api/accounts/${MOVING}`);
    expect(during.body).toMatchObject({ shard: "SHARD_1", move: { state: "copying", from: "SHARD_1", to: "SHARD_2" } });

    // The copy completes and the directory flips: SHARD_2 is home, SHARD_1 keeps its rows until cleanup.
    await store("SHARD_2", movingGigs.slice(3).map(copy), USER);
    await shardBinding("SHARD_2")
      .prepare("INSERT INTO accounts (id, user, backfill_status) VALUES (?1, ?2, 'done')")
      .bind(MOVING, USER)
      .run();
    await shardBinding("SHARD_1")
      .prepare("UPDATE account_fences SET reason = 'moved' WHERE account = ?1")
      .bind(MOVING)
      .run();
    await env.DB.prepare(
      `UPDATE directory SET shard = 'SHARD_2', move_from = 'SHARD_1', move_to = NULL, move_state = 'cleanup'
       WHERE account = ?1`,
    )
      .bind(MOVING)
      .run();
    await walksOnce();
    expect((await apiJson<Gig>(`/v2/gigs/${first.id}`)).body.status).toBe("copy");
    const after = await apiJson<{ shard: string; move: unknown }>(`/api/accounts/${MOVING}`);
    expect(after.body).toMatchObject({ shard: "SHARD_2", move: { state: "cleanup", from: "SHARD_1", to: "SHARD_2" } });
  });
});

describe("freshness headers across shards", () => {
  const headers = (res: Response) => ({
    synced: res.headers.get("x-mirror-synced-at"),
    backfill: res.headers.get("x-mirror-backfill"),
    failures: res.headers.get("x-mirror-open-failures"),
    scope: res.headers.get("x-mirror-scope"),
  });
  const [A, B, C] = ACCOUNTS as [string, string, string];
  const [U1, U2] = USERS as [string, string];
  const OLD = "2026-11-01T00:00:00.000Z";
  const NEW = "2026-11-20T00:00:00.000Z";

  beforeEach(async () => {
    // A (U1) on SHARD_1, synced recently; B (U1) on SHARD_2, synced long ago, backfill running;
    // C (U2) on SHARD_3, never synced. Open failures: 2 for A, 1 for C.
    const rows: [string, string, string, number | null, string][] = [
      ["SHARD_1", A, U1, Date.parse(NEW), "done"],
      ["SHARD_2", B, U1, Date.parse(OLD), "running"],
      ["SHARD_3", C, U2, null, "none"],
    ];
    for (const [shard, account, user, synced, backfill] of rows) {
      await placeAccount(account, shard, user);
      await shardBinding(shard)
        .prepare("INSERT INTO accounts (id, user, last_reconciled_ms, backfill_status) VALUES (?1, ?2, ?3, ?4)")
        .bind(account, user, synced, backfill)
        .run();
    }
    await store("SHARD_1", [makeGig(gigIds(1, "0195")[0] as string, iso(1), A)], U1);
    let n = 0;
    for (const account of [A, A, C]) await insertFailure({ id: `0190c0de-0000-7000-8000-00000000000${n++}`, account });
  });

  it("per account from its shard, per user over its shards, for all over every shard; failures from the catalog", async () => {
    const gig = gigIds(1, "0195")[0] as string;
    expect(headers(await apiJson(`/v2/gigs/${gig}`).then((r) => r.res))).toEqual({
      synced: NEW,
      backfill: "idle",
      failures: "2",
      scope: "account",
    });
    expect(headers((await apiJson(`/v2/gigs?account=${A}`)).res)).toEqual({
      synced: NEW,
      backfill: "idle",
      failures: "2",
      scope: "account",
    });
    // U1's accounts live on SHARD_1 and SHARD_2: the older sync and B's running backfill speak.
    expect(headers((await apiJson(`/v2/gigs?user=${U1}`)).res)).toEqual({
      synced: OLD,
      backfill: "running",
      failures: "2",
      scope: "user",
    });
    // Everything: C on SHARD_3 was never synced.
    expect(headers((await apiJson("/v2/gigs")).res)).toEqual({
      synced: "never",
      backfill: "running",
      failures: "3",
      scope: "all",
    });
    // An account the directory does not know: an empty page, never synced, as one database answered.
    const unknown = await apiJson<GigPage>(`/v2/gigs?account=${ACCOUNTS[4]}`);
    expect(unknown.status).toBe(200);
    expect(unknown.body.results).toEqual([]);
    expect(headers(unknown.res)).toEqual({ synced: "never", backfill: "idle", failures: "0", scope: "account" });
  });
});
