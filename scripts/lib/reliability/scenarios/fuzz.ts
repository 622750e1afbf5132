/**
 * Fuzzing the door: thousands of random and mutated requests to the real receiver over HTTP, with
 * 3 % of its D1 and Queue calls failing. Never a 5xx but an injected fault's 503; nothing stored
 * unless its signature is valid for its exact bytes (Node's own HMAC decides); every valid
 * delivery to the webhook path accepted; the Worker still healthy at the end; nothing sensitive
 * in the logs.
 * @module
 */
import { createHash } from "node:crypto";
import path from "node:path";
import fc from "fast-check";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { createRandom } from "../../../../src/local-argyle/random.ts";
import { ROOT } from "../../common/stack.ts";
import { attemptEffect } from "../event-check.ts";
import { BINDING_CALLS_HEADER } from "../fault-protocol.ts";
import { isReceiverD1, isReceiverQueue, randomFailures } from "../fault-rules.ts";
import { type FuzzRequest, fuzzRequestArbitrary, hugeRequestArbitrary, signatureValid } from "../fuzz-requests.ts";
import { Pipeline, SECRETS } from "../pipeline.ts";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario.ts";
import { pool } from "../workload.ts";

export const FUZZ_SCENARIO: Scenario = {
  id: "fuzz-receiver",
  title: "Fuzz: random and mutated requests to the receiver, 3 % of its D1 / Queue calls failing",
  testFile: "test/node/pipeline/fuzz.test.ts",
  defaultSeed: 5101,
  run: runFuzz,
};

const CONCURRENCY = 8;
/** Paths where a validly signed POST must be accepted. */
const WEBHOOK_PATHS = new Set(["/webhooks/argyle", "/webhooks/argyle?x=1", "/webhooks/argyle?"]);

interface Outcome {
  request: FuzzRequest;
  valid: boolean;
  status: number;
  calls: string[];
  retryAfter: string | null;
}

/** The receiver's body cap, as wrangler.toml configures it. */
function maxBodyBytes(): number {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml"));
  const value = Number((workerOptions.bindings as Record<string, unknown> | undefined)?.MAX_BODY_BYTES);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error("wrangler.toml sets no MAX_BODY_BYTES");
  return value;
}

