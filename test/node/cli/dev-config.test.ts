import { describe, expect, it } from "vitest";
import { DEV_DEFAULTS, devConfig } from "../../../scripts/lib/dev/config.ts";

describe("npm run dev configuration", () => {
  it("runs everything locally on embedded defaults", () => {
    const config = devConfig([], {});
    expect(config).toMatchObject({
      port: 8787,
      localArgylePort: 8788,
      alertSinkPort: 8789,
      fresh: false,
      resetOnly: false,
    });
    expect(config.receiverVars).toEqual({
      ARGYLE_WEBHOOK_SECRET: DEV_DEFAULTS.ARGYLE_WEBHOOK_SECRET,
      API_TOKEN_ADMIN: DEV_DEFAULTS.API_TOKEN_ADMIN,
      API_TOKEN_READ: DEV_DEFAULTS.API_TOKEN_READ,
    });
    expect(config.consumerVars).toEqual({
      ARGYLE_API_KEY_ID: "local-key-id",
      ARGYLE_API_KEY_SECRET: "local-key-secret",
      ARGYLE_API_URL: "http://127.0.0.1:8788/v2",
      ALERT_WEBHOOK_URL: "http://127.0.0.1:8789/alerts",
    });
  });

  it("sends alerts to ALERT_WEBHOOK_URL instead of the terminal sink when it is set", () => {
    const config = devConfig([], { ALERT_WEBHOOK_URL: "https://hooks.example/x", ALERT_CHECKS: "1" });
    expect(config.alertSinkPort).toBeNull();
    expect(config.consumerVars).toMatchObject({ ALERT_WEBHOOK_URL: "https://hooks.example/x", ALERT_CHECKS: "1" });
  });

  it("takes overrides from the environment, as in the README's example", () => {
    const config = devConfig([], {
      ARGYLE_API_URL: "http://127.0.0.1:9000/v2",
      API_TOKEN: "t",
      ARGYLE_WEBHOOK_SECRET: "s",
      PORT: "8800",
      ARGYLE_API_KEY_ID: "id",
      ARGYLE_API_KEY_SECRET: "secret",
      MAX_SUBREQUESTS: "1000",
      ARGYLE_MAX_CONCURRENCY: "4",
      ALERT_WEBHOOK_URL: "https://hooks.example/x",
      UNRELATED: "x",
    });
    expect(config.port).toBe(8800);
    // An external Argyle: the local one is not started.
    expect(config.localArgylePort).toBeNull();
    expect(config.receiverVars).toEqual({ ARGYLE_WEBHOOK_SECRET: "s", API_TOKEN: "t" });
    expect(config.consumerVars).toEqual({
      ARGYLE_API_URL: "http://127.0.0.1:9000/v2",
      ARGYLE_API_KEY_ID: "id",
      ARGYLE_API_KEY_SECRET: "secret",
      MAX_SUBREQUESTS: "1000",
      ARGYLE_MAX_CONCURRENCY: "4",
      ALERT_WEBHOOK_URL: "https://hooks.example/x",
    });
  });

  it("ignores empty variables rather than passing empty secrets", () => {
    const config = devConfig([], { API_TOKEN: "", API_TOKEN_ADMIN: "" });
    expect(config.receiverVars).toMatchObject({ API_TOKEN_ADMIN: DEV_DEFAULTS.API_TOKEN_ADMIN });
    expect(config.receiverVars.API_TOKEN).toBeUndefined();
  });

  it("understands --fresh and --reset-only, and refuses anything else", () => {
    expect(devConfig(["--fresh"], {}).fresh).toBe(true);
    expect(devConfig(["--reset-only"], {}).resetOnly).toBe(true);
    expect(() => devConfig(["--frsh"], {})).toThrow(/unknown option --frsh/);
  });

  it("runs the shards of wrangler.toml unless GIG_SHARDS sets a count, and refuses a count below 1", () => {
    expect(devConfig([], {}).shards).toBeUndefined();
    expect(devConfig([], { GIG_SHARDS: "" }).shards).toBeUndefined();
    expect(devConfig([], { GIG_SHARDS: "3" }).shards).toBe(3);
    expect(() => devConfig([], { GIG_SHARDS: "0" })).toThrow(/GIG_SHARDS must be a whole number ≥ 1, got 0/);
    expect(() => devConfig([], { GIG_SHARDS: "two" })).toThrow(/GIG_SHARDS must be a whole number ≥ 1, got "two"/);
  });

  it("refuses a port that is not a port", () => {
    expect(() => devConfig([], { PORT: "http" })).toThrow(/PORT must be a port number/);
    expect(() => devConfig([], { LOCAL_ARGYLE_PORT: "70000" })).toThrow(/LOCAL_ARGYLE_PORT/);
  });
});
