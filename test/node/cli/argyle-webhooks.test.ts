import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runArgyle } from "../../../scripts/lib/argyle/run.ts";
import { type LocalArgyleServer, startLocalArgyle } from "../../../scripts/lib/common/local-argyle-server.ts";
import { captureIo, closedPort, type FakeServer, startFakeServer } from "./helpers.ts";

const RECEIVER = "http://127.0.0.1:8787/webhooks/argyle";

let argyle: LocalArgyleServer;
let env: Record<string, string>;

beforeAll(async () => {
  argyle = await startLocalArgyle({ seed: 9, accounts: [{ gigs: 3 }] });
  // No ARGYLE_API_URL: the CLI's default, the local Argyle (on this test's port).
  env = { LOCAL_ARGYLE_PORT: new URL(argyle.origin).port };
});
afterAll(() => argyle.close());
beforeEach(() => {
  for (const webhook of argyle.store.webhooks.all()) argyle.store.webhooks.delete(webhook.id);
});

async function run(argv: string[], runEnv: Record<string, string> = env) {
  const io = captureIo();
  const code = await runArgyle(argv, runEnv, io);
  return { code, io, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("npm run argyle -- webhooks, against the local Argyle", () => {
  it("create --days-synced makes exactly two subscriptions with one generated secret, printed once", async () => {
    const { code, io, out, err } = await run(["webhooks", "create", "--url", RECEIVER, "--days-synced", "60"]);
    expect(code).toBe(0);
    expect(err).toBe(`Argyle API: ${argyle.url} (local Argyle; set ARGYLE_API_URL for the real one)`);

    const webhooks = argyle.store.webhooks.all();
    expect(webhooks.map((w) => ({ events: w.events, config: w.config, url: w.url, name: w.name }))).toEqual([
      { events: ["gigs.partially_synced"], config: { days_synced: 60 }, url: RECEIVER, name: "argyle-gig-mirror" },
      {
        events: ["gigs.added", "gigs.updated", "gigs.removed", "gigs.fully_synced", "accounts.removed"],
        config: {},
        url: RECEIVER,
        name: "argyle-gig-mirror",
      },
    ]);
    const secret = webhooks[0]?.secret as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(webhooks[1]?.secret).toBe(secret);

    expect(out).toMatch(/Argyle accepts config only for some events .* so this creates 2 subscriptions:/);
    for (const w of webhooks) expect(out).toContain(`created ${w.id}`);
    expect(out.split(secret)).toHaveLength(2);
    expect(io.stdout).toContain("  npx wrangler secret put ARGYLE_WEBHOOK_SECRET --env production");
    expect(out).toMatch(/^ {2}npx wrangler secret put ARGYLE_WEBHOOK_SECRET +# the top-level environment$/m);
    expect(out).toContain("Both subscriptions sign with it.");
  });

  it("create with --secret uses it and does not print it", async () => {
    const { code, out } = await run(["webhooks", "create", "--url", RECEIVER, "--secret", "my-own-secret"]);
    expect(code).toBe(0);
    expect(argyle.store.webhooks.all().map((w) => w.secret)).toEqual(["my-own-secret"]);
    expect(out).not.toContain("my-own-secret");
    expect(out).toContain("The receiver's ARGYLE_WEBHOOK_SECRET must be the secret you gave");
  });

  it("list follows next to show every subscription in a table, never a secret", async () => {
    const created = Array.from({ length: 205 }, (_, i) =>
      argyle.store.webhooks.create(
        { name: `hook-${i}`, url: RECEIVER, events: ["gigs.added"], secret: `secret-${i}`, config: {} },
        Date.parse("2026-11-01T00:00:00Z") + i * 1000,
      ),
    );
    argyle.store.webhooks.create(
      { name: "partial", url: RECEIVER, events: ["gigs.partially_synced"], secret: "x", config: { days_synced: 7 } },
      Date.parse("2026-11-02T00:00:00Z"),
    );
    const { code, io, out } = await run(["webhooks", "list"]);
    expect(code).toBe(0);
    expect(io.stdout[0]).toMatch(/^id {36}name +events +config +url +created_at +last_sent_at$/);
    expect(io.stdout).toHaveLength(1 + 206 + 1);
    expect(io.stdout.at(-1)).toBe("206 subscriptions");
    for (const w of created) expect(out).toContain(w.id);
    expect(out).not.toMatch(/secret-\d/);
    const partial = io.stdout.find((l) => l.includes("partial")) as string;
    expect(partial).toMatch(
      / gigs\.partially_synced +\{"days_synced":7\} +http:\/\/127\.0\.0\.1:8787\/webhooks\/argyle +2026-11-02T00:00:00\.000Z +never$/,
    );
    // Every row's columns start where the header's do.
    const urlColumn = io.stdout[0]?.indexOf("url");
    expect(io.stdout.slice(1, -1).every((l) => l.indexOf("http://") === urlColumn)).toBe(true);
  });

  it("list says when there are none", async () => {
    expect((await run(["webhooks", "list"])).io.stdout).toEqual(["no webhook subscriptions"]);
  });

  it("delete removes one subscription", async () => {
    const keep = argyle.store.webhooks.create({ name: "a", url: RECEIVER, events: ["*"], secret: null, config: {} }, 1);
    const drop = argyle.store.webhooks.create({ name: "b", url: RECEIVER, events: ["*"], secret: null, config: {} }, 2);
    const { code, io } = await run(["webhooks", "delete", drop.id]);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`deleted ${drop.id}`]);
    expect(argyle.store.webhooks.all().map((w) => w.id)).toEqual([keep.id]);
  });

  it("shows Argyle's 404 for an unknown subscription and exits 1", async () => {
    const { code, err } = await run(["webhooks", "delete", "205c027e-8a4d-4248-b395-d4f345dfd49f"]);
    expect(code).toBe(1);
    expect(err).toContain("argyle: Argyle refused the request (404): Not found.");
  });

  it("shows Argyle's 400 field errors plainly, exits 1, and creates nothing", async () => {
    const { code, err } = await run(["webhooks", "create", "--url", RECEIVER, "--events", "gigs.added,gigs.nope"]);
    expect(code).toBe(1);
    expect(err).toContain('argyle: Argyle refused the request (400): events.1: "gigs.nope" is not a valid choice.');
    expect(argyle.store.webhooks.all()).toEqual([]);
  });

  it("shows Argyle's 401 for a wrong key and exits 1", async () => {
    const wrong = { ARGYLE_API_URL: argyle.url, ARGYLE_API_KEY_ID: "local-key-id", ARGYLE_API_KEY_SECRET: "wrong" };
    const { code, err } = await run(["webhooks", "list"], wrong);
    expect(code).toBe(1);
    expect(err).toBe(
      `Argyle API: ${argyle.url} (from ARGYLE_API_URL, key local-key-id)\n` +
        "argyle: Argyle refused the request (401): Invalid username/password.",
    );
  });

  it("refuses a half-set configuration before sending anything (exit 2)", async () => {
    const before = argyle.stats.snapshot();
    const { code, err } = await run(["webhooks", "list"], { ARGYLE_API_URL: argyle.url });
    expect(code).toBe(2);
    expect(err).toMatch(/ARGYLE_API_URL is set .* but ARGYLE_API_KEY_ID and ARGYLE_API_KEY_SECRET are not/);
    expect(argyle.stats.snapshot()).toEqual(before);
  });

  it("says when Argyle cannot be reached (exit 1)", async () => {
    const { code, err } = await run(["webhooks", "list"], { LOCAL_ARGYLE_PORT: String(await closedPort()) });
    expect(code).toBe(1);
    expect(err).toMatch(/argyle: could not reach Argyle at http:\/\/127\.0\.0\.1:\d+\/v2: .*ECONNREFUSED.*npm run dev/);
  });

  it("prints the usage for --help (exit 0) and for a bad command line (exit 2)", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: npm run argyle -- webhooks <create\|list\|delete> \[options\]/);
    const bad = await run(["webhooks", "create", "--events", "*", "--days-synced", "3", "--url", RECEIVER]);
    expect(bad.code).toBe(2);
    expect(bad.io.stderr).toEqual([
      'argyle: --days-synced cannot be used with --events "*": Argyle takes no config for "*"',
      "run `npm run argyle -- --help` for usage",
    ]);
  });
});

