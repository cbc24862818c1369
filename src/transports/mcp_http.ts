/**
 * MCP over Streamable HTTP: the front door (`http.ts`: Host, Origin, bearer, rate limit, body
 * cap, drain) in front of the SDK's per-request handler, which serves both protocol eras from the
 * app's factory. Stateless: every request is answered by a fresh server, so any replica can answer
 * any request; what must agree across replicas (spent confirmations, spend holds, rate counters)
 * lives in the shared state.
 *
 * @module
 */

import { createMcpHandler, type McpServerFactory, type ServerEventBus } from "../deps.ts";
import type { HttpConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import type { SharedState } from "../state/types.ts";
import { CALLED_TOOL_HEADER } from "../server.ts";
import { type HttpServerHandle, serveHttp } from "./http.ts";

/** Options for {@linkcode serveMcpHttp}. */
export interface McpHttpOptions {
  factory: McpServerFactory;
  /** The bus `subscriptions/listen` streams subscribe to (the app's, which feeds pod updates). */
  bus?: ServerEventBus;
  http: HttpConfig;
  state: SharedState;
  logger: Logger;
  version: string;
  /** Whether RunPod is the built-in simulator, for /healthz. */
  sandbox: boolean;
}

/**
 * `request` with {@linkcode CALLED_TOOL_HEADER} set when its body is one `tools/call`, and the
 * body parsed once here for the SDK too (it would otherwise parse it again).
 */
async function withCalledTool(
  request: Request,
): Promise<{ request: Request; parsedBody?: unknown }> {
  const headers = new Headers(request.headers);
  headers.delete(CALLED_TOOL_HEADER);
  if (request.method !== "POST") return { request: new Request(request, { headers }) };
  const text = await request.text();
  let parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };
  try {
    parsed = { ok: true, value: JSON.parse(text) };
  } catch {
    // Not JSON: the SDK reads the body itself and answers the parse error.
  }
  const message = parsed.ok
    ? parsed.value as { method?: unknown; params?: { name?: unknown } }
    : {};
  const name = message?.method === "tools/call" ? message.params?.name : undefined;
  if (typeof name === "string" && /^[a-z0-9_]{1,64}$/.test(name)) {
    headers.set(CALLED_TOOL_HEADER, name);
  }
  const forwarded = new Request(request.url, {
    method: request.method,
    headers,
    body: text,
    signal: request.signal,
  });
  return parsed.ok ? { request: forwarded, parsedBody: parsed.value } : { request: forwarded };
}

/** How long the rate window lasts: the limit is per minute. */
const RATE_WINDOW_MS = 60_000;

/**
 * Serves MCP at `/mcp` on the configured host and port until drained. In bring-your-own-key mode
 * the caller's bearer reaches the factory as `authInfo.token`, for that request only.
 */
export function serveMcpHttp(options: McpHttpOptions): {
  server: HttpServerHandle;
  close(): Promise<void>;
} {
  const { http, logger } = options;
  const handler = createMcpHandler(options.factory, {
    maxRequestBodySize: http.maxBodyBytes,
    ...(options.bus ? { bus: options.bus } : {}),
    onerror: (error) => logger.debug("MCP HTTP exchange error", { error }),
  });
  const server = serveHttp(
    async (request, caller) => {
      const { request: forwarded, parsedBody } = await withCalledTool(request);
      // The caller's id (a hash of the bearer) always; the bearer itself only when it is the
      // caller's RunPod key, for that request.
      return handler.fetch(forwarded, {
        authInfo: { token: caller.runpodKey ?? "", clientId: caller.id, scopes: [] },
        ...(parsedBody !== undefined ? { parsedBody } : {}),
      });
    },
    {
      hostname: http.host,
      port: http.port,
      auth: http.auth === "runpod-key"
        ? { mode: "runpod-key" }
        : { mode: "token", ...(http.token ? { token: http.token } : {}) },
      allowedOrigins: http.allowedOrigins,
      maxBodyBytes: http.maxBodyBytes,
      rateLimit: {
        requests: http.rateLimitPerMinute,
        windowMs: RATE_WINDOW_MS,
        state: options.state,
      },
      logger,
      health: () => ({
        version: options.version,
        mode: options.sandbox ? "sandbox" : "live",
        auth: http.auth,
        state: options.state.kind,
      }),
    },
  );
  return {
    server,
    close: async () => {
      await handler.close();
    },
  };
}
