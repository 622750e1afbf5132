import { describe, expect, it } from "vitest";
import { DEFAULT_EVENTS, parseArgyleArgs } from "../../../scripts/lib/argyle/args.ts";
import { argyleApiConfig, describeArgyleApi } from "../../../scripts/lib/argyle/config.ts";
import { describeArgyleError } from "../../../scripts/lib/argyle/error-text.ts";
import { generateSecret, subscriptionRequests } from "../../../scripts/lib/argyle/webhook-subscriptions.ts";
import { UsageError } from "../../../scripts/lib/common/cli-errors.ts";
import { formatTable } from "../../../scripts/lib/common/text-table.ts";

const URL = "https://mirror.example.com/webhooks/argyle";
const ID = "205c027e-8a4d-4248-b395-d4f345dfd49f";

describe("npm run argyle: arguments", () => {
  it("create defaults to the five gig events and accounts.removed, the project's name and a generated secret", () => {
    expect(parseArgyleArgs(["webhooks", "create", "--url", URL])).toEqual({
      kind: "create",
      url: URL,
      name: "argyle-gig-mirror",
      secret: null,
      daysSynced: null,
      events: [...DEFAULT_EVENTS],
    });
  });

  it("create takes --name, --secret, --days-synced and --events (a list, or *)", () => {
    const argv = ["webhooks", "create", "--url", URL, "--name", "n", "--secret", "s", "--days-synced", "60"];
    expect(parseArgyleArgs([...argv, "--events", "gigs.partially_synced, gigs.added,gigs.added"])).toMatchObject({
      name: "n",
      secret: "s",
      daysSynced: 60,
      events: ["gigs.partially_synced", "gigs.added"],
    });
    expect(parseArgyleArgs(["webhooks", "create", "--url", URL, "--events", "*"])).toMatchObject({ events: ["*"] });
  });

  it("create keeps a URL with a trailing slash as given: the receiver answers both forms", () => {
    expect(parseArgyleArgs(["webhooks", "create", "--url", `${URL}/`])).toMatchObject({
      kind: "create",
      url: `${URL}/`,
    });
  });

  it("reads list and delete, and --help anywhere", () => {
    expect(parseArgyleArgs(["webhooks", "list"])).toEqual({ kind: "list" });
    expect(parseArgyleArgs(["webhooks", "delete", ID.toUpperCase()])).toEqual({ kind: "delete", id: ID });
    expect(parseArgyleArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseArgyleArgs(["webhooks", "create", "-h"])).toEqual({ kind: "help" });
  });

  it.each([
    [[], /which command\?/],
    [["hooks", "list"], /unknown command "hooks"/],
    [["webhooks"], /webhooks what\? create, list or delete/],
    [["webhooks", "update"], /unknown action "webhooks update"/],
    [["webhooks", "create"], /create needs --url/],
    [["webhooks", "create", "--url", "mirror.example.com"], /--url must be an http\(s\) URL/],
    [
      ["webhooks", "create", "--url", URL, "--events", "*", "--days-synced", "30"],
      /--days-synced cannot be used with --events "\*"/,
    ],
    [
      ["webhooks", "create", "--url", URL, "--events", "gigs.added", "--days-synced", "30"],
      /--days-synced applies to gigs.partially_synced/,
    ],
    [["webhooks", "create", "--url", URL, "--days-synced", "thirty"], /--days-synced must be a whole number of days/],
    [["webhooks", "create", "--url", URL, "--days-synced", "0"], /--days-synced must be a whole number/],
    [["webhooks", "create", "--url", URL, "--events", "*,gigs.added"], /"\*" already means every event/],
    [["webhooks", "create", "--url", URL, "--events", "gigs added"], /"gigs added" is not an event name/],
    [["webhooks", "create", "--url", URL, "--events", ","], /--events needs at least one event/],
    [["webhooks", "create", "--url", URL, "--secret", " "], /--secret may not be blank/],
    [["webhooks", "create", "--url", URL, "--colour", "red"], /Unknown option '--colour'/],
    [["webhooks", "list", "--all"], /^Unknown option '--all' \(list takes no options\)$/],
    [["webhooks", "list", "everything"], /unexpected "everything"/],
    [["webhooks", "delete"], /delete takes one subscription ID/],
    [["webhooks", "delete", "hook-1"], /"hook-1" is not a subscription ID/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseArgyleArgs(argv)).toThrow(UsageError);
    expect(() => parseArgyleArgs(argv)).toThrow(message);
  });
});

