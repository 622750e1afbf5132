/**
 * Signed `gigs.updated` bodies for load runs, shaped as Argyle sends them. Every body differs
 * (the first gig ID carries a counter), as real deliveries do, so nothing is stored once and
 * then found duplicate; each is signed afresh, as Argyle signs each delivery.
 * @module
 */
import { createHmac, randomUUID } from "node:crypto";
import { planJobs } from "../../../src/domain/jobs.ts";
import { SIGNATURE_HEADER } from "../../../src/domain/signature.ts";
import { parseWebhook } from "../../../src/domain/webhook-schema.ts";

export interface WebhookBodies {
  ids: number;
  /** Bytes in one body. */
  bytes: number;
  /** Queue messages the receiver makes of one body, and their mean JSON size. */
  jobs: { count: number; bytes: number };
  next: () => { body: Buffer; headers: Record<string, string> };
}

/** The bare-I/O baseline's message is `{"id":"<uuid>","n":<n>,"filler":"…"}`: this much without filler. */
const BASELINE_MESSAGE_OVERHEAD = 70;
const COUNTER_DIGITS = 12;

export function gigsUpdatedBodies(ids: number, secret: string): WebhookBodies {
  const marker = "f".repeat(COUNTER_DIGITS);
  const gigIds: string[] = Array.from({ length: ids }, () => randomUUID());
  gigIds[0] = `${(gigIds[0] as string).slice(0, -COUNTER_DIGITS)}${marker}`;
  const template = JSON.stringify({
    event: "gigs.updated",
    name: "argyle-gig-mirror-benchmark",
    data: {
      account: randomUUID(),
      user: randomUUID(),
      available_from: "2024-01-01T08:00:00Z",
      available_to: "2026-10-31T22:00:00Z",
      available_count: ids + 1000,
      updated_count: ids,
      updated_gigs: gigIds,
      updated_from: "2026-10-01T08:00:00Z",
      updated_to: "2026-10-31T22:00:00Z",
    },
  });
  const at = template.indexOf(marker);
  const prefix = template.slice(0, at);
  const suffix = template.slice(at + COUNTER_DIGITS);
  const jobs = jobsOf(Buffer.from(template));
  const fixedHeaders = {
    "content-type": "application/json",
    "x-bench-messages": String(jobs.count),
    "x-bench-message-bytes": String(Math.max(0, jobs.bytes - BASELINE_MESSAGE_OVERHEAD)),
  };
  let counter = 0;
  return {
    ids,
    bytes: Buffer.byteLength(template),
    jobs,
    next: () => {
      const n = (counter++).toString(16).padStart(COUNTER_DIGITS, "0");
      const body = Buffer.from(prefix + n + suffix);
      const signature = createHmac("sha512", secret).update(body).digest("hex");
      return { body, headers: { ...fixedHeaders, [SIGNATURE_HEADER]: signature } };
    },
  };
}

function jobsOf(body: Buffer): { count: number; bytes: number } {
  const parsed = parseWebhook(new Uint8Array(body));
  if (parsed.kind !== "gig") throw new Error("the benchmark's webhook template does not validate");
  const jobs = planJobs(parsed.envelope, { eventId: randomUUID(), receivedAt: new Date().toISOString() });
  const bytes = jobs.reduce((total, job) => total + Buffer.byteLength(JSON.stringify(job)), 0);
  return { count: jobs.length, bytes: Math.round(bytes / jobs.length) };
}
