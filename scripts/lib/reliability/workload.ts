/**
 * Changes at the local Argyle (gigs updated, removed, added) and the webhooks they cause, with a
 * record of what the mirror must end up knowing: which gigs webhooks named, which were removed.
 * @module
 */
import type { GigEventPayload } from "../../../src/local-argyle/model.ts";
import type { Random } from "../../../src/local-argyle/random.ts";
import type { ArgyleStore } from "../../../src/local-argyle/store.ts";

export type ChangeKind = "update" | "remove" | "add";

export interface Change {
  kind: ChangeKind;
  account: string;
  payload: GigEventPayload;
  gigIds: string[];
}

export class Workload {
  readonly store: ArgyleStore;
  /** Gigs named by an update or added: the mirror must hold them (while Argyle does). */
  readonly named = new Set<string>();
  /** Gig ID → account, for every gig removed at Argyle. */
  readonly removed = new Map<string, string>();

  constructor(store: ArgyleStore) {
    this.store = store;
  }

  /** Updates `count` random gigs of `account` (fewer if it has fewer); null if it has none. */
  update(account: string, count: number): Change | null {
    if (this.store.gigsOf(account).length === 0) return null;
    const m = this.store.updateGigs(account, count);
    for (const id of m.gigIds) this.named.add(id);
    return { kind: "update", account, payload: m, gigIds: m.gigIds };
  }

  /** Updates exactly these gigs. */
  updateIds(account: string, ids: readonly string[]): Change {
    const m = this.store.updateGigs(account, ids);
    for (const id of m.gigIds) this.named.add(id);
    return { kind: "update", account, payload: m, gigIds: m.gigIds };
  }

  remove(account: string, count: number | readonly string[]): Change | null {
    if (typeof count === "number" && this.store.gigsOf(account).length === 0) return null;
    const m = this.store.removeGigs(account, count);
    for (const id of m.gigIds) this.removed.set(id, account);
    return { kind: "remove", account, payload: m, gigIds: m.gigIds };
  }

  add(account: string, count: number): Change {
    const m = this.store.addGigs(account, count);
    for (const id of m.gigIds) this.named.add(id);
    return { kind: "add", account, payload: m, gigIds: m.gigIds };
  }

  /** A random change: mostly updates of 1–4 gigs, some removals, some additions. */
  random(random: Random, account: string): Change | null {
    const roll = random.next();
    if (roll < 0.6) return this.update(account, random.int(1, 4));
    if (roll < 0.8) return this.remove(account, random.int(1, 2));
    return this.add(account, random.int(1, 2));
  }

  fullySynced(account: string): GigEventPayload {
    return this.store.fullySynced(account);
  }
}

/** Runs `tasks` with at most `concurrency` at once, in order of start. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
