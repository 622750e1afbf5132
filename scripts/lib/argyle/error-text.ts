/**
 * Argyle's error bodies as one plain line. Argyle (Django REST framework) answers either
 * `{"detail": "…"}` or field → messages, nested for list items and sub-fields:
 * `{"config": ["only allowed for …"]}`, `{"events": {"1": ["\"x\" is not a valid choice."]}}`.
 * @module
 */

/** e.g. `Argyle refused the request (400): config: only allowed for …` */
export function describeArgyleError(status: number, json: unknown, text: string): string {
  const verb = status >= 500 ? "failed" : "refused";
  return `Argyle ${verb} the request (${status}): ${errorText(json, text)}`;
}

function errorText(json: unknown, text: string): string {
  if (isRecord(json) && typeof json.detail === "string" && Object.keys(json).length === 1) return json.detail;
  const messages = fieldMessages(json, "");
  if (messages.length > 0) return messages.join("; ");
  const plain = text.replace(/\s+/g, " ").trim();
  return plain === "" ? "(no body)" : plain.slice(0, 500);
}

/** `field: message` for every message in a DRF error body; the field path dotted. */
function fieldMessages(value: unknown, path: string): string[] {
  const label = (message: string) => (path === "" || path === "non_field_errors" ? message : `${path}: ${message}`);
  if (typeof value === "string") return [label(value)];
  if (Array.isArray(value)) {
    // A list of strings is one field's messages; anything else is per list item.
    if (value.every((v) => typeof v === "string")) return value.length > 0 ? [label(value.join(" "))] : [];
    return value.flatMap((item, i) => fieldMessages(item, path === "" ? String(i) : `${path}.${i}`));
  }
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([key, item]) => fieldMessages(item, path === "" ? key : `${path}.${key}`));
  }
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
