/**
 * Errors that cross module boundaries.
 * @module
 */

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

/** A short, log-safe description of an unknown error: its name and first line, never a payload. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n", 1)[0]?.slice(0, 300)}`;
  return String(error).slice(0, 300);
}
