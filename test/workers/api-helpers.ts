/**
 * Helpers for the read-API tests: authenticated requests, and rows written straight into D1 the
 * way the consumer writes them (the consumer itself is not part of these tests).
 */
import { env } from "cloudflare:workers";
import type { ReceiverEnv } from "../../src/receiver/env.ts";
import gig from "../fixtures/gig.json";
import { callReceiver } from "./helpers.ts";

export const API_TOKEN = "test-api-token";
export const ORIGIN = "https://receiver.test";
export const ACCOUNT = gig.account;
export const USER = "018051aa-f7a9-a0db-2f38-6cfa325e9d69";

/** Argyle's gig object (the documented example's shape); any field may be null in practice. */
export type Gig = Omit<typeof gig, "start_datetime"> & { start_datetime: string | null };

export function bearer(token = API_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function basic(password = API_TOKEN, username = "any-key-id"): Record<string, string> {
  return { authorization: `Basic ${btoa(`${username}:${password}`)}` };
}

export interface ApiOptions {
  method?: string;
  /** Replaces the default bearer credentials; `{}` sends none. */
  headers?: Record<string, string>;
  env?: Partial<ReceiverEnv>;
}

/** Calls the receiver at `pathOrUrl` (a path, or a full URL such as a `next` link) with the API token. */
export function api(pathOrUrl: string, options: ApiOptions = {}): Promise<Response> {
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${ORIGIN}${pathOrUrl}`;
  const request = new Request(url, { method: options.method ?? "GET", headers: options.headers ?? bearer() });
  return callReceiver(request, options.env);
}

/** `api()` and its parsed JSON body. */
export async function apiJson<T = Record<string, unknown>>(
  pathOrUrl: string,
  options: ApiOptions = {},
): Promise<{ status: number; body: T; res: Response }> {
  const res = await api(pathOrUrl, options);
  return { status: res.status, body: await res.json<T>(), res };
}

/** A copy of the documented example gig with another id, account and start (null = no start). */
export function makeGig(id: string, start: string | null, account: string = ACCOUNT): Gig {
  const copy: Gig = structuredClone(gig);
  copy.id = id;
  copy.account = account;
  copy.start_datetime = start;
  return copy;
}

export interface GigRowOptions {
  user?: string | null;
  /** Set = tombstone. */
  removedAt?: string | null;
  /** The stored text; defaults to compact JSON of the gig. Null = a tombstone never fetched. */
  text?: string | null;
  /**
   * The shard binding to store in: "DB" (default) is the catalog serving legacy accounts, as every
   * account stored before sharding is. Either way the directory places the account there.
   */
  shard?: string;
}

/** Places `account` in `shard` in the directory, as the consumer does when it first sees it (first placement wins). */
export async function placeAccount(account: string, shard = "DB", user: string | null = USER): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("INSERT OR IGNORE INTO directory (account, shard, user, placed_ms) VALUES (?1, ?2, ?3, ?4)").bind(
      account,
      shard,
      user,
      Date.now(),
    ),
    // The catalog as legacy shard "DB" is read only while its row exists (migration 0011 writes it).
    env.DB.prepare("INSERT OR IGNORE INTO shards (name, status) SELECT 'DB', 'closed' WHERE ?1 = 'DB'").bind(shard),
  ]);
}

/** The D1 binding of shard `name` ("DB" = the catalog). */
export function shardBinding(name: string): D1Database {
  const db = (env as unknown as Record<string, D1Database | undefined>)[name];
  if (!db) throw new Error(`no binding ${name} in the test env`);
  return db;
}

/** Inserts gigs as the consumer stores them (all in one batch). */
export async function insertGigs(gigs: Gig[], options: GigRowOptions = {}): Promise<void> {
  if (gigs.length === 0) return;
  const now = Date.now();
  const shard = options.shard ?? "DB";
  const user = options.user === undefined ? USER : options.user;
  for (const account of new Set(gigs.map((g) => g.account))) await placeAccount(account, shard, user);
  const db = shardBinding(shard);
  await db.batch(
    gigs.map((g) => {
      const start = g.start_datetime;
      return db
        .prepare(
          `INSERT INTO gigs (id, account, user, employer, status, type, start_datetime, end_datetime, start_ms,
           end_ms, updated_at, updated_ms, data, synced_ms, fetched_at, removed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)`,
        )
        .bind(
          g.id,
          g.account,
          user,
          g.employer,
          g.status,
          g.type,
          start,
          g.end_datetime,
          start === null ? null : Date.parse(start),
          Date.parse(g.end_datetime),
          g.updated_at,
          Date.parse(g.updated_at),
          options.text === undefined ? JSON.stringify(g) : options.text,
          now,
          new Date(now).toISOString(),
          options.removedAt ?? null,
        );
    }),
  );
}

/** Marks gigs removed, as a `gigs.removed` webhook makes the consumer do. */
export async function removeGigs(ids: string[], shard = "DB"): Promise<void> {
  const db = shardBinding(shard);
  await db.batch(
    ids.map((id) => db.prepare("UPDATE gigs SET removed_at = ?2 WHERE id = ?1").bind(id, new Date().toISOString())),
  );
}

/** An `accounts` row with the consumer's defaults, overridden by `fields`. */
export async function insertAccount(
  fields: Record<string, string | number | null> & { id: string },
  shard = "DB",
): Promise<void> {
  const row = { user: USER, backfill_status: "none", ...fields };
  const names = Object.keys(row);
  await placeAccount(fields.id, shard, typeof row.user === "string" ? row.user : null);
  await shardBinding(shard)
    .prepare(`INSERT INTO accounts (${names.join(", ")}) VALUES (${names.map((_, i) => `?${i + 1}`).join(", ")})`)
    .bind(...Object.values(row))
    .run();
}

/** A dead-lettered fetch job, as the consumer records it. */
export function fetchJob(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    job_id: "0190c0de-0000-7000-8000-000000000001:0",
    event_id: "0190c0de-0000-7000-8000-000000000001",
    account: ACCOUNT,
    user: USER,
    received_at: "2024-06-01T12:00:00.000Z",
    available_count: 2385,
    kind: "fetch_gigs",
    ids: ["0187b43a-35fa-56e2-1a95-f7e4232a4b3a", "0187dbfa-6f5e-a33a-af26-7e12ff408fea"],
    ...overrides,
  };
}

export interface FailureFields {
  id: string;
  job?: Record<string, unknown> | string;
  account?: string | null;
  status?: "open" | "redriven";
  redriven_at?: string | null;
  created_at?: string;
}

/**
 * A `failures` row as the dead-letter consumer writes it. `job_id` is unique per row (main's
 * schema has a unique index on it), so the default job takes its id from the failure's.
 */
export async function insertFailure(fields: FailureFields): Promise<void> {
  const job = fields.job ?? fetchJob({ job_id: `${fields.id}:0` });
  const parsed = typeof job === "string" ? {} : job;
  await env.DB.prepare(
    `INSERT INTO failures (id, created_at, job_id, kind, account, event_id, job, gig_ids, reason, attempts,
       last_error, status, redriven_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'transient', 5, 'Argyle answered 503', ?9, ?10)`,
  )
    .bind(
      fields.id,
      fields.created_at ?? "2024-06-01T12:30:00.000Z",
      // An unreadable job is filed under `invalid:<failure id>`, as the dead-letter consumer does.
      String(parsed.job_id ?? `invalid:${fields.id}`),
      String(parsed.kind ?? "fetch_gigs"),
      fields.account === undefined ? ACCOUNT : fields.account,
      String(parsed.event_id ?? ""),
      typeof job === "string" ? job : JSON.stringify(job),
      Array.isArray(parsed.ids) ? parsed.ids.length : 0,
      fields.status ?? "open",
      fields.redriven_at ?? null,
    )
    .run();
}
