import { describe, expect, it } from "vitest";
import { createLimiter, SubrequestBudget } from "../../../src/domain/budget.ts";

describe("SubrequestBudget", () => {
  it("hands out at most its limit, all or nothing per request", () => {
    const budget = new SubrequestBudget(5);
    expect(budget.take(3)).toBe(true);
    expect(budget.take(3)).toBe(false);
    expect(budget.take(2)).toBe(true);
    expect(budget.take()).toBe(false);
    expect(budget.used).toBe(5);
    budget.refund();
    expect(budget.remaining).toBe(1);
  });
});

describe("createLimiter", () => {
  it("never runs more than its concurrency at once, and runs everything", async () => {
    const limit = createLimiter(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 1 + (i % 3)));
          active--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("frees its slot when a task fails", async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limit(async () => "next")).toBe("next");
  });
});
