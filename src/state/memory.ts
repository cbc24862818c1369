/**
 * {@linkcode SharedState} for one process: everything lives in maps, so a claim, a hit or a hold
 * is exact and atomic (no await between a check and its update). Expired claims, windows and
 * holds are dropped lazily, with a sweep at most once a second, so the process keeps no timers
 * except those of locks currently held or awaited.
 *
 * @module
 */

import type { SharedState, WindowHit } from "./types.ts";

/** How often, at most, expired claims and windows are swept out of the maps. */
const SWEEP_EVERY_MS = 1_000;

/** One caller waiting for a lock, in arrival order. */
interface Waiter {
  ttlMs: number;
  grant(token: symbol): void;
  fail(error: Error): void;
}

/** A lock's holder (with the timer that expires it) and its queue. */
interface LockState {
  holder?: symbol;
  expiry?: ReturnType<typeof setTimeout>;
  queue: Waiter[];
}

/**
 * The error both implementations throw when a lock cannot be taken in time: names the lock and
 * the wait, never what the lock guards.
 */
export function lockWaitError(name: string, waitedMs: number): Error {
  return new Error(
    `Cannot take the lock "${name}": another caller still held it after waiting ${waitedMs} ms; retry later`,
  );
}

/**
 * State for a single process. Replicas that must agree need `RedisState` instead; this one
 * agrees only with itself.
 *
 * @example
 * ```ts
 * const state = new MemoryState();
 * if (await state.claimOnce("token:abc", 60_000)) console.log("first use");
 * await state.close();
 * ```
 */
export class MemoryState implements SharedState {
  /** Always "memory". */
  readonly kind = "memory" as const;
  #claims = new Map<string, number>();
  #windows = new Map<string, { count: number; resetAt: number }>();
  #locks = new Map<string, LockState>();
  #holds = new Map<string, Map<string, { amount: number; expiresAt: number }>>();
  #nextSweep = 0;
  #closed = false;

  /** True for the first claim of `key` until it expires `ttlMs` later. */
  claimOnce(key: string, ttlMs: number): Promise<boolean> {
    return this.#now("claim a key", ttlMs, (now) => {
      const until = this.#claims.get(key);
      if (until !== undefined && until > now) return false;
      this.#claims.set(key, now + ttlMs);
      return true;
    });
  }

  /** Counts one request under `key` in a fixed window of `windowMs` that starts at its first hit. */
  hit(key: string, windowMs: number): Promise<WindowHit> {
    return this.#now("count a request", windowMs, (now) => {
      let window = this.#windows.get(key);
      if (window === undefined || window.resetAt <= now) {
        window = { count: 0, resetAt: now + windowMs };
        this.#windows.set(key, window);
      }
      window.count++;
      return { count: window.count, resetInMs: Math.max(1, window.resetAt - now) };
    });
  }

  /**
   * Runs `fn` holding the lock `name`. Callers queue in arrival order; a holder that outlives
   * `ttlMs` loses the lock to the next in line, as a crashed replica would in Redis.
   */
  async withLock<T>(name: string, ttlMs: number, waitMs: number, fn: () => Promise<T>): Promise<T> {
    await this.#now("take a lock", ttlMs, () => undefined);
    const token = await this.#acquire(name, ttlMs, Math.max(0, waitMs));
    try {
      return await fn();
    } finally {
      this.#release(name, token);
    }
  }

  /** Adds or replaces the hold `id` in `scope`. */
  addHold(scope: string, id: string, amount: number, ttlMs: number): Promise<void> {
    return this.#now("add a hold", ttlMs, (now) => {
      if (!Number.isFinite(amount)) {
        throw new RangeError(`Cannot add a hold: the amount ${amount} is not a finite number`);
      }
      let holds = this.#holds.get(scope);
      if (holds === undefined) this.#holds.set(scope, holds = new Map());
      holds.set(id, { amount, expiresAt: now + ttlMs });
    });
  }

  /** Removes the hold `id` from `scope`, if it is there. */
  removeHold(scope: string, id: string): Promise<void> {
    return this.#now("remove a hold", undefined, () => {
      const holds = this.#holds.get(scope);
      holds?.delete(id);
      if (holds?.size === 0) this.#holds.delete(scope);
    });
  }

  /** The sum of the unexpired holds in `scope`; expired ones are dropped first. */
  sumHolds(scope: string): Promise<number> {
    return this.#now("sum holds", undefined, (now) => {
      const holds = this.#holds.get(scope);
      let sum = 0;
      for (const [id, hold] of holds ?? []) {
        if (hold.expiresAt <= now) holds?.delete(id);
        else sum += hold.amount;
      }
      if (holds?.size === 0) this.#holds.delete(scope);
      return sum;
    });
  }

  /** Forgets everything; callers waiting for a lock are rejected. Later calls reject. */
  close(): Promise<void> {
    this.#closed = true;
    for (const [name, lock] of this.#locks) {
      clearTimeout(lock.expiry);
      const closed = new Error(`Cannot take the lock "${name}": the in-memory state was closed`);
      for (const waiter of lock.queue.splice(0)) waiter.fail(closed);
    }
    this.#locks.clear();
    this.#claims.clear();
    this.#windows.clear();
    this.#holds.clear();
    return Promise.resolve();
  }

  /**
   * Runs `body` at once with the time now, after checking the state is open and `ms` is a usable
   * duration, as a settled promise: a throw becomes a rejection, and nothing awaits in between.
   */
  #now<T>(what: string, ms: number | undefined, body: (now: number) => T): Promise<T> {
    try {
      if (this.#closed) throw new Error(`Cannot ${what}: the in-memory state is closed`);
      if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) {
        throw new RangeError(`Cannot ${what}: ${ms} is not a duration in milliseconds above 0`);
      }
      const now = Date.now();
      if (now >= this.#nextSweep) this.#sweep(now);
      return Promise.resolve(body(now));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #sweep(now: number): void {
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, until] of this.#claims) if (until <= now) this.#claims.delete(key);
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }

  #acquire(name: string, ttlMs: number, waitMs: number): Promise<symbol> {
    let lock = this.#locks.get(name);
    if (lock === undefined) this.#locks.set(name, lock = { queue: [] });
    const state = lock;
    if (state.holder === undefined && state.queue.length === 0) {
      return Promise.resolve(this.#take(name, state, ttlMs));
    }
    return new Promise<symbol>((resolve, reject) => {
      const waiter: Waiter = {
        ttlMs,
        grant: (token) => {
          clearTimeout(timer);
          resolve(token);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        state.queue.splice(state.queue.indexOf(waiter), 1);
        reject(lockWaitError(name, waitMs));
      }, waitMs);
      state.queue.push(waiter);
    });
  }

  #take(name: string, lock: LockState, ttlMs: number): symbol {
    const token = Symbol(name);
    lock.holder = token;
    lock.expiry = setTimeout(() => this.#release(name, token), ttlMs);
    return token;
  }

  /** Frees the lock if `token` still holds it, handing it to the next in line. */
  #release(name: string, token: symbol): void {
    const lock = this.#locks.get(name);
    if (lock?.holder !== token) return;
    clearTimeout(lock.expiry);
    lock.holder = undefined;
    lock.expiry = undefined;
    const next = lock.queue.shift();
    if (next === undefined) {
      this.#locks.delete(name);
      return;
    }
    next.grant(this.#take(name, lock, next.ttlMs));
  }
}
