/**
 * `npm run shards`: the receiver's shard administration API (/api/shards, /api/accounts/{id}/move)
 * from a terminal. Every answer the API gives is shown as it stands; a refusal exits 1 with the
 * API's message, a bad command line exits 2 before anything is sent.
 * @module
 */
import { CliFailure, describeFetchError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../common/cli-errors.ts";
import type { CliIo } from "../common/cli-io.ts";
import { fetchJson, type JsonResponse } from "../common/fetch-json.ts";
import { formatTable } from "../common/text-table.ts";
import { parseShardsArgs, SHARDS_USAGE, type ShardsAction } from "./args.ts";

export interface ShardsDeps {
  /** The HTTP call (tests answer it themselves). */
  request?: (url: string, init: RequestInit) => Promise<JsonResponse>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** How often --wait polls. */
  pollMs?: number;
}

interface Api {
  base: string;
  token: string;
  deps: Required<ShardsDeps>;
}

export async function runShards(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  deps: ShardsDeps = {},
): Promise<number> {
  let api: Api;
  let action: ShardsAction;
  try {
    const command = parseShardsArgs(argv, env);
    if (command.kind === "help") {
      io.out(SHARDS_USAGE);
      return EXIT_OK;
    }
    action = command.action;
    api = {
      base: command.base,
      token: command.token,
      deps: {
        request: deps.request ?? ((url, init) => fetchJson(url, init, 15_000)),
        sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        now: deps.now ?? Date.now,
        pollMs: deps.pollMs ?? 2_000,
      },
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`shards: ${error.message}`);
    io.err("run `npm run shards -- --help` for usage");
    return EXIT_USAGE;
  }
  try {
    return await run(api, action, io);
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    io.err(`shards: ${error.message}`);
    return EXIT_FAILED;
  }
}

interface ShardRow {
  name: string;
  status: string;
  size_bytes: number;
  measured_at: string | null;
  accounts: number;
}

interface MoveView {
  account: string;
  shard: string;
  state: string | null;
  from: string | null;
  to: string | null;
  copied: number;
  verified: number | null;
  deleted: number | null;
  error: string | null;
}

async function run(api: Api, action: ShardsAction, io: CliIo): Promise<number> {
  switch (action.kind) {
    case "list": {
      const { data } = (await call(api, "GET", "/api/shards")) as { data: ShardRow[] };
      const rows = data.map((s) => [
        s.name,
        s.status,
        megabytes(s.size_bytes),
        String(s.accounts),
        s.measured_at ?? "never",
      ]);
      for (const line of formatTable(["shard", "status", "size", "accounts", "measured"], rows)) io.out(line);
      return EXIT_OK;
    }
    case "status": {
      const shard = (await call(api, "POST", `/api/shards/${action.shard}`, { status: action.status })) as ShardRow;
      io.out(`${shard.name} is ${shard.status}`);
      return EXIT_OK;
    }
    case "show": {
      io.out(describeMove((await call(api, "GET", movePath(action.account))) as MoveView));
      return EXIT_OK;
    }
    case "move": {
      let move = (await call(api, "POST", movePath(action.account), { to: action.to })) as MoveView;
      io.out(describeMove(move));
      if (!action.wait) return EXIT_OK;
      const deadline = api.deps.now() + action.timeoutMs;
      let last = describeMove(move);
      while (move.state !== null && move.state !== "failed") {
        if (api.deps.now() >= deadline) {
          throw new CliFailure(
            `the move is still running after --timeout; it goes on: follow it with npm run shards -- show ${action.account}`,
          );
        }
        await api.deps.sleep(api.deps.pollMs);
        move = (await call(api, "GET", movePath(action.account))) as MoveView;
        const now = describeMove(move);
        if (now !== last) io.out(now);
        last = now;
      }
      if (move.state === "failed") throw new CliFailure(`the move failed: ${move.error ?? "no reason given"}`);
      return EXIT_OK;
    }
  }
}

function movePath(account: string): string {
  return `/api/accounts/${encodeURIComponent(account)}/move`;
}

/** One line saying where the account is and how its move stands. */
export function describeMove(m: MoveView): string {
  switch (m.state) {
    case null:
      return `${m.account} lives in ${m.shard}; no move running`;
    case "copying":
      return `${m.account}: copying ${m.from} → ${m.to}: ${m.copied} gigs copied`;
    case "verifying":
      return `${m.account}: verifying ${m.from} → ${m.to}: ${m.verified ?? 0} of ${m.copied} gigs checked`;
    case "cleanup":
      return `${m.account} now lives in ${m.to}; cleaning up ${m.from}${m.deleted === null ? " (after the grace period)" : `: ${m.deleted} gigs deleted`}`;
    case "failed":
      return `${m.account}: move ${m.from} → ${m.to} FAILED (${m.error ?? "no reason given"}); it stays in ${m.shard}`;
    default:
      return `${m.account}: move ${m.from ?? "?"} → ${m.to ?? "?"}: ${m.state}`;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** One API call; anything but 2xx becomes a CliFailure carrying the API's own message. */
async function call(api: Api, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: JsonResponse;
  try {
    response = await api.deps.request(`${api.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${api.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new CliFailure(
      `cannot reach the receiver at ${api.base} (${describeFetchError(error)}): is it running? (--url)`,
    );
  }
  if (response.status >= 200 && response.status < 300) return response.json;
  if (response.status === 401 || response.status === 403) {
    throw new CliFailure(
      `the receiver refused the token (${response.status} on ${method} ${path}): pass --token or set API_TOKEN_ADMIN to its admin token`,
    );
  }
  const error = (response.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new CliFailure(
    error?.message
      ? `${error.message} (${response.status} ${error.code ?? ""})`.replace(/ \)$/, ")")
      : `${method} ${path} answered ${response.status} ${response.statusText}`,
  );
}
