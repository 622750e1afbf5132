import { describe, expect, it } from "vitest";
import {
  authRetryDelaySeconds,
  backoffSeconds,
  MAX_QUEUE_DELAY_SECONDS,
  parseRetryAfter,
  rateLimitDelaySeconds,
} from "../../../src/domain/backoff.ts";

const options = { baseSeconds: 10, maxSeconds: 1800, authSeconds: 600 };

describe("backoffSeconds", () => {
  it("doubles per attempt between half and all of the ceiling", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, options, () => 1))).toEqual([10, 20, 40, 80, 160]);
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, options, () => 0))).toEqual([5, 10, 20, 40, 80]);
  });

  it("spreads retries with jitter", () => {
    const values = new Set(Array.from({ length: 50 }, () => backoffSeconds(6, options)));
    expect(values.size).toBeGreaterThan(5);
    for (const v of values) expect(v).toBeGreaterThanOrEqual(160);
  });

  it("caps at maxSeconds and at the queue's own limit, even for huge attempt counts", () => {
    expect(backoffSeconds(100, options, () => 1)).toBe(1800);
    expect(backoffSeconds(100, { ...options, maxSeconds: 10 ** 9 }, () => 1)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });

  it("never answers zero or negative for sane settings", () => {
    expect(backoffSeconds(1, { ...options, baseSeconds: 2, maxSeconds: 100 }, () => 0)).toBe(1);
    expect(backoffSeconds(0, options, () => 0.5)).toBeGreaterThan(0);
  });
});

describe("rate limits and auth", () => {
  it("honours Retry-After, at least one second", () => {
    expect(rateLimitDelaySeconds(1, 42, options)).toBe(42);
    expect(rateLimitDelaySeconds(1, 0, options)).toBe(1);
    expect(rateLimitDelaySeconds(3, undefined, options, () => 1)).toBe(40);
    expect(rateLimitDelaySeconds(1, 10 ** 9, options)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });

  it("waits AUTH_RETRY_SECONDS after an auth failure, never less than a minute", () => {
    expect(authRetryDelaySeconds(options)).toBe(600);
    expect(authRetryDelaySeconds({ ...options, authSeconds: 5 })).toBe(60);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-27T12:00:00Z");
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Fri, 27 Nov 2026 12:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Fri, 27 Nov 2026 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores absent or unreadable values", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});
