/**
 * The HTTP front door: a Streamable HTTP server on `Deno.serve` that does everything around MCP
 * (DNS-rebinding and Origin checks, CORS, bearer auth, rate limits, body limits, drain) and hands
 * each accepted `/mcp` request to an MCP handler. It knows nothing about tools.
 *
 * Checks run in a fixed order, each refusal with a JSON-RPC error body that says what to do:
 * Host → Origin → method → auth → rate limit → body size → handler. `GET /healthz` needs no auth.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Logger } from "../log.ts";
import { BINARY_LISTEN_ADDRESSES } from "../settings.ts";
import type { SharedState, WindowHit } from "../state/types.ts";

/** Who is calling, as far as the front door knows. Never holds the configured token. */
export interface Caller {
  /**
   * Stable, non-secret id for rate limits and logs: the first 16 hex characters of the SHA-256
   * of the bearer, or `"anonymous"` when the server runs without auth.
   */
  id: string;
  /** In `runpod-key` mode: the caller's RunPod API key (the bearer), for this request only. */
  runpodKey?: string;
}

/**
 * The MCP handler the front door calls for each accepted `/mcp` request. `request` carries the
 * buffered body (also given as `body`, so the handler need not read it back) and the original
 * method, URL and headers; `signal` (also `request.signal`) aborts
 * when the client disconnects or when drain's grace period ends. Unless Deno runs with
 * `--unstable-no-legacy-abort`, Deno's own request signal, and so this one, also aborts once a
 * response has been delivered.
 */
export type McpFetch = (
  request: Request,
  caller: Caller,
  signal: AbortSignal,
  body: Uint8Array | null,
) => Promise<Response>;

/**
 * How callers authenticate:
 * - `token` with a token: every `/mcp` request carries `Authorization: Bearer <token>`;
 * - `token` without one: no auth at all, allowed only when bound to loopback;
 * - `runpod-key`: the bearer is the caller's own RunPod API key, passed on as `Caller.runpodKey`.
 */
export type HttpAuth = { mode: "token"; token?: string } | { mode: "runpod-key" };

/** The per-caller request limit; failed auth attempts are limited per address by the same one. */
export interface HttpRateLimit {
  /** Requests allowed per window. */
  requests: number;
  /** Window length, ms. */
  windowMs: number;
  /** The counter store, shared across replicas. */
  state: Pick<SharedState, "hit">;
}

/** Options for {@linkcode serveHttp}. */
export interface HttpServeOptions {
  /** Address to bind, e.g. `127.0.0.1`. */
  hostname: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  auth: HttpAuth;
  /** Origins (`scheme://host[:port]`) allowed to call from a browser. Requests without Origin pass. */
  allowedOrigins: readonly string[];
  /** Largest accepted request body, bytes. */
  maxBodyBytes: number;
  rateLimit: HttpRateLimit;
  /** How long a request body may take to arrive, ms. Default 30 000. */
  bodyTimeoutMs?: number;
  logger: Logger;
  /** Extra fields for `GET /healthz`. Must hold nothing secret. */
  health?: () => Record<string, unknown>;
}

