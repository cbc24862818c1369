/**
 * State that must agree across HTTP replicas: single-use confirmations, rate-limit counters and
 * in-flight spend holds. One process uses the in-memory implementation; replicas share Redis
 * (`--state-url redis://…`). Every method is atomic across everyone sharing the store.
 *
 * @module
 */

/** The outcome of counting one request against a fixed window. */
export interface WindowHit {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets (≥ 1). */
  resetInMs: number;
}

/** Shared state behind the guard and the HTTP front door. */
export interface SharedState {
  /** Which implementation this is, for logs and /healthz: "memory" or "redis". */
  readonly kind: "memory" | "redis";
  /**
   * Claims `key` for `ttlMs`. True for exactly one caller across everyone sharing the store;
   * false for every later claim until the key expires.
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Counts one request under `key` in a fixed window of `windowMs`. */
  hit(key: string, windowMs: number): Promise<WindowHit>;
  /**
   * Runs `fn` while holding the lock `name` (at most one holder across everyone sharing the
   * store). The lock expires after `ttlMs` if its holder dies; waits up to `waitMs` to acquire it
   * and throws when it cannot.
   */
  withLock<T>(name: string, ttlMs: number, waitMs: number, fn: () => Promise<T>): Promise<T>;
  /** Adds or replaces the hold `id` of `amount` in `scope`, expiring after `ttlMs`. */
  addHold(scope: string, id: string, amount: number, ttlMs: number): Promise<void>;
  /** Removes the hold `id` from `scope`; removing a missing hold is a no-op. */
  removeHold(scope: string, id: string): Promise<void>;
  /** The sum of the unexpired holds in `scope`. */
  sumHolds(scope: string): Promise<number>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
