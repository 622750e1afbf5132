import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalArgyleServer, startLocalArgyle } from "../../../scripts/lib/common/local-argyle-server.ts";
import { runSend } from "../../../scripts/lib/send/run.ts";
import { verifySignature } from "../../../src/domain/signature.ts";
import { compareGigs } from "../../../src/local-argyle/dataset.ts";
import { type Answer, captureIo, closedPort, type FakeServer, type SeenRequest, startFakeServer } from "./helpers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SECRET = "e2e-secret";
const TOKEN = "e2e-token";

let argyle: LocalArgyleServer;
let account: string;
let servers: FakeServer[] = [];

beforeAll(async () => {
  argyle = await startLocalArgyle({ seed: 3, accounts: [{ gigs: 20 }] });
  account = argyle.store.accounts()[0]?.id as string;
});
afterAll(() => argyle.close());
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A receiver that checks signatures like the real one, with a read API that answers `read`. */
async function receiver(read: (request: SeenRequest) => Answer = () => ({ status: 404 })): Promise<FakeServer> {
  const server = await startFakeServer(async (request) => {
    if (request.method === "POST" && request.path === "/webhooks/argyle") {
      const signature = request.headers["x-argyle-signature"] as string | undefined;
      const valid = await verifySignature([SECRET], new Uint8Array(request.body), signature);
      return valid
        ? { status: 202, json: { status: "accepted", id: `evt-${server.requests.length}` } }
        : { status: 401, json: { error: { code: "invalid_signature", message: "no" } } };
    }
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, json: { detail: "nope" } };
    return read(request);
  });
  servers.push(server);
  return server;
}

const posts = (server: FakeServer) => server.requests.filter((r) => r.method === "POST");
const gets = (server: FakeServer) => server.requests.filter((r) => r.method === "GET");

/** Runs `send` in-process against `server` with fast polling. */
async function send(server: FakeServer, ...argv: string[]) {
  const io = captureIo();
  const code = await runSend(
    [...argv, "--url", `${server.origin}/webhooks/argyle`, "--argyle", argyle.origin],
    { ARGYLE_WEBHOOK_SECRET: SECRET, API_TOKEN: TOKEN },
    io,
    { intervalMs: 20, stableMs: 150 },
  );
  return { code, io };
}

