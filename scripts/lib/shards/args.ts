/**
 * `npm run shards` command line: what to do, against which receiver, with which admin token.
 * Defaults follow `npm run dev` (http://127.0.0.1:$PORT, the dev admin token), like `npm run send`.
 * @module
 */
import { parseArgs } from "node:util";
import { isArgyleId } from "../../../src/domain/ids.ts";
import { type Env, envValue } from "../common/cli-env.ts";
import { argsError, UsageError } from "../common/cli-errors.ts";
import { DEV_DEFAULTS } from "../dev/config.ts";

export type ShardsAction =
  | { kind: "list" }
  | { kind: "status"; shard: string; status: "open" | "closed" }
  | { kind: "move"; account: string; to: string; wait: boolean; timeoutMs: number }
  | { kind: "show"; account: string };

export type ShardsCommand = { kind: "help" } | { kind: "run"; action: ShardsAction; base: string; token: string };

export const DEFAULT_WAIT_SECONDS = 600;

export const SHARDS_USAGE = `Usage: npm run shards -- <command> [options]

Commands:
  list                          every gig shard: status, size, accounts
  open NAME | close NAME        let shard NAME take new accounts, or stop it (e.g. close SHARD_1)
  move ACCOUNT --to NAME        move an account to shard NAME (copy, verify, flip, clean up)
  show ACCOUNT                  the account's shard and its move's progress

Options:
  --to NAME          the target shard of a move (SHARD_<n>)
  --wait             after move: follow the move until it finishes (or fails)
  --timeout S        with --wait: give up waiting after S seconds (default ${DEFAULT_WAIT_SECONDS}; the move goes on)
  --url URL          the receiver (default http://127.0.0.1:$PORT, PORT=${DEV_DEFAULTS.PORT})
  --token T          admin API token (default $API_TOKEN_ADMIN, else $API_TOKEN, else ${DEV_DEFAULTS.API_TOKEN_ADMIN})
  --help             this text`;

const SHARD = /^SHARD_[1-9]\d*$/;

export function parseShardsArgs(argv: readonly string[], env: Env): ShardsCommand {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) return { kind: "help" };
  const [command, ...rest] = positionals;
  const base = httpBase(values.url ?? `http://127.0.0.1:${envValue(env, "PORT") ?? DEV_DEFAULTS.PORT}`);
  const token =
    values.token ?? envValue(env, "API_TOKEN_ADMIN") ?? envValue(env, "API_TOKEN") ?? DEV_DEFAULTS.API_TOKEN_ADMIN;
  const moveOnly = () => {
    for (const flag of ["to", "wait", "timeout"] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to move only`);
    }
  };
  const args = (n: number, what: string) => {
    if (rest.length !== n)
      throw new UsageError(`${command} takes ${what}, got ${rest.length === 0 ? "none" : rest.join(" ")}`);
  };
  let action: ShardsAction;
  switch (command) {
    case undefined:
      throw new UsageError("which command? list, open, close, move or show (--help for more)");
    case "list":
      args(0, "no arguments");
      moveOnly();
      action = { kind: "list" };
      break;
    case "open":
    case "close":
      args(1, "one shard name");
      moveOnly();
      action = {
        kind: "status",
        shard: shardName(rest[0] as string, command),
        status: command === "open" ? "open" : "closed",
      };
      break;
    case "show":
      args(1, "one account ID");
      moveOnly();
      action = { kind: "show", account: accountId(rest[0] as string) };
      break;
    case "move": {
      args(1, "one account ID");
      if (values.to === undefined) throw new UsageError("move needs --to NAME (e.g. --to SHARD_2)");
      if (values.timeout !== undefined && !values.wait) throw new UsageError("--timeout applies with --wait only");
      action = {
        kind: "move",
        account: accountId(rest[0] as string),
        to: shardName(values.to, "--to"),
        wait: values.wait === true,
        timeoutMs: Math.round(seconds(values.timeout ?? String(DEFAULT_WAIT_SECONDS)) * 1000),
      };
      break;
    }
    default:
      throw new UsageError(`unknown command "${command}": use list, open, close, move or show`);
  }
  return { kind: "run", action, base, token };
}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        to: { type: "string" },
        wait: { type: "boolean" },
        timeout: { type: "string" },
        url: { type: "string" },
        token: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw argsError(error, "--help lists the options");
  }
}

function shardName(text: string, where: string): string {
  const name = text.toUpperCase();
  if (!SHARD.test(name)) throw new UsageError(`${where} needs a shard name like SHARD_2, got "${text}"`);
  return name;
}

function accountId(text: string): string {
  if (!isArgyleId(text)) throw new UsageError(`ACCOUNT must be an Argyle ID (8-4-4-4-12 hex digits), got "${text}"`);
  return text.toLowerCase();
}

function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--timeout must be a number of seconds above 0, got "${text}"`);
  }
  return value;
}

/** The receiver's origin and path prefix, without a trailing slash. */
function httpBase(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--url must be an http(s) URL, got "${text}"`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
