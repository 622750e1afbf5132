/**
 * Lenient ISO 8601 parsing for query parameters. Clients of Argyle's API send datetimes in many
 * shapes (with or without seconds, fractions, offsets, or just a date), so accept them all and
 * compare as epoch milliseconds, like the `*_ms` columns: string order is not time order.
 * @module
 */

// date [T|space time [fraction] [zone]]. A space before the zone stands for "+": an unencoded "+"
// in a query string arrives as a space, a mistake common enough to accept.
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+\- ]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Epoch milliseconds of an ISO 8601 date or datetime, or null if `text` is not one. No offset
 * means UTC; a bare date means its midnight UTC (as Django, behind Argyle's API, reads it).
 * Digits past milliseconds are dropped, as `Date.parse` does for the stored `*_ms` columns.
 */
export function parseIsoDatetimeMs(text: string): number | null {
  const m = ISO_DATETIME.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  if (date.getUTCDate() !== day) return null; // e.g. 2023-02-30 rolled into March
  const offset = parseOffsetMinutes(m[8]);
  if (offset === null) return null;
  return date.getTime() - offset * 60_000;
}

/** ISO 8601 UTC text for epoch milliseconds, or null. */
export function msToIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function parseOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === "Z" || zone === "z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || 0);
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}
