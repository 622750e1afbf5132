import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from "../../../src/domain/cursor.ts";

const Schema = v.object({ k: v.tuple([v.nullable(v.number()), v.string()]), q: v.record(v.string(), v.string()) });

describe("cursors", () => {
  it("round-trip through URL-safe text", () => {
    const payload = { k: [null, "0187dbfa-6f5e-a33a-af26-7e12ff408fea"], q: { note: "ünïcode ✓ ?&=/+" } };
    const token = encodeCursor(payload);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(Schema, token)).toEqual(payload);
  });

  it.each([
    ["not base64", "%%%"],
    ["standard base64 characters", "a+b/"],
    ["base64 of non-JSON", btoa("hello")],
    ["base64 of non-UTF-8", btoa("\xff\xfe")],
    ["JSON of the wrong shape", encodeCursor({ k: "x" })],
    ["too long", encodeCursor({ k: [1, "x".repeat(MAX_CURSOR_LENGTH)], q: {} })],
    ["empty", ""],
  ])("decode to null when %s", (_label, token) => {
    expect(decodeCursor(Schema, token)).toBeNull();
  });
});
