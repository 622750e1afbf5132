/**
 * The receiver's read API, as `send` polls it: GET /v2/gigs/{id} (200 stored, 404 not stored or
 * removed) and GET /api/accounts/{id} (counts and backfill progress), with the API token.
 * @module
 */
import { CliFailure, describeFetchError } from "../common/cli-errors.ts";
import { fetchJson, type JsonResponse } from "../common/fetch-json.ts";

export interface ReadApi {
  /** e.g. http://127.0.0.1:8787 */
  base: string;
  token: string;
}

export type BackfillStatus = "none" | "running" | "done" | "failed";

/** What polling needs from an account's summary. */
export interface AccountSnapshot {
  gigsStored: number;
  gigsRemoved: number;
  availableCount: number | null;
  backfillStatus: BackfillStatus | null;
  /** Tells one finished pass from the next; null when the API does not say. */
  backfillCompletedAt: string | null;
}

/** An answer, or why there was none; `status` null = the request failed. */
export type Answer<T> = { status: number; value: T } | { status: null; error: string };

const REQUEST_TIMEOUT_MS = 5_000;

/** The HTTP status GET /v2/gigs/{id} answers. */
export async function gigStatus(api: ReadApi, id: string): Promise<Answer<null>> {
  const answer = await get(api, `/v2/gigs/${encodeURIComponent(id)}`);
  return answer.status === null ? answer : { status: answer.status, value: null };
}

/** The account's summary; value null on 404 (the mirror has not heard of it). */
export async function accountSnapshot(api: ReadApi, account: string): Promise<Answer<AccountSnapshot | null>> {
  const answer = await get(api, `/api/accounts/${encodeURIComponent(account)}`);
  if (answer.status === null) return answer;
  if (answer.status !== 200) return { status: answer.status, value: null };
  return { status: 200, value: readAccountSnapshot(answer.value.json) };
}

/**
 * Reads an account summary. Accepts `backfill_status` at the top level and the nested
 * `backfill: {status, completed_at}` form, so either shape of GET /api/accounts/{id} works.
 */
export function readAccountSnapshot(body: unknown): AccountSnapshot {
  const record = isRecord(body) ? body : {};
  const backfill = isRecord(record.backfill) ? record.backfill : {};
  const status = record.backfill_status ?? backfill.status;
  const completedAt = record.backfill_completed_at ?? backfill.completed_at;
  return {
    gigsStored: typeof record.gigs_stored === "number" ? record.gigs_stored : 0,
    gigsRemoved: typeof record.gigs_removed === "number" ? record.gigs_removed : 0,
    availableCount: typeof record.available_count === "number" ? record.available_count : null,
    backfillStatus: isBackfillStatus(status) ? status : null,
    backfillCompletedAt: typeof completedAt === "string" ? completedAt : null,
  };
}

async function get(api: ReadApi, path: string): Promise<Answer<JsonResponse>> {
  let response: JsonResponse;
  try {
    response = await fetchJson(
      `${api.base}${path}`,
      { headers: { authorization: `Bearer ${api.token}` } },
      REQUEST_TIMEOUT_MS,
    );
  } catch (error) {
    return { status: null, error: describeFetchError(error) };
  }
  // Waiting cannot fix a wrong token: stop at once and say which setting to change.
  if (response.status === 401 || response.status === 403) {
    throw new CliFailure(
      `the read API refused the token (${response.status} on GET ${path}): pass --token or set API_TOKEN ` +
        "to the receiver's API_TOKEN, or use --no-wait",
    );
  }
  return { status: response.status, value: response };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isBackfillStatus(value: unknown): value is BackfillStatus {
  return value === "none" || value === "running" || value === "done" || value === "failed";
}
