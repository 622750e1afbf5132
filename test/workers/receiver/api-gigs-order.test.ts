/**
 * GET /v2/gigs lists as Argyle does (newest start first, then id; gigs without a start last), and
 * its keyset pages keep their guarantees in that mixed order: walking `next` yields every live gig
 * exactly once in list order, and walking `previous` back from the last page yields the same pages.
 * A property over random lists (ties on start, gigs without one, removed gigs, time windows,
 * limits): the mixed ASC/DESC keyset is easy to get subtly wrong at a page boundary.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apiJson, type Gig, insertGigs, makeGig, removeGigs } from "../api-helpers.ts";
import { clearTables, gigIds } from "../helpers.ts";

interface GigPage {
  results: Gig[];
  next: string | null;
  previous: string | null;
}

const BASE = Date.UTC(2023, 2, 1);
const iso = (minute: number) => new Date(BASE + minute * 60_000).toISOString();

/** Newest start first, no start last, then id ascending: Argyle's order. */
function argyleOrder(a: Gig, b: Gig): number {
  const sa = a.start_datetime === null ? -Infinity : Date.parse(a.start_datetime);
  const sb = b.start_datetime === null ? -Infinity : Date.parse(b.start_datetime);
  if (sa !== sb) return sa > sb ? -1 : 1;
  return a.id < b.id ? -1 : 1;
}

async function page(url: string): Promise<GigPage> {
  const { status, body } = await apiJson<GigPage>(url);
  expect(status).toBe(200);
  return body;
}

describe("GET /v2/gigs order and keyset (property)", () => {
  it("next walks every live gig once in Argyle's order, and previous walks the same pages back", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ start: fc.option(fc.integer({ min: 0, max: 6 })), removed: fc.boolean() }), {
          maxLength: 24,
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }))),
        async (specs, limit, window) => {
          await clearTables();
          const gigs = gigIds(specs.length).map((id, i) =>
            makeGig(id, specs[i]?.start == null ? null : iso(specs[i]?.start as number)),
          );
          // Shuffled insertion: the order must come from the query, not from rowids.
          await insertGigs([...gigs].reverse());
          const removed = gigs.filter((_, i) => specs[i]?.removed).map((g) => g.id);
          if (removed.length > 0) await removeGigs(removed);

          const live = gigs.filter((_, i) => !specs[i]?.removed);
          const inWindow = window
            ? live.filter(
                (g) =>
                  g.start_datetime !== null &&
                  Date.parse(g.start_datetime) >= BASE + window[0] * 60_000 &&
                  Date.parse(g.start_datetime) <= BASE + window[1] * 60_000,
              )
            : live;
          const expected = [...inWindow].sort(argyleOrder).map((g) => g.id);

          const query = window ? `&from_start_datetime=${iso(window[0])}&to_start_datetime=${iso(window[1])}` : "";
          const forward: GigPage[] = [await page(`/v2/gigs?limit=${limit}${query}`)];
          while ((forward.at(-1) as GigPage).next !== null) {
            forward.push(await page((forward.at(-1) as GigPage).next as string));
            if (forward.length > 40) throw new Error("next does not end");
          }
          expect(forward.flatMap((p) => p.results.map((g) => g.id))).toEqual(expected);

          const backward: GigPage[] = [forward.at(-1) as GigPage];
          while ((backward.at(-1) as GigPage).previous !== null) {
            backward.push(await page((backward.at(-1) as GigPage).previous as string));
            if (backward.length > 40) throw new Error("previous does not end");
          }
          expect(backward.reverse().map((p) => p.results.map((g) => g.id))).toEqual(
            forward.map((p) => p.results.map((g) => g.id)),
          );
        },
      ),
      { numRuns: 40 },
    );
    // Each page now also asks the directory and every bound shard: more round trips per run.
  }, 60_000);
});
