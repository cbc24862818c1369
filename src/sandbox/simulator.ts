/**
 * The RunPod simulator: one stateful in-memory host serving REST v2, the serverless job API and
 * GraphQL, usable over a real socket (`listen()`) or in-process (`sim.fetch`).
 *
 * It needs no Deno permission in-process: nothing here reads env, files or the network.
 *
 * @module
 */

import { billingRoutes } from "./billing.ts";
import { catalogRoutes, seedCatalog } from "./catalog.ts";
import { clusterRoutes } from "./clusters.ts";
import { type ClockOptions, SimClock } from "./clock.ts";
import { type Ctx, matchRoute, type Route, type SimSettings } from "./context.ts";
import { delegationRoutes } from "./delegations.ts";
import { type Fault, FaultQueue } from "./faults.ts";
import { executeGraphql } from "./graphql.ts";
import {
  json,
  METHOD_NOT_ALLOWED,
  PATH_NOT_FOUND,
  problem,
  RateLimiter,
  rateLimitPolicy,
  STATUS_TITLES,
  withHeaders,
} from "./http.ts";
import { IdSource } from "./ids.ts";
import { jobRoutes, settleJobs } from "./jobs.ts";
import { addPodLog, podRoutes, podSpendPerHour, settlePods } from "./pods.ts";
import { resourceRoutes, seedTemplates } from "./resources.ts";
import { endpointSpendPerHour, serverlessRoutes, settleEndpoints } from "./serverless.ts";
import type { Availability, SimulatorState } from "./state.ts";

/** Options for {@linkcode RunpodSimulator}. */
export interface SimulatorOptions {
  /**
   * Clock: "manual" (tests; time moves only via advance()) or "real" (sandbox mode; wall clock ×
   * speed). Default manual, starting at 2026-11-24 12:00 UTC.
   */
  clock?: ClockOptions;
  /** If set, only this key is accepted (else 401). If unset, any non-empty token is accepted. */
  apiKey?: string;
  /** Starting balance in USD (PREPAID). Default 100. */
  balance?: number;
  /** Seconds a pod spends in PROVISIONING and STARTING. Default { provisioning: 20, starting: 30 }. */
  podBootSeconds?: { provisioning: number; starting: number };
  /** Seed for ids; same seed → same ids. */
  seed?: number;
}

/** One request the simulator received. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or the raw text if not JSON, or undefined. */
  body: unknown;
  /** Lower-case names; `authorization` is replaced by "Bearer [REDACTED]" (scheme kept). */
  headers: Record<string, string>;
  api: "rest" | "jobs" | "graphql" | "unknown";
  /** Simulator clock ms. */
  at: number;
  /** Status the simulator answered (0 when the connection was reset or the caller aborted). */
  status: number;
}

/** The REST v2 resource words; any other first segment under `/v2/` is an endpoint id. */
export const REST_RESOURCES: ReadonlySet<string> = new Set([
  "pods",
  "serverless",
  "templates",
  "network-volumes",
  "registries",
  "catalog",
  "billing",
  "account",
  "clusters",
]);

const JOB_OPERATIONS = new Set([
  "run",
  "runsync",
  "status",
  "stream",
  "cancel",
  "retry",
  "purge-queue",
  "health",
]);

const MAX_REAL_MODE_REQUESTS = 10_000;

// Details RunPod sends with these statuses (API notes §2, §3.1).
const FAULT_DETAILS: Readonly<Record<number, string>> = {
  401: "missing bearer token",
  403: "access denied",
  404: "resource not found",
  422: "Request validation failed.",
};

const NOT_IMPLEMENTED = "not implemented in the simulator yet";

// Operations the spec defines that the simulator does not model yet: routed so that 404/405
// stay accurate, answered with 501.
const STUB_ROUTES: readonly [string, string][] = [];

const stub = ([method, path]: [string, string]): Route => ({
  method,
  path,
  handler: () => problem(501, NOT_IMPLEMENTED),
});

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The signal has been aborted", "AbortError");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Responses that stand for a dead connection; `sim.fetch` turns them into a TypeError. */
const resetResponses = new WeakSet<Response>();

function resetResponse(): Response {
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("connection reset by the RunPod simulator"));
    },
  });
  const response = new Response(body, {
    status: 200,
    headers: { "content-type": "application/json" },
  });
  resetResponses.add(response);
  return response;
}

