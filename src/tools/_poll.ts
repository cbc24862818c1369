/**
 * Polling with backoff on the tool's injectable clock: the one loop behind wait_for_pod,
 * get_job/run_job_sync's wait and stream_job. Tests drive it with the simulator's clock, so no
 * test sleeps for real.
 *
 * @module
 */

import type { ToolContext } from "./_define.ts";

/**
 * What to do after a read that did not end the wait:
 * - `backoff`: sleep the current interval, then grow it by 1.5× up to the maximum;
 * - `now`: read again at once, keeping the interval (the server already held the read);
 * - `reset`: read again at once and start the interval over (work is flowing).
 */
export type PollPace = "backoff" | "now" | "reset";

/** Options for {@linkcode poll}. */
export interface PollOptions<T> {
  /** Clock ms the wait began; `waitedS` counts from it. */
  started: number;
  /** Clock ms after which no further read is made. */
  deadline: number;
  /** First pause between reads, ms. */
  firstMs: number;
  /** Longest pause between reads, ms. */
  maxMs: number;
  /** One read, e.g. a status request. */
  read(): Promise<T>;
  /** True when the wait is over (the state wanted, or a final one). */
  isDone(value: T): boolean;
  /** A value already in hand: checked first, not counted as a poll, no progress sent. */
  initial?: T;
  /** The progress message after a read, or undefined to send none; `total` is `totalS`. */
  progress?(value: T, waitedS: number): string | undefined;
  /** Progress total, seconds. */
  totalS?: number;
  /** The pause after a read that did not end the wait; `backoff` when omitted. */
  pace?(value: T, readMs: number): PollPace;
}

/** Where a {@linkcode poll} stopped. */
export interface PollResult<T> {
  /** The last value read (or the initial one). */
  value: T;
  /** Reads made. */
  polls: number;
  /** Seconds since `started`, rounded, when the wait ended. */
  waitedS: number;
  /** True when the deadline ended the wait, not `isDone`. */
  timedOut: boolean;
}

const GROWTH = 1.5;

/**
 * Reads until `isDone` or the deadline, pausing with backoff on `ctx.clock`. Cancellation: the
 * clock's sleep rejects as soon as `ctx.signal` aborts, and no read starts after it did.
 *
 * @example
 * ```ts
 * const { value } = await poll(ctx, {
 *   started: ctx.clock.now(), deadline: ctx.clock.now() + 60_000, firstMs: 1_000, maxMs: 10_000,
 *   read: () => getPod(ctx.runpod, id, ctx.signal), isDone: (pod) => pod.status === "RUNNING",
 * });
 * ```
 */
export async function poll<T>(
  ctx: Pick<ToolContext, "clock" | "signal" | "progress">,
  options: PollOptions<T>,
): Promise<PollResult<T>> {
  const { clock, signal } = ctx;
  let interval = options.firstMs;
  let polls = 0;
  let value = options.initial;
  for (;;) {
    let readMs = 0;
    if (value === undefined) {
      signal.throwIfAborted();
      const before = clock.now();
      value = await options.read();
      polls++;
      readMs = clock.now() - before;
      const message = options.progress?.(value, secondsSince(clock.now(), options.started));
      if (message !== undefined) {
        await ctx.progress(secondsSince(clock.now(), options.started), options.totalS, message);
      }
    }
    const waitedS = secondsSince(clock.now(), options.started);
    const remaining = options.deadline - clock.now();
    if (options.isDone(value)) return { value, polls, waitedS, timedOut: false };
    if (remaining <= 0) return { value, polls, waitedS, timedOut: true };
    const pace = options.pace?.(value, readMs) ?? "backoff";
    if (pace === "reset") {
      interval = options.firstMs;
    } else if (pace === "backoff") {
      await clock.sleep(Math.min(interval, remaining), signal);
      interval = Math.min(Math.round(interval * GROWTH), options.maxMs);
    }
    value = undefined;
  }
}

function secondsSince(now: number, started: number): number {
  return Math.round((now - started) / 1000);
}
