import { describe, expect, it } from "vitest";
import { UsageError } from "../../../scripts/lib/common/cli-errors.ts";
import { parseSendArgs, type SendPlan } from "../../../scripts/lib/send/args.ts";

const GIG_A = "0187b43a-35fa-56e2-1a95-f7e4232a4b3a";
const GIG_B = "0187dbfa-6f5e-a33a-af26-7e12ff408fea";
const ACCOUNT = "0187c66e-e7e5-811c-b006-2232f00f426a";

function plan(argv: string[], env: Record<string, string> = {}): SendPlan {
  const command = parseSendArgs(argv, env);
  if (command.kind !== "send") throw new Error("expected a send command");
  return command.plan;
}

describe("npm run send: arguments", () => {
  it("defaults to npm run dev's receiver, local Argyle and dev secrets", () => {
    expect(plan(["gigs.updated"])).toEqual({
      event: "gigs.updated",
      url: "http://127.0.0.1:8787/webhooks/argyle",
      readApi: "http://127.0.0.1:8787",
      secret: "dev-webhook-secret",
      account: null,
      user: null,
      ids: null,
      count: 2,
      repeat: 1,
      tamper: false,
      wait: true,
      timeoutMs: 60_000,
      token: "dev-api-token",
      argyle: "http://127.0.0.1:8788",
    });
  });

  it("takes ports and secrets from the environment, empty values counting as unset", () => {
    const env = { PORT: "9000", LOCAL_ARGYLE_PORT: "9001", ARGYLE_WEBHOOK_SECRET: "from-env", API_TOKEN: "" };
    expect(plan(["gigs.fully_synced"], env)).toMatchObject({
      url: "http://127.0.0.1:9000/webhooks/argyle",
      readApi: "http://127.0.0.1:9000",
      argyle: "http://127.0.0.1:9001",
      secret: "from-env",
      token: "dev-api-token",
    });
  });

  it("lets options win over the environment", () => {
    const env = { ARGYLE_WEBHOOK_SECRET: "from-env", API_TOKEN: "env-token" };
    const argv = [
      "gigs.removed",
      "--secret",
      "s",
      "--token",
      "t",
      "--url",
      "https://mirror.test/hooks/webhooks/argyle",
    ];
    expect(plan(argv, env)).toMatchObject({
      secret: "s",
      token: "t",
      url: "https://mirror.test/hooks/webhooks/argyle",
      // The read API sits beside the webhook route, under the same prefix.
      readApi: "https://mirror.test/hooks",
    });
  });

  it("reads --ids as a list of lowercase IDs without repeats, and the other flags", () => {
    const argv = [
      "gigs.updated",
      "--ids",
      `${GIG_A.toUpperCase()}, ${GIG_B},${GIG_A}`,
      "--account",
      ACCOUNT,
      "--repeat",
      "3",
      "--tamper",
      "--no-wait",
      "--timeout",
      "2.5",
      "--argyle",
      "http://127.0.0.1:9999/",
    ];
    expect(plan(argv)).toMatchObject({
      ids: [GIG_A, GIG_B],
      account: ACCOUNT,
      repeat: 3,
      tamper: true,
      wait: false,
      timeoutMs: 2500,
      argyle: "http://127.0.0.1:9999",
    });
  });

  it("answers --help with the usage", () => {
    expect(parseSendArgs(["gigs.added", "--help"], {})).toEqual({ kind: "help" });
    expect(parseSendArgs(["-h"], {})).toEqual({ kind: "help" });
  });

  it.each([
    [[], /which event\?/],
    [["gigs.update"], /unknown event "gigs.update": use one of gigs.added, gigs.updated/],
    [["gigs.added", "gigs.removed"], /one event at a time/],
    [["gigs.updated", "--count", "ten"], /--count must be a whole number.*"ten"/],
    [["gigs.updated", "--count", "0"], /--count must be a whole number from 1/],
    [["gigs.updated", "--count", "1.5"], /--count must be a whole number/],
    [["gigs.updated", "--repeat", "-1"], /--repeat/],
    [["gigs.updated", "--ids", GIG_A, "--count", "2"], /--ids or --count, not both/],
    [["gigs.updated", "--ids", "not-an-id"], /--ids must be an Argyle ID.*"not-an-id"/],
    [["gigs.updated", "--ids", " , "], /--ids needs at least one gig ID/],
    [["gigs.added", "--ids", GIG_A], /--ids applies to gigs.updated and gigs.removed, not gigs.added/],
    [["gigs.fully_synced", "--count", "3"], /--count applies to .*, not gigs.fully_synced/],
    [["gigs.updated", "--account", "42"], /--account must be an Argyle ID/],
    [["gigs.updated", "--timeout", "0"], /--timeout must be a number of seconds above 0/],
    [["gigs.updated", "--timeout", "soon"], /--timeout/],
    [["gigs.updated", "--url", "ftp://x.test/"], /--url must be an http\(s\) URL/],
    [["gigs.updated", "--url", "receiver"], /--url must be an http\(s\) URL/],
    [["gigs.updated", "--nope"], /Unknown option '--nope'/],
    [["gigs.updated", "--count"], /--count/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseSendArgs(argv, {})).toThrow(UsageError);
    expect(() => parseSendArgs(argv, {})).toThrow(message);
  });
});
