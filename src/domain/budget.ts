/**
 * Per-invocation limits: a count of subrequests (Argyle, D1 and Queue calls all count toward
 * Workers' per-invocation limit) and a cap on Argyle requests in flight at once.
 * @module
 */

/** A countdown of subrequests one invocation may still make. Never goes below zero. */
export class SubrequestBudget {
  #remaining: number;
  #used = 0;

  constructor(limit: number) {
    this.#remaining = Math.max(0, limit);
  }

  /** Takes `n` subrequests if all are available; false (taking none) otherwise. */
  take(n = 1): boolean {
    if (n > this.#remaining) return false;
    this.#remaining -= n;
    this.#used += n;
    return true;
  }

  /** Gives back subrequests taken but not used (e.g. a reservation that was not needed). */
  refund(n = 1): void {
    this.#remaining += n;
    this.#used -= n;
  }

  get remaining(): number {
    return this.#remaining;
  }

  get used(): number {
    return this.#used;
  }
}

/** Runs at most `concurrency` tasks at once; the rest wait in arrival order. */
export function createLimiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
