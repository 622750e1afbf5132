/**
 * `npm run send -- <event> [options]`: the command line, parsed and checked into a typed plan
 * before anything is sent.
 * @module
 */
import { parseArgs } from "node:util";
import { isArgyleId } from "../../../src/domain/ids.ts";
import { type Env, envValue, localArgyleOrigin, localReceiverUrl } from "../common/cli-env.ts";
import { argsError, UsageError } from "../common/cli-errors.ts";
import { DEV_DEFAULTS } from "../dev/config.ts";

/**
 * The five gig events, `accounts.removed` (the mirror purges the account), and one other event to
 * show how the receiver files events it only records.
 */
export const SEND_EVENTS = [
  "gigs.added",
  "gigs.updated",
  "gigs.removed",
  "gigs.partially_synced",
  "gigs.fully_synced",
  "accounts.removed",
  "accounts.connected",
] as const;

export type SendEvent = (typeof SEND_EVENTS)[number];

/** Events whose payload lists gig IDs (`--ids` applies). */
const ID_EVENTS: readonly SendEvent[] = ["gigs.updated", "gigs.removed"];
/** Events sized by a number of gigs (`--count` applies). */
const COUNT_EVENTS: readonly SendEvent[] = [...ID_EVENTS, "gigs.added"];

export const DEFAULT_COUNT = 2;
export const DEFAULT_TIMEOUT_SECONDS = 60;

export interface SendPlan {
  event: SendEvent;
  /** Where the webhook is POSTed. */
  url: string;
  /** The receiver's base URL, where its read API (/v2/gigs, /api/accounts) is. */
  readApi: string;
  secret: string;
  /** Null: the local Argyle's first account (or the account of `ids`). */
  account: string | null;
  /** Null: whatever the local Argyle knows about the account. */
  user: string | null;
  /** Exactly these gigs (lowercase, no repeats); null: pick `count` of them. */
  ids: string[] | null;
  count: number;
  repeat: number;
  tamper: boolean;
  wait: boolean;
  timeoutMs: number;
  /** The read API's token. */
  token: string;
  /** The local Argyle's origin, e.g. http://127.0.0.1:8788. */
  argyle: string;
}

export type SendCommand = { kind: "help" } | { kind: "send"; plan: SendPlan };

export const SEND_USAGE = `usage: npm run send -- <event> [options]

Sends a signed webhook, built the way Argyle builds it, to a receiver, then (for gig events)
polls the receiver's read API until the mirror has caught up.

events: ${SEND_EVENTS.join(", ")}

options:
  --url URL          receiver webhook URL (default http://127.0.0.1:$PORT/webhooks/argyle, PORT=8787)
  --secret S         signing secret (default $ARGYLE_WEBHOOK_SECRET, else ${DEV_DEFAULTS.ARGYLE_WEBHOOK_SECRET})
  --account ID       account (default: the local Argyle's first account, or the account of --ids)
  --user ID          user in the payload (default: the account's user at the local Argyle)
  --ids a,b          these gigs (gigs.updated, gigs.removed)
  --count N          this many of the account's most recent gigs (default ${DEFAULT_COUNT};
                     gigs.updated, gigs.removed, gigs.added)
  --repeat N         send the same body N times (shows how duplicates are handled)
  --tamper           send a wrong signature: a 401 is the expected answer
  --no-wait          do not poll the read API
  --timeout S        give up polling after S seconds (default ${DEFAULT_TIMEOUT_SECONDS})
  --token T          admin API token (default $API_TOKEN_ADMIN, else $API_TOKEN, else ${DEV_DEFAULTS.API_TOKEN_ADMIN})
  --argyle ORIGIN    local Argyle to take accounts and gigs from
                     (default http://127.0.0.1:$LOCAL_ARGYLE_PORT, LOCAL_ARGYLE_PORT=8788)
  -h, --help         show this help

Exit status: 0 sent and caught up (or, with --tamper, refused with 401); 1 refused, unreachable
or timed out; 2 bad command line.`;

