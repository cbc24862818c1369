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
  /**
   * Whether sending the request twice is harmless (false for creates and other POSTs). Absent
   * when the error was built without knowing; then POST and PATCH count as not idempotent.
   */
  idempotent?: boolean;
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
 *   await getPod(client, "abc");
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
  /** See {@linkcode RunpodRequestInfo.idempotent}. */
  readonly idempotent?: boolean;

  /** Builds the error and its message from what RunPod returned. */
  constructor(options: RunpodApiErrorOptions) {
    super(apiErrorMessage(options));
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.errors = [...(options.errors ?? [])];
    this.api = options.api;
    if (options.idempotent !== undefined) this.idempotent = options.idempotent;
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
  /**
   * True when the request certainly never reached RunPod: the connection could not be opened
   * (refused, DNS), or Deno's permissions stopped it.
   */
  notSent?: boolean;
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
  /** See {@linkcode RunpodConnectionErrorOptions.notSent}. */
  readonly notSent: boolean;
  /** See {@linkcode RunpodRequestInfo.idempotent}. */
  readonly idempotent?: boolean;

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
    this.notSent = options.notSent ?? false;
    if (options.idempotent !== undefined) this.idempotent = options.idempotent;
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
  /** See {@linkcode RunpodRequestInfo.idempotent}. */
  readonly idempotent?: boolean;

  /** Builds the error and its message. */
  constructor(options: RunpodResponseErrorOptions) {
    super(`Cannot read RunPod response for ${options.method} ${options.path}: ${options.problem}`);
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.api = options.api;
    this.issues = [...(options.issues ?? [])];
    if (options.idempotent !== undefined) this.idempotent = options.idempotent;
  }
}

/** How a state-changing request ended, as far as RunPod's side is concerned. */
export type WriteOutcome =
  /** RunPod answered 2xx: it acted. */
  | "sent"
  /** RunPod certainly did not act: a 4xx (429 included), or the request never left. */
  | "failed"
  /** RunPod may have acted: a timeout, a connection lost mid-request, or a 5xx. */
  | "unknown";

/**
 * What a failed request means for RunPod's state. A 2xx whose body could not be read counts as
 * `sent`; anything that is not a RunPod client error counts as `unknown`, since it says nothing
 * about whether the request went out.
 *
 * @example
 * ```ts
 * writeOutcomeOf(new RunpodApiError({ status: 503, method: "POST", path: "/v2/pods", api: "rest" })); // "unknown"
 * ```
 */
export function writeOutcomeOf(error: unknown): WriteOutcome {
  if (error instanceof RunpodApiError) {
    return isAmbiguousStatus(error.status) ? "unknown" : "failed";
  }
  if (error instanceof RunpodConnectionError) return error.notSent ? "failed" : "unknown";
  if (error instanceof RunpodResponseError) {
    return error.status >= 200 && error.status < 300 ? "sent" : "unknown";
  }
  return "unknown";
}

/**
 * True for statuses after which RunPod may or may not have acted: 5xx other than 501 and 505,
 * which describe the request rather than a failure while handling it.
 */
export function isAmbiguousStatus(status: number): boolean {
  return status >= 500 && status !== 501 && status !== 505;
}

/** What became of the lookup after an ambiguous create. */
export type AmbiguousLookup =
  /** Listing worked and showed nothing matching (RunPod may still be creating it). */
  | "none-found"
  /** Listing showed more than one match, so none can be picked. */
  | "several-found"
  /** Listing failed too. */
  | "failed"
  /** RunPod offers no way to look it up (a job is found only by its id). */
  | "impossible";

/** Options for {@linkcode RunpodAmbiguousWriteError}. */
export interface RunpodAmbiguousWriteErrorOptions extends RunpodRequestInfo {
  /** What was being created, e.g. `pod`, `endpoint`, `job`. */
  resource: string;
  /** The name it was created under, when it has one. */
  name?: string;
  /** The failure that left the outcome open (timeout, lost connection, 5xx, unreadable 2xx). */
  cause: Error;
  lookup: AmbiguousLookup;
  /** Ids of matching resources when several were found. */
  candidates?: readonly string[];
  /** How the lookup was done, e.g. `GET /v2/pods`, or why it could not be. */
  lookupDetail: string;
}

/**
 * A create may or may not have happened at RunPod: the request timed out, lost its connection,
 * got a 5xx, or got a 2xx that could not be read, and a lookup did not settle it. Sending the
 * request again could create (and bill) a second one.
 */
export class RunpodAmbiguousWriteError extends Error {
  override name = "RunpodAmbiguousWriteError";
  /** HTTP method of the create. */
  readonly method: string;
  /** URL path of the create, without the query string. */
  readonly path: string;
  /** Which API the create went to. */
  readonly api: RunpodApi;
  /** What was being created. */
  readonly resource: string;
  /** The name it was created under, if any. */
  readonly resourceName?: string;
  /** What became of the lookup. */
  readonly lookup: AmbiguousLookup;
  /** Ids of matching resources when several were found; otherwise empty. */
  readonly candidates: string[];
  /** Always false: the reason this error exists. */
  readonly idempotent = false;

  /** Builds the error and its message. */
  constructor(options: RunpodAmbiguousWriteErrorOptions) {
    const what = options.name === undefined
      ? `the ${options.resource}`
      : `the ${options.resource} "${options.name}"`;
    const verb = options.resource === "job" ? "queued" : "created";
    const reason = ambiguousReason(options.cause);
    super(
      `Cannot tell whether RunPod ${verb} ${what}: ${reason}; ${lookupText(options)}`,
      { cause: options.cause },
    );
    this.method = options.method;
    this.path = options.path;
    this.api = options.api;
    this.resource = options.resource;
    if (options.name !== undefined) this.resourceName = options.name;
    this.lookup = options.lookup;
    this.candidates = [...(options.candidates ?? [])];
  }
}

/** Why the outcome is unknown, in words that fit after "Cannot tell whether …: ". */
function ambiguousReason(cause: Error): string {
  if (cause instanceof RunpodApiError) {
    return `RunPod had a server error (${cause.status} on ${cause.method} ${cause.path})${
      cause.detail ? `: ${cause.detail}` : ""
    }`;
  }
  if (cause instanceof RunpodResponseError) {
    return `RunPod answered ${cause.status} to ${cause.method} ${cause.path}, but the reply could not be read (${
      cause.message.replace(/^Cannot read RunPod response for \S+ \S+: /, "")
    })`;
  }
  return cause.message.replace(/^Cannot reach RunPod: /, "");
}

function lookupText(options: RunpodAmbiguousWriteErrorOptions): string {
  switch (options.lookup) {
    case "none-found":
      return `${options.lookupDetail} shows none yet, but RunPod may still be creating it`;
    case "several-found":
      return `${options.lookupDetail} shows ${
        options.candidates?.length ?? "several"
      } that match (${
        (options.candidates ?? []).join(", ")
      }), so which one (if any) this call made is unknown`;
    case "failed":
      return `checking with ${options.lookupDetail} failed too`;
    case "impossible":
      return options.lookupDetail;
  }
}
