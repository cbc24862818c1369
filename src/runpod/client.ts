/**
 * The RunPod client: one typed entry point for REST v2, the serverless job API and GraphQL.
 *
 * Every call gets a per-attempt deadline combined with the caller's signal, bearer auth, JSON
 * handling, zod validation of the response and a retry policy that never risks a double charge:
 *
 * - 429 is retried for any method, waiting as long as RunPod asks (`Retry-After`, or the longest
 *   exhausted `RateLimit` window), within `maxAttempts` and `maxRetryMs`.
 * - 5xx and connection failures (including timeouts) are retried only for idempotent requests:
 *   GET, PUT, DELETE, GraphQL queries, or a request marked `idempotent: true`. A POST or PATCH
 *   that may have reached RunPod is never sent twice.
 * - Other 4xx, GraphQL `errors`, and 2xx bodies that are not JSON or fail the schema are never
 *   retried: sending the same request again would get the same answer.
 * - Waits are clamped to 1–60 s whatever RunPod asks, so `Retry-After: 0` cannot spin and a
 *   huge value cannot stall a call.
 *
 * Every state-changing request goes out on a connection of its own (with the global `fetch`):
 * Deno's HTTP stack silently re-sends a request when a reused keep-alive connection closes
 * without an answer, which would create a second pod behind the client's back. On a fresh
 * connection it never does, so each attempt logged here is exactly one request sent.
 *
 * @module
 */

import { z } from "zod";
import denoConfig from "../../deno.json" with { type: "json" };
import { type Logger, redactSecrets, silentLogger } from "../log.ts";
import {
  RunpodApiError,
  RunpodConnectionError,
  RunpodResponseError,
  type WriteOutcome,
  writeOutcomeOf,
} from "./errors.ts";
import type { RunpodApi } from "./errors.ts";
import { pathSegment } from "./path.ts";
import {
  clampRetryWait,
  exhaustedWindowWait,
  mostConstrainedWindow,
  parseRateLimitHeader,
  parseRetryAfter,
  type RateLimitInfo,
} from "./rate_limit.ts";

/** Default REST v2 host; paths start with `/v2/`. */
export const DEFAULT_REST_BASE_URL = "https://api.runpod.io";
/** Default serverless job API base; paths are `/{endpointId}/run` and so on. */
export const DEFAULT_SERVERLESS_BASE_URL = "https://api.runpod.ai/v2";
/** Default GraphQL URL. */
export const DEFAULT_GRAPHQL_URL = "https://api.runpod.io/graphql";
/** Default `User-Agent`. */
export const DEFAULT_USER_AGENT = `runpod-mcp/${denoConfig.version}`;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 4;
const DEFAULT_MAX_RETRY_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;

/** Options for {@linkcode RunpodClient}. */
export interface RunpodClientOptions {
  /** RunPod API key (`rpa_…`). Sent only in the `Authorization` header, never logged. */
  apiKey: string;
  /** REST v2 host, default `https://api.runpod.io`. Trailing slashes are tolerated. */
  restBaseUrl?: string;
  /** Serverless job API base, default `https://api.runpod.ai/v2`. */
  serverlessBaseUrl?: string;
  /** GraphQL URL, default `https://api.runpod.io/graphql`. */
  graphqlUrl?: string;
  /**
   * Fetch implementation, default `globalThis.fetch`; sandbox mode passes the simulator's. Only
   * with the default does each state-changing request get a connection of its own (a
   * `Deno.HttpClient` passed as `client`), since another fetch may not take that field.
   */
  fetch?: typeof fetch;
  /**
   * Clock in epoch ms, default `Date.now`; compared with RunPod's `createdAt` when a create's
   * reply is lost and the resource is looked up by listing.
   */
  now?: () => number;
  /** Deadline per attempt in milliseconds, default 30 000. */
  timeoutMs?: number;
  /** Total attempts including the first, default 4. */
  maxAttempts?: number;
  /**
   * Total time the client may spend waiting between attempts, default 60 000 ms. When the next
   * wait (e.g. a long `Retry-After`) would exceed what is left, the last error is thrown instead.
   */
  maxRetryMs?: number;
  /** Waits between attempts; must reject with `signal.reason` when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1), default `Math.random`. */
  random?: () => number;
  /** `User-Agent` header, default `runpod-mcp/<version>`. */
  userAgent?: string;
  /** Receives one debug line per attempt (method, path without query, status, ms, attempt). */
  logger?: Logger;
  /**
   * Called once before any request that can change RunPod state (REST and job API calls other
   * than GET, GraphQL mutations), with the exact request. Throwing stops the request before it is
   * sent: this is where guardrails, confirmations and dry runs hook in. Resolving to a function
   * asks to hear how the request ended: it is called exactly once, after any retries.
   */
  writeGate?: WriteGate;
}