/** A running front door. */
export interface HttpServerHandle {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`. */
  url: string;
  /** The bound address, as given. */
  hostname: string;
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /**
   * Stops accepting connections, waits up to `graceMs` for in-flight requests (open SSE streams
   * included), then aborts the rest. Resolves when the server has stopped. Calling it again
   * returns the same promise; a shorter `graceMs` brings the deadline forward.
   */
  drain(graceMs: number): Promise<void>;
  /** Resolves when the server has fully stopped. */
  finished: Promise<void>;
  /** Requests whose answer (an open SSE stream included) has not ended yet. */
  inFlight(): number;
}

const MCP_PATH = "/mcp";
const HEALTH_PATH = "/healthz";
const HANDLER_METHODS = new Set(["GET", "POST", "DELETE"]);
const MCP_ALLOW = "GET, POST, DELETE, OPTIONS";
const CORS_ALLOW_HEADERS =
  "authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id";
const CORS_EXPOSE_HEADERS = "mcp-session-id, mcp-protocol-version, www-authenticate";
const CORS_MAX_AGE_S = "600";
const LOOPBACK_BINDS = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);
const LOOPBACK_HOST_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const BEARER_CHALLENGE = 'Bearer realm="runpod-mcp"';
const ANONYMOUS = "anonymous";
/** A RunPod key as the front door can judge it: printable ASCII, no spaces. RunPod decides. */
const RUNPOD_KEY_SHAPE = /^[\x21-\x7e]{10,200}$/;
const DEFAULT_BODY_TIMEOUT_MS = 30_000;
const STATE_DOWN_RETRY_S = 5;
const SHUTDOWN_RETRY_S = 5;
/** Bounds the in-process list of addresses blocked for failed auth. */
const MAX_BLOCKED_ADDRESSES = 10_000;
/** For refusals that leave request bytes unread: the connection cannot carry another request. */
const CLOSE = { connection: "close" };
const SHUTTING_DOWN =
  "Cannot accept new requests: the server is shutting down; retry in a few seconds";

/** Everything one request's checks need; built once per server. */
interface FrontDoor {
  mcp: McpFetch;
  options: HttpServeOptions;
  loopback: boolean;
  allowedOrigins: Set<string>;
  authenticate: (bearer: string | undefined) => Promise<Caller | undefined>;
  blocks: BlockList;
  bodyTimeoutMs: number;
  /** Set when drain starts. */
  draining: boolean;
  /**
   * One controller per request in flight, aborted when its client goes away or drain's grace
   * period ends. Each request holds only its own: linking every request's signal to one
   * server-lifetime signal kept every finished request's MCP server reachable (a leak).
   */
  inFlight: Set<AbortController>;
}

/** What the access log learns while a request passes the checks. */
interface Exchange {
  callerId?: string;
}

/**
 * Serves MCP over Streamable HTTP at `/mcp` (and a health check at `/healthz`), calling `mcp` for
 * every request that passes the checks. Throws when the options are unsafe, such as no auth on
 * a non-loopback address.
 *
 * @example
 * ```ts
 * const handle = serveHttp(mcpFetch, {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   auth: { mode: "token", token },
 *   allowedOrigins: [],
 *   maxBodyBytes: 1_000_000,
 *   rateLimit: { requests: 120, windowMs: 60_000, state },
 *   logger,
 * });
 * await handle.drain(10_000);
 * ```
 */
export function serveHttp(mcp: McpFetch, options: HttpServeOptions): HttpServerHandle {
  validateOptions(options);
  const door: FrontDoor = {
    mcp,
    options,
    loopback: isLoopback(options.hostname),
    allowedOrigins: new Set(options.allowedOrigins.map(normalizeOrigin)),
    authenticate: createAuthenticator(options.auth),
    blocks: createBlockList(),
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    draining: false,
    inFlight: new Set(),
  };
  const server = listen(options, (request, info) => handle(door, request, info));
  const port = server.addr.port;
  const url = `http://${urlHost(options.hostname)}:${port}${MCP_PATH}`;
  options.logger.info("serving MCP over Streamable HTTP", { url });
  return {
    url,
    hostname: options.hostname,
    port,
    drain: createDrain(door, server),
    finished: server.finished,
    inFlight: () => door.inFlight.size,
  };
}

function validateOptions(options: HttpServeOptions): void {
  const { auth, hostname, maxBodyBytes, rateLimit } = options;
  if (auth.mode === "token" && auth.token === "") {
    throw new Error(
      "Cannot serve MCP over HTTP: the token is empty; set a token or leave it unset",
    );
  }
  if (auth.mode === "token" && auth.token === undefined && !isLoopback(hostname)) {
    throw new Error(
      `Cannot serve MCP over HTTP on ${hostname} without a token: unauthenticated access is only ` +
        "allowed on loopback (127.0.0.1, ::1, localhost); set a token or bind to 127.0.0.1",
    );
  }
  if (!(maxBodyBytes > 0)) {
    throw new Error(
      `Cannot serve MCP over HTTP: maxBodyBytes must be positive, got ${maxBodyBytes}`,
    );
  }
  if (!(rateLimit.requests >= 1) || !(rateLimit.windowMs > 0)) {
    throw new Error(
      "Cannot serve MCP over HTTP: the rate limit needs requests ≥ 1 and windowMs > 0",
    );
  }
}