/** Runs scripts/send.ts as `npm run send` would, in its own process. */
function sendScript(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["scripts/send.ts", ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("npm run send, end to end (its own process)", () => {
  it("sends a signed gigs.updated, polls the read API until both gigs are stored, and exits 0", async () => {
    const polls = new Map<string, number>();
    const server = await receiver((request) => {
      const id = request.path.replace("/v2/gigs/", "");
      polls.set(id, (polls.get(id) ?? 0) + 1);
      // Not stored for the first two polls, as if the consumer were still fetching.
      return (polls.get(id) ?? 0) <= 2
        ? { status: 404, json: { detail: "Not found." } }
        : { status: 200, json: { id } };
    });
    const result = await sendScript(
      ["gigs.updated", "--url", `${server.origin}/webhooks/argyle`, "--argyle", argyle.origin, "--timeout", "20"],
      { ARGYLE_WEBHOOK_SECRET: SECRET, API_TOKEN: TOKEN },
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toContain('202 Accepted {"status":"accepted","id":"evt-1"}');
    expect(lines).toContain("stored 0/2");
    expect(lines).toContain("stored 2/2");
    expect(lines.at(-1)).toMatch(/^done in \d+\.\d\d s$/);

    // The local Argyle lists newest first; the CLI picks the newest from the oldest-first list.
    const newest = [...argyle.store.gigsOf(account)]
      .sort(compareGigs)
      .slice(-2)
      .map((g) => g.id);
    const [post] = posts(server);
    expect(JSON.parse(post?.body.toString() ?? "")).toMatchObject({
      event: "gigs.updated",
      data: { account, updated_gigs: newest },
    });
    expect(Object.fromEntries(polls)).toEqual({ [newest[0] as string]: 3, [newest[1] as string]: 3 });
  });

  it("exits 1 when the gigs never appear, naming the ones still missing", async () => {
    const server = await receiver(() => ({ status: 404, json: { detail: "Not found." } }));
    const result = await sendScript(
      ["gigs.updated", "--count", "1", "--timeout", "1", "--url", `${server.origin}/webhooks/argyle`],
      { ARGYLE_WEBHOOK_SECRET: SECRET, API_TOKEN: TOKEN, LOCAL_ARGYLE_PORT: new URL(argyle.origin).port },
    );
    const missing = [...argyle.store.gigsOf(account)].sort(compareGigs).at(-1)?.id;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("stored 0/1");
    expect(result.stderr.trim()).toBe(`send: timed out after 1 s: 1 of 1 gigs not stored yet: ${missing} (404)`);
  });
});

describe("npm run send: outcomes", () => {
  it("--tamper: a 401 is the expected answer, exit 0, and nothing is polled", async () => {
    const server = await receiver();
    const { code, io } = await send(server, "gigs.updated", "--tamper");
    expect(code).toBe(0);
    expect(io.stdout.some((l) => l.startsWith("401 Unauthorized"))).toBe(true);
    expect(io.stdout.at(-1)).toBe("401 as expected: the receiver refused the wrong signature");
    expect(gets(server)).toEqual([]);
  });

  it("--tamper: a receiver that accepts the wrong signature fails the run", async () => {
    const server = await startFakeServer(() => ({ status: 202, json: { status: "accepted" } }));
    servers.push(server);
    const { code, io } = await send(server, "gigs.removed", "--tamper");
    expect(code).toBe(1);
    expect(io.stderr).toContain(
      "send: the receiver ACCEPTED a wrong signature (202): its signature check is not working",
    );
  });

  it("a refused webhook exits 1 without polling", async () => {
    const server = await startFakeServer(() => ({ status: 503, json: { error: { code: "unavailable" } } }));
    servers.push(server);
    const { code, io } = await send(server, "gigs.updated");
    expect(code).toBe(1);
    expect(io.stdout).toContain('503 Service Unavailable {"error":{"code":"unavailable"}}');
    expect(io.stderr).toContain("send: the receiver answered 503; not waiting for the mirror");
    expect(gets(server)).toEqual([]);
  });

  it("--repeat N sends the very same signed body N times", async () => {
    const server = await receiver(() => ({ status: 200, json: {} }));
    const { code, io } = await send(server, "gigs.updated", "--repeat", "3");
    expect(code).toBe(0);
    const sent = posts(server);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.body.toString())).size).toBe(1);
    expect(new Set(sent.map((r) => r.headers["x-argyle-signature"])).size).toBe(1);
    expect(io.stdout.filter((l) => /^\[\d\/3\] 202 Accepted/.test(l))).toHaveLength(3);
  });

  it("gigs.removed waits until every gig answers 404", async () => {
    let polls = 0;
    const server = await receiver(() => (++polls <= 2 ? { status: 200, json: {} } : { status: 404 }));
    const { code, io } = await send(server, "gigs.removed");
    expect(code).toBe(0);
    expect(io.stdout).toContain("removed 2/2");
    expect(io.stdout.at(-1)).toMatch(/^done in /);
  });

  it("gigs.added waits until gigs_stored reaches the window's count and holds still", async () => {
    const stored = [0, 3, 6, 7];
    const seen: number[] = [];
    const server = await receiver((request) => {
      expect(request.path).toBe(`/api/accounts/${account}`);
      const value = stored[Math.min(seen.length, stored.length - 1)] as number;
      seen.push(value);
      return { status: 200, json: { id: account, gigs_stored: value, backfill_status: "none" } };
    });
    const { code, io } = await send(server, "gigs.added", "--count", "7");
    const body = JSON.parse(posts(server)[0]?.body.toString() ?? "");
    expect(body.data.added_count).toBe(7);
    expect(code).toBe(0);
    expect(io.stdout).toContain("stored 6 gigs of the account (expecting at least 7)");
    expect(io.stdout).toContain("stored 7 gigs of the account (expecting at least 7)");
    // Reaching 7 is not enough: it must stay there for the stability window (150 ms at 20 ms polls).
    expect(seen.filter((v) => v === 7).length).toBeGreaterThan(3);
  });

  it("gigs.fully_synced does not take a backfill finished earlier for this one's", async () => {
    const states = [
      { status: "done", completed_at: "2026-11-01T00:00:00Z" }, // before sending
      { status: "done", completed_at: "2026-11-01T00:00:00Z" }, // the old pass, still shown
      { status: "running", completed_at: null },
      { status: "done", completed_at: "2026-11-27T10:00:00Z" },
    ];
    let reads = 0;
    const server = await receiver(() => {
      const backfill = states[Math.min(reads++, states.length - 1)];
      return { status: 200, json: { id: account, gigs_stored: 20, backfill } };
    });
    const { code, io } = await send(server, "gigs.fully_synced");
    expect(code).toBe(0);
    expect(reads).toBe(4);
    expect(io.stdout).toContain("backfill running: 20 gigs stored");
    expect(io.stdout).toContain("backfill done: 20 gigs stored");
  });

  it("gigs.partially_synced follows a top-level backfill_status from an unknown account to done", async () => {
    const answers: Answer[] = [
      { status: 404 },
      { status: 404 },
      { status: 200, json: { gigs_stored: 4, backfill_status: "running" } },
      { status: 200, json: { gigs_stored: 20, backfill_status: "done" } },
    ];
    let reads = 0;
    const server = await receiver(() => answers[Math.min(reads++, answers.length - 1)] as Answer);
    const { code, io } = await send(server, "gigs.partially_synced");
    expect(code).toBe(0);
    expect(io.stdout).toEqual(
      expect.arrayContaining(["backfill not started: 0 gigs stored", "backfill done: 20 gigs stored"]),
    );
  });

  it("a backfill that fails ends the wait with exit 1", async () => {
    let reads = 0;
    const server = await receiver(() => ({
      status: 200,
      json: { gigs_stored: 1, backfill_status: ++reads < 3 ? "running" : "failed" },
    }));
    const { code, io } = await send(server, "gigs.fully_synced");
    expect(code).toBe(1);
    expect(io.stderr).toContain("send: the backfill failed (see GET /api/failures)");
  });

  it("a wrong read API token stops at once with what to change", async () => {
    const server = await receiver(() => ({ status: 200, json: {} }));
    const io = captureIo();
    const code = await runSend(
      ["gigs.updated", "--url", `${server.origin}/webhooks/argyle`, "--argyle", argyle.origin, "--token", "wrong"],
      { ARGYLE_WEBHOOK_SECRET: SECRET },
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.join("\n")).toMatch(/the read API refused the token \(401 on GET \/v2\/gigs\/.*\): pass --token/);
    expect(gets(server)).toHaveLength(1);
  });

  it("--no-wait and non-gig events send without polling", async () => {
    const server = await receiver();
    expect((await send(server, "gigs.updated", "--no-wait")).code).toBe(0);
    const connected = await send(server, "accounts.connected");
    expect(connected.code).toBe(0);
    expect(connected.io.stdout.at(-1)).toBe("nothing to wait for: not a gig event: the receiver only records it");
    expect(posts(server)).toHaveLength(2);
    expect(gets(server)).toEqual([]);
  });

  it("an unreachable receiver exits 1 and says so", async () => {
    const io = captureIo();
    const url = `http://127.0.0.1:${await closedPort()}/webhooks/argyle`;
    const code = await runSend(["gigs.updated", "--url", url, "--argyle", argyle.origin], {}, io);
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toMatch(
      /^send: could not reach the receiver at .*ECONNREFUSED.*is `npm run dev` running\?/,
    );
  });

  it("a bad command line exits 2 with a pointer to --help, and --help exits 0", async () => {
    const io = captureIo();
    expect(await runSend(["gigs.nope"], {}, io)).toBe(2);
    expect(io.stderr).toEqual([
      expect.stringMatching(/^send: unknown event "gigs.nope"/),
      "run `npm run send -- --help` for usage",
    ]);
    const help = captureIo();
    expect(await runSend(["--help"], {}, help)).toBe(0);
    expect(help.stdout[0]).toMatch(/^usage: npm run send -- <event> \[options\]/);
  });
});