/** A state-changing request the client is about to send. */
export interface PlannedRequest {
  api: RunpodApi;
  method: HttpMethod;
  /** URL path without the query string, e.g. `/v2/pods` or `/v2/abc123/run`. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, if any. */
  body: unknown;
}

/**
 * See {@linkcode RunpodClientOptions.writeGate}. Resolve to `undefined` to let the request go,
 * or to a {@linkcode WriteSettled} to also hear how it ended.
 */
export type WriteGate = (request: PlannedRequest) => Promise<void | WriteSettled>;

/**
 * Told once how a gated request ended: `sent` (2xx), `failed` (RunPod certainly did not act:
 * a 4xx, or the request never left) or `unknown` (RunPod may have acted: a timeout, a dropped
 * connection, a 5xx). With retries, any attempt that may have reached RunPod makes a final
 * failure `unknown`. It must not throw; if it does, the error is logged and ignored.
 */
export type WriteSettled = (outcome: WriteOutcome) => void;

/** HTTP methods the RunPod APIs use. */
export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** A query parameter value; arrays are sent comma-joined, `undefined` is dropped. */
export type QueryValue = string | number | boolean | string[] | undefined;

/** One request through {@linkcode RunpodClient.rest} or {@linkcode RunpodClient.jobs}. */
export interface RequestOptions<T> {
  /** HTTP method. */
  method: HttpMethod;
  /** Path from the base, e.g. `/v2/pods` (REST) or `/run` (jobs). Encode ids with `pathSegment`. */
  path: string;
  /** Query parameters; arrays are comma-joined, `undefined` and empty arrays are dropped. */
  query?: Record<string, QueryValue>;
  /** JSON body; when present `Content-Type: application/json` is sent. */
  body?: unknown;
  /** Schema for the response body; an empty body (e.g. 204) is validated as `undefined`. */
  schema: z.ZodType<T>;
  /** The caller's signal (MCP cancellation), combined with the per-attempt deadline. */
  signal?: AbortSignal;
  /**
   * Whether the request may safely be sent twice, which allows retries after 5xx and connection
   * errors. Default true for GET, PUT and DELETE, false for POST and PATCH.
   */
  idempotent?: boolean;
  /** Deadline per attempt for this request, overriding the client's `timeoutMs` (long polls). */
  timeoutMs?: number;
}

/** One server-sent-events stream opened with {@linkcode RunpodClient.openEventStream}. */
export interface EventStreamOptions {
  /** REST v2 path, e.g. `/v2/pods/abc/logs`. Encode ids with `pathSegment`. */
  path: string;
  /** Query parameters, as for {@linkcode RequestOptions.query}. */
  query?: Record<string, QueryValue>;
  /** The caller's signal; aborting it also ends the open stream. */
  signal?: AbortSignal;
  /** Deadline for the response headers, overriding the client's `timeoutMs`; not for the body. */
  timeoutMs?: number;
}

/** One prepared request, independent of which API it goes to. */
interface Call<T> {
  api: RunpodApi;
  method: HttpMethod;
  url: URL;
  body?: string;
  signal?: AbortSignal;
  idempotent: boolean;
  timeoutMs: number;
  /** Turns the parsed JSON body (undefined when empty) into the result. */
  decode: (json: unknown, status: number) => T;
  /** `Accept` header; default `application/json`. */
  accept?: string;
  /** Takes a 2xx response unread (streams); `decode` is then unused. */
  raw?: (response: Response) => T;
}

