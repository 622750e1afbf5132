/**
 * `npm run argyle -- webhooks <create|list|delete>`: the command line, parsed and checked into
 * a typed command before anything is sent.
 * @module
 */
import { parseArgs } from "node:util";
import { isArgyleId } from "../../../src/domain/ids.ts";
import { argsError, UsageError } from "../common/cli-errors.ts";

/**
 * What `create` subscribes to by default: every gig event, and `accounts.removed`, which makes
 * the mirror purge the account (Argyle sends no gig removals then).
 */
export const DEFAULT_EVENTS = [
  "gigs.added",
  "gigs.updated",
  "gigs.removed",
  "gigs.partially_synced",
  "gigs.fully_synced",
  "accounts.removed",
] as const;

export const DEFAULT_SUBSCRIPTION_NAME = "argyle-gig-mirror";

export interface CreateCommand {
  kind: "create";
  url: string;
  name: string;
  /** Null: generate one. */
  secret: string | null;
  daysSynced: number | null;
  /** Event names, or ["*"]. */
  events: string[];
}

export type ArgyleCommand = { kind: "help" } | CreateCommand | { kind: "list" } | { kind: "delete"; id: string };

export const ARGYLE_USAGE = `usage: npm run argyle -- webhooks <create|list|delete> [options]

Manages Argyle webhook subscriptions (POST, GET and DELETE /v2/webhooks).

  webhooks create --url URL [--name N] [--secret S] [--days-synced N] [--events a,b|*]
      Subscribes URL (the receiver's /webhooks/argyle) to the events, by default the five
      gig events and accounts.removed. --days-synced N sets how many days gigs.partially_synced waits for; Argyle
      takes that setting only on a subscription of its own, so this creates two. Without
      --secret a strong one is generated and printed once. --name defaults to ${DEFAULT_SUBSCRIPTION_NAME}.
  webhooks list
      Every subscription, as a table (secrets are never shown).
  webhooks delete ID
      Deletes one subscription.

environment:
  ARGYLE_API_URL          e.g. https://api-sandbox.argyle.com/v2 or https://api.argyle.com/v2;
                          unset: the local Argyle of npm run dev (http://127.0.0.1:$LOCAL_ARGYLE_PORT/v2)
  ARGYLE_API_KEY_ID       API key id (required with ARGYLE_API_URL)
  ARGYLE_API_KEY_SECRET   API key secret (required with ARGYLE_API_URL)

Exit status: 0 done; 1 Argyle refused or could not be reached; 2 bad command line or environment.`;

/** Parses `argv` (without node and the script); throws `UsageError` for anything it cannot use. */
export function parseArgyleArgs(argv: readonly string[]): ArgyleCommand {
  if (argv.length === 0 || argv.some((a) => a === "--help" || a === "-h")) {
    if (argv.length === 0) throw new UsageError("which command? e.g. `webhooks list`");
    return { kind: "help" };
  }
  const [resource, action, ...rest] = argv;
  if (resource !== "webhooks") throw new UsageError(`unknown command "${resource}": the commands are under webhooks`);
  switch (action) {
    case "create":
      return parseCreate(rest);
    case "list":
      parse(rest, {}, 0, "list takes no options");
      return { kind: "list" };
    case "delete": {
      const { positionals } = parse(rest, {}, 1, "delete takes one subscription ID");
      const id = positionals[0] as string;
      if (!isArgyleId(id)) throw new UsageError(`"${id}" is not a subscription ID (8-4-4-4-12 hex digits)`);
      return { kind: "delete", id: id.toLowerCase() };
    }
    case undefined:
      throw new UsageError("webhooks what? create, list or delete");
    default:
      throw new UsageError(`unknown action "webhooks ${action}": use create, list or delete`);
  }
}

const CREATE_OPTIONS = {
  url: { type: "string" },
  name: { type: "string" },
  secret: { type: "string" },
  "days-synced": { type: "string" },
  events: { type: "string" },
} as const;

function parseCreate(args: string[]): CreateCommand {
  const { values } = parse(args, CREATE_OPTIONS, 0, "create takes options only");
  if (values.url === undefined) throw new UsageError("create needs --url, the receiver's webhook URL");
  if (!/^https?:\/\/[^/]/.test(values.url)) throw new UsageError(`--url must be an http(s) URL, got "${values.url}"`);
  // Kept exactly as given, trailing slash or not: the receiver answers ".../webhooks/argyle" and
  // ".../webhooks/argyle/" alike, and Argyle should be told the URL the operator typed.
  const name = values.name ?? DEFAULT_SUBSCRIPTION_NAME;
  if (name.trim() === "") throw new UsageError("--name may not be blank");
  if (values.secret !== undefined && values.secret.trim() === "") throw new UsageError("--secret may not be blank");
  const events = values.events === undefined ? [...DEFAULT_EVENTS] : eventList(values.events);
  const daysSynced = values["days-synced"] === undefined ? null : days(values["days-synced"]);
  if (daysSynced !== null && events.includes("*")) {
    throw new UsageError('--days-synced cannot be used with --events "*": Argyle takes no config for "*"');
  }
  if (daysSynced !== null && !events.some(isPartiallySynced)) {
    throw new UsageError("--days-synced applies to gigs.partially_synced, which --events leaves out");
  }
  return { kind: "create", url: values.url, name, secret: values.secret ?? null, daysSynced, events };
}

/** `*.partially_synced` events: the ones `days_synced` configures. */
export function isPartiallySynced(event: string): boolean {
  return event.endsWith(".partially_synced");
}

function eventList(text: string): string[] {
  const events = [
    ...new Set(
      text
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e !== ""),
    ),
  ];
  if (events.length === 0) throw new UsageError("--events needs at least one event, or *");
  if (events.includes("*") && events.length > 1) throw new UsageError('"*" already means every event: give it alone');
  // Only the form is checked here; which names exist is Argyle's to say (its 400 is shown as is).
  const bad = events.find((e) => e !== "*" && !/^[a-z_]+\.[a-z_]+$/.test(e));
  if (bad !== undefined) throw new UsageError(`"${bad}" is not an event name like gigs.added`);
  return events;
}

function days(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--days-synced must be a whole number of days, got "${text}"`);
  return Number(text);
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parse<O extends Options>(args: string[], options: O, positionals: number, hint: string) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw argsError(error, hint);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals === 0 ? `unexpected "${parsed.positionals[0]}" (${hint})` : hint);
  }
  return parsed;
}
