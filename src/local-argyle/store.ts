/**
 * The local Argyle's state: its gigs, the webhook subscriptions, and the changes a data
 * refresh at Argyle makes. Each change returns the gig webhook Argyle would send for it, in
 * the envelope shapes of Argyle's gigs webhooks.
 * @module
 */
import { buildDataset, type DatasetOptions, uniqueId } from "./dataset.ts";
import { changeGig } from "./gig-changes.ts";
import { buildGig } from "./gig-factory.ts";
import { GigIndex, type GigQuery } from "./gig-index.ts";
import { isoSeconds } from "./gig-timeline.ts";
import type { Account, AccountRemovedData, Gig, GigEventBase, GigEventPayload } from "./model.ts";
import type { Page, Position } from "./pagination.ts";
import type { Platform } from "./platforms.ts";
import { deriveRandom, type Random, type Seed } from "./random.ts";
import { WebhookRegistry } from "./webhook-registry.ts";

export type { GigQuery } from "./gig-index.ts";

export interface StoreOptions extends DatasetOptions {
  /** The clock changes and subscriptions are stamped with, in ms. Default `Date.now`. */
  now?: () => number;
  /** How far before "now" gigs found by `addGigs` start. Default 24 hours. */
  addWindowMs?: number;
}

/** A change and the webhook it causes. `gigIds` are the gigs touched (added ones included). */
export interface Mutation extends GigEventPayload {
  gigIds: string[];
}

/** A change that cannot be made as asked (unknown account or gig). */
export class MutationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MutationError";
  }
}

/** `days_synced` when a subscription does not set one, per Argyle's docs. */
export const DEFAULT_DAYS_SYNCED = 30;

const DAY = 86_400_000;

export class ArgyleStore {
  readonly seed: Seed;
  /** The dataset's "now": every generated gig starts before it. */
  readonly untilMs: number;
  readonly webhooks: WebhookRegistry;
  readonly #index = new GigIndex();
  readonly #taken = new Set<string>();
  readonly #random: Random;
  readonly #now: () => number;
  readonly #addWindowMs: number;

  constructor(options: StoreOptions = {}) {
    const dataset = buildDataset(options);
    this.seed = dataset.seed;
    this.untilMs = dataset.untilMs;
    this.#random = deriveRandom(dataset.seed, "changes");
    this.webhooks = new WebhookRegistry(deriveRandom(dataset.seed, "webhooks"));
    this.#now = options.now ?? Date.now;
    this.#addWindowMs = options.addWindowMs ?? DAY;
    for (const { account, platform, gigs } of dataset.accounts) {
      this.#index.addAccount(account, platform, gigs);
      for (const id of [account.id, account.user, ...gigs.map((g) => g.id)]) this.#taken.add(id);
    }
  }

  /** The store's clock, in ms. */
  now(): number {
    return this.#now();
  }

  accounts(): Account[] {
    return this.#index.accounts();
  }

  account(id: string): Account | undefined {
    return this.#index.account(id)?.account;
  }

  /** A gig by ID. Treat it as read-only: changes replace gigs, so it stays a snapshot. */
  gig(id: string): Gig | undefined {
    return this.#index.gig(id);
  }

  /** An account's gigs in list order (newest start first, then ID). */
  gigsOf(account: string): Gig[] {
    return this.#index.gigsOf(account);
  }

  /** One page of gigs matching `query`, from `position` (null = the first page). */
  listGigs(query: GigQuery, position: Position | null, limit: number): Page<Gig> {
    return this.#index.list(query, position, limit);
  }

  /** What GET /v2/gigs holds for the account right now (the `available_*` of every gig event). */
  availability(account: string): GigEventBase {
    const { id, user } = this.#find(account).account;
    // Newest first: the oldest start is last.
    const gigs = this.#index.gigsOf(account);
    return {
      account: id,
      user,
      available_from: gigs.at(-1)?.start_datetime ?? null,
      available_to: gigs[0]?.start_datetime ?? null,
      available_count: gigs.length,
    };
  }

  /** Changes some of the account's gigs (`count` random ones, or the given IDs): `gigs.updated`. */
  updateGigs(account: string, target: number | readonly string[]): Mutation {
    const { reportsRates } = this.#find(account).platform;
    const changed = this.#pick(account, target).map((gig) => {
      // Strictly later than the last change even if the clock stalls or runs behind the dataset.
      const updatedMs = Math.max(this.#now(), Date.parse(gig.updated_at) + 1);
      const next = changeGig(this.#random, gig, updatedMs, reportsRates);
      this.#index.replace(next);
      return next;
    });
    const ids = changed.map((g) => g.id);
    const [from, to] = startWindow(changed);
    const data = { updated_count: ids.length, updated_gigs: ids, updated_from: from, updated_to: to };
    return { event: "gigs.updated", data: { ...this.availability(account), ...data }, gigIds: ids };
  }