async function handle(
  door: FrontDoor,
  request: Request,
  info: Deno.ServeHandlerInfo,
): Promise<Response> {
  const started = performance.now();
  const path = new URL(request.url).pathname;
  const exchange: Exchange = {};
  let response: Response;
  try {
    response = await route(door, request, info, path, exchange);
  } catch (error) {
    door.options.logger.error("HTTP front door failed", { method: request.method, path, error });
    response = refusal(path === MCP_PATH, 500, "Internal error: see the server log");
  }
  door.options.logger.debug("http request", {
    method: request.method,
    path,
    status: response.status,
    ms: Math.round(performance.now() - started),
    caller: exchange.callerId ?? "-",
  });
  return response;
}

async function route(
  door: FrontDoor,
  request: Request,
  info: Deno.ServeHandlerInfo,
  path: string,
  exchange: Exchange,
): Promise<Response> {
  const onMcp = path === MCP_PATH;
  if (door.draining) {
    return refusal(onMcp, 503, SHUTTING_DOWN, {
      connection: "close",
      "retry-after": String(SHUTDOWN_RETRY_S),
    });
  }
  const badHost = checkHost(door, request, onMcp);
  if (badHost) return badHost;
  if (path === HEALTH_PATH) return health(door, request);
  if (!onMcp) {
    return refusal(
      false,
      404,
      `Not found: the MCP endpoint is ${MCP_PATH}, health is ${HEALTH_PATH}`,
    );
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !door.allowedOrigins.has(normalizeOrigin(origin))) {
    return refusal(
      true,
      403,
      `Cannot accept requests from Origin ${JSON.stringify(origin.slice(0, 200))}: it is not ` +
        "in the server's allowed origins; add it there to call this server from that page",
    );
  }
  const response = await serveMcp(door, request, info, origin, exchange);
  return origin === null ? response : withCors(response, origin);
}

/** DNS rebinding guard: on loopback, a page on another name must not reach the server. */
function checkHost(door: FrontDoor, request: Request, onMcp: boolean): Response | undefined {
  if (!door.loopback) return undefined;
  const host = request.headers.get("host");
  if (host !== null && LOOPBACK_HOST_NAMES.has(hostnameOf(host) ?? "")) return undefined;
  const shown = host === null ? "(none)" : JSON.stringify(host.slice(0, 200));
  return refusal(
    onMcp,
    403,
    `Cannot accept Host ${shown}: this server listens on loopback and accepts only the host ` +
      "names localhost, 127.0.0.1 or [::1] (DNS rebinding protection); connect to one of those",
  );
}

function health(door: FrontDoor, request: Request): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return refusal(false, 405, `Cannot ${request.method} ${HEALTH_PATH}: use GET`, {
      allow: "GET, HEAD",
    });
  }
  let extra: Record<string, unknown>;
  try {
    extra = door.options.health?.() ?? {};
  } catch (error) {
    door.options.logger.error("Health check failed", { error });
    return json(503, { status: "error" });
  }
  return json(200, { status: "ok", ...extra });
}

async function serveMcp(
  door: FrontDoor,
  request: Request,
  info: Deno.ServeHandlerInfo,
  origin: string | null,
  exchange: Exchange,
): Promise<Response> {
  if (request.method === "OPTIONS") return preflight(origin);
  if (!HANDLER_METHODS.has(request.method)) {
    return refusal(true, 405, `Cannot ${request.method} ${MCP_PATH}: use GET, POST or DELETE`, {
      allow: MCP_ALLOW,
    });
  }
  const caller = await authorize(door, request, remoteAddress(info));
  if (caller instanceof Response) return caller;
  exchange.callerId = caller.id;
  const limited = await checkRateLimit(door, caller);
  if (limited) return limited;
  const body = await readBody(request, door.options.maxBodyBytes, door.bodyTimeoutMs);
  if (body instanceof Response) return body;
  return await dispatch(door, request, body, caller);
}

