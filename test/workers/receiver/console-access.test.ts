import { sign } from "hono/jwt";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ACCESS_HEADER } from "../../../src/receiver/console/access.ts";
import { ConsoleClient } from "../console-helpers.ts";

const TEAM = "example-team";
const AUD = "a".repeat(64);
const ISSUER = `https://${TEAM}.cloudflareaccess.com`;
const CERTS = `${ISSUER}/cdn-cgi/access/certs`;
const ACCESS_ENV = { CONSOLE_ACCESS_TEAM: TEAM, CONSOLE_ACCESS_AUD: AUD };

let privateKey: CryptoKey;
let otherKey: CryptoKey;
let publicJwk: JsonWebKey;

async function rsaPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
}

beforeAll(async () => {
  const pair = await rsaPair();
  privateKey = pair.privateKey;
  otherKey = (await rsaPair()).privateKey;
  publicJwk = {
    ...((await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey),
    kid: "k1",
    alg: "RS256",
    use: "sig",
  } as JsonWebKey;
});
afterEach(() => vi.restoreAllMocks());

/** Serves the team's JWKS from the mocked fetch, and nothing else. */
function mockJwks() {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === CERTS) return Response.json({ keys: [publicJwk] });
    return new Response("unexpected fetch", { status: 500 });
  });
}

async function assertion(claims: Record<string, unknown> = {}, key: CryptoKey = privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: [AUD],
    iss: ISSUER,
    sub: "user-1",
    email: "ops@example.com",
    iat: now,
    exp: now + 600,
    ...claims,
  };
  const token = await sign(payload, key as never, "RS256");
  // Hono signs without a kid; Access tokens carry one, and the JWKS lookup needs it.
  const [, body] = token.split(".");
  const header = btoa(JSON.stringify({ alg: "RS256", kid: "k1", typ: "JWT" }))
    .replace(/=+$/, "")
    .replaceAll("+", "-")
    .replaceAll("/", "_");
  const data = new TextEncoder().encode(`${header}.${body}`);
  const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, data));
  const sig = btoa(String.fromCharCode(...signature))
    .replace(/=+$/, "")
    .replaceAll("+", "-")
    .replaceAll("/", "_");
  return `${header}.${body}.${sig}`;
}

describe("Cloudflare Access mode", () => {
  it("lets a request Access signed for this application in, showing who, with no login form", async () => {
    const fetchSpy = mockJwks();
    const client = new ConsoleClient(ACCESS_ENV);
    const res = await client.request("/console", { headers: { [ACCESS_HEADER]: await assertion() } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("ops@example.com");
    expect(fetchSpy.mock.calls.map(([url]) => String(url))).toEqual([CERTS]);
    expect((await client.get("/console/login")).status).toBe(303);
  });

  it.each([
    ["no assertion", async () => null],
    ["another audience", () => assertion({ aud: ["b".repeat(64)] })],
    ["another issuer", () => assertion({ iss: "https://other.cloudflareaccess.com" })],
    ["an expired token", () => assertion({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ["a key not in the team's JWKS", () => assertion({}, otherKey)],
  ])("refuses %s with 403", async (_label, make) => {
    mockJwks();
    const token = await make();
    const client = new ConsoleClient(ACCESS_ENV);
    const res = await client.request("/console", token ? { headers: { [ACCESS_HEADER]: token } } : {});
    expect(res.status).toBe(403);
    // A session cookie does not stand in for Access.
    expect(client.cookie).toBeNull();
  });

  it("still needs the CSRF token (bound to the Access identity) for mutations", async () => {
    mockJwks();
    const client = new ConsoleClient(ACCESS_ENV);
    const headers = { [ACCESS_HEADER]: await assertion() };
    const page = await (await client.request("/console", { headers })).text();
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(page)?.[1] ?? "";
    expect((await client.post("/console/failures/retry", {}, headers)).status).toBe(403);
    expect((await client.post("/console/failures/retry", { _csrf: csrf }, headers)).status).toBe(200);
  });
});