describe("npm run argyle: which API", () => {
  it("uses the local Argyle when ARGYLE_API_URL is unset, and says so", () => {
    const config = argyleApiConfig({});
    expect(config).toEqual({
      url: "http://127.0.0.1:8788/v2",
      keyId: "local-key-id",
      keySecret: "local-key-secret",
      local: true,
    });
    expect(describeArgyleApi(config)).toBe(
      "Argyle API: http://127.0.0.1:8788/v2 (local Argyle; set ARGYLE_API_URL for the real one)",
    );
    expect(argyleApiConfig({ LOCAL_ARGYLE_PORT: "9100", ARGYLE_API_URL: "" }).url).toBe("http://127.0.0.1:9100/v2");
  });

  it("uses ARGYLE_API_URL with its key", () => {
    const env = {
      ARGYLE_API_URL: "https://api-sandbox.argyle.com/v2/",
      ARGYLE_API_KEY_ID: "id",
      ARGYLE_API_KEY_SECRET: "s",
    };
    const config = argyleApiConfig(env);
    expect(config).toEqual({ url: "https://api-sandbox.argyle.com/v2", keyId: "id", keySecret: "s", local: false });
    expect(describeArgyleApi(config)).toBe(
      "Argyle API: https://api-sandbox.argyle.com/v2 (from ARGYLE_API_URL, key id)",
    );
  });

  it("refuses ARGYLE_API_URL without the key, naming what is missing", () => {
    expect(() => argyleApiConfig({ ARGYLE_API_URL: "https://api.argyle.com/v2" })).toThrow(
      /ARGYLE_API_URL is set \(https:\/\/api.argyle.com\/v2\) but ARGYLE_API_KEY_ID and ARGYLE_API_KEY_SECRET are not/,
    );
    expect(() => argyleApiConfig({ ARGYLE_API_URL: "https://api.argyle.com/v2", ARGYLE_API_KEY_ID: "id" })).toThrow(
      /but ARGYLE_API_KEY_SECRET is not/,
    );
    expect(() => argyleApiConfig({ ARGYLE_API_URL: "api.argyle.com" })).toThrow(/must be an http\(s\) URL/);
  });
});

describe("npm run argyle: subscriptions to create", () => {
  it("puts gigs.partially_synced with days_synced on a subscription of its own, sharing one secret", () => {
    const command = parseArgyleArgs(["webhooks", "create", "--url", URL, "--days-synced", "60"]);
    if (command.kind !== "create") throw new Error("expected create");
    expect(subscriptionRequests(command, "sec")).toEqual([
      {
        name: "argyle-gig-mirror",
        url: URL,
        events: ["gigs.partially_synced"],
        secret: "sec",
        config: { days_synced: 60 },
      },
      {
        name: "argyle-gig-mirror",
        url: URL,
        events: ["gigs.added", "gigs.updated", "gigs.removed", "gigs.fully_synced", "accounts.removed"],
        secret: "sec",
      },
    ]);
  });

  it("makes one subscription without --days-synced, or when only partially_synced is asked for", () => {
    const plain = parseArgyleArgs(["webhooks", "create", "--url", URL]);
    const only = parseArgyleArgs([
      "webhooks",
      "create",
      "--url",
      URL,
      "--events",
      "gigs.partially_synced",
      "--days-synced",
      "7",
    ]);
    if (plain.kind !== "create" || only.kind !== "create") throw new Error("expected create");
    expect(subscriptionRequests(plain, "s")).toEqual([
      { name: "argyle-gig-mirror", url: URL, events: [...DEFAULT_EVENTS], secret: "s" },
    ]);
    expect(subscriptionRequests(only, "s")).toHaveLength(1);
  });

  it("generates 256-bit base64url secrets, a new one each time", () => {
    const secrets = new Set(Array.from({ length: 20 }, generateSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, "base64url")).toHaveLength(32);
    }
  });
});

describe("npm run argyle: output", () => {
  it.each([
    [401, { detail: "Invalid username/password." }, "Argyle refused the request (401): Invalid username/password."],
    [
      400,
      { config: ["only allowed for accounts.added, gigs.partially_synced"] },
      "Argyle refused the request (400): config: only allowed for accounts.added, gigs.partially_synced",
    ],
    [
      400,
      { url: ["Enter a valid URL."], events: { "1": ['"gigs.nope" is not a valid choice.'] } },
      'Argyle refused the request (400): url: Enter a valid URL.; events.1: "gigs.nope" is not a valid choice.',
    ],
    [
      400,
      { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] },
      "Argyle refused the request (400): Invalid data. Expected a dictionary, but got list.",
    ],
    [502, undefined, "Argyle failed the request (502): <html> Bad gateway </html>"],
  ])("renders a %i with %j plainly", (status, json, expected) => {
    const text = json === undefined ? "<html>\n  Bad gateway\n</html>" : JSON.stringify(json);
    expect(describeArgyleError(status, json, text)).toBe(expected);
  });

  it("aligns table columns without padding the last one", () => {
    expect(
      formatTable(
        ["id", "name", "url"],
        [
          ["1", "long name", "https://a"],
          ["22", "n", "u"],
        ],
      ),
    ).toEqual(["id  name       url", "1   long name  https://a", "22  n          u"]);
  });
});
