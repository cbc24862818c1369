/**
 * Error types thrown by the RunPod client.
 *
 * Each error carries the request's method and path (never the query string, headers or the API
 * key) so a tool can explain what failed without echoing anything secret.
 *
 * @module
 */

/** Which RunPod API a request went to. */
export type RunpodApi = "rest" | "jobs" | "graphql";

/** Fields shared by every RunPod client error. */
export interface RunpodRequestInfo {
  /** HTTP method, e.g. `GET`. */
  method: string;
  /** URL path without the query string, e.g. `/v2/pods/abc`. */
  path: string;
  /** Which API the request went to. */
  api: RunpodApi;
}

/** Options for {@linkcode RunpodApiError}. */
export interface RunpodApiErrorOptions extends RunpodRequestInfo {
  /** HTTP status; 200 for GraphQL `errors` responses. */
  status: number;
  /** RunPod's problem `title`, or the HTTP reason phrase. */
  title?: string;
  /** RunPod's problem `detail`, or another human-readable explanation from the body. */
  detail?: string;
  /** Individual failures, e.g. request-validation messages or GraphQL error messages. */
  errors?: readonly string[];
  /** Seconds to wait before trying again, from `Retry-After` or the `RateLimit` header. */
  retryAfter?: number;
}

/**
 * RunPod answered with an error: a non-2xx status, or a GraphQL response carrying `errors`.
 *
 * @example
 * ```ts
 * try {
 *   await client.getPod("abc");
 * } catch (error) {
 *   if (error instanceof RunpodApiError && error.status === 404) console.error("no such pod");
 * }
 * ```
 */
export class RunpodApiError extends Error {
  override name = "RunpodApiError";
  /** HTTP status; 200 for GraphQL `errors` responses. */
  readonly status: number;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** URL path of the failed request, without the query string. */
  readonly path: string;
  /** RunPod's problem `title`, or the HTTP reason phrase. */
  readonly title?: string;
  /** RunPod's problem `detail`, when the body had one. */
  readonly detail?: string;
  /** Individual failures (validation messages, GraphQL error messages); may be empty. */
  readonly errors: string[];
  /** Seconds to wait before trying again, when RunPod said so. */
  readonly retryAfter?: number;
  /** Which API answered. */
  readonly api: RunpodApi;

  /** Builds the error and its message from what RunPod returned. */
  constructor(options: RunpodApiErrorOptions) {
    super(apiErrorMessage(options));
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.errors = [...(options.errors ?? [])];
    this.api = options.api;
    if (options.title !== undefined) this.title = options.title;
    if (options.detail !== undefined) this.detail = options.detail;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

function apiErrorMessage(options: RunpodApiErrorOptions): string {
  const head = `RunPod API error ${options.status}${
    options.title ? ` ${options.title}` : ""
  } on ${options.method} ${options.path}`;
  const errors = options.errors ?? [];
  const listed = errors.slice(0, 3).join("; ") +
    (errors.length > 3 ? ` (+${errors.length - 3})` : "");
  if (options.detail && listed) return `${head}: ${options.detail} [${listed}]`;
  if (options.detail) return `${head}: ${options.detail}`;
  if (listed) return `${head}: ${listed}`;
  return head;
}

/** Options for {@linkcode RunpodConnectionError}. */
export interface RunpodConnectionErrorOptions extends RunpodRequestInfo {
  /** True when the per-attempt deadline expired. */
  timedOut: boolean;
  /** The deadline that expired, for the message. */
  timeoutMs?: number;
  /** The underlying network error, already free of secrets. */
  cause?: unknown;
}

/**
 * RunPod could not be reached: DNS or connection failure, a reset connection, or a request that
 * hit its deadline (`timedOut`).
 */
export class RunpodConnectionError extends Error {
  override name = "RunpodConnectionError";
  /** HTTP method of the failed request. */
  readonly method: string;
  /** URL path of the failed request, without the query string. */
  readonly path: string;
  /** Which API the request went to. */
  readonly api: RunpodApi;
  /** True when the request hit its deadline rather than failing outright. */
  readonly timedOut: boolean;

  /** Builds the error; `cause` is kept for diagnostics. */
  constructor(options: RunpodConnectionErrorOptions) {
    const target = `request to ${options.method} ${options.path}`;
    const reason = options.timedOut
      ? `${target} timed out after ${options.timeoutMs ?? "?"} ms`
      : `${target} failed${causeText(options.cause)}`;
    super(`Cannot reach RunPod: ${reason}`, { cause: options.cause });
    this.method = options.method;
    this.path = options.path;
    this.api = options.api;
    this.timedOut = options.timedOut;
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error && cause.message) return `: ${cause.message}`;
  return "";
}

/** Options for {@linkcode RunpodResponseError}. */
export interface RunpodResponseErrorOptions extends RunpodRequestInfo {
  /** HTTP status of the response that could not be read. */
  status: number;
  /** What was wrong, e.g. `body is not valid JSON` or `pods[0].status: expected string`. */
  problem: string;
  /** Each schema problem, when the body was JSON of the wrong shape. */
  issues?: readonly string[];
}

/**
 * RunPod answered 2xx, but the body is not JSON or does not match the expected schema. Usually
 * means the API changed; it is never retried.
 */
export class RunpodResponseError extends Error {
  override name = "RunpodResponseError";
  /** HTTP status of the response. */
  readonly status: number;
  /** HTTP method of the request. */
  readonly method: string;
  /** URL path of the request, without the query string. */
  readonly path: string;
  /** Which API answered. */
  readonly api: RunpodApi;
  /** Each schema problem as `path: message`; empty when the body was not JSON. */
  readonly issues: string[];

  /** Builds the error and its message. */
  constructor(options: RunpodResponseErrorOptions) {
    super(`Cannot read RunPod response for ${options.method} ${options.path}: ${options.problem}`);
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.api = options.api;
    this.issues = [...(options.issues ?? [])];
  }
}
