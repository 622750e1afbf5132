/**
 * The two ways a command-line tool fails, so entry points can pick the exit code and print a
 * plain message instead of a stack trace.
 * @module
 */

export const EXIT_OK = 0;
/** The work failed: a refused request, an unreachable server, a timeout. */
export const EXIT_FAILED = 1;
/** The command line or the configuration is wrong; nothing was sent. */
export const EXIT_USAGE = 2;

/** Bad arguments or configuration. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure with a message meant for the user as it stands. */
export class CliFailure extends Error {
  override name = "CliFailure";
}

/**
 * What went wrong with a fetch that never got an answer. Node's fetch says only "fetch failed";
 * the useful part (ECONNREFUSED, ENOTFOUND, a timeout) is in its cause.
 */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return "no answer in time";
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A `UsageError` from `parseArgs`'s error. Node appends advice about `--` to unknown options,
 * which only confuses here: no command takes positionals that start with a dash.
 */
export function argsError(error: unknown, hint?: string): UsageError {
  const message = (error instanceof Error ? error.message : String(error)).replace(
    /\. To specify a positional.*$/s,
    "",
  );
  return new UsageError(hint ? `${message} (${hint})` : message);
}
