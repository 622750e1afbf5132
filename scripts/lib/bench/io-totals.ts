/**
 * What the I/O meter (instrument/io-meter.ts, inside workerd) reports for one Worker: shared by
 * the meter and the Node side that reads it.
 * @module
 */

export interface IoTotals {
  invocations: number;
  /** Epoch ms the first invocation started, or null before any. */
  firstStartedMs: number | null;
  /** Invocations running now (including work left to waitUntil). */
  active: number;
  /** Most invocations running at once in this isolate. */
  maxConcurrent: number;
  /** Most subrequests one invocation made (exact while invocations do not overlap; see `maxConcurrent`). */
  maxSubrequests: number;
  d1Calls: number;
  /** SQL statements D1 ran (a batch is one call of several statements), and how many of them write. */
  d1Statements: number;
  d1WriteStatements: number;
  rowsRead: number;
  rowsWritten: number;
  queueCalls: number;
  queueMessages: number;
  /** Outgoing fetches: the consumer's Argyle requests. */
  fetches: number;
}

/** Where a metered Worker serves its totals. */
export const IO_PATH = "/__bench/io";
