/**
 * Seeded requests for fuzzing the receiver's door: random and mutated bodies (bad UTF-8, huge,
 * streamed), wrong, missing and duplicated headers, valid signatures over near-miss bodies,
 * signature spellings, odd paths and every method. Each request carries the oracle's verdict,
 * computed independently of the code under test: whether its signature is valid for its exact
 * bytes under the webhook secret.
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import fc from "fast-check";

export interface FuzzRequest {
  /** Which generator made it (for the report). */
  kind: string;
  method: string;
  /** Path and query, sent as is (not normalised by URL parsing). */
  path: string;
  headers: [string, string][];
  body: Uint8Array | null;
  /** Send the body as a stream (chunked, no Content-Length). */
  chunked: boolean;
  /** A marker inside the body that must never show up in a log line. */
  canary: string | null;
}

export interface FuzzInputs {
  secret: string;
  /** Real gig IDs and an account, so some signed deliveries make real work. */
  account: string;
  user: string;
  gigIds: string[];
  maxBodyBytes: number;
}

const encoder = new TextEncoder();
export const WEBHOOK_PATH = "/webhooks/argyle";
const SIGNATURE = "X-Argyle-Signature";

/** The oracle: is `header` a valid signature of exactly `body`? (trimmed, 128 hex digits, any case) */
export function signatureValid(secret: string, body: Uint8Array | null, headers: [string, string][]): boolean {
  const values = headers.filter(([name]) => name.toLowerCase() === SIGNATURE.toLowerCase()).map(([, v]) => v);
  // Repeated headers reach the server joined by ", ": never 128 hex digits.
  if (values.length !== 1) return false;
  const hex = (values[0] as string).trim();
  if (!/^[0-9a-fA-F]{128}$/.test(hex)) return false;
  const expected = createHmac("sha512", secret)
    .update(body ?? new Uint8Array())
    .digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}

function hmac(secret: string, body: Uint8Array): string {
  return createHmac("sha512", secret).update(body).digest("hex");
}