/** What the client gets instead of `response` when a fault strikes after handling. */
async function lostAnswer(kind: "reset" | "malformed-json", response: Response): Promise<Response> {
  const text = await response.text();
  if (kind === "reset") return resetResponse();
  const status = response.status >= 200 && response.status < 300 && response.status !== 204
    ? response.status
    : 200;
  return new Response(text.slice(0, Math.max(1, Math.floor(text.length / 2))) || "{", {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A stateful in-memory RunPod. */
export class RunpodSimulator {
  /** Direct state access for tests (read and tweak). */
  readonly state: SimulatorState;
  /** Every request received, in order (with a real clock, only the latest 10,000). */
  readonly requests: RecordedRequest[] = [];
  /** A fetch-compatible function that routes to handle() in-process. */
  readonly fetch: typeof fetch;

  #clock: SimClock;
  #ids: IdSource;
  #apiKey: string | undefined;
  #settings: SimSettings;
  #faults = new FaultQueue();
  #limiter = new RateLimiter();
  #restRoutes: Route[];
  #jobRoutes: Route[];

  /** Creates a simulator with the seeded catalog, no pods and a $100 balance by default. */
  constructor(options: SimulatorOptions = {}) {
    this.#clock = new SimClock(options.clock ?? { mode: "manual" });
    this.#ids = new IdSource(options.seed);
    this.#apiKey = options.apiKey;
    this.#settings = {
      podBootSeconds: options.podBootSeconds ?? { provisioning: 20, starting: 30 },
    };
    this.state = {
      pods: new Map(),
      clusters: new Map(),
      gpuTypes: new Map(),
      cpuTypes: new Map(),
      dataCenters: new Map(),
      balance: options.balance ?? 100,
      endpoints: new Map(),
      templates: new Map(),
      networkVolumes: new Map(),
      registries: new Map(),
      delegations: new Map(),
      secrets: new Map(),
      jobs: new Map(),
      sshKeys: [],
      user: {
        id: `user_${this.#ids.chars(24)}`,
        email: "sandbox@example.com",
        spendLimit: 80,
        minBalance: 0,
        lifetimeSpend: 0,
        notifyLowBalance: true,
        notifyPodsStale: false,
        notifyPodsGeneral: true,
        creditAlertThreshold: 10,
      },
      billing: new Map(),
      webhookDeliveries: [],
    };
    seedCatalog(this.state);
    seedTemplates(this.state);
    const realTime = this.#clock.mode === "real";
    this.#restRoutes = [
      ...podRoutes(realTime),
      ...catalogRoutes,
      ...billingRoutes,
      ...clusterRoutes,
      ...serverlessRoutes,
      ...resourceRoutes,
      ...delegationRoutes,
      ...STUB_ROUTES.map(stub),
    ];
    this.#jobRoutes = [...jobRoutes];
    this.fetch = this.#inProcessFetch.bind(this) as typeof fetch;
  }

  /** Simulator clock, epoch ms. */
  now(): number {
    return this.#clock.now();
  }

  /** Moves the manual clock (throws in real mode); pod and job state machines progress. */
  advance(ms: number): void {
    this.#clock.advance(ms);
    this.#settle();
  }

  /**
   * Waits `ms` in simulated time: advances the manual clock and resolves at once, or rejects with
   * the reason when `signal` is already aborted. A `sleep` for the RunPod client and the tools'
   * clock, so polls and retries run with no real waiting.
   */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.advance(ms);
    return Promise.resolve();
  };

  /** Forgets every recorded request. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Queues a fault; `times` default 1; the first matching fault is consumed per request. */
  injectFault(fault: Fault): void {
    this.#faults.add(fault);
  }

  /** Drops every queued fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Sets the prepaid balance in USD. */
  setBalance(usd: number): void {
    this.state.balance = usd;
  }

  /** Sets the stock of one GPU type everywhere it is offered, or in one data center. */
  setGpuStock(gpuTypeId: string, availability: Availability, dataCenterId?: string): void {
    const gpu = this.state.gpuTypes.get(gpuTypeId);
    if (!gpu) throw new Error(`Cannot set stock: unknown GPU type ${gpuTypeId}`);
    if (dataCenterId !== undefined) {
      if (!this.state.dataCenters.has(dataCenterId)) {
        throw new Error(`Cannot set stock: unknown data center ${dataCenterId}`);
      }
      gpu.stock[dataCenterId] = availability;
      return;
    }
    const dcs = Object.keys(gpu.stock).length > 0
      ? Object.keys(gpu.stock)
      : [...this.state.dataCenters.keys()];
    for (const dc of dcs) gpu.stock[dc] = availability;
  }

  /** Appends a log line to a pod's container or system log. */
  addPodLog(podId: string, line: string, source: "container" | "system" = "container"): void {
    this.#settle();
    addPodLog(this.state, podId, line, source, this.now());
  }

  /** Serves handle() with Deno.serve on 127.0.0.1:0. */
  listen(): Promise<{ url: string; close(): Promise<void> }> {
    const closing = new AbortController();
    return new Promise((resolve) => {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: () => {},
        onError: () => problem(500, "internal simulator error"),
        // Touching request.signal makes Deno.serve print a legacy-abort warning, so it is only
        // consulted while a delay fault waits; a client that hangs up on a stream cancels it.
      }, (request) => this.#handle(request, closing.signal, request));
      resolve({
        url: `http://127.0.0.1:${server.addr.port}`,
        close: async () => {
          closing.abort();
          await server.shutdown();
        },
      });
    });
  }

  /** The single entry point: RunPod's HTTP surface. */
  handle(request: Request): Promise<Response> {
    return this.#handle(request, request.signal);
  }

  async #inProcessFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const signal = init?.signal ?? request.signal;
    if (signal.aborted) throw abortError(signal);
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    let response: Response;
    try {
      response = await Promise.race([this.#handle(request, signal), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (resetResponses.has(response)) {
      // The body is already errored; cancelling only releases it.
      response.body?.cancel().catch(() => {});
      throw new TypeError("error sending request: connection reset by the RunPod simulator");
    }
    if (!response.body) return response;
    // A real fetch errors an unread body when the signal fires; mirror that.
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const abort = () => {
          reader.cancel(abortError(signal)).catch(() => {});
          try {
            controller.error(abortError(signal));
          } catch {
            // Already finished.
          }
        };
        if (signal.aborted) abort();
        else signal.addEventListener("abort", abort, { once: true });
        reader.closed.finally(() => signal.removeEventListener("abort", abort)).catch(() => {});
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (e) {
          controller.error(e);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  }

  #settle(): void {
    const now = this.now();
    settlePods(this.state, now, this.#settings);
    settleEndpoints(this.state, now);
    settleJobs(this.state, now, this.#ids);
  }

  async #handle(request: Request, signal: AbortSignal, served?: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method.toUpperCase();
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const headers: Record<string, string> = {};
    for (const [k, v] of request.headers) {
      headers[k.toLowerCase()] = k.toLowerCase() === "authorization"
        ? (/^\s*(\S+)\s+\S/.test(v) ? `${v.trim().split(/\s+/)[0]} [REDACTED]` : "[REDACTED]")
        : v;
    }
    const recordedQuery = { ...query };
    if (recordedQuery.api_key !== undefined) recordedQuery.api_key = "[REDACTED]";
    const text = request.body ? await request.text() : "";
    let body: unknown = undefined;
    let bodyInvalid = false;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        bodyInvalid = true;
      }
    }
    const api = this.#classify(path);
    const record: RecordedRequest = {
      method,
      path,
      query: recordedQuery,
      body,
      headers,
      api,
      at: this.now(),
      status: 0,
    };
    this.requests.push(record);
    // A long sandbox session (real clock) must not grow without bound; tests use manual clocks.
    if (this.#clock.mode === "real" && this.requests.length > MAX_REAL_MODE_REQUESTS) {
      this.requests.splice(0, this.requests.length - MAX_REAL_MODE_REQUESTS);
    }

    const fault = this.#faults.take(method, path);
    const strikesAfter = (fault?.kind === "reset" || fault?.kind === "malformed-json") &&
      fault.when === "after";
    if (fault?.kind === "delay") {
      await sleep(fault.ms, served ? AbortSignal.any([signal, served.signal]) : signal);
    } else if (fault && !strikesAfter) {
      const response = this.#faultResponse(fault, api);
      record.status = fault.kind === "reset" ? 0 : response.status;
      return response;
    }

    this.#settle();
    const ctx: Ctx = {
      state: this.state,
      ids: this.#ids,
      settings: this.#settings,
      now: this.now(),
      request,
      signal,
      url,
      query,
      params: {},
      body,
      bodyInvalid,
      settle: () => this.#settle(),
    };
    let response: Response;
    if (api === "graphql") response = this.#graphql(ctx, method, headers);
    else if (api === "jobs") response = await this.#jobs(ctx, method, path);
    else if (api === "rest") response = await this.#rest(ctx, method, path);
    else response = problem(404, PATH_NOT_FOUND);
    // Handlers may have changed state (a stop, a new pod); bring everything up to date.
    this.#settle();
    record.status = response.status;
    if (strikesAfter) return await lostAnswer(fault.kind, response);
    return response;
  }

  #classify(path: string): RecordedRequest["api"] {
    if (path === "/graphql") return "graphql";
    const segs = path.split("/").filter((s) => s !== "");
    if (segs[0] !== "v2" || segs.length < 2) return "unknown";
    if (REST_RESOURCES.has(segs[1]!)) return "rest";
    if (segs.length >= 3 && JOB_OPERATIONS.has(segs[2]!)) return "jobs";
    // Retired or unknown words such as /v2/tags and /v2/networkvolumes.
    return "rest";
  }

  #tokenOk(token: string | undefined): boolean {
    if (!token) return false;
    return this.#apiKey === undefined || token === this.#apiKey;
  }

  async #rest(ctx: Ctx, method: string, path: string): Promise<Response> {
    const auth = ctx.request.headers.get("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) return problem(401, "missing bearer token");
    if (!this.#tokenOk(m[1])) return problem(401, "invalid or expired API key");
    const { headers, exceeded } = this.#limiter.take(ctx.now);
    if (exceeded) {
      const res = problem(429, `rate limit exceeded for the ${exceeded.window.name} window`);
      res.headers.set("retry-after", String(exceeded.retryAfter));
      return withHeaders(res, headers);
    }
    const match = matchRoute(this.#restRoutes, method, path);
    let response: Response;
    if (match.kind === "found") {
      ctx.params = match.params;
      response = await match.route.handler(ctx);
    } else if (match.kind === "method") {
      response = problem(405, METHOD_NOT_ALLOWED, undefined, { allow: match.allow.join(", ") });
    } else {
      response = problem(404, PATH_NOT_FOUND);
    }
    return withHeaders(response, headers);
  }

  async #jobs(ctx: Ctx, method: string, path: string): Promise<Response> {
    const auth = (ctx.request.headers.get("authorization") ?? "").trim();
    const token = /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, "") : auth;
    if (!this.#tokenOk(token)) return problem(401, "Unauthorized");
    const match = matchRoute(this.#jobRoutes, method, path);
    if (match.kind === "found") {
      ctx.params = match.params;
      return await match.route.handler(ctx);
    }
    if (match.kind === "method") {
      return problem(405, METHOD_NOT_ALLOWED, undefined, { allow: match.allow.join(", ") });
    }
    return problem(404, PATH_NOT_FOUND);
  }

  #graphql(ctx: Ctx, method: string, headers: Record<string, string>): Response {
    if (method !== "POST") {
      return problem(405, METHOD_NOT_ALLOWED, undefined, { allow: "POST" });
    }
    const auth = ctx.request.headers.get("authorization") ?? "";
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
    const token = bearer ?? ctx.query.api_key;
    const hasCredential = (token ?? "") !== "" || headers.authorization !== undefined;
    if (hasCredential && !this.#tokenOk(token)) {
      return json({
        errors: [{
          message: "Unauthorized: invalid API key",
          extensions: { code: "UNAUTHENTICATED" },
        }],
      }, 401);
    }
    if (ctx.bodyInvalid) {
      return json({
        errors: [{ message: "POST body is not valid JSON", extensions: { code: "BAD_REQUEST" } }],
      }, 400);
    }
    const result = executeGraphql({
      state: this.state,
      authenticated: hasCredential,
      ids: this.#ids,
      now: ctx.now,
      spendPerHour: podSpendPerHour(this.state) + endpointSpendPerHour(this.state),
    }, ctx.body);
    return json(result.body, result.status);
  }

  #faultResponse(fault: Exclude<Fault, { kind: "delay" }>, api: RecordedRequest["api"]): Response {
    if (fault.kind === "reset") return resetResponse();
    if (fault.kind === "malformed-json") {
      return new Response('{"id":"x7k2m9q4p1z8vb","status":"RUNN', {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    const status = fault.status;
    let response: Response;
    if (typeof fault.body === "string") {
      response = new Response(fault.body, {
        status,
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    } else if (fault.body !== undefined) {
      response = json(fault.body, status);
      if (status >= 400) response.headers.set("content-type", "application/problem+json");
    } else if (status === 429) {
      response = problem(429, "rate limit exceeded for the minute window");
    } else if (status === 204 || status === 304) {
      response = new Response(null, { status });
    } else {
      response = problem(
        status,
        FAULT_DETAILS[status] ??
          (status >= 500 ? "request could not be processed" : (STATUS_TITLES[status] ?? "error")),
      );
    }
    if (status === 429) {
      const retryAfter = fault.retryAfter ?? 1;
      response.headers.set("retry-after", String(retryAfter));
      if (api === "rest") {
        response.headers.set("ratelimit", this.#limiter.exhaustedHeader(this.now(), retryAfter));
        response.headers.set("ratelimit-policy", rateLimitPolicy());
      }
    } else if (fault.retryAfter !== undefined) {
      response.headers.set("retry-after", String(fault.retryAfter));
    }
    return response;
  }
}
