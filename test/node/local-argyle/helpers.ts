/**
 * Helpers for the local Argyle's tests: authenticated requests through `app.request`, and
 * following list links to the end.
 */
import {
  basicAuthHeader,
  createLocalArgyle,
  type LocalArgyle,
  type LocalArgyleOptions,
} from "../../../src/local-argyle/app.ts";
import type { Gig } from "../../../src/local-argyle/model.ts";

export const ORIGIN = "http://argyle.test";

/** A local Argyle with a small fixed dataset and a fixed clock unless told otherwise. */
export function localArgyle(options: LocalArgyleOptions = {}): LocalArgyle {
  let clock = Date.parse("2026-11-20T12:00:00Z");
  return createLocalArgyle({
    seed: 7,
    accounts: [{ gigs: 25 }, { gigs: 140, user: 0 }, { gigs: 60 }],
    // Each reading moves on a second, so successive changes get distinct times.
    now: () => (clock += 1000),
    deliver: () => Promise.reject(new Error("no delivery expected in this test")),
    ...options,
  });
}

/** An authenticated request to the local Argyle's app. */
export function call(argyle: LocalArgyle, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", basicAuthHeader(argyle.credentials));
  return Promise.resolve(argyle.app.request(new Request(new URL(path, ORIGIN), { ...init, headers })));
}

export interface ListBody<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

/** GETs `path` and every `next` link after it; returns each page's body. */
export async function allPages<T = Gig>(
  argyle: LocalArgyle,
  path: string,
  between?: (page: number) => void,
): Promise<ListBody<T>[]> {
  const pages: ListBody<T>[] = [];
  let url: string | null = path;
  while (url !== null) {
    const response = await call(argyle, url);
    if (response.status !== 200) throw new Error(`GET ${url} → ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as ListBody<T>;
    pages.push(body);
    between?.(pages.length);
    url = body.next;
    if (pages.length > 10_000) throw new Error("pagination does not end");
  }
  return pages;
}
