/**
 * The receiver's error contract: every error is JSON `{"error": {"code", "message"}}` and says
 * nothing about internals. Unexpected errors are logged once, without payloads.
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeError, isD1Error, UnavailableError } from "../domain/errors.ts";
import { logError } from "../domain/log.ts";

/** Seconds Argyle (or any client) should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 30;

/** A JSON error response in the receiver's shape. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  return c.json({ error: { code, message } }, status, headers);
}

/** Throws an HTTP error that the app's error handler renders in the JSON shape. */
export function fail(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers?: Record<string, string>,
): never {
  const res = new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
  throw new HTTPException(status, { res });
}

export const onError: ErrorHandler = (error, c) => {
  if (error instanceof HTTPException) {
    const res = error.getResponse();
    if (res.headers.get("content-type")?.includes("application/json")) return res;
    // Hono's own middleware (body limit, IP restriction) throws plain-text errors: normalise them.
    return errorResponse(
      c,
      error.status as ContentfulStatusCode,
      codeFor(error.status),
      res.statusText || error.message,
    );
  }
  if (isD1Error(error)) {
    logError("database unavailable", { path: c.req.path, method: c.req.method, error: describeError(error) });
    return errorResponse(c, 503, "unavailable", "The database is temporarily unavailable; retry later.", {
      "Retry-After": String(RETRY_AFTER_SECONDS),
    });
  }
  if (error instanceof UnavailableError) {
    logError("dependency unavailable", {
      path: c.req.path,
      dependency: error.dependency,
      error: describeError(error.cause),
    });
    return errorResponse(c, 503, "unavailable", "Temporarily unable to store this request; retry later.", {
      "Retry-After": String(RETRY_AFTER_SECONDS),
    });
  }
  logError("unhandled error", { path: c.req.path, method: c.req.method, error: describeError(error) });
  return errorResponse(c, 500, "internal_error", "Internal error.");
};

/** Argyle's 404 body, for the Argyle-compatible routes under /v2. */
export function argyleNotFound(c: Context): Response {
  return c.json({ detail: "Not found." }, 404);
}

export const notFound: NotFoundHandler = (c) =>
  // Under /v2 we answer as Argyle's API does, so its clients read our 404s like Argyle's.
  c.req.path.startsWith("/v2/")
    ? argyleNotFound(c)
    : errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${c.req.path}.`);

function codeFor(status: number): string {
  switch (status) {
    case 403:
      return "forbidden";
    case 413:
      return "payload_too_large";
    default:
      return status >= 500 ? "internal_error" : "bad_request";
  }
}
