/**
 * Gigs by ID and per account in Argyle's list order, kept sorted as gigs come and go, and
 * answering GET /v2/gigs's filters with keyset pages in O(log n) per account. Argyle lists newest
 * `start_datetime` first; its cursor is a keyset on the inverted start time, then the gig id
 * (reference/argyle.md §9), which is the sort key here: [-start, id], ascending.
 * @module
 */
import type { Account, Gig } from "./model.ts";
import { boundary, compareKeys, keysetPage, type Ordering, type Page, type Position, type Run } from "./pagination.ts";
import type { Platform } from "./platforms.ts";

/** Filters of GET /v2/gigs; `from`/`to` are inclusive bounds on the start, in ms. */
export interface GigQuery {
  account: string | null;
  user: string | null;
  from: number | null;
  to: number | null;
}

interface Entry {
  gig: Gig;
  startMs: number;
}

interface Slot {
  account: Account;
  platform: Platform;
  entries: Entry[];
}

const ORDERING: Ordering<Entry> = { keyOf: (e) => [-e.startMs, e.gig.id], compare: compareKeys };

export class GigIndex {
  readonly #slots = new Map<string, Slot>();
  readonly #byId = new Map<string, { entry: Entry; slot: Slot }>();

  /** Adds an account with its gigs (in any order). */
  addAccount(account: Account, platform: Platform, gigs: readonly Gig[]): void {
    // Sorted once, not inserted one by one: a dataset is built oldest first, so each insert would
    // land at the front of a newest-first array and shift all of it.
    const entries = gigs.map((gig) => ({ gig, startMs: Date.parse(gig.start_datetime) }));
    entries.sort((a, b) => ORDERING.compare(ORDERING.keyOf(a), ORDERING.keyOf(b)));
    const slot: Slot = { account, platform, entries };
    this.#slots.set(account.id, slot);
    for (const entry of entries) this.#byId.set(entry.gig.id, { entry, slot });
  }

  accounts(): Account[] {
    return [...this.#slots.values()].map((s) => s.account);
  }

  account(id: string): { account: Account; platform: Platform } | undefined {
    return this.#slots.get(id);
  }

  gig(id: string): Gig | undefined {
    return this.#byId.get(id)?.entry.gig;
  }

  /** The account a gig belongs to. */
  accountOf(gigId: string): string | undefined {
    return this.#byId.get(gigId)?.slot.account.id;
  }

  /** The account's gigs in list order: newest start first. */
  gigsOf(account: string): Gig[] {
    return (this.#slots.get(account)?.entries ?? []).map((e) => e.gig);
  }

  insert(account: string, gig: Gig): void {
    const slot = this.#slot(account);
    const entry = { gig, startMs: Date.parse(gig.start_datetime) };
    const all = { items: slot.entries, lo: 0, hi: slot.entries.length };
    slot.entries.splice(boundary(all, ORDERING, ORDERING.keyOf(entry), false), 0, entry);
    this.#byId.set(gig.id, { entry, slot });
  }

  /** Swaps in a new version of a gig; its start (and so its place in the order) must not change. */
  replace(gig: Gig): void {
    const found = this.#byId.get(gig.id);
    if (!found) throw new Error(`no gig ${gig.id}`);
    if (Date.parse(gig.start_datetime) !== found.entry.startMs) throw new Error("a gig's start cannot change");
    found.entry.gig = gig;
  }

  remove(ids: readonly string[]): void {
    const gone = new Set<Entry>();
    for (const id of ids) {
      const found = this.#byId.get(id);
      if (!found) continue;
      gone.add(found.entry);
      this.#byId.delete(id);
    }
    for (const slot of this.#slots.values()) slot.entries = slot.entries.filter((e) => !gone.has(e));
  }

  /** Forgets the account and every gig of it. */
  removeAccount(account: string): void {
    const slot = this.#slots.get(account);
    if (!slot) return;
    for (const entry of slot.entries) this.#byId.delete(entry.gig.id);
    this.#slots.delete(account);
  }

  /** One page of gigs matching `query`, from `position` (null = the first page). */
  list(query: GigQuery, position: Position | null, limit: number): Page<Gig> {
    const slots = query.account !== null ? [this.#slots.get(query.account)] : [...this.#slots.values()];
    const runs: Run<Entry>[] = [];
    for (const slot of slots) {
      if (!slot || (query.user !== null && slot.account.user !== query.user)) continue;
      const all: Run<Entry> = { items: slot.entries, lo: 0, hi: slot.entries.length };
      // Keys invert the start, so `to` bounds the run's front and `from` its end. IDs are hex, so
      // every ID sorts before U+FFFF: that bound keeps every gig starting at `from`.
      const lo = query.to === null ? 0 : boundary(all, ORDERING, [-query.to, ""], true);
      const hi = query.from === null ? all.hi : boundary(all, ORDERING, [-query.from, "\uffff"], false);
      if (lo < hi) runs.push({ items: slot.entries, lo, hi });
    }
    const page = keysetPage(runs, ORDERING, position, limit);
    return { ...page, items: page.items.map((e) => e.gig) };
  }

  #slot(account: string): Slot {
    const slot = this.#slots.get(account);
    if (!slot) throw new Error(`no account ${account}`);
    return slot;
  }
}
