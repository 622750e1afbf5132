/**
 * Fault knobs: how the local Argyle misbehaves, and a seeded draw deciding which request a fault
 * hits. Rates are fractions of requests; one draw per request is split between the faults, so
 * `rateLimitRate: 0.1` answers exactly a tenth of requests (on average) with 429.
 * @module
 */
import * as v from "valibot";
import { ARGYLE_ID_PATTERN } from "../domain/ids.ts";
import { createRandom, type Random, type Seed } from "./random.ts";

const Rate = v.pipe(v.number(), v.minValue(0), v.maxValue(1));
const Millis = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000));
const GigId = v.pipe(v.string(), v.regex(ARGYLE_ID_PATTERN, "must be an Argyle ID"));

/** Every knob, with its default. PUT /_local/faults takes this object (unknown keys are refused). */
export const FaultSettingsSchema = v.strictObject({
  /** Added to every /v2 response, before anything else happens. */
  latencyMs: v.optional(Millis, 0),
  /** Share of gig requests answered 429 with Retry-After. */
  rateLimitRate: v.optional(Rate, 0),
  retryAfterSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400)), 1),
  /** Retry-After as delta-seconds ("1") or as an HTTP-date ("Fri, 27 Nov 2026 05:16:48 GMT"). */
  retryAfterFormat: v.optional(v.picklist(["seconds", "http-date"]), "seconds"),
  /** Share of gig requests answered with one of `serverErrorStatuses`. */
  serverErrorRate: v.optional(Rate, 0),
  serverErrorStatuses: v.optional(
    v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(500), v.maxValue(599))), v.minLength(1)),
    () => [500, 502, 503, 504],
  ),
  /** Share of gig requests that hang: no answer until `hangMs` passes or the client gives up. */
  timeoutRate: v.optional(Rate, 0),
  hangMs: v.optional(Millis, 30_000),
  /** Share of gig requests answered 200 with a truncated, unparsable JSON body. */
  malformedRate: v.optional(Rate, 0),
  /**
   * Share of gig requests answered 404 with an HTML page, as a proxy, a load balancer or a wrong
   * base path does: a 404 that is not Argyle's `{"detail": "Not found."}` and proves nothing.
   */
  foreignNotFoundRate: v.optional(Rate, 0),
  /** Gig IDs GET /v2/gigs/:id answers 404 for even though they exist. */
  notFoundIds: v.optional(v.array(GigId), () => []),
  /** When set, the random faults above hit only GET /v2/gigs/:id for these IDs, never lists. */
  onlyIds: v.optional(v.nullable(v.array(GigId)), null),
  /** Every /v2 request answers 401, as with a revoked key or the wrong environment. */
  authFailing: v.optional(v.boolean(), false),
  /**
   * Webhook faults, for the alert rules (README "Alerts"): deliveries signed with a wrong secret
   * (the receiver refuses them with 401), deliveries whose data lacks its account (signed, so the
   * receiver records them `invalid`), or no deliveries at all (a broken subscription).
   */
  webhookSignatureWrong: v.optional(v.boolean(), false),
  webhookDataInvalid: v.optional(v.boolean(), false),
  webhooksPaused: v.optional(v.boolean(), false),
  /** Restarts the fault draws from this seed, making a run's fault pattern reproducible. */
  seed: v.optional(v.union([v.number(), v.string()])),
});

export type FaultSettings = v.InferOutput<typeof FaultSettingsSchema>;
export type FaultInput = v.InferInput<typeof FaultSettingsSchema>;

/** What happens to one gig request. */
export type FaultDecision =
  | { kind: "none" }
  | { kind: "rate_limit" }
  | { kind: "server_error"; status: number }
  | { kind: "timeout" }
  | { kind: "malformed" }
  | { kind: "foreign_not_found" };

/** The settings `input` asks for, or readable problems (path: message). */
export function parseFaultInput(input: unknown): { settings: FaultSettings } | { issues: string[] } {
  const parsed = v.safeParse(FaultSettingsSchema, input ?? {});
  if (!parsed.success) {
    return { issues: parsed.issues.map((i) => `${v.getDotPath(i) ?? "(body)"}: ${i.message}`) };
  }
  const s = parsed.output;
  const sum = s.rateLimitRate + s.serverErrorRate + s.timeoutRate + s.malformedRate + s.foreignNotFoundRate;
  if (sum > 1 + 1e-9) return { issues: [`the fault rates add up to ${sum}; at most 1 is possible`] };
  return { settings: s };
}

export class Faults {
  #settings: FaultSettings;
  #notFound = new Set<string>();
  #only: Set<string> | null = null;
  #random: Random;

  constructor(input: FaultInput = {}, seed: Seed = 0) {
    this.#random = createRandom(seed);
    this.#settings = this.#apply(input);
  }

  /** The current knobs (a copy). */
  get settings(): FaultSettings {
    return structuredClone(this.#settings);
  }

  /** Replaces every knob: those not given go back to their defaults. Throws on invalid input. */
  replace(input: FaultInput): FaultSettings {
    this.#settings = this.#apply(input);
    return this.settings;
  }

  /** Changes only the knobs given. Throws on invalid input. */
  update(input: FaultInput): FaultSettings {
    const { seed: _seed, ...current } = this.#settings;
    return this.replace({ ...current, ...input });
  }

  /** No faults at all. */
  reset(): void {
    this.replace({});
  }

  /** The fault for a gig request: `gigId` for GET /v2/gigs/:id, null for a list page. */
  decide(gigId: string | null): FaultDecision {
    const s = this.#settings;
    if (this.#only && (gigId === null || !this.#only.has(gigId))) return { kind: "none" };
    // One draw, split into consecutive bands: [0, rateLimit) → 429, then 5xx, then hang, then
    // malformed, then a foreign 404.
    const u = this.#random.next();
    let edge = s.rateLimitRate;
    if (u < edge) return { kind: "rate_limit" };
    edge += s.serverErrorRate;
    if (u < edge) return { kind: "server_error", status: this.#random.pick(s.serverErrorStatuses) };
    edge += s.timeoutRate;
    if (u < edge) return { kind: "timeout" };
    edge += s.malformedRate;
    if (u < edge) return { kind: "malformed" };
    edge += s.foreignNotFoundRate;
    if (u < edge) return { kind: "foreign_not_found" };
    return { kind: "none" };
  }

  /** Whether GET /v2/gigs/:id must pretend `id` does not exist. */
  hidesGig(id: string): boolean {
    return this.#notFound.has(id);
  }

  /** The Retry-After value for a 429 answered at `nowMs`. */
  retryAfter(nowMs: number): string {
    const { retryAfterSeconds: seconds, retryAfterFormat: format } = this.#settings;
    // An HTTP-date has whole seconds: round up so the client never retries early.
    return format === "seconds"
      ? String(seconds)
      : new Date(Math.ceil(nowMs / 1000) * 1000 + seconds * 1000).toUTCString();
  }

  #apply(input: FaultInput): FaultSettings {
    const parsed = parseFaultInput(input);
    if ("issues" in parsed) throw new Error(`invalid fault settings: ${parsed.issues.join("; ")}`);
    const s = parsed.settings;
    this.#notFound = new Set(s.notFoundIds);
    this.#only = s.onlyIds ? new Set(s.onlyIds) : null;
    if (s.seed !== undefined) this.#random = createRandom(s.seed);
    return s;
  }
}
