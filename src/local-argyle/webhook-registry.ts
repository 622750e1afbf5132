/**
 * Webhook subscriptions, as POST/GET/DELETE /v2/webhooks manage them: validation with Argyle's
 * DRF-style error bodies (field → list of messages), including the rule that `config` is only
 * accepted for a few events, and the subscription list the deliveries go to.
 * @module
 */
import { isoMillis } from "./gig-timeline.ts";
import type { Webhook } from "./model.ts";
import { argyleId, type Random } from "./random.ts";

/** Argyle's v2 events (and `*`, meaning all of them). */
export const WEBHOOK_EVENTS: ReadonlySet<string> = new Set(
  `* users.fully_synced accounts.added accounts.updated accounts.removed accounts.connected accounts.failed
  items.updated items.removed identities.added identities.updated paystubs.added paystubs.updated
  paystubs.partially_synced paystubs.fully_synced payroll_documents.added payroll_documents.updated
  payroll_documents.removed payroll_documents.ocr_completed payroll_documents.ocr_failed
  deposit_destinations.added deposit_destinations.updated deposit_destinations.removed
  direct_deposit_switches.completed direct_deposit_switches.failed shifts.added shifts.updated shifts.removed
  shifts.partially_synced shifts.fully_synced gigs.added gigs.updated gigs.removed gigs.partially_synced
  gigs.fully_synced vehicles.added vehicles.updated vehicles.removed ratings.added ratings.updated reports.ready
  reports.generated user_uploads.added user_uploads.removed user_uploads.ocr_completed user_uploads.ocr_failed
  user_uploads.ocr_authenticity user_forms.removed user_forms.submitted verifications.updated
  verifications.creation_failed verifications.connection_added`.split(/\s+/),
);

/** The only events a subscription with `config` may name (quoted from an Argyle 400). */
export const CONFIG_EVENTS: readonly string[] = [
  "accounts.added",
  "accounts.connected",
  "accounts.failed",
  "accounts.updated",
  "gigs.partially_synced",
  "items.removed",
  "items.updated",
  "paystubs.partially_synced",
  "shifts.partially_synced",
];

/** DRF's error body: messages per field (nested per list index or sub-field). */
export type FieldErrors = { [field: string]: string[] | FieldErrors };

export type WebhookInput = Pick<Webhook, "name" | "events" | "url" | "secret" | "config">;

const REQUIRED = "This field is required.";

/** The subscription `body` asks for, or the errors Argyle would answer 400 with. */
export function validateWebhookInput(body: unknown): { input: WebhookInput } | { errors: FieldErrors } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(body)}.`] } };
  }
  const raw = body as Record<string, unknown>;
  const errors: FieldErrors = {};
  const events = checkEvents(raw.events, errors);
  const name = checkString(raw.name, "name", errors, true);
  const url = checkString(raw.url, "url", errors, true);
  if (url !== null && !isHttpUrl(url)) errors.url = ["Enter a valid URL."];
  const secret = raw.secret === undefined ? null : checkString(raw.secret, "secret", errors, false);
  const config = checkConfig(raw.config, errors);
  if (Object.keys(config).length > 0 && events && !events.every((e) => CONFIG_EVENTS.includes(e))) {
    errors.config = [`only allowed for ${CONFIG_EVENTS.join(", ")}`];
  }
  if (Object.keys(errors).length > 0 || !events || name === null || url === null) return { errors };
  return { input: { name, events, url, secret, config } };
}

function checkEvents(value: unknown, errors: FieldErrors): string[] | null {
  if (value === undefined) errors.events = [REQUIRED];
  else if (value === null) errors.events = ["This field may not be null."];
  else if (!Array.isArray(value)) errors.events = [`Expected a list of items but got type "${typeName(value)}".`];
  else if (value.length === 0) errors.events = ["This list may not be empty."];
  else {
    const itemErrors: FieldErrors = {};
    value.forEach((event, i) => {
      if (typeof event !== "string" || !WEBHOOK_EVENTS.has(event)) {
        itemErrors[String(i)] = [`"${String(event)}" is not a valid choice.`];
      }
    });
    if (Object.keys(itemErrors).length === 0) return value as string[];
    errors.events = itemErrors;
  }
  return null;
}

function checkString(value: unknown, field: string, errors: FieldErrors, required: boolean): string | null {
  if (value === undefined || (value === null && required)) {
    errors[field] = [value === undefined ? REQUIRED : "This field may not be null."];
  } else if (value === null) return null;
  else if (typeof value !== "string") errors[field] = ["Not a valid string."];
  else if (value.trim() === "") errors[field] = ["This field may not be blank."];
  else return value;
  return null;
}

function checkConfig(value: unknown, errors: FieldErrors): Webhook["config"] {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    errors.config = [`Expected a dictionary of items but got type "${typeName(value)}".`];
    return {};
  }
  const raw = value as Record<string, unknown>;
  const config: Webhook["config"] = {};
  const problems: FieldErrors = {};
  if (raw.days_synced !== undefined) {
    const days = raw.days_synced;
    if (typeof days === "number" && Number.isInteger(days) && days >= 1) config.days_synced = days;
    else problems.days_synced = ["A valid integer is required."];
  }
  if (raw.include_resource !== undefined) {
    if (typeof raw.include_resource === "boolean") config.include_resource = raw.include_resource;
    else problems.include_resource = ["Must be a valid boolean."];
  }
  if (Object.keys(problems).length > 0) errors.config = problems;
  return config;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** Python's name for a JSON value's type, as DRF's messages use it. */
function typeName(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "dict";
}

/** The subscriptions, in creation order. */
export class WebhookRegistry {
  readonly #random: Random;
  readonly #items = new Map<string, Webhook>();

  constructor(random: Random) {
    this.#random = random;
  }

  create(input: WebhookInput, nowMs: number): Webhook {
    const at = isoMillis(nowMs);
    // Argyle's field order, so responses read like Argyle's.
    const webhook: Webhook = {
      id: argyleId(this.#random, nowMs),
      name: input.name,
      events: input.events,
      config: input.config,
      secret: input.secret,
      url: input.url,
      created_at: at,
      updated_at: at,
      last_sent_at: null,
    };
    this.#items.set(webhook.id, webhook);
    return webhook;
  }

  get(id: string): Webhook | undefined {
    return this.#items.get(id);
  }

  delete(id: string): boolean {
    return this.#items.delete(id);
  }

  all(): Webhook[] {
    return [...this.#items.values()];
  }

  /** The subscriptions an `event` is delivered to (`*` covers every event but Items ones). */
  subscribedTo(event: string): Webhook[] {
    const wildcardCovers = !event.startsWith("items.");
    return this.all().filter((w) => w.events.includes(event) || (wildcardCovers && w.events.includes("*")));
  }

  markSent(id: string, nowMs: number): void {
    const webhook = this.#items.get(id);
    if (webhook) webhook.last_sent_at = isoMillis(nowMs);
  }
}