/** Parses `argv` (without node and the script); throws `UsageError` for anything it cannot use. */
export function parseSendArgs(argv: readonly string[], env: Env): SendCommand {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) return { kind: "help" };
  if (positionals.length === 0) throw new UsageError(`which event? one of ${SEND_EVENTS.join(", ")}`);
  if (positionals.length > 1) throw new UsageError(`one event at a time, got ${positionals.join(" ")}`);
  const event = positionals[0] as string;
  if (!isSendEvent(event)) throw new UsageError(`unknown event "${event}": use one of ${SEND_EVENTS.join(", ")}`);

  if (values.ids !== undefined && values.count !== undefined) throw new UsageError("give --ids or --count, not both");
  if (values.ids !== undefined && !ID_EVENTS.includes(event)) {
    throw new UsageError(`--ids applies to ${ID_EVENTS.join(" and ")}, not ${event}`);
  }
  if (values.count !== undefined && !COUNT_EVENTS.includes(event)) {
    throw new UsageError(`--count applies to ${COUNT_EVENTS.join(", ")}, not ${event}`);
  }

  const url = httpUrl(values.url ?? localReceiverUrl(env), "--url");
  return {
    kind: "send",
    plan: {
      event,
      url,
      readApi: readApiBase(url),
      secret: values.secret ?? envValue(env, "ARGYLE_WEBHOOK_SECRET") ?? DEV_DEFAULTS.ARGYLE_WEBHOOK_SECRET,
      account: values.account === undefined ? null : argyleId(values.account, "--account"),
      user: values.user === undefined ? null : argyleId(values.user, "--user"),
      ids: values.ids === undefined ? null : idList(values.ids),
      count: values.count === undefined ? DEFAULT_COUNT : positiveInteger(values.count, "--count"),
      repeat: values.repeat === undefined ? 1 : positiveInteger(values.repeat, "--repeat"),
      tamper: values.tamper === true,
      wait: values["no-wait"] !== true,
      timeoutMs: Math.round(seconds(values.timeout ?? String(DEFAULT_TIMEOUT_SECONDS), "--timeout") * 1000),
      token:
        values.token ?? envValue(env, "API_TOKEN_ADMIN") ?? envValue(env, "API_TOKEN") ?? DEV_DEFAULTS.API_TOKEN_ADMIN,
      argyle: httpUrl(values.argyle ?? localArgyleOrigin(env), "--argyle").replace(/\/+$/, ""),
    },
  };
}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: "string" },
        secret: { type: "string" },
        account: { type: "string" },
        user: { type: "string" },
        ids: { type: "string" },
        count: { type: "string" },
        repeat: { type: "string" },
        tamper: { type: "boolean" },
        "no-wait": { type: "boolean" },
        timeout: { type: "string" },
        token: { type: "string" },
        argyle: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw argsError(error);
  }
}

export function isSendEvent(event: string): event is SendEvent {
  return (SEND_EVENTS as readonly string[]).includes(event);
}

/**
 * The read API's base for a webhook URL: the same origin and path prefix, without the receiver's
 * `/webhooks/argyle` route (so a receiver mounted under a path still works).
 */
export function readApiBase(webhookUrl: string): string {
  const url = new URL(webhookUrl);
  const prefix = url.pathname.replace(/\/webhooks\/argyle\/?$/, "").replace(/\/+$/, "");
  return `${url.origin}${prefix}`;
}

function httpUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${flag} must be an http(s) URL, got "${text}"`);
  }
  return url.href;
}

function argyleId(text: string, flag: string): string {
  if (!isArgyleId(text)) throw new UsageError(`${flag} must be an Argyle ID (8-4-4-4-12 hex digits), got "${text}"`);
  return text.toLowerCase();
}

function idList(text: string): string[] {
  const ids = text
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (ids.length === 0) throw new UsageError("--ids needs at least one gig ID");
  return [...new Set(ids.map((id) => argyleId(id, "--ids")))];
}

function positiveInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 100_000) {
    throw new UsageError(`${flag} must be a whole number from 1 to 100000, got "${text}"`);
  }
  return Number(text);
}

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} must be a number of seconds above 0, got "${text}"`);
  }
  return value;
}
