/**
 * Replay of one stored event: its exact body through ingest again, dated by when the original
 * webhook arrived (job-dating.ts), so replaying old work never overwrites what is known since.
 * The API, the console and the bulk action all replay through here.
 * @module
 */
import { type IngestDeps, type IngestResult, ingestWebhook } from "./ingest.ts";
import { getReplaySource } from "./storage/events.ts";

/** The stored event `id` replayed as a new event, or null if there is no such event (or it was pruned). */
export async function replayEvent(deps: IngestDeps, id: string): Promise<IngestResult | null> {
  const source = await getReplaySource(deps.db, id);
  if (source === null) return null;
  return ingestWebhook(deps, source.body, {
    replayOf: { id, received_at: source.received_at, arrived_at: source.arrived_at },
  });
}