  /** Removes some of the account's gigs (`count` random ones, or the given IDs): `gigs.removed`. */
  removeGigs(account: string, target: number | readonly string[]): Mutation {
    const removed = this.#pick(account, target);
    const ids = removed.map((g) => g.id);
    this.#index.remove(ids);
    const [from, to] = startWindow(removed);
    const data = { removed_count: ids.length, removed_gigs: ids, removed_from: from, removed_to: to };
    return { event: "gigs.removed", data: { ...this.availability(account), ...data }, gigIds: ids };
  }

  /**
   * The user revoked access: the account and all its gigs are forgotten (later requests for them
   * answer 404), and the `accounts.removed` payload is returned. Argyle sends no `gigs.removed`.
   */
  removeAccount(account: string): AccountRemovedData {
    const { account: acc } = this.#find(account);
    this.#index.removeAccount(account);
    return { account: acc.id, user: acc.user };
  }

  /** New gigs found by a refresh, starting within the add window before now: `gigs.added`. */
  addGigs(account: string, count: number): Mutation {
    const { account: acc, platform } = this.#find(account);
    const nowMs = this.#now();
    const span = Math.max(0, this.#addWindowMs - 60_000);
    const added = Array.from({ length: Math.max(0, Math.floor(count)) }, () => {
      const gig = buildGig(this.#random, {
        account: acc,
        platform,
        startMs: nowMs - this.#addWindowMs + Math.floor(this.#random.next() * span),
        nowMs,
        createdMs: nowMs,
        newId: (ms) => uniqueId(this.#random, ms, this.#taken),
      });
      this.#index.insert(account, gig);
      return gig;
    });
    const [from, to] = startWindow(added);
    const data = { added_count: added.length, added_from: from, added_to: to };
    return { event: "gigs.added", data: { ...this.availability(account), ...data }, gigIds: added.map((g) => g.id) };
  }

  /**
   * `gigs.partially_synced` after the last `days` of gigs were retrieved. The `available_*`
   * fields describe that part: gigs starting within `days` of the account's latest gig.
   */
  partiallySynced(account: string, days: number = DEFAULT_DAYS_SYNCED): GigEventPayload {
    const gigs = this.#index.gigsOf(account);
    const latest = gigs[0];
    const since = latest ? Date.parse(latest.start_datetime) - days * DAY : 0;
    const synced = latest ? gigs.filter((g) => Date.parse(g.start_datetime) >= since) : [];
    const data = {
      ...this.availability(account),
      available_from: synced.at(-1)?.start_datetime ?? null,
      available_count: synced.length,
      days_synced: days,
    };
    return { event: "gigs.partially_synced", data };
  }

  /** `gigs.fully_synced`: every gig of the account has been retrieved. */
  fullySynced(account: string): GigEventPayload {
    return { event: "gigs.fully_synced", data: this.availability(account) };
  }

  /** The account and its platform; a `MutationError` for an unknown account. */
  #find(id: string): { account: Account; platform: Platform } {
    const found = this.#index.account(id);
    if (!found) throw new MutationError(`no account ${id}`);
    return found;
  }

  /** `target` random gigs of the account, or the gigs of the given IDs, in list order. */
  #pick(account: string, target: number | readonly string[]): Gig[] {
    this.#find(account);
    if (typeof target !== "number") {
      return [...new Set(target)].map((id) => {
        const gig = this.#index.gig(id);
        if (!gig || this.#index.accountOf(id) !== account)
          throw new MutationError(`no gig ${id} in account ${account}`);
        return gig;
      });
    }
    const pool = this.#index.gigsOf(account);
    const n = Math.min(pool.length, Math.max(0, Math.floor(target)));
    // A partial Fisher-Yates shuffle: n distinct gigs, each equally likely.
    for (let i = 0; i < n; i++) {
      const j = this.#random.int(i, pool.length - 1);
      [pool[i], pool[j]] = [pool[j] as Gig, pool[i] as Gig];
    }
    const chosen = new Set(pool.slice(0, n));
    return this.#index.gigsOf(account).filter((g) => chosen.has(g));
  }
}

/** The earliest and latest start among `gigs` (Argyle's `*_from`/`*_to`). */
function startWindow(gigs: readonly Gig[]): [string | null, string | null] {
  if (gigs.length === 0) return [null, null];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const g of gigs) {
    const ms = Date.parse(g.start_datetime);
    min = Math.min(min, ms);
    max = Math.max(max, ms);
  }
  return [isoSeconds(min), isoSeconds(max)];
}
