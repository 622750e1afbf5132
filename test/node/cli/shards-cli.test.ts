import { describe, expect, it } from "vitest";
import { UsageError } from "../../../scripts/lib/common/cli-errors.ts";
import type { JsonResponse } from "../../../scripts/lib/common/fetch-json.ts";
import { parseShardsArgs, type ShardsCommand } from "../../../scripts/lib/shards/args.ts";
import { runShards } from "../../../scripts/lib/shards/run.ts";
import { captureIo } from "./helpers.ts";

const ACCOUNT = "0187c66e-e7e5-811c-b006-2232f00f426a";

function usage(argv: string[]): string {
  try {
    parseShardsArgs(argv, {});
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
}

describe("npm run shards: arguments", () => {
  it("defaults to npm run dev's receiver and admin token, and reads the environment", () => {
    expect(parseShardsArgs(["list"], {})).toEqual<ShardsCommand>({
      kind: "run",
      action: { kind: "list" },
      base: "http://127.0.0.1:8787",
      token: "dev-api-token",
    });
    expect(parseShardsArgs(["list"], { PORT: "9000", API_TOKEN_ADMIN: "", API_TOKEN: "legacy" })).toMatchObject({
      base: "http://127.0.0.1:9000",
      token: "legacy",
    });
    expect(
      parseShardsArgs(["close", "shard_2", "--url", "https://mirror.example.com/", "--token", "t"], {
        API_TOKEN_ADMIN: "env",
      }),
    ).toEqual({
      kind: "run",
      action: { kind: "status", shard: "SHARD_2", status: "closed" },
      base: "https://mirror.example.com",
      token: "t",
    });
  });

  it("reads move with its target, --wait and --timeout", () => {
    expect(parseShardsArgs(["move", ACCOUNT.toUpperCase(), "--to", "SHARD_3"], {})).toMatchObject({
      action: { kind: "move", account: ACCOUNT, to: "SHARD_3", wait: false, timeoutMs: 600_000 },
    });
    expect(parseShardsArgs(["move", ACCOUNT, "--to", "SHARD_3", "--wait", "--timeout", "1.5"], {})).toMatchObject({
      action: { kind: "move", wait: true, timeoutMs: 1500 },
    });
    expect(parseShardsArgs(["--help"], {})).toEqual({ kind: "help" });
  });

  it("refuses what it cannot mean, saying why", () => {
    expect(usage([])).toMatch(/which command/);
    expect(usage(["grow"])).toMatch(/unknown command "grow"/);
    expect(usage(["list", "extra"])).toMatch(/list takes no arguments/);
    expect(usage(["open"])).toMatch(/open takes one shard name, got none/);
    expect(usage(["open", "DB"])).toMatch(/shard name like SHARD_2, got "DB"/);
    expect(usage(["close", "SHARD_0"])).toMatch(/SHARD_2, got "SHARD_0"/);
    expect(usage(["move", ACCOUNT])).toMatch(/--to NAME/);
    expect(usage(["move", "acct-1", "--to", "SHARD_2"])).toMatch(/Argyle ID/);
    expect(usage(["move", ACCOUNT, "--to", "SHARD_2", "--timeout", "5"])).toMatch(/--timeout applies with --wait/);
    expect(usage(["move", ACCOUNT, "--to", "SHARD_2", "--wait", "--timeout", "0"])).toMatch(/above 0/);
    expect(usage(["list", "--to", "SHARD_2"])).toMatch(/--to applies to move only/);
    expect(usage(["list", "--url", "ftp://x"])).toMatch(/http\(s\) URL/);
    expect(usage(["list", "--bogus"])).toMatch(/bogus/);
  });
});

/** A scripted receiver: answers in order, recording what was asked. */
function receiver(answers: { status: number; json: unknown }[]) {
  const seen: { url: string; method: string; body: unknown; auth: string | null }[] = [];
  const request = async (url: string, init: RequestInit): Promise<JsonResponse> => {
    const headers = new Headers(init.headers);
    seen.push({
      url,
      method: init.method ?? "GET",
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      auth: headers.get("authorization"),
    });
    const answer = answers.shift();
    if (!answer) throw new Error("no more answers");
    return { status: answer.status, statusText: "", text: JSON.stringify(answer.json), json: answer.json };
  };
  return { seen, request };
}

const move = (fields: Record<string, unknown>) => ({
  account: ACCOUNT,
  shard: "SHARD_1",
  state: "copying",
  from: "SHARD_1",
  to: "SHARD_2",
  copied: 0,
  verified: null,
  deleted: null,
  error: null,
  ...fields,
});

describe("npm run shards: against the API", () => {
  it("starts a move and follows it with --wait until it is done", async () => {
    const api = receiver([
      { status: 202, json: move({}) },
      { status: 200, json: move({ copied: 400 }) },
      { status: 200, json: move({ state: "cleanup", shard: "SHARD_2", deleted: null }) },
      { status: 200, json: move({ state: null, shard: "SHARD_2", from: null, to: null }) },
    ]);
    const io = captureIo();
    const code = await runShards(["move", ACCOUNT, "--to", "SHARD_2", "--wait"], {}, io, {
      request: api.request,
      sleep: async () => {},
    });
    expect(code).toBe(0);
    expect(api.seen[0]).toEqual({
      url: `http://127.0.0.1:8787/api/accounts/${ACCOUNT}/move`,
      method: "POST",
      body: { to: "SHARD_2" },
      auth: "Bearer dev-api-token",
    });
    expect(io.stdout).toEqual([
      `${ACCOUNT}: copying SHARD_1 → SHARD_2: 0 gigs copied`,
      `${ACCOUNT}: copying SHARD_1 → SHARD_2: 400 gigs copied`,
      `${ACCOUNT} now lives in SHARD_2; cleaning up SHARD_1 (after the grace period)`,
      `${ACCOUNT} lives in SHARD_2; no move running`,
    ]);
  });

  it("exits 1 with the API's own message when it refuses, or the move fails", async () => {
    const refused = receiver([
      { status: 409, json: { error: { code: "shard_closed", message: "SHARD_2 is closed to new accounts." } } },
    ]);
    const io = captureIo();
    expect(await runShards(["move", ACCOUNT, "--to", "SHARD_2"], {}, io, { request: refused.request })).toBe(1);
    expect(io.stderr).toEqual(["shards: SHARD_2 is closed to new accounts. (409 shard_closed)"]);

    const failing = receiver([
      { status: 202, json: move({}) },
      { status: 200, json: move({ state: "failed", error: "verify failed 3 times" }) },
    ]);
    const io2 = captureIo();
    const code = await runShards(["move", ACCOUNT, "--to", "SHARD_2", "--wait"], {}, io2, {
      request: failing.request,
      sleep: async () => {},
    });
    expect(code).toBe(1);
    expect(io2.stderr).toEqual(["shards: the move failed: verify failed 3 times"]);

    const badToken = receiver([{ status: 401, json: { error: { code: "unauthorized", message: "no" } } }]);
    const io3 = captureIo();
    expect(await runShards(["list"], {}, io3, { request: badToken.request })).toBe(1);
    expect(io3.stderr[0]).toMatch(/refused the token \(401 on GET \/api\/shards\)/);
  });

  it("lists shards as a table and opens one", async () => {
    const api = receiver([
      {
        status: 200,
        json: {
          data: [
            {
              name: "SHARD_1",
              status: "closed",
              size_bytes: 2_500_000_000,
              measured_at: "2026-11-29T12:00:00.000Z",
              accounts: 410,
            },
            { name: "SHARD_2", status: "open", size_bytes: 0, measured_at: null, accounts: 0 },
          ],
        },
      },
      { status: 200, json: { name: "SHARD_1", status: "open" } },
    ]);
    const io = captureIo();
    expect(await runShards(["list"], {}, io, { request: api.request })).toBe(0);
    expect(await runShards(["open", "SHARD_1"], {}, io, { request: api.request })).toBe(0);
    expect(io.stdout).toEqual([
      "shard    status  size       accounts  measured",
      "SHARD_1  closed  2500.0 MB  410       2026-11-29T12:00:00.000Z",
      "SHARD_2  open    0.0 MB     0         never",
      "SHARD_1 is open",
    ]);
    expect(api.seen[1]).toMatchObject({
      method: "POST",
      url: "http://127.0.0.1:8787/api/shards/SHARD_1",
      body: { status: "open" },
    });
  });

  it("prints usage and exits 2 on a bad command line, sending nothing", async () => {
    const api = receiver([]);
    const io = captureIo();
    expect(await runShards(["move", ACCOUNT], {}, io, { request: api.request })).toBe(2);
    expect(io.stderr).toEqual([
      "shards: move needs --to NAME (e.g. --to SHARD_2)",
      "run `npm run shards -- --help` for usage",
    ]);
    expect(api.seen).toEqual([]);
  });
});
