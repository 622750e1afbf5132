/**
 * Replay of one stored event: its exact body through ingest again, dated by when the original
 * webhook arrived (job-dating.ts), so replaying old work never overwrites what is known since.
 * The API, the console and the bulk action all replay through here.
 * @module
 */
import { type IngestDeps, type IngestResult, ingestWebhook } from "./ingest.ts";
import { getReplaySource } from "./storage/events.ts";

/**
 * The stored event `id` replayed as a new event, or null if there is no such event (or it was
 * pruned). `audit`, if given, runs once the event is found and before anything is replayed, so no
 * replay happens without its audit row (a D1 failure there throws, and nothing is replayed).
 */
export async function replayEvent(
  deps: IngestDeps,
  id: string,
  audit?: () => Promise<unknown>,
): Promise<IngestResult | null> {
  const source = await getReplaySource(deps.db, id);
  if (source === null) return null;
  await audit?.();
  return ingestWebhook(deps, source.body, {
    replayOf: { id, received_at: source.received_at, arrived_at: source.arrived_at },
  });
}
