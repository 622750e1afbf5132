/**
 * What the local Argyle served, so tests and benchmarks can check a client's manners: requests
 * by route and status, gig fetches per ID (was anything fetched twice without cause?), list
 * pages, injected faults and webhook deliveries.
 * @module
 */

export interface StatsSnapshot {
  /** `"GET /v2/gigs/:id"` → `{ "200": 12, "429": 1 }`. */
  requests: Record<string, Record<string, number>>;
  /** GET /v2/gigs/:id answered 200 with the intact gig, per gig ID. */
  gigFetches: Record<string, number>;
  /** GET /v2/gigs/:id answered anything (faults and 404s included), per gig ID. */
  gigFetchAttempts: Record<string, number>;
  /** GET /v2/gigs pages answered 200 intact, and the gigs in them. */
  listPages: number;
  listedGigs: number;
  /** Faults injected, by kind (`rate_limit`, `server_error`, `timeout`, `malformed`, `not_found`, `auth`). */
  faults: Record<string, number>;
  /** Webhook deliveries attempted, and those answered 2xx. */
  deliveries: number;
  deliveriesOk: number;
}

export class LocalArgyleStats {
  #s: StatsSnapshot = empty();

  recordRequest(route: string, status: number): void {
    const byStatus = this.#s.requests[route] ?? {};
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    this.#s.requests[route] = byStatus;
  }

  /** One GET /v2/gigs/:id; `delivered` when it answered the gig intact (200, parsable). */
  recordGigFetch(id: string, delivered: boolean): void {
    bump(this.#s.gigFetchAttempts, id);
    if (delivered) bump(this.#s.gigFetches, id);
  }

  recordListPage(gigs: number): void {
    this.#s.listPages++;
    this.#s.listedGigs += gigs;
  }

  recordFault(kind: string): void {
    bump(this.#s.faults, kind);
  }

  recordDelivery(ok: boolean): void {
    this.#s.deliveries++;
    if (ok) this.#s.deliveriesOk++;
  }

  /** Times GET /v2/gigs/:id answered `id` with 200. */
  fetchCount(id: string): number {
    return this.#s.gigFetches[id] ?? 0;
  }

  /** IDs answered 200 more than once: refetches a client should be able to justify. */
  refetchedIds(): string[] {
    return Object.entries(this.#s.gigFetches)
      .filter(([, n]) => n > 1)
      .map(([id]) => id);
  }

  /** Requests to `route` (e.g. `"GET /v2/gigs"`), optionally only those answered `status`. */
  requestCount(route: string, status?: number): number {
    const byStatus = this.#s.requests[route] ?? {};
    if (status !== undefined) return byStatus[status] ?? 0;
    return Object.values(byStatus).reduce((a, b) => a + b, 0);
  }

  /** A copy of everything counted so far. */
  snapshot(): StatsSnapshot {
    return structuredClone(this.#s);
  }

  reset(): void {
    this.#s = empty();
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function empty(): StatsSnapshot {
  return {
    requests: {},
    gigFetches: {},
    gigFetchAttempts: {},
    listPages: 0,
    listedGigs: 0,
    faults: {},
    deliveries: 0,
    deliveriesOk: 0,
  };
}
