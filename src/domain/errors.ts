/**
 * Errors that cross module boundaries.
 * @module
 */
import { isD1Transient } from "./d1-faults.ts";

/**
 * An infrastructure fault (D1 or the Queue failed). Nothing half-done was kept: the caller should
 * answer with a retryable status (503 + Retry-After) so the sender delivers again.
 */
export class UnavailableError extends Error {
  readonly dependency: "d1" | "queue";

  constructor(dependency: "d1" | "queue", options?: { cause?: unknown }) {
    super(`${dependency} is unavailable`, options);
    this.name = "UnavailableError";
    this.dependency = dependency;
  }
}

/**
 * True for an error D1 raised (its messages start with D1_ERROR, D1_EXEC_ERROR, …): the
 * database, not the request, is at fault, so the answer should invite a retry. D1's transient
 * answers (overloaded, reset, connection lost) count even when something re-wrapped their text.
 * @see https://developers.cloudflare.com/d1/observability/debug-d1/
 */
export function isD1Error(error: unknown): boolean {
  return (error instanceof Error && /^D1_[A-Z_]*ERROR\b/.test(error.message)) || isD1Transient(error);
}

/** A short, log-safe description of an unknown error: its name and first line, never a payload. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n", 1)[0]?.slice(0, 300)}`;
  return String(error).slice(0, 300);
}
