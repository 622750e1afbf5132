/**
 * D1's transient answers (reference: Cloudflare's D1 "debug" and "retry queries" pages): the
 * database, not the request, is at fault, and the same work succeeds later. A shard answering
 * these is busy or restarting: its jobs retry with backoff and are never failed for good; the
 * catalog answering these makes the receiver answer 503 with Retry-After.
 * @module
 */

/** Texts D1 answers with when overloaded, reset or unreachable (with or without the D1_ERROR prefix). */
export const D1_TRANSIENT_TEXTS = [
  "D1 DB is overloaded",
  "D1 DB reset because its code was updated",
  "storage caused object to be reset",
  "Network connection lost",
  "exceeded timeout",
  "transient issue on remote node",
  "client disconnected",
] as const;

/** True for an error whose message (or its cause's) is one of D1's transient answers. */
export function isD1Transient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const message = e.message.toLowerCase();
    if (D1_TRANSIENT_TEXTS.some((text) => message.includes(text.toLowerCase()))) return true;
  }
  return false;
}