function preflight(origin: string | null): Response {
  if (origin === null) {
    return refusal(true, 403, "Cannot answer a CORS preflight without an Origin header");
  }
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": MCP_ALLOW,
      "access-control-allow-headers": CORS_ALLOW_HEADERS,
      "access-control-max-age": CORS_MAX_AGE_S,
    },
  });
}

/** Adds CORS headers for an allowed origin, to a copy when `response`'s headers are immutable. */
function withCors(response: Response, origin: string): Response {
  let out = response;
  try {
    out.headers.set("access-control-allow-origin", origin);
  } catch {
    out = new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
    });
    out.headers.set("access-control-allow-origin", origin);
  }
  out.headers.set("access-control-expose-headers", CORS_EXPOSE_HEADERS);
  out.headers.append("vary", "Origin");
  return out;
}

async function authorize(
  door: FrontDoor,
  request: Request,
  address: string,
): Promise<Caller | Response> {
  const blockedMs = door.blocks.remainingMs(address);
  if (blockedMs > 0) return tooManyAuthFailures(blockedMs);
  const bearer = parseBearer(request.headers.get("authorization"));
  const caller = await door.authenticate(bearer);
  if (caller) return caller;
  const hit = await countHit(door, `auth-fail:${address}`);
  if (hit instanceof Response) return hit;
  if (hit.count > door.options.rateLimit.requests) {
    door.blocks.block(address, hit.resetInMs);
    door.options.logger.warn("Refusing an address after repeated failed authentication", {
      address,
      retryInS: retrySeconds(hit.resetInMs),
    });
    return tooManyAuthFailures(hit.resetInMs);
  }
  return unauthorized(door.options.auth, bearer !== undefined);
}

function unauthorized(auth: HttpAuth, given: boolean): Response {
  const challenge = given ? `${BEARER_CHALLENGE}, error="invalid_token"` : BEARER_CHALLENGE;
  const what = auth.mode === "runpod-key"
    ? "your RunPod API key as Authorization: Bearer <key>"
    : "the header Authorization: Bearer <token>, with the token this server was started with";
  const message = !given
    ? `Cannot authorize: this server needs ${what}`
    : auth.mode === "runpod-key"
    ? "Cannot authorize: the bearer does not look like a RunPod API key (10 to 200 printable " +
      `characters, no spaces); send ${what}`
    : `Cannot authorize: the bearer token is wrong; send ${what}`;
  return refusal(true, 401, message, { "www-authenticate": challenge });
}

function tooManyAuthFailures(resetInMs: number): Response {
  const seconds = retrySeconds(resetInMs);
  return refusal(
    true,
    429,
    `Cannot try again yet: too many failed authentication attempts from this address; retry in ${seconds} seconds with a valid bearer`,
    { "retry-after": String(seconds) },
  );
}

async function checkRateLimit(door: FrontDoor, caller: Caller): Promise<Response | undefined> {
  const { requests, windowMs } = door.options.rateLimit;
  const hit = await countHit(door, `rate:${caller.id}`);
  if (hit instanceof Response) return hit;
  if (hit.count <= requests) return undefined;
  const seconds = retrySeconds(hit.resetInMs);
  return refusal(
    true,
    429,
    `Cannot accept more requests: the limit is ${requests} per ${
      retrySeconds(windowMs)
    } seconds; retry in ${seconds} seconds`,
    { "retry-after": String(seconds) },
  );
}

/** Counts one hit; a failing store refuses the request rather than letting it through unlimited. */
async function countHit(door: FrontDoor, key: string): Promise<WindowHit | Response> {
  try {
    return await door.options.rateLimit.state.hit(key, door.options.rateLimit.windowMs);
  } catch (error) {
    door.options.logger.error("Rate limit store failed", { error });
    return refusal(
      true,
      503,
      `Cannot check the rate limit: the shared state store is unavailable; retry in ${STATE_DOWN_RETRY_S} seconds`,
      { "retry-after": String(STATE_DOWN_RETRY_S) },
    );
  }
}

/**
 * Reads the body up to `maxBytes` within `timeoutMs`, never holding more than the cap. Null when
 * the request has no body; a Response when it is refused.
 */
