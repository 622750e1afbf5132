/**
 * What `send` asks the local Argyle: its accounts (control API) and an account's gigs (its
 * Argyle-shaped API, with the local credentials). Only the fields a webhook payload needs.
 * @module
 */

import { DEV_DEFAULTS } from "../dev/config.ts";
import { CliFailure, describeFetchError } from "./cli-errors.ts";
import { basicAuthorization, fetchJson, type JsonResponse } from "./fetch-json.ts";

/** An account as GET /_local/accounts describes it. */
export interface LocalAccount {
  id: string;
  user: string;
  employer: string;
  /** How many gigs it has now. */
  gigs: number;
  available_from: string | null;
  available_to: string | null;
}

/** A gig, reduced to what payloads are built from. */
export interface GigRef {
  id: string;
  account: string;
  start_datetime: string;
}

/** Where `send` takes accounts and gigs from; an interface so tests can hand in their own. */
export interface LocalArgyleSource {
  origin: string;
  /** Throws `LocalArgyleUnreachable` when nothing answers. */
  accounts(): Promise<LocalAccount[]>;
  /** Every gig of the account, oldest start first (Argyle lists newest first; this is sorted back). */
  gigs(account: string): Promise<GigRef[]>;
  /** One gig, or null when the local Argyle does not have it. */
  gig(id: string): Promise<GigRef | null>;
}

/** Nothing listens at the local Argyle's address. */
export class LocalArgyleUnreachable extends Error {
  override name = "LocalArgyleUnreachable";
}

const PAGE_SIZE = 200;
const TIMEOUT_MS = 10_000;

/** The local Argyle at `origin` (e.g. http://127.0.0.1:8788), over HTTP. */
export function localArgyleSource(origin: string): LocalArgyleSource {
  const auth = basicAuthorization(DEV_DEFAULTS.ARGYLE_API_KEY_ID, DEV_DEFAULTS.ARGYLE_API_KEY_SECRET);
  const get = async (url: string, withAuth: boolean): Promise<JsonResponse> => {
    try {
      return await fetchJson(url, withAuth ? { headers: { authorization: auth } } : {}, TIMEOUT_MS);
    } catch (error) {
      throw new LocalArgyleUnreachable(describeFetchError(error));
    }
  };
  const expectOk = (response: JsonResponse, what: string): unknown => {
    if (response.status !== 200) {
      throw new CliFailure(`the local Argyle answered ${response.status} to ${what}: ${response.text.slice(0, 300)}`);
    }
    return response.json;
  };

  return {
    origin,
    async accounts() {
      const body = expectOk(await get(`${origin}/_local/accounts`, false), "GET /_local/accounts") as {
        accounts?: LocalAccount[];
      };
      if (!Array.isArray(body?.accounts)) throw new CliFailure(`${origin}/_local/accounts is not a local Argyle`);
      return body.accounts;
    },
    async gigs(account) {
      const gigs: GigRef[] = [];
      let url: string | null = `${origin}/v2/gigs?account=${encodeURIComponent(account)}&limit=${PAGE_SIZE}`;
      while (url !== null) {
        // The credentials go only to the local Argyle, whatever a `next` link says.
        if (new URL(url).origin !== new URL(origin).origin) throw new CliFailure(`unexpected next link ${url}`);
        const page = expectOk(await get(url, true), "GET /v2/gigs") as { next: string | null; results: GigRef[] };
        gigs.push(...page.results.map(({ id, account, start_datetime }) => ({ id, account, start_datetime })));
        url = page.next;
      }
      // The list comes newest first, as Argyle's; callers pick "the newest N" from the end.
      return gigs.sort((a, b) => Date.parse(a.start_datetime) - Date.parse(b.start_datetime) || (a.id < b.id ? -1 : 1));
    },
    async gig(id) {
      const response = await get(`${origin}/v2/gigs/${encodeURIComponent(id)}`, true);
      if (response.status === 404) return null;
      const { account, start_datetime } = expectOk(response, `GET /v2/gigs/${id}`) as GigRef;
      return { id, account, start_datetime };
    },
  };
}
