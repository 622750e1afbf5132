/**
 * Feeds refused webhook signatures (401) to the watchdog's counter without a D1 write per request
 * (see src/domain/alerts/signature-counter.ts for the design and its limits).
 * @module
 */
import { countSignatureFailure } from "../domain/alerts/signature-counter.ts";
import { describeError } from "../domain/errors.ts";
import { logWarn } from "../domain/log.ts";

/** Call with the webhook route's answer: counts a 401, flushing in the background when due. */
export function noteSignatureFailure(
  status: number,
  db: D1Database,
  ctx: { waitUntil(p: Promise<unknown>): void },
): void {
  if (status !== 401) return;
  const flush = countSignatureFailure(db, Date.now());
  if (flush === null) return;
  ctx.waitUntil(
    flush.run().then(
      () => undefined,
      (error: unknown) => logWarn("could not record refused signatures", { error: describeError(error) }),
    ),
  );
}