/** What one attempt produced when it did not succeed and may be worth repeating. */
interface Failure {
  error: Error;
  retryable: boolean;
  /** Wait RunPod asked for, in seconds. */
  waitSeconds?: number;
  /** Short label for the retry log line. */
  reason: string;
}

const GraphqlEnvelopeSchema = z.looseObject({
  data: z.unknown().optional(),
  errors: z.array(z.unknown()).optional(),
});

/**
 * Talks to RunPod's REST v2, serverless job and GraphQL APIs with retries, deadlines and
 * validation. Never imports or knows about MCP.
 *
 * @example
 * ```ts
 * const client = new RunpodClient({ apiKey: Deno.env.get("RUNPOD_API_KEY") ?? "" });
 * const pods = await client.listPods();
 * const status = await client.jobs("abc123", {
 *   method: "GET",
 *   path: `/status/${pathSegment(jobId, "job id")}`,
 *   schema: JobStatusSchema,
 * });
 * ```
 */
export class RunpodClient {
  readonly #options: RunpodClientOptions;
  readonly #writeGate: WriteGate | undefined;
  readonly #apiKey: string;
  readonly #restBaseUrl: string;
  readonly #serverlessBaseUrl: string;
  readonly #graphqlUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #userAgent: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Whether writes get a connection of their own (only with the global fetch). */
  readonly #freshConnections: boolean;
  #rateLimit: RateLimitInfo | undefined;

