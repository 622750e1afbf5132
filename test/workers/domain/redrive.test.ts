import { describe, expect, it } from "vitest";
import { redriveJobId } from "../../../src/domain/redrive.ts";

describe("redriveJobId", () => {
  it("appends a redrive suffix, replacing an earlier one", () => {
    const ms = Date.parse("2024-06-01T00:00:00Z");
    expect(redriveJobId("evt:0", ms)).toBe(`evt:0.r${ms.toString(36)}`);
    expect(redriveJobId(`evt:0.r${(ms - 1).toString(36)}`, ms)).toBe(`evt:0.r${ms.toString(36)}`);
    expect(redriveJobId("evt:0.3", ms)).toBe(`evt:0.3.r${ms.toString(36)}`);
  });

  it("does not grow when work fails and is redriven again and again", () => {
    const ms = Date.parse("2024-06-01T00:00:00Z");
    let id = "evt:0";
    for (let i = 0; i < 50; i++) id = redriveJobId(`${id}~dead`, ms + i);
    expect(id).toBe(`evt:0.r${(ms + 49).toString(36)}`);
  });

  it("stays within the job schema's 200 characters", () => {
    expect(redriveJobId("x".repeat(200), Date.now())).toHaveLength(200);
  });
});
