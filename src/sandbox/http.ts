/**
 * Response helpers shared by every simulated API: JSON and RFC 9457 problem bodies, the
 * `RateLimit` headers and the per-user rate-limit windows they describe.
 *
 * @module
 */

/** Standard reason phrases used as problem `title`s. */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The detail RunPod sends for a path it does not serve. */
export const PATH_NOT_FOUND = "The requested path was not found.";
/** The detail RunPod sends for a method a path does not accept. */
export const METHOD_NOT_ALLOWED = "The requested method is not allowed for this path.";

/** A JSON response (default status 200). */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** An `application/problem+json` response `{title, status, detail, errors?}`. */
export function problem(
  status: number,
  detail: string,
  errors?: string[],
  headers?: HeadersInit,
): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/problem+json");
  const body: Record<string, unknown> = {
    title: STATUS_TITLES[status] ?? "Error",
    status,
    detail,
  };
  if (errors !== undefined) body.errors = errors;
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** A 204 response with no body. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** One rate-limit window: its name, quota and length in seconds. */
export interface RateWindow {
  name: "minute" | "hour" | "day";
  quota: number;
  seconds: number;
}

/** The quotas the simulator enforces: high enough that ordinary tests never reach them. */
export const RATE_WINDOWS: readonly RateWindow[] = [
  { name: "minute", quota: 600, seconds: 60 },
  { name: "hour", quota: 6000, seconds: 3600 },
  { name: "day", quota: 100000, seconds: 86400 },
];

/** Fixed-window request counters driven by the simulator clock. */
export class RateLimiter {
  #counts = new Map<string, { start: number; used: number }>();

  /**
   * Counts one request at `now` and returns the headers to send, plus the exhausted window with
   * its seconds-to-reset when the request is over quota.
   */
  take(now: number): { headers: Headers; exceeded?: { window: RateWindow; retryAfter: number } } {
    let exceeded: { window: RateWindow; retryAfter: number } | undefined;
    const state = RATE_WINDOWS.map((w) => {
      const ms = w.seconds * 1000;
      const start = Math.floor(now / ms) * ms;
      let c = this.#counts.get(w.name);
      if (!c || c.start !== start) {
        c = { start, used: 0 };
        this.#counts.set(w.name, c);
      }
      const reset = Math.max(1, Math.ceil((start + ms - now) / 1000));
      return { w, c, reset };
    });
    const over = state.find((s) => s.c.used >= s.w.quota);
    if (over) {
      // The longest exhausted window decides the wait, as clients are told to do.
      const waits = state.filter((s) => s.c.used >= s.w.quota).map((s) => s.reset);
      exceeded = { window: over.w, retryAfter: Math.max(...waits) };
    } else {
      for (const s of state) s.c.used++;
    }
    const headers = new Headers();
    headers.set(
      "RateLimit",
      state.map((s) => `"${s.w.name}";r=${Math.max(0, s.w.quota - s.c.used)};t=${s.reset}`)
        .join(", "),
    );
    headers.set("RateLimit-Policy", rateLimitPolicy());
    return exceeded ? { headers, exceeded } : { headers };
  }

  /** The `RateLimit` value to send with an injected 429: the minute window looks exhausted. */
  exhaustedHeader(now: number, retryAfter: number): string {
    return RATE_WINDOWS.map((w) => {
      const ms = w.seconds * 1000;
      const start = Math.floor(now / ms) * ms;
      const used = this.#counts.get(w.name)?.start === start
        ? this.#counts.get(w.name)?.used ?? 0
        : 0;
      const reset = Math.max(1, Math.ceil((start + ms - now) / 1000));
      return w.name === "minute"
        ? `"minute";r=0;t=${retryAfter}`
        : `"${w.name}";r=${Math.max(0, w.quota - used)};t=${reset}`;
    }).join(", ");
  }
}

/** The static `RateLimit-Policy` header value. */
export function rateLimitPolicy(): string {
  return RATE_WINDOWS.map((w) => `"${w.name}";q=${w.quota};w=${w.seconds}`).join(", ");
}

/** Copies headers from `from` onto `response` (responses from `new Response` are mutable). */
export function withHeaders(response: Response, from: Headers): Response {
  for (const [k, v] of from) response.headers.set(k, v);
  return response;
}

/** RFC 3339 with milliseconds, as RunPod prints timestamps. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A 200 server-sent-events response with the headers RunPod's log streams carry (API notes §3.1). */
export function eventStream(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "connection": "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
