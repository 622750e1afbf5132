/**
 * Whether a configured ARGYLE_API_URL can be Argyle's v2 API at all. Both Argyle hosts serve the
 * API under `/v2` (reference: argyle.md §6); a base without it makes every request miss the API
 * and land on some other 404, which must never be taken as "gone". So such a base is refused
 * before any request is made: by the consumer at startup, and by `npm run dry-run`.
 * @module
 */

/** Why `url` cannot be Argyle's v2 API base, or null when it can. Never echoes credentials. */
export function argyleApiUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "ARGYLE_API_URL must be an absolute URL such as https://api.argyle.com/v2";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `ARGYLE_API_URL must be an http(s) URL such as https://api.argyle.com/v2, not ${parsed.protocol}`;
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "ARGYLE_API_URL must not carry credentials: set ARGYLE_API_KEY_ID / ARGYLE_API_KEY_SECRET";
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    return "ARGYLE_API_URL must be a base URL without a query or fragment, such as https://api.argyle.com/v2";
  }
  // One optional trailing slash: "/v2" and "/v2/" both name the API, "/v2//" or "/v1" do not.
  if (!/\/v2\/?$/.test(parsed.pathname)) {
    return `ARGYLE_API_URL's path must end in /v2 (Argyle's API version), e.g. https://api.argyle.com/v2; got path "${parsed.pathname}"`;
  }
  return null;
}
