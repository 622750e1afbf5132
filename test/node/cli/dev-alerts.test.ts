import { describe, expect, it } from "vitest";
import { ROOT } from "../../../scripts/lib/common/stack.ts";
import { formatNotification, startAlertSink } from "../../../scripts/lib/dev/alert-sink.ts";
import { configuredCron, cronIntervalMs } from "../../../scripts/lib/dev/cron-schedule.ts";

describe("npm run dev fires the cron on the consumer's schedule", () => {
  it("reads the interval of the configured cron", () => {
    expect(cronIntervalMs("* * * * *")).toBe(60_000);
    expect(cronIntervalMs("*/5 * * * *")).toBe(300_000);
    expect(() => cronIntervalMs("0 3 * * *")).toThrow(/only/);
    expect(cronIntervalMs(configuredCron(ROOT))).toBeGreaterThanOrEqual(60_000);
  });
});

describe("the terminal alert sink", () => {
  it("prints each notification it receives, Slack or JSON", async () => {
    const printed: string[] = [];
    const sink = await startAlertSink({ port: 0 + 18_789, print: (t) => printed.push(t) });
    try {
      const slack = JSON.stringify({ text: ":rotating_light: *[OPENED] Jobs failed for good*\n1 job(s) failed" });
      expect((await fetch(sink.url, { method: "POST", body: slack })).status).toBe(200);
      expect(printed[0]).toContain("[alert] :rotating_light: *[OPENED] Jobs failed for good*");
      expect(printed[0]).toContain("        1 job(s) failed");
    } finally {
      await sink.close();
    }
    const json = formatNotification(
      JSON.stringify({
        type: "alert.resolved",
        alert: { title: "A backfill is stalled", scope: "acc", summary: "s", since: "t", affected: 1, next_step: "n" },
      }),
    );
    expect(json).toContain("[alert] alert.resolved: A backfill is stalled (account acc)");
    expect(json).toContain("next step: n");
  });
});
