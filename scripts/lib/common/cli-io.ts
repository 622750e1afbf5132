/**
 * Where a tool's output goes. The CLIs' logic writes through this so tests can capture it, and
 * so progress lines know whether they may redraw in place (a terminal) or must append (a pipe).
 * @module
 */

export interface CliIo {
  /** One line of results, to stdout. */
  out(line: string): void;
  /** One line of diagnostics, notes and errors, to stderr. */
  err(line: string): void;
  /** Raw text to stdout (for redrawing a progress line). */
  write(text: string): void;
  /** True when stdout is a terminal. */
  isTTY: boolean;
}

/** The process's own stdout and stderr. */
export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    write: (text) => process.stdout.write(text),
    isTTY: process.stdout.isTTY === true,
  };
}