async function readBody(
  request: Request,
  maxBytes: number,
  timeoutMs: number,
): Promise<Uint8Array | null | Response> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return tooLarge(maxBytes);
  if (request.body === null) return null;
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout") {
        reader.cancel().catch(() => {});
        return refusal(
          true,
          408,
          `Cannot read the request body: it did not arrive within ${timeoutMs} ms; send it again`,
          CLOSE,
        );
      }
      if (next.done) return concat(chunks, size);
      size += next.value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return tooLarge(maxBytes);
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(maxBytes: number): Response {
  return refusal(
    true,
    413,
    `Cannot accept the request body: it is larger than ${maxBytes} bytes; send a smaller request`,
    CLOSE,
  );
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

async function dispatch(
  door: FrontDoor,
  request: Request,
  body: Uint8Array | null,
  caller: Caller,
): Promise<Response> {
  const controller = new AbortController();
  const signal = controller.signal;
  const clientGone = () => controller.abort(request.signal.reason);
  door.inFlight.add(controller);
  if (request.signal.aborted) clientGone();
  else request.signal.addEventListener("abort", clientGone, { once: true });
  const finished = () => {
    door.inFlight.delete(controller);
    request.signal.removeEventListener("abort", clientGone);
  };
  const forwardedBody = request.method === "GET" ? null : body;
  const forwarded = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: forwardedBody as Uint8Array<ArrayBuffer> | null,
    signal,
  });
  let response: Response | undefined;
  try {
    response = await untilAborted(door.mcp(forwarded, caller, signal, forwardedBody), signal);
  } catch (error) {
    finished();
    door.options.logger.error("MCP handler failed", { caller: caller.id, error });
    return refusal(true, 500, "Internal error in the MCP handler: see the server log; retry later");
  }
  if (response === undefined) {
    finished();
    return refusal(true, 503, SHUTTING_DOWN, { "retry-after": String(SHUTDOWN_RETRY_S) });
  }
  if (response.headers.get("content-type")?.startsWith("application/json")) {
    // A JSON answer is finite and already complete: nothing to drain, so it is passed on as is.
    finished();
    return response;
  }
  return withBodyEnd(response, finished, signal);
}

/** Settles with `promise`, or with undefined once `signal` aborts; a late Response is discarded. */
function untilAborted(promise: Promise<Response>, signal: AbortSignal) {
  return new Promise<Response | undefined>((resolve, reject) => {
    const onAbort = () => {
      resolve(undefined);
      promise.then((late) => late.body?.cancel().catch(() => {}), () => {});
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Copies `response` with mutable headers and a body that calls `ended` once, when it has been
 * read to the end, has failed or was cancelled. When `signal` aborts, the body is cancelled, so
 * an open SSE stream cannot hold drain past its grace period.
 */
export function withBodyEnd(response: Response, ended: () => void, signal?: AbortSignal): Response {
  const init = { status: response.status, statusText: response.statusText };
  const headers = new Headers(response.headers);
  if (response.body === null) {
    ended();
    return new Response(null, { ...init, headers });
  }
  const reader = response.body.getReader();
  const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    signal?.removeEventListener("abort", onAbort);
    ended();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          release();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { ...init, headers });
}

/** `Deno.serve` on the configured address, with a refusal by permissions explained. */
function listen(
  options: HttpServeOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({
      hostname: options.hostname,
      port: options.port,
      // Without onListen, Deno prints "Listening on …" to stdout.
      onListen() {},
    }, handler);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)
    ) {
      throw error;
    }
    const address = `${urlHost(options.hostname)}:${options.port}`;
    throw new Error(
      `Cannot listen on ${address}: this process's --allow-net does not allow it. The release ` +
        `binary may listen only on ${BINARY_LISTEN_ADDRESSES.join(" and ")}: use --host and ` +
        `--port to pick one of those, or run with deno run and an --allow-net that names ${address}`,
    );
  }
}

function createDrain(door: FrontDoor, server: Deno.HttpServer): (graceMs: number) => Promise<void> {
  let stopped: Promise<void> | undefined;
  let deadline = Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abortRest = () => {
    door.options.logger.warn("Drain grace period over: aborting open requests");
    const reason = new Error("The server is shutting down");
    for (const controller of [...door.inFlight]) controller.abort(reason);
  };
  return (graceMs) => {
    const wait = Math.max(0, graceMs);
    if (Date.now() + wait < deadline) {
      deadline = Date.now() + wait;
      clearTimeout(timer);
      timer = setTimeout(abortRest, wait);
    }
    if (stopped === undefined) {
      door.draining = true;
      door.options.logger.info("draining HTTP server", { graceMs: wait });
      stopped = server.shutdown().finally(() => clearTimeout(timer));
    }
    return stopped;
  };
}

