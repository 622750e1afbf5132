/**
 * A small client for the Argyle endpoints the mirror needs: one function per endpoint, HTTP
 * Basic auth, a timeout per request, lenient validation of responses, and every failure
 * classified so the consumer knows whether to retry, back off, alarm or give up.
 * @see https://docs.argyle.com/api-reference/gigs
 * @module
 */
import * as v from "valibot";
import { parseRetryAfter } from "./backoff.ts";
import { type Gig, GigSchema } from "./gig-schema.ts";
import { isArgyleId } from "./ids.ts";

export const DEFAULT_ARGYLE_API_URL = "https://api.argyle.com/v2";
/** Argyle's largest page. */
export const MAX_PAGE_SIZE = 200;

export interface ArgyleClientOptions {
  /** Base URL including the version, e.g. https://api.argyle.com/v2 (no trailing slash needed). */
  baseUrl: string;
  keyId: string;
  keySecret: string;
  timeoutMs: number;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * How a request failed. `transient`: network, timeout, 5xx, unreadable body, retry soon.
 * `rate_limited`: 429, retry after `retryAfterSeconds`. `auth`: 401/403, a configuration
 * problem. `not_found`: a 404 carrying Argyle's own not-found body (see `isArgyleNotFound`); any
 * other 404 is `transient`. `permanent`: anything retrying cannot fix.
 */
export type ArgyleErrorKind = "transient" | "rate_limited" | "auth" | "not_found" | "permanent";

export class ArgyleError extends Error {
  readonly kind: ArgyleErrorKind;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ArgyleErrorKind, message: string, status?: number, retryAfterSeconds?: number) {
    super(message);
    this.name = "ArgyleError";
    this.kind = kind;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A gig as validated, plus its JSON text exactly as Argyle sent it (what the mirror stores). */
export interface FetchedGig {
  gig: Gig;
  json: string;
}

export interface GigPage {
  gigs: FetchedGig[];
  /**
   * Items that failed validation but carry a usable gig id: the rest of the page is still good,
   * so one bad object does not stop a listing. The caller records these as failures.
   */
  invalid: { id: string; error: string }[];
  /**
   * Items with no valid gig id: nothing can be stored, fetched again or tombstoned for them, so
   * they are only counted (the caller records them). They never make the page unusable: a
   * broken item must not stop the rest of the listing on every retry and redrive.
   */
  unidentified: number;
  /** Argyle's URL for the next page, or null on the last page. */
  next: string | null;
}

export interface ListGigsParams {
  account?: string;
  user?: string;
  fromStartDatetime?: string;
  toStartDatetime?: string;
  limit?: number;
}

const PageSchema = v.looseObject({
  next: v.nullish(v.string(), null),
  results: v.array(v.unknown()),
});

/** GET /gigs/{id}: one gig. A 404 throws `ArgyleError` of kind `not_found`. */
export async function getGig(options: ArgyleClientOptions, id: string): Promise<FetchedGig> {
  const text = await request(options, `${base(options)}/gigs/${encodeURIComponent(id)}`);
  const gig = validateGig(parseJson(text));
  if (gig.id !== id) throw new ArgyleError("permanent", `asked for gig ${id}, Argyle answered with ${gig.id}`);
  return { gig, json: text };
}

/** GET /gigs with filters: the first page. Follow `next` with `listGigsPage`. */
export function listGigs(options: ArgyleClientOptions, params: ListGigsParams): Promise<GigPage> {
  const url = new URL(`${base(options)}/gigs`);
  if (params.account) url.searchParams.set("account", params.account);
  if (params.user) url.searchParams.set("user", params.user);
  if (params.fromStartDatetime) url.searchParams.set("from_start_datetime", params.fromStartDatetime);
  if (params.toStartDatetime) url.searchParams.set("to_start_datetime", params.toStartDatetime);
  url.searchParams.set("limit", String(Math.min(Math.max(params.limit ?? MAX_PAGE_SIZE, 1), MAX_PAGE_SIZE)));
  return listGigsPage(options, url.toString());
}

/**
 * A page of gigs from a URL Argyle gave us in `next`. Only URLs on the configured API origin are
 * followed, so our credentials are never sent anywhere else.
 */
export async function listGigsPage(options: ArgyleClientOptions, pageUrl: string): Promise<GigPage> {
  if (new URL(pageUrl).origin !== new URL(base(options)).origin) {
    throw new ArgyleError("permanent", "refusing to follow a page URL outside the configured Argyle API");
  }
  const parsed = v.safeParse(PageSchema, parseJson(await request(options, pageUrl)));
  if (!parsed.success) throw new ArgyleError("permanent", "gig list response has an unexpected shape");
  const page: GigPage = { gigs: [], invalid: [], unidentified: 0, next: parsed.output.next };
  for (const item of parsed.output.results) {
    const result = v.safeParse(GigSchema, item);
    if (result.success) {
      page.gigs.push({ gig: result.output, json: JSON.stringify(item) });
      continue;
    }
    const id = (item as { id?: unknown } | null)?.id;
    // Lowercase like every stored ID (the recorded failure is looked up and redriven by it).
    if (typeof id === "string" && isArgyleId(id))
      page.invalid.push({ id: id.toLowerCase(), error: issueText(result.issues) });
    else page.unidentified++;
  }
  return page;
}

function base(options: ArgyleClientOptions): string {
  return options.baseUrl.replace(/\/+$/, "");
}

async function request(options: ArgyleClientOptions, url: string): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  // A timer we clear ourselves: AbortSignal.timeout() keeps its timer alive after the response,
  // and workerd caps an invocation at 10,000 live timers.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), options.timeoutMs);
  try {
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: {
          authorization: `Basic ${btoa(`${options.keyId}:${options.keySecret}`)}`,
          accept: "application/json",
        },
        signal: controller.signal,
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw new ArgyleError("transient", timedOut ? `timed out after ${options.timeoutMs} ms` : "network error");
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new ArgyleError("transient", `HTTP ${response.status}: the response body was cut off`, response.status);
    }
    if (response.ok) return text;
    if (response.status === 404 && !isArgyleNotFound(response.headers.get("content-type"), text)) {
      throw foreignNotFound(response.headers.get("content-type"));
    }
    throw classify(response.status, response.headers.get("retry-after"));
  } finally {
    clearTimeout(timer);
  }
}

