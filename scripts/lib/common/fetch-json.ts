/**
 * One HTTP request whose answer is (usually) JSON: status, raw text and parsed body, with a
 * timeout. Network failures throw; every HTTP status comes back for the caller to judge.
 * @module
 */

export interface JsonResponse {
  status: number;
  statusText: string;
  /** The body as sent. */
  text: string;
  /** The parsed body; undefined when the body is empty or not JSON. */
  json: unknown;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export async function fetchJson(
  url: string,
  init: RequestInit = {},
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
): Promise<JsonResponse> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, statusText: response.statusText, text, json };
}

/** `Authorization: Basic …` for an API key (username = key id, password = key secret). */
export function basicAuthorization(keyId: string, keySecret: string): string {
  return `Basic ${Buffer.from(`${keyId}:${keySecret}`, "utf8").toString("base64")}`;
}

/** True for 2xx. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