/**
 * Drains `handle` with `graceMs` on the first SIGTERM or SIGINT (SIGINT and SIGBREAK on Windows);
 * a second signal aborts what is still open at once. The listeners are removed when the server
 * has stopped. Returns a function that removes them earlier.
 *
 * @example
 * ```ts
 * drainOnSignals(handle, logger, 10_000);
 * await handle.finished;
 * ```
 */
export function drainOnSignals(
  handle: HttpServerHandle,
  logger: Logger,
  graceMs: number,
): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGTERM", "SIGINT"];
  let received = 0;
  const onSignal = () => {
    received += 1;
    const wait = received === 1 ? graceMs : 0;
    logger.info("signal received: draining HTTP server", { graceMs: wait });
    handle.drain(wait).catch((error) => logger.error("Drain failed", { error }));
  };
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  };
  handle.finished.then(remove, remove);
  return remove;
}

/** Bucket for failed-auth blocks, kept in process so a blocked address cannot probe the token. */
interface BlockList {
  remainingMs(address: string): number;
  block(address: string, forMs: number): void;
}

function createBlockList(): BlockList {
  const until = new Map<string, number>();
  return {
    remainingMs(address) {
      const end = until.get(address);
      if (end === undefined) return 0;
      const left = end - Date.now();
      if (left <= 0) until.delete(address);
      return Math.max(0, left);
    },
    block(address, forMs) {
      until.delete(address);
      until.set(address, Date.now() + forMs);
      if (until.size > MAX_BLOCKED_ADDRESSES) {
        const oldest = until.keys().next().value;
        if (oldest !== undefined) until.delete(oldest);
      }
    },
  };
}

function createAuthenticator(auth: HttpAuth): FrontDoor["authenticate"] {
  if (auth.mode === "runpod-key") {
    return async (bearer) => {
      if (bearer === undefined || !RUNPOD_KEY_SHAPE.test(bearer)) return undefined;
      return { id: hexPrefix(await sha256(bearer)), runpodKey: bearer };
    };
  }
  const token = auth.token;
  if (token === undefined) return () => Promise.resolve({ id: ANONYMOUS });
  const expected = sha256(token);
  return async (bearer) => {
    if (bearer === undefined) return undefined;
    const digest = await sha256(bearer);
    return digestsEqual(digest, await expected) ? { id: hexPrefix(digest) } : undefined;
  };
}

/** Compares two SHA-256 digests in time independent of where they differ. */
function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * SHA-256 of `text`. `node:crypto` hashes synchronously; WebCrypto's async digest cost a tenth of
 * a request's CPU under load.
 */
function sha256(text: string): Promise<Uint8Array> {
  return Promise.resolve(new Uint8Array(createHash("sha256").update(text).digest()));
}

function hexPrefix(digest: Uint8Array): string {
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseBearer(header: string | null): string | undefined {
  const match = /^Bearer +(\S.*)$/i.exec(header?.trim() ?? "");
  return match?.[1]?.trim();
}

function remoteAddress(info: Deno.ServeHandlerInfo): string {
  const addr = info.remoteAddr as Partial<Deno.NetAddr>;
  return addr.hostname ?? "unknown";
}

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, "");
}

function isLoopback(hostname: string): boolean {
  return LOOPBACK_BINDS.has(hostname.toLowerCase());
}

function urlHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}

function retrySeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** A refusal: a JSON-RPC error on `/mcp` (MCP clients show its message), plain text elsewhere. */
function refusal(
  onMcp: boolean,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  if (!onMcp) {
    return new Response(message + "\n", {
      status,
      headers: { "content-type": "text/plain; charset=utf-8", ...headers },
    });
  }
  const body = { jsonrpc: "2.0", error: { code: -32000, message }, id: null };
  return json(status, body, headers);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}