describe("npm run argyle -- webhooks create, when Argyle refuses the second subscription", () => {
  let server: FakeServer;
  afterEach(() => server.close());

  it("reports the one it made, with the secret and how to delete it, and exits 1", async () => {
    server = await startFakeServer((request) => {
      const body = JSON.parse(request.body.toString());
      const posts = server.requests.filter((r) => r.method === "POST").length;
      return posts === 1
        ? {
            status: 200,
            json: { id: "01a21b7f-6f8e-40b0-a29a-861ead9532ea", ...body, created_at: "x", last_sent_at: null },
          }
        : { status: 400, json: { events: { "0": ['"gigs.added" is not a valid choice.'] } } };
    });
    const api = { ARGYLE_API_URL: `${server.origin}/v2`, ARGYLE_API_KEY_ID: "k", ARGYLE_API_KEY_SECRET: "s" };
    const { code, out, err } = await run(["webhooks", "create", "--url", RECEIVER, "--days-synced", "5"], api);
    expect(code).toBe(1);
    expect(out).toContain("created 01a21b7f-6f8e-40b0-a29a-861ead9532ea  events: gigs.partially_synced");
    expect(out).toContain("Webhook secret (generated; shown only now");
    expect(err).toContain('argyle: Argyle refused the request (400): events.0: "gigs.added" is not a valid choice.');
    expect(err).toContain(
      "01a21b7f-6f8e-40b0-a29a-861ead9532ea was created; remove it with: npm run argyle -- webhooks delete 01a21b7f-6f8e-40b0-a29a-861ead9532ea",
    );
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      `Basic ${btoa("k:s")}`,
      `Basic ${btoa("k:s")}`,
    ]);
  });

  it("warns when the real Argyle is given a URL it cannot reach", async () => {
    server = await startFakeServer(() => ({ status: 200, json: { id: "x", events: [], config: {} } }));
    const api = { ARGYLE_API_URL: `${server.origin}/v2`, ARGYLE_API_KEY_ID: "k", ARGYLE_API_KEY_SECRET: "s" };
    const { err } = await run(["webhooks", "create", "--url", "http://localhost:8787/"], api);
    expect(err).toContain("note: Argyle cannot reach localhost:8787 from the internet; give the receiver's public URL");
    expect(err).toContain(
      "note: the receiver takes webhooks at /webhooks/argyle, and http://localhost:8787/ has path /",
    );
  });
});
