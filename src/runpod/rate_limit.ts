/**
 * Parsing of RunPod's rate-limit signals: `Retry-After` (seconds or an HTTP-date) and the
 * `RateLimit` header (IETF ratelimit-headers draft, a structured-field list such as
 * `"minute";r=0;t=12, "hour";r=2800;t=1812`).
 *
 * Parsing is deliberately forgiving: reordered parameters, a missing `t`, quoted or bare names
 * and the older `remaining=…, reset=…` form are all accepted, and anything unreadable is ignored
 * rather than failing the request.
 *
 * @module
 */

/** One rate-limit window from the `RateLimit` header. */
export interface RateLimitWindow {
  /** Window name, e.g. `minute`; absent in the older unnamed form. */
  name?: string;
  /** Requests left in the window (`r`). */
  remaining?: number;
  /** Seconds until the window resets (`t`). */
  resetSeconds?: number;
}

/** The most constrained window last seen, for diagnostics. */
export interface RateLimitInfo {
  /** Requests left in that window. */
  remaining?: number;
  /** Seconds until that window resets. */
  resetSeconds?: number;
  /** Window name, e.g. `minute`. */
  window?: string;
}

/**
 * Reads `Retry-After` as seconds to wait: delta-seconds, or an HTTP-date relative to `now`
 * (milliseconds since the epoch). Returns `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter("7"); // 7
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:50 GMT")); // 10
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  // A negative delta is nonsense, but it clearly means "now", not a date in year -5.
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return Math.max(0, Number(text));
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Shortest wait between attempts, in seconds, whatever RunPod asks. */
export const MIN_RETRY_WAIT_S = 1;
/** Longest wait between attempts, in seconds; RunPod's minute window resets within it. */
export const MAX_RETRY_WAIT_S = 60;

/**
 * Clamps a wait RunPod asked for to {@linkcode MIN_RETRY_WAIT_S}–{@linkcode MAX_RETRY_WAIT_S}
 * seconds, so `Retry-After: 0` cannot make the client spin and a huge value cannot stall it (or
 * show up as `Wait 100000000000000000000 s`). Anything not a finite number counts as the minimum.
 *
 * @example
 * ```ts
 * clampRetryWait(0); // 1
 * clampRetryWait(1e20); // 60
 * clampRetryWait(7); // 7
 * ```
 */
export function clampRetryWait(seconds: number): number {
  if (!Number.isFinite(seconds)) return seconds > 0 ? MAX_RETRY_WAIT_S : MIN_RETRY_WAIT_S;
  return Math.min(MAX_RETRY_WAIT_S, Math.max(MIN_RETRY_WAIT_S, seconds));
}

/**
 * Reads the `RateLimit` header into its windows. Returns an empty list when the header is absent
 * or nothing in it is readable.
 */
export function parseRateLimitHeader(value: string | null | undefined): RateLimitWindow[] {
  if (!value) return [];
  const items = splitOutsideQuotes(value, ",").map((item) => item.trim()).filter(Boolean);
  const windows: RateLimitWindow[] = [];
  const unnamed: RateLimitWindow = {};
  for (const item of items) {
    const [head = "", ...params] = splitOutsideQuotes(item, ";").map((part) => part.trim());
    const bare = /^([A-Za-z-]+)\s*=\s*(.*)$/.exec(head);
    if (params.length === 0 && bare && !head.startsWith('"')) {
      // Older draft form: `limit=100, remaining=0, reset=12` describes one unnamed window.
      applyParam(unnamed, bare[1] ?? "", bare[2] ?? "");
      continue;
    }
    const window: RateLimitWindow = {};
    const name = unquote(head);
    if (name) window.name = name;
    for (const param of params) {
      const eq = param.indexOf("=");
      if (eq < 0) continue;
      applyParam(window, param.slice(0, eq).trim(), param.slice(eq + 1).trim());
    }
    windows.push(window);
  }
  if (unnamed.remaining !== undefined || unnamed.resetSeconds !== undefined) windows.push(unnamed);
  return windows;
}

/**
 * Seconds until the longest exhausted window (remaining 0) resets, or `undefined` when no window
 * with a known reset time is exhausted.
 */
export function exhaustedWindowWait(windows: readonly RateLimitWindow[]): number | undefined {
  let longest: number | undefined;
  for (const window of windows) {
    if (window.remaining === undefined || window.remaining > 0) continue;
    if (window.resetSeconds === undefined) continue;
    longest = Math.max(longest ?? 0, window.resetSeconds);
  }
  return longest;
}

/**
 * Picks the most constrained window: the fewest requests left, and on a tie the longest wait.
 * Returns `undefined` when no window reports `remaining`.
 */
export function mostConstrainedWindow(
  windows: readonly RateLimitWindow[],
): RateLimitInfo | undefined {
  let best: RateLimitWindow | undefined;
  for (const window of windows) {
    if (window.remaining === undefined) continue;
    if (
      best?.remaining === undefined || window.remaining < best.remaining ||
      (window.remaining === best.remaining &&
        (window.resetSeconds ?? 0) > (best.resetSeconds ?? 0))
    ) {
      best = window;
    }
  }
  if (!best) return undefined;
  const info: RateLimitInfo = { remaining: best.remaining };
  if (best.resetSeconds !== undefined) info.resetSeconds = best.resetSeconds;
  if (best.name !== undefined) info.window = best.name;
  return info;
}

function applyParam(window: RateLimitWindow, key: string, raw: string): void {
  const value = Number(unquote(raw));
  if (!Number.isFinite(value) || value < 0) return;
  switch (key.toLowerCase()) {
    case "r":
    case "remaining":
      window.remaining = value;
      break;
    case "t":
    case "reset":
      window.resetSeconds = value;
      break;
  }
}

function unquote(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return trimmed;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? "";
    if (char === "\\" && quoted) {
      current += char + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts;
}
