/**
 * Structured logging: one JSON object per line, which Workers Logs indexes field by field.
 * Callers pass only summaries (ids, counts, timings), never secrets, signatures or bodies.
 * @module
 */

type Fields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function logInfo(msg: string, fields: Fields = {}): void {
  console.log(JSON.stringify({ level: "info", msg, ...fields }));
}

export function logWarn(msg: string, fields: Fields = {}): void {
  console.warn(JSON.stringify({ level: "warn", msg, ...fields }));
}

export function logError(msg: string, fields: Fields = {}): void {
  console.error(JSON.stringify({ level: "error", msg, ...fields }));
}