/** Requests of every kind, weighted towards the interesting ones. */
export function fuzzRequestArbitrary(inputs: FuzzInputs): fc.Arbitrary<FuzzRequest> {
  const canary = fc.stringMatching(/^[a-z0-9]{12}$/).map((s) => `canary-${s}`);
  const gigId = fc.constantFrom(...inputs.gigIds);
  const randomId = fc.uuid();

  // A plausible Argyle delivery (sometimes with IDs the local Argyle does not have).
  const delivery = fc
    .record({
      event: fc.constantFrom("gigs.updated", "gigs.removed", "gigs.added", "gigs.fully_synced", "accounts.updated"),
      ids: fc.array(fc.oneof(gigId, randomId), { minLength: 0, maxLength: 5 }),
      canary,
    })
    .map(({ event, ids, canary: marker }) => {
      const data: Record<string, unknown> = {
        account: inputs.account,
        user: inputs.user,
        available_count: ids.length,
        note: marker,
      };
      if (event === "gigs.updated") Object.assign(data, { updated_count: ids.length, updated_gigs: ids });
      if (event === "gigs.removed") Object.assign(data, { removed_count: ids.length, removed_gigs: ids });
      return { body: encoder.encode(JSON.stringify({ event, name: "fuzz", data })), canary: marker };
    });

  const signed = (kind: string, body: Uint8Array, marker: string | null, spell = (s: string) => s): FuzzRequest => ({
    kind,
    method: "POST",
    path: WEBHOOK_PATH,
    headers: [
      ["content-type", "application/json"],
      [SIGNATURE, spell(hmac(inputs.secret, body))],
    ],
    body,
    chunked: false,
    canary: marker,
  });

  const validDelivery = delivery.map(({ body, canary: marker }) => signed("valid delivery", body, marker));

  const spelled = fc
    .tuple(delivery, fc.constantFrom("upper", "mixed", "padded"))
    .map(([{ body, canary: marker }, how]) =>
      signed(`signature ${how}`, body, marker, (s) =>
        how === "upper"
          ? s.toUpperCase()
          : how === "mixed"
            ? [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("")
            : ` \t${s} `,
      ),
    );

  // Signed for body A, sent with B: one byte flipped, inserted, removed, or the body cut short.
  const nearMiss = fc
    .tuple(delivery, fc.nat(), fc.constantFrom("flip", "insert", "delete", "truncate", "append-space"))
    .map(([{ body, canary: marker }, at, how]) => {
      const request = signed(`near miss (${how})`, body, marker);
      const i = at % body.length;
      const bytes = [...body];
      if (how === "flip") bytes[i] = (bytes[i] as number) ^ 0x01;
      if (how === "insert") bytes.splice(i, 0, 0x20);
      if (how === "delete") bytes.splice(i, 1);
      if (how === "truncate") bytes.length = i;
      if (how === "append-space") bytes.push(0x20);
      return { ...request, body: Uint8Array.from(bytes) };
    });

  // Signatures that are close: one hex digit off, a prefix, a wrong secret, two headers, none.
  const badSignature = fc
    .tuple(delivery, fc.constantFrom("digit", "prefixed", "short", "wrong-secret", "twice", "missing", "empty", "junk"))
    .map(([{ body, canary: marker }, how]) => {
      const good = hmac(inputs.secret, body);
      const value: Record<string, string[]> = {
        digit: [`${good.slice(0, 127)}${good.endsWith("0") ? "1" : "0"}`],
        prefixed: [`sha512=${good}`],
        short: [good.slice(0, 64)],
        "wrong-secret": [hmac(`${inputs.secret}x`, body)],
        twice: [good, good],
        missing: [],
        empty: [""],
        junk: ["not a signature"],
      };
      return {
        kind: `bad signature (${how})`,
        method: "POST",
        path: WEBHOOK_PATH,
        headers: [
          ["content-type", "application/json"] as [string, string],
          ...(value[how] ?? []).map((v): [string, string] => [SIGNATURE, v]),
        ],
        body,
        chunked: false,
        canary: marker,
      };
    });

  // Arbitrary bytes (invalid UTF-8 included), signed or not.
  const randomBytes = fc
    .tuple(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), fc.boolean())
    .map(([body, sign, stream]) => {
      const headers: [string, string][] = [["content-type", "application/octet-stream"]];
      if (sign) headers.push([SIGNATURE, hmac(inputs.secret, body)]);
      return {
        kind: `random bytes${sign ? ", signed" : ""}${stream ? ", streamed" : ""}`,
        method: "POST",
        path: WEBHOOK_PATH,
        headers,
        body,
        chunked: stream,
        canary: null,
      };
    });

  // JSON of odd shapes (wrong types, unknown events, deep nesting, long ID lists), signed.
  const oddJson = fc
    .oneof(
      fc.json({ maxDepth: 4 }),
      fc.nat(2000).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
      fc.constant(
        JSON.stringify({ event: "gigs.updated", name: "x", data: { account: inputs.account, updated_gigs: "no" } }),
      ),
      fc.array(randomId, { maxLength: 300 }).map((ids) =>
        JSON.stringify({
          event: "gigs.updated",
          name: "fuzz",
          data: { account: inputs.account, user: inputs.user, updated_gigs: ids, updated_count: ids.length },
        }),
      ),
    )
    .map((text) => signed("odd JSON, signed", encoder.encode(text), null));

  // The right signature and body, sent somewhere else or with another method.
  const elsewhere = fc
    .tuple(
      validDelivery,
      fc.constantFrom(
        "/webhooks/argyle/",
        "//webhooks/argyle",
        "/WEBHOOKS/argyle",
        "/webhooks/Argyle",
        "/webhooks/argyle?x=1",
        "/webhooks/argyle?",
        "/webhooks/argyle/extra",
        "/webhooks/argyl",
        "/webhooks/%61rgyle",
        "/webhooks%2Fargyle",
        "/webhooks/argyle;v=1",
        "/webhooks/./argyle",
        "/webhooks/../webhooks/argyle",
        "/api/events",
        "/v2/gigs",
        "/health",
        "/",
      ),
      fc.constantFrom("POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
    )
    .map(([request, path, method]) => ({
      ...request,
      kind: `${method} ${path}`,
      method,
      path,
      body: method === "GET" || method === "HEAD" ? null : request.body,
    }));

  // Odd headers around a valid signature: content types, encodings, junk.
  const oddHeaders = fc
    .tuple(
      validDelivery,
      fc.constantFrom<[string, string][]>(
        [["content-type", "text/plain"]],
        [["content-type", "application/x-www-form-urlencoded"]],
        [["content-encoding", "gzip"]],
        [["content-encoding", "br"]],
        [["x-forwarded-for", "1.2.3.4"]],
        [["cf-connecting-ip", "not-an-ip"]],
        [["authorization", "Bearer guess"]],
        [["x-junk", "a".repeat(4000)]],
      ),
    )
    .map(([request, extra]) => ({
      ...request,
      kind: `extra header ${extra[0]?.[0]}`,
      headers: [...request.headers.filter(([n]) => !extra.some(([e]) => e === n)), ...extra],
    }));

  return fc.oneof(
    { weight: 6, arbitrary: validDelivery },
    { weight: 2, arbitrary: spelled },
    { weight: 5, arbitrary: nearMiss },
    { weight: 4, arbitrary: badSignature },
    { weight: 4, arbitrary: randomBytes },
    { weight: 2, arbitrary: oddJson },
    { weight: 4, arbitrary: elsewhere },
    { weight: 2, arbitrary: oddHeaders },
  );
}

/** Bodies at and just past the size cap, signed or not, by Content-Length or streamed. */
export function hugeRequestArbitrary(inputs: FuzzInputs): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.boolean()).map(([delta, sign, stream]) => {
    const body = new Uint8Array(inputs.maxBodyBytes + delta * 512).fill(0x61);
    const headers: [string, string][] = sign ? [[SIGNATURE, hmac(inputs.secret, body)]] : [];
    return {
      kind: `size cap ${delta >= 0 ? "+" : ""}${delta * 512}${stream ? ", streamed" : ""}`,
      method: "POST",
      path: WEBHOOK_PATH,
      headers,
      body,
      chunked: stream,
      canary: null,
    };
  });
}
