/**
 * Security checks on the running receiver and on the code that ships:
 * - every route but the public ones answers 401 without credentials, over HTTP on the local
 *   runtime; the routes come from the app's own table, so a new route cannot be forgotten;
 * - signatures and tokens are compared in constant time: the bundled Worker verifies signatures
 *   with crypto.subtle.verify and tokens with crypto.subtle.timingSafeEqual, with no equality
 *   operator on the way (checked on the bundle esbuild makes, the code that is deployed);
 * - the log check every pipeline suite ends with does find what it looks for.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorker } from "../../../scripts/lib/common/bundle.ts";
import { ROOT } from "../../../scripts/lib/common/stack.ts";
import { LogSink } from "../../../scripts/lib/reliability/log-sink.ts";
import { Pipeline, SECRETS, sign } from "../../../scripts/lib/reliability/pipeline.ts";
import { guardedRoutes, READ_API_ROUTES } from "../../workers/guarded-routes.ts";

// Imported by path, so that tsconfig.node.json does not type-check the Worker with Node's types.
const RECEIVER_ENTRY = path.join(ROOT, "src/receiver/index.ts");
const { default: app } = (await import(RECEIVER_ENTRY)) as { default: { routes: { method: string; path: string }[] } };

const guarded = guardedRoutes(app.routes);

let p: Pipeline;

beforeAll(async () => {
  p = await Pipeline.start({ seed: 81, accounts: [{ gigs: 5 }], faultInjection: false });
}, 60_000);

afterAll(async () => {
  await p.close();
});

describe("every non-public route requires credentials, over HTTP on the running receiver", () => {
  it("enumerates the app's routes, the whole read API among them", () => {
    expect(guarded.map((r) => r.label)).toEqual(expect.arrayContaining(READ_API_ROUTES));
  });

  it.each(guarded)(
    "$label answers 401 without credentials, and with a wrong token",
    async ({ method, path: route }) => {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: "Bearer not-the-token" },
        { authorization: `Basic ${btoa("x:nope")}` },
      ];
      for (const headers of attempts) {
        if (headers.authorization) p.logs.secret(headers.authorization);
        const res = await fetch(`${p.stack.url}${route}`, { method, headers });
        expect(res.status, `${method} ${route} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
        await res.arrayBuffer();
      }
    },
  );

  it("the public routes: /health needs nothing; a webhook needs a valid signature, not a token", async () => {
    expect((await fetch(`${p.stack.url}/health`)).status).toBe(200);
    const body = JSON.stringify({ event: "accounts.updated", name: "s", data: {} });
    const token = { authorization: `Bearer ${SECRETS.apiToken}` };
    const url = `${p.stack.url}/webhooks/argyle`;
    expect((await fetch(url, { method: "POST", body, headers: token })).status).toBe(401);
    const signed = { "x-argyle-signature": sign(SECRETS.webhookSecret, body) };
    expect((await fetch(url, { method: "POST", body, headers: signed })).status).toBe(202);
  });
});

describe("the logs of these requests", () => {
  it("hold neither our secrets nor the credentials presented", () => {
    expect(p.logs.lines.length).toBeGreaterThan(0);
    expect(p.logs.leaks()).toEqual([]);
  });
});

describe("constant-time comparison, in the bundle that ships", () => {
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleWorker(RECEIVER_ENTRY);
  });

  it("verifies webhook signatures with crypto.subtle.verify, under every secret, with no equality test", () => {
    const verify = functionSource(bundle, "verifySignature");
    expect(verify).toMatch(/crypto\.subtle\.verify\("HMAC",/);
    expect(verify).toMatch(/secrets\.map\(/);
    expect(verify).not.toMatch(/[!=]==?/);
    const guard = functionSource(bundle, "requireSignature");
    expect(guard).toMatch(/await verifySignature\(/);
    expect(guard).not.toMatch(/[!=]==?/);
  });

  it("compares API tokens with crypto.subtle.timingSafeEqual over SHA-256 digests, never with ===", () => {
    const same = functionSource(bundle, "sameToken");
    expect(same.match(/crypto\.subtle\.digest\("SHA-256",/g)).toHaveLength(2);
    expect(same).toMatch(/return crypto\.subtle\.timingSafeEqual\(a, b\)/);
    expect(same).not.toMatch(/[!=]==?/);
    const guard = functionSource(bundle, "grantFor");
    expect(guard).toMatch(/sameToken\(presented, t\.value\)/);
    expect(guard).not.toMatch(/(presented|value)\s*[!=]==?\s*(presented|t\.value|env)/);
  });

  it("reads the secrets only in those guards", () => {
    // Property reads (`env.API_TOKEN`), not the names inside error messages.
    const reads = (code: string, name: string) => [...code.matchAll(new RegExp(`\\.${name}\\b`, "g"))].length;
    for (const name of [
      "API_TOKEN",
      "API_TOKEN_READ",
      "API_TOKEN_READ_PREVIOUS",
      "API_TOKEN_ADMIN",
      "API_TOKEN_ADMIN_PREVIOUS",
    ]) {
      expect(reads(bundle, name), name).toBe(reads(functionSource(bundle, "configuredTokens"), name));
      expect(reads(bundle, name), name).toBeGreaterThan(0);
    }
    for (const name of ["ARGYLE_WEBHOOK_SECRET", "ARGYLE_WEBHOOK_SECRET_PREVIOUS"]) {
      expect(reads(bundle, name), name).toBe(reads(functionSource(bundle, "requireSecret"), name));
      expect(reads(bundle, name), name).toBeGreaterThan(0);
    }
  });
});

describe("the log check", () => {
  it("finds a planted secret, a signature and a raw body, and passes clean lines", () => {
    const sink = new LogSink();
    const body = JSON.stringify({ event: "gigs.updated", name: "x", data: { updated_gigs: ["a"] } });
    sink.secret(SECRETS.apiToken);
    sink.body(body);
    sink.collect("log", JSON.stringify({ level: "info", msg: "webhook", id: "0190", bytes: 12 }));
    expect(sink.leaks()).toEqual([]);
    sink.collect("log", JSON.stringify({ msg: "oops", token: SECRETS.apiToken }));
    sink.collect("warn", `signature ${sign("k", "b")}`);
    sink.collect("error", `body: ${body}`);
    expect(sink.leaks()).toHaveLength(3);
  });
});

/** The source of function `name` in the bundle (a `function` or a `var name = ... => {`). */
function functionSource(code: string, name: string): string {
  const start = code.search(new RegExp(`(?:function ${name}\\d*\\(|var ${name}\\d* = )`));
  if (start === -1) throw new Error(`${name} is not in the bundle`);
  const open = code.indexOf("{", code.indexOf(")", start));
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === "{") depth++;
    if (code[i] === "}" && --depth === 0) return code.slice(start, i + 1);
  }
  throw new Error(`${name} never ends`);
}
