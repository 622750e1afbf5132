/**
 * Small time helpers for the watchdog: our time-ordered ids carry their creation time.
 * @module
 */

/** The creation time of a time-ordered id (events.id, failures.id), or null if it is not one. */
export function timeOfId(id: string | null | undefined): number | null {
  if (!id) return null;
  const hex = id.slice(0, 8) + id.slice(9, 13);
  if (!/^[0-9a-f]{12}$/i.test(hex)) return null;
  return Number.parseInt(hex, 16);
}

export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** "42 min", "3 h 5 min", "2 d 4 h": how long ago, for people. */
export function humanDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