async function runFuzz(ctx: ScenarioContext): Promise<ScenarioResult> {
  const cap = maxBodyBytes();
  const p = await Pipeline.start({ seed: ctx.seed, accounts: [{ gigs: 40 }] });
  try {
    p.faults?.setRule(
      randomFailures(
        createRandom(`${ctx.seed}:faults`),
        { match: isReceiverD1, rate: 0.03, afterShare: 1 / 3 },
        { match: isReceiverQueue, rate: 0.03, afterShare: 1 / 3 },
      ),
    );
    const account = p.argyle.store.accounts()[0];
    if (!account) throw new Error("no account");
    const inputs = {
      secret: SECRETS.webhookSecret,
      account: account.id,
      user: account.user,
      gigIds: p.argyle.store.gigsOf(account.id).map((g) => g.id),
      maxBodyBytes: cap,
    };
    const n = ctx.sizes.fuzzRequests;
    const requests = [
      ...fc.sample(fuzzRequestArbitrary(inputs), { seed: ctx.seed, numRuns: n }),
      ...fc.sample(hugeRequestArbitrary(inputs), { seed: ctx.seed, numRuns: Math.max(5, Math.round(n / 200)) }),
    ];
    for (const r of requests) {
      if (r.canary) p.logs.secret(r.canary);
      for (const [name, value] of r.headers)
        if (name.toLowerCase() === "x-argyle-signature") p.logs.secret(value.trim());
      if (r.body && r.body.length < 10_000) p.logs.body(new TextDecoder().decode(r.body));
    }

    const outcomes: Outcome[] = [];
    let refused = 0;
    await pool(requests, CONCURRENCY, async (request) => {
      const outcome = await send(p.stack.url, request);
      if (outcome === null) refused++;
      else outcomes.push(outcome);
    });
    ctx.log(`${outcomes.length} requests answered, ${refused} refused by the HTTP client itself`);
    p.faults?.setRule(null);

    const violations: string[] = [];
    const note = (line: string) => {
      if (violations.length < 40) violations.push(line);
    };
    let accepted = 0;
    // A 503 may leave an event only when its commit's answer was lost (see event-check.ts).
    let leftBehind = 0;
    for (const o of outcomes) {
      const effect = attemptEffect(o.status, o.calls);
      if (o.status !== 202 && effect.row) {
        leftBehind++;
        if (!effect.explained) note(`a ${o.status} left an event row behind: ${o.request.kind}`);
      }
      const injected = o.calls.some((c) => !c.includes(":pass:"));
      const what = `${o.request.kind} → ${o.status}`;
      if (o.status >= 500 && !injected) note(`5xx without an injected fault: ${what}`);
      if (injected && o.status >= 500 && o.status !== 503) note(`injected fault answered other than 503: ${what}`);
      // Argyle must be told when to deliver again (GET /health's 503 has no one to tell).
      const webhook = o.request.method === "POST" && WEBHOOK_PATHS.has(o.request.path);
      if (injected && webhook && o.status === 503 && !o.retryAfter) note(`webhook 503 without Retry-After: ${what}`);
      if (o.status === 202) {
        accepted++;
        if (!o.valid) note(`accepted without a valid signature: ${what}`);
      }
      const deliverable = o.valid && o.request.method === "POST" && WEBHOOK_PATHS.has(o.request.path) && !injected;
      const fits = (o.request.body?.length ?? 0) <= cap;
      if (deliverable && fits && o.status !== 202) note(`valid delivery refused: ${what}`);
      if (deliverable && !fits && o.status !== 413) note(`oversized delivery not 413: ${what}`);
    }

    // Every stored event is a body some request signed validly, byte for byte.
    const validShas = new Set(
      outcomes
        .filter((o) => o.valid)
        .map((o) =>
          createHash("sha256")
            .update(o.request.body ?? new Uint8Array())
            .digest("hex"),
        ),
    );
    const { results } = await p.stack.db
      .prepare("SELECT id, body_sha256 FROM events")
      .all<{ id: string; body_sha256: string }>();
    for (const row of results) {
      if (!validShas.has(row.body_sha256)) note(`event ${row.id} stored for a body no request signed validly`);
    }
    if (results.length !== accepted + leftBehind) {
      note(`${results.length} events stored for ${accepted} deliveries accepted and ${leftBehind} failed rollbacks`);
    }

    const health = await fetch(`${p.stack.url}/health`);
    if (health.status !== 200) note(`GET /health answered ${health.status} after the fuzzing`);
    // Let the consumer finish the work the valid deliveries queued before the pipeline stops.
    await p.waitForDrain(undefined, 30_000);
    violations.push(...p.logs.leaks().slice(0, 20));

    const injected = p.faults?.injectedCount() ?? 0;
    const kinds = new Map<string, number>();
    for (const o of outcomes) kinds.set(String(o.status), (kinds.get(String(o.status)) ?? 0) + 1);
    return {
      deliveries: requests.length,
      faults: injected,
      faultKinds: injected > 0 ? `D1 / queue ${injected}` : "",
      retries: 0,
      events: { recorded: results.length, expected: accepted + leftBehind },
      gigs: null,
      removed: null,
      lost: Math.max(0, accepted - results.length),
      excessFetches: null,
      violations,
      notes: [
        `answers: ${[...kinds]
          .sort()
          .map(([s, k]) => `${s} × ${k}`)
          .join(", ")}`,
        ...(refused > 0 ? [`${refused} request(s) refused by the HTTP client before sending`] : []),
        `${p.logs.lines.length} log lines captured and scanned`,
      ],
    };
  } finally {
    await p.close();
  }
}

async function send(origin: string, request: FuzzRequest): Promise<Outcome | null> {
  const body = request.body;
  let payload: BodyInit | null = body as Uint8Array<ArrayBuffer> | null;
  if (body && request.chunked) {
    payload = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < body.length; i += 16_384) controller.enqueue(body.slice(i, i + 16_384));
        controller.close();
      },
    });
  }
  let response: Response;
  try {
    response = await fetch(`${origin}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: payload,
      ...(request.chunked ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch {
    return null;
  }
  await response.arrayBuffer();
  return {
    request,
    valid: signatureValid(SECRETS.webhookSecret, body, request.headers),
    status: response.status,
    calls: response.headers.get(BINDING_CALLS_HEADER)?.split(",").filter(Boolean) ?? [],
    retryAfter: response.headers.get("retry-after"),
  };
}