  /** Creates a client; nothing is sent until the first call. */
  constructor(options: RunpodClientOptions) {
    this.#options = options;
    this.#writeGate = options.writeGate;
    this.#apiKey = options.apiKey;
    this.#restBaseUrl = trimTrailingSlashes(options.restBaseUrl ?? DEFAULT_REST_BASE_URL);
    this.#serverlessBaseUrl = trimTrailingSlashes(
      options.serverlessBaseUrl ?? DEFAULT_SERVERLESS_BASE_URL,
    );
    this.#graphqlUrl = trimTrailingSlashes(options.graphqlUrl ?? DEFAULT_GRAPHQL_URL);
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.#maxRetryMs = Math.max(0, options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS);
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#freshConnections = options.fetch === undefined;
  }

  /** The client's clock, epoch ms (see {@linkcode RunpodClientOptions.now}). */
  now(): number {
    return this.#now();
  }

  /** A client like this one whose state-changing requests pass through `gate` first. */
  withWriteGate(gate: WriteGate): RunpodClient {
    return new RunpodClient({ ...this.#options, writeGate: gate });
  }

  /** The GraphQL URL's path, for errors about GraphQL answers (e.g. `/graphql`). */
  get graphqlPath(): string {
    return new URL(this.#graphqlUrl).pathname;
  }

  /** Latest RateLimit header info seen (the most constrained window), for diagnostics. */
  get rateLimit(): RateLimitInfo | undefined {
    return this.#rateLimit;
  }

  /**
   * Sends one REST v2 request, e.g. `{ method: "GET", path: "/v2/pods", schema }`, and returns the
   * validated body.
   *
   * @throws {RunpodApiError} RunPod answered with an error status.
   * @throws {RunpodConnectionError} RunPod could not be reached or the deadline passed.
   * @throws {RunpodResponseError} The body was not JSON or did not match `schema`.
   */
  async rest<T>(opts: RequestOptions<T>): Promise<T> {
    return await this.#send(this.#prepare("rest", this.#restBaseUrl, opts));
  }

  /**
   * Sends one request to a serverless endpoint's job API, e.g.
   * `jobs(endpointId, { method: "POST", path: "/run", body: { input }, schema })`.
   *
   * @throws {TypeError} `endpointId` is empty.
   */
  async jobs<T>(endpointId: string, opts: RequestOptions<T>): Promise<T> {
    const base = `${this.#serverlessBaseUrl}/${pathSegment(endpointId, "endpoint id")}`;
    return await this.#send(this.#prepare("jobs", base, opts));
  }

  /**
   * Opens a REST v2 server-sent-events stream (`GET`, `Accept: text/event-stream`) and returns the
   * 2xx response with its body unread. Auth, the connect deadline, error mapping and retries are
   * those of {@linkcode rest}: a 5xx or connection failure is retried only before any byte of the
   * stream is handed over. The caller must read or cancel `response.body`; aborting `signal` ends
   * it too.
   *
   * @example
   * ```ts
   * const response = await client.openEventStream({ path: "/v2/pods/abc/logs", query: { tail: 5 } });
   * await response.body?.cancel();
   * ```
   *
   * @throws {RunpodApiError} RunPod answered with an error status.
   * @throws {RunpodConnectionError} RunPod could not be reached or the connect deadline passed.
   */
  async openEventStream(opts: EventStreamOptions): Promise<Response> {
    const call = this.#prepare("rest", this.#restBaseUrl, {
      method: "GET",
      path: opts.path,
      schema: z.unknown(),
      ...(opts.query ? { query: opts.query } : {}),
      signal: opts.signal,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    return await this.#send<Response>({
      ...call,
      decode: () => {
        throw new TypeError("Cannot decode an event stream as JSON");
      },
      accept: "text/event-stream",
      raw: (response) => response,
    });
  }

  /**
   * Runs a GraphQL query or mutation and returns its validated `data`. A response with `errors`
   * throws {@linkcode RunpodApiError} (status 200, title `GraphQL error`). Queries are retried
   * like GET; documents containing a `mutation` are never retried after 5xx or network errors.
   */
  async graphql<T>(
    query: string,
    variables: Record<string, unknown> | undefined,
    dataSchema: z.ZodType<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const url = new URL(this.#graphqlUrl);
    const path = url.pathname;
    const call: Call<T> = {
      api: "graphql",
      method: "POST",
      url,
      body: JSON.stringify(variables === undefined ? { query } : { query, variables }),
      idempotent: !isGraphqlMutation(query),
      timeoutMs: this.#timeoutMs,
      decode: (json, status) => {
        const envelope = GraphqlEnvelopeSchema.safeParse(json);
        if (!envelope.success) {
          throw this.#responseError("graphql", "POST", path, status, envelope.error);
        }
        const errors = envelope.data.errors ?? [];
        if (errors.length > 0) {
          throw new RunpodApiError({
            status,
            method: "POST",
            path,
            api: "graphql",
            title: "GraphQL error",
            errors: errors.map((e) => this.#clean(graphqlErrorMessage(e))),
          });
        }
        return this.#validate("graphql", "POST", path, status, dataSchema, envelope.data.data);
      },
    };
    if (signal) call.signal = signal;
    return await this.#send(call);
  }

  #prepare<T>(api: RunpodApi, base: string, opts: RequestOptions<T>): Call<T> {
    const path = opts.path.startsWith("/") ? opts.path : `/${opts.path}`;
    const pathOnly = path.split("?")[0] ?? path;
    if (pathOnly.length > 1 && (pathOnly.includes("//") || pathOnly.endsWith("/"))) {
      // An empty id would turn `/v2/pods/{id}` into the collection route.
      throw new TypeError(`Cannot call RunPod: path ${pathOnly} has an empty segment`);
    }
    const query = buildQuery(opts.query);
    const url = new URL(base + path + (query ? (path.includes("?") ? "&" : "?") + query : ""));
    const call: Call<T> = {
      api,
      method: opts.method,
      url,
      idempotent: opts.idempotent ?? (opts.method !== "POST" && opts.method !== "PATCH"),
      timeoutMs: positive(opts.timeoutMs, this.#timeoutMs),
      decode: (json, status) =>
        this.#validate(api, opts.method, url.pathname, status, opts.schema, json),
    };
    if (opts.body !== undefined) call.body = JSON.stringify(opts.body);
    if (opts.signal) call.signal = opts.signal;
    return call;
  }

  async #send<T>(call: Call<T>): Promise<T> {
    let settled: WriteSettled | undefined;
    if (isWrite(call) && this.#writeGate) {
      throwIfAborted(call.signal);
      settled = await this.#writeGate({
        api: call.api,
        method: call.method,
        path: call.url.pathname,
        query: Object.fromEntries(call.url.searchParams),
        body: call.body === undefined ? undefined : JSON.parse(call.body),
      }) ?? undefined;
    }
    if (!settled) return await this.#retrying(call, { ambiguous: false, inFlight: false });
    const progress = { ambiguous: false, inFlight: false };
    let outcome: WriteOutcome = "unknown";
    try {
      const value = await this.#retrying(call, progress);
      outcome = "sent";
      return value;
    } catch (error) {
      const final = isAbortLike(error)
        ? (progress.inFlight ? "unknown" : "failed")
        : writeOutcomeOf(error);
      outcome = progress.ambiguous && final === "failed" ? "unknown" : final;
      throw error;
    } finally {
      try {
        settled(outcome);
      } catch (error) {
        this.#logger.warn("write hook failed", {
          method: call.method,
          path: call.url.pathname,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /**
   * Runs the attempts. `progress.ambiguous` becomes true once an attempt failed in a way that may
   * have reached RunPod; `progress.inFlight` is true while an attempt is under way.
   */
  async #retrying<T>(
    call: Call<T>,
    progress: { ambiguous: boolean; inFlight: boolean },
  ): Promise<T> {
    let waited = 0;
    for (let attempt = 1;; attempt++) {
      throwIfAborted(call.signal);
      progress.inFlight = true;
      const outcome = await this.#attempt(call, attempt);
      progress.inFlight = false;
      if ("value" in outcome) return outcome.value;
      const { error } = outcome;
      if (
        call.method === "DELETE" && progress.ambiguous && error instanceof RunpodApiError &&
        error.status === 404
      ) {
        // An earlier attempt may have deleted it already: gone is what was asked for.
        this.#logger.debug("RunPod DELETE answered 404 after an unanswered attempt", {
          api: call.api,
          path: call.url.pathname,
          attempt,
        });
        return call.decode(undefined, 204);
      }
      if (writeOutcomeOf(error) === "unknown") progress.ambiguous = true;
      if (!outcome.retryable || attempt >= this.#maxAttempts) throw error;
      const backoff = this.#backoff(attempt);
      const wait = outcome.waitSeconds === undefined
        ? backoff
        : error instanceof RunpodApiError && error.status === 429
        ? outcome.waitSeconds * 1000
        : Math.max(backoff, outcome.waitSeconds * 1000);
      if (waited + wait > this.#maxRetryMs) throw error;
      waited += wait;
      this.#logger.debug("RunPod request will be retried", {
        api: call.api,
        method: call.method,
        path: call.url.pathname,
        attempt,
        reason: outcome.reason,
        waitMs: wait,
      });
      await this.#sleep(wait, call.signal);
    }
  }

  async #attempt<T>(call: Call<T>, attempt: number): Promise<{ value: T } | Failure> {
    const started = performance.now();
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort(new DOMException(`Deadline of ${call.timeoutMs} ms passed`, "TimeoutError"));
    }, call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline.signal]) : deadline.signal;
    // A connection of its own: see the module doc on silent re-sends.
    const httpClient = this.#freshConnections && isWrite(call)
      ? Deno.createHttpClient({ poolMaxIdlePerHost: 0 })
      : undefined;
    const log = (fields: Record<string, unknown>) =>
      this.#logger.debug("RunPod request", {
        api: call.api,
        method: call.method,
        path: call.url.pathname,
        ...fields,
        ms: Math.round(performance.now() - started),
        attempt,
      });
    try {
      let response: Response;
      let text: string;
      try {
        const init: RequestInit & { client?: Deno.HttpClient } = {
          method: call.method,
          headers: this.#headers(call.body !== undefined, call.accept),
          body: call.body ?? null,
          signal,
        };
        if (httpClient) init.client = httpClient;
        response = await this.#fetch(call.url, init);
        if (call.raw && response.ok) {
          // The deadline covers only the wait for headers (cleared below); the body stays tied
          // to the caller's signal, so cancelling the call still ends the stream.
          log({ status: response.status });
          this.#recordRateLimit(response.headers);
          return { value: call.raw(response) };
        }
        text = await response.text();
      } catch (cause) {
        throwIfAborted(call.signal);
        log({ error: timedOut ? "timeout" : "network" });
        // A permission refusal (a build allowed to reach only RunPod's hosts) is final: retrying
        // cannot change it.
        const refused = isPermissionRefusal(cause);
        const error = new RunpodConnectionError({
          method: call.method,
          path: call.url.pathname,
          api: call.api,
          timedOut,
          timeoutMs: call.timeoutMs,
          cause: this.#cleanCause(cause),
          notSent: !timedOut && (refused || isConnectFailure(cause)),
          idempotent: call.idempotent,
        });
        return {
          error,
          retryable: call.idempotent && !refused,
          reason: timedOut ? "timeout" : "network",
        };
      }
      log({ status: response.status });
      this.#recordRateLimit(response.headers);
      if (response.ok) {
        return { value: call.decode(this.#parseBody(call, response, text), response.status) };
      }
      return this.#apiFailure(call, response, text);
    } finally {
      clearTimeout(timer);
      httpClient?.close();
    }
  }

  #headers(withBody: boolean, accept = "application/json"): Headers {
    const headers = new Headers({
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: accept,
      "User-Agent": this.#userAgent,
    });
    if (withBody) headers.set("Content-Type", "application/json");
    return headers;
  }

  #parseBody(call: Call<unknown>, response: Response, text: string): unknown {
    if (response.status === 204 || text.trim() === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new RunpodResponseError({
        method: call.method,
        path: call.url.pathname,
        api: call.api,
        idempotent: call.idempotent,
        status: response.status,
        problem: `body is not valid JSON (content-type ${
          response.headers.get("content-type") ?? "missing"
        })`,
      });
    }
  }

  #validate<T>(
    api: RunpodApi,
    method: string,
    path: string,
    status: number,
    schema: z.ZodType<T>,
    value: unknown,
  ): T {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw this.#responseError(api, method, path, status, result.error);
  }

  #responseError(
    api: RunpodApi,
    method: string,
    path: string,
    status: number,
    error: z.ZodError,
  ): RunpodResponseError {
    const issues = error.issues.map((issue) =>
      this.#clean(
        `${formatIssuePath(issue.path)}: ${issue.message.replace(/^Invalid input: /, "")}`,
      )
    );
    const shown = issues.slice(0, 3).join("; ") +
      (issues.length > 3 ? ` (and ${issues.length - 3} more)` : "");
    return new RunpodResponseError({ api, method, path, status, problem: shown, issues });
  }

  #apiFailure(call: Call<unknown>, response: Response, text: string): Failure {
    const status = response.status;
    const problem = readProblem(text, response.headers.get("content-type"));
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    const windowWait = exhaustedWindowWait(parseRateLimitHeader(response.headers.get("ratelimit")));
    let waitSeconds: number | undefined;
    let retryable = false;
    if (status === 429) {
      retryable = true;
      if (retryAfter !== undefined || windowWait !== undefined) {
        waitSeconds = clampRetryWait(Math.max(retryAfter ?? 0, windowWait ?? 0));
      }
    } else if ((status >= 500 && status !== 501 && status !== 505) || status === 408) {
      // 501 and 505 describe the request, not a passing condition: asking again cannot help.
      retryable = call.idempotent;
      if (retryAfter !== undefined) waitSeconds = clampRetryWait(retryAfter);
    }
    const error = new RunpodApiError({
      status,
      method: call.method,
      path: call.url.pathname,
      api: call.api,
      idempotent: call.idempotent,
      title: this.#clean(problem.title ?? (response.statusText || reasonPhrase(status))),
      ...(problem.detail !== undefined ? { detail: this.#clean(problem.detail) } : {}),
      errors: problem.errors.map((e) => this.#clean(e)),
      ...(waitSeconds !== undefined ? { retryAfter: waitSeconds } : {}),
    });
    const failure: Failure = { error, retryable, reason: `status ${status}` };
    if (waitSeconds !== undefined) failure.waitSeconds = waitSeconds;
    return failure;
  }

  #recordRateLimit(headers: Headers): void {
    const info = mostConstrainedWindow(parseRateLimitHeader(headers.get("ratelimit")));
    if (info) this.#rateLimit = info;
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    // Jitter within [50 %, 100 %] of the ceiling so concurrent clients spread out.
    return Math.round(ceiling * (0.5 + 0.5 * this.#random()));
  }

  /** Scrubs anything RunPod echoed back that looks like a credential. */
  #clean(text: string): string {
    return redactSecrets(text, [this.#apiKey]);
  }

  #cleanCause(cause: unknown): Error {
    if (cause instanceof Error) {
      // Deno's `fetch failed` says nothing; the innermost cause says what happened, after the
      // request and URL prefixes (e.g. `connection closed before message completed`).
      let inner: unknown = cause.cause;
      while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
      const detail = inner instanceof Error ? inner.message.split(": ").at(-1) ?? "" : "";
      const message = detail && !cause.message.includes(detail)
        ? `${cause.message} (${detail})`
        : cause.message;
      const copy = new Error(this.#clean(message));
      copy.name = cause.name;
      return copy;
    }
    return new Error(this.#clean(String(cause)));
  }
}

/** True for requests that can change RunPod state: any non-GET, except GraphQL queries. */
function isWrite(call: Call<unknown>): boolean {
  return call.api === "graphql" ? !call.idempotent : call.method !== "GET";
}

/**
 * True when the connection could not even be opened (refused, DNS, TLS handshake), so the
 * request never left. Deno reports these as `client error (Connect)` in the cause chain.
 */
function isConnectFailure(cause: unknown): boolean {
  let current: unknown = cause;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (/client error \(Connect\)|tcp connect error|dns error/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

function isAbortLike(error: unknown): boolean {
  return error instanceof DOMException &&
    (error.name === "AbortError" || error.name === "TimeoutError");
}

/** True when Deno's permission system, not the network, refused the request. */
export function isPermissionRefusal(cause: unknown): boolean {
  return cause instanceof Deno.errors.NotCapable || cause instanceof Deno.errors.PermissionDenied ||
    (cause instanceof Error && (cause.name === "NotCapable" || cause.name === "PermissionDenied"));
}

function trimTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, "");
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

/** Sleeps `ms`, rejecting with the signal's reason as soon as it aborts. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      // OpenAPI form style with explode=false: the comma is the delimiter, so it stays literal.
      parts.push(`${encodeURIComponent(key)}=${value.map(encodeURIComponent).join(",")}`);
    } else {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
  }
  return parts.join("&");
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(body)" : out;
}

/** The fields of an error body, read defensively from problem+json, plain JSON or HTML. */
interface ProblemFields {
  title?: string;
  detail?: string;
  errors: string[];
}

function readProblem(text: string, contentType: string | null): ProblemFields {
  const fields: ProblemFields = { errors: [] };
  const trimmed = text.trim();
  if (trimmed === "") return fields;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    // Proxies and GraphQL's 429/5xx answer with HTML; its markup helps nobody.
    const isHtml = /html/i.test(contentType ?? "") || trimmed.startsWith("<");
    if (!isHtml) fields.detail = truncate(trimmed, 300);
    return fields;
  }
  if (typeof json === "string") {
    fields.detail = truncate(json, 300);
    return fields;
  }
  if (!isRecord(json)) return fields;
  if (typeof json.title === "string" && json.title !== "") fields.title = json.title;
  for (const key of ["detail", "error", "message"]) {
    const value = json[key];
    if (typeof value === "string" && value !== "") {
      fields.detail = truncate(value, 1000);
      break;
    }
  }
  if (Array.isArray(json.errors)) {
    fields.errors = json.errors.map(graphqlErrorMessage).filter((m) => m !== "");
  }
  return fields;
}

function graphqlErrorMessage(error: unknown): string {
  if (typeof error === "string") return error;
  if (isRecord(error) && typeof error.message === "string") return error.message;
  try {
    return JSON.stringify(error) ?? "";
  } catch {
    return "";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** True when the GraphQL document contains a mutation (or subscription) operation. */
function isGraphqlMutation(query: string): boolean {
  const withoutStringsAndComments = query
    .replace(/"""[\s\S]*?"""/g, '""')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/#[^\n\r]*/g, "");
  return /(^|[^A-Za-z0-9_])(mutation|subscription)(?![A-Za-z0-9_])/.test(withoutStringsAndComments);
}

const REASON_PHRASES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? `HTTP ${status}`;
}
