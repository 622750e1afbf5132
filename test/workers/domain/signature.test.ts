import { describe, expect, it } from "vitest";
import { parseSignatureHeader, signBody, verifySignature } from "../../../src/domain/signature.ts";
import vectors from "../../fixtures/signatures.json";

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

describe("signature vectors (computed independently with Node's crypto)", () => {
  it("has vectors to check", () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(6);
  });

  for (const v of vectors.cases) {
    it(`${v.must_verify ? "accepts" : "rejects"}: ${v.name}`, async () => {
      const body = fromBase64(v.body_base64);
      expect(await verifySignature([v.secret], body, v.signature_hex)).toBe(v.must_verify);
      expect(await verifySignature([v.secret], body, v.signature_hex.toUpperCase())).toBe(v.must_verify);
      if (v.must_verify) expect(await signBody(v.secret, body)).toBe(v.signature_hex);
    });
  }
});

describe("verifySignature", () => {
  const body = new TextEncoder().encode('{"event":"gigs.updated"}');

  it("accepts the previous secret during a rotation", async () => {
    const sig = await signBody("old", body);
    expect(await verifySignature(["new", "old"], body, sig)).toBe(true);
    expect(await verifySignature(["new"], body, sig)).toBe(false);
  });

  it("tolerates surrounding whitespace but nothing else", async () => {
    const sig = await signBody("s", body);
    expect(await verifySignature(["s"], body, ` ${sig}\t`)).toBe(true);
    expect(await verifySignature(["s"], body, `sha512=${sig}`)).toBe(false);
    expect(await verifySignature(["s"], body, sig.slice(0, -2))).toBe(false);
    expect(await verifySignature(["s"], body, `${sig}00`)).toBe(false);
    expect(await verifySignature(["s"], body, "")).toBe(false);
    expect(await verifySignature(["s"], body, null)).toBe(false);
  });

  it("rejects a signature of a body that differs by one byte", async () => {
    const sig = await signBody("s", body);
    const changed = body.slice();
    changed[2] = (changed[2] ?? 0) ^ 1;
    expect(await verifySignature(["s"], changed, sig)).toBe(false);
  });

  it("parses only 128 hex digits", () => {
    expect(parseSignatureHeader("ab".repeat(64))?.length).toBe(64);
    expect(parseSignatureHeader("zz".repeat(64))).toBeNull();
  });
});