/** The error for a non-2xx status. */
export function classify(status: number, retryAfter: string | null = null): ArgyleError {
  if (status === 429) {
    return new ArgyleError("rate_limited", "HTTP 429: rate limited", status, parseRetryAfter(retryAfter));
  }
  if (status === 401 || status === 403) {
    return new ArgyleError(
      "auth",
      `HTTP ${status}: Argyle refused the API key (check ARGYLE_API_KEY_ID/SECRET and ARGYLE_API_URL)`,
      status,
    );
  }
  // Callers reach here with a 404 only once its body was recognised as Argyle's not-found.
  if (status === 404) return new ArgyleError("not_found", "HTTP 404: not found", status);
  if (status >= 500 || status === 408)
    return new ArgyleError("transient", `HTTP ${status}: Argyle is unavailable`, status);
  return new ArgyleError("permanent", `HTTP ${status}: request refused`, status);
}

/**
 * Whether a 404's body is Argyle's own "no such object" answer: DRF's JSON error, an object whose
 * only key is `detail`, saying "Not found." (or Django's "No <Model> matches the given query."),
 * served as JSON. Deleting a gig is permanent, so only this answer means gone. A 404 from a proxy
 * or load balancer (HTML), a wrong base path, an empty body or any other JSON proves nothing
 * about the gig: it is treated as an outage and retried.
 */
export function isArgyleNotFound(contentType: string | null, body: string): boolean {
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType?.trim() ?? "")) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return false;
  const keys = Object.keys(parsed);
  const detail = (parsed as { detail?: unknown }).detail;
  return (
    keys.length === 1 && typeof detail === "string" && /^(?:Not found\.|No \w+ matches the given query\.)$/.test(detail)
  );
}

/** A 404 that is not Argyle's: names the content type only (the body may be anything). */
function foreignNotFound(contentType: string | null): ArgyleError {
  const type = (contentType ?? "no content type").split(";")[0]?.trim().slice(0, 60);
  return new ArgyleError(
    "transient",
    `HTTP 404 without Argyle's not-found body (${type}): a proxy or a wrong ARGYLE_API_URL, not a removed gig`,
    404,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A cut-off or garbled body is a transport problem more often than a contract change.
    throw new ArgyleError("transient", "Argyle answered with malformed JSON");
  }
}

function validateGig(value: unknown): Gig {
  const parsed = v.safeParse(GigSchema, value);
  if (!parsed.success) throw new ArgyleError("permanent", issueText(parsed.issues));
  return parsed.output;
}

/** Where and what was expected, never the value received: this text is logged and stored. */
function issueText(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const [issue] = issues;
  return `gig object failed validation at "${v.getDotPath(issue) ?? ""}": expected ${issue.expected ?? "another value"}`;
}
