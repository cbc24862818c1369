/**
 * Scripted failures: queued faults that the next matching requests consume.
 *
 * @module
 */

/** Which requests a fault applies to; omitted fields match everything. */
export interface FaultMatch {
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Exact path (no query) or a pattern tested against it. */
  path?: string | RegExp;
}

/** A scripted failure. `times` defaults to 1. */
export type Fault =
  | {
    kind: "status";
    status: number;
    /** Seconds, sent as `Retry-After`. */
    retryAfter?: number;
    /** Replaces the default problem body; a string is sent verbatim as text/html. */
    body?: unknown;
    times?: number;
    match?: FaultMatch;
  }
  | {
    /** Real wall-clock delay before answering; ends early when the request is aborted. */
    kind: "delay";
    ms: number;
    times?: number;
    match?: FaultMatch;
  }
  | {
    /**
     * A 2xx with content-type application/json and a truncated body. Before (default): a 200
     * without handling the request. After: the request is handled (RunPod acted) and its own
     * answer is cut short.
     */
    kind: "malformed-json";
    when?: FaultTiming;
    times?: number;
    match?: FaultMatch;
  }
  | {
    /**
     * The connection dies: in-process fetch rejects with TypeError, a socket's body errors.
     * Before (default): RunPod never saw the request. After: the request is handled (a pod is
     * created) and the answer is lost.
     */
    kind: "reset";
    when?: FaultTiming;
    times?: number;
    match?: FaultMatch;
  };

/** Whether a fault strikes before the request is handled, or after (RunPod acted). */
export type FaultTiming = "before" | "after";

/** A FIFO of faults; the first matching one is consumed per request. */
export class FaultQueue {
  #queue: { fault: Fault; remaining: number }[] = [];

  /** Queues a fault. */
  add(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!(times >= 1)) throw new RangeError("Cannot inject fault: times must be at least 1");
    this.#queue.push({ fault, remaining: times });
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#queue = [];
  }

  /** Takes one use of the first fault matching the request, if any. */
  take(method: string, path: string): Fault | undefined {
    const i = this.#queue.findIndex(({ fault }) => matches(fault.match, method, path));
    const entry = this.#queue[i];
    if (!entry) return undefined;
    if (--entry.remaining <= 0) this.#queue.splice(i, 1);
    return entry.fault;
  }
}

function matches(m: FaultMatch | undefined, method: string, path: string): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.path === undefined) return true;
  if (typeof m.path === "string") return m.path === path;
  m.path.lastIndex = 0;
  return m.path.test(path);
}
