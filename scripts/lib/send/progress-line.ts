/**
 * A progress line (`stored 37/40`): redrawn in place on a terminal; in a pipe or a log, each
 * change is a new line, so the record stays readable.
 * @module
 */
import type { CliIo } from "../common/cli-io.ts";

export class ProgressLine {
  readonly #io: CliIo;
  #last = "";
  #open = false;

  constructor(io: CliIo) {
    this.#io = io;
  }

  /** Shows `text` unless it is what is already shown. */
  update(text: string): void {
    if (text === this.#last) return;
    this.#last = text;
    if (this.#io.isTTY) {
      // Carriage return, then erase the line: a shorter text leaves nothing of the longer one.
      this.#io.write(`\r\u001b[2K${text}`);
      this.#open = true;
    } else {
      this.#io.out(text);
    }
  }

  /** Ends the line, so whatever is printed next starts on its own. */
  end(): void {
    if (this.#open) this.#io.write("\n");
    this.#open = false;
  }
}
