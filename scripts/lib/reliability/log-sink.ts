/**
 * Every line the Workers log during a run (`startStack({ onLog })`), and the check that none of
 * them gives away a secret, a token, a signature or a webhook body.
 * @module
 */

export class LogSink {
  readonly lines: string[] = [];
  /** Strings that must never appear in a log line. */
  readonly #secrets = new Set<string>();
  /** Webhook bodies sent: none may appear whole, nor its distinctive start. */
  readonly #bodies = new Set<string>();

  /** The `onLog` handler for `startStack`. */
  readonly collect = (level: string, message: string): void => {
    this.lines.push(`${level} ${message}`);
  };

  /** Registers a secret, token or signature that no log line may contain. */
  secret(...values: string[]): void {
    for (const value of values) if (value.length >= 6) this.#secrets.add(value);
  }

  /** Registers a raw body sent to the receiver. */
  body(text: string): void {
    if (text.length >= 24) this.#bodies.add(text);
  }

  /** Every leak found: which line, and what it gave away (described, never quoted). */
  leaks(): string[] {
    const found: string[] = [];
    const secrets = [...this.#secrets];
    const bodies = [...this.#bodies];
    this.lines.forEach((line, i) => {
      const lower = line.toLowerCase();
      for (const secret of secrets) {
        if (lower.includes(secret.toLowerCase())) found.push(`log line ${i + 1} contains a secret (${mask(secret)})`);
      }
      // Any 128 hex digits: the shape of an HMAC-SHA512 signature, ours or a forged one.
      if (/[0-9a-f]{128}/i.test(line)) found.push(`log line ${i + 1} contains a 128-hex-digit signature`);
      for (const body of bodies) {
        if (
          line.includes(body) ||
          line.includes(body.slice(0, 48)) ||
          line.includes(JSON.stringify(body).slice(1, 49))
        ) {
          found.push(`log line ${i + 1} contains a webhook body (${body.length} bytes)`);
          break;
        }
      }
    });
    return found;
  }
}

function mask(secret: string): string {
  return `${secret.slice(0, 2)}…${secret.length} chars`;
}
