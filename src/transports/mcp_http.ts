/**
 * MCP over Streamable HTTP: the front door (`http.ts`: Host, Origin, bearer, rate limit, body
 * cap, drain) in front of the SDK's per-request handler, which serves both protocol eras from the
 * app's factory. Stateless: every request is answered by a fresh server, so any replica can answer
 * any request; what must agree across replicas (spent confirmations, spend holds, rate counters)
 * lives in the shared state.
 *
 * @module
 */

import {
  createMcpHandler,
  isLegacyRequest,
  type McpServerFactory,
  type ServerEventBus,
} from "../deps.ts";
import type { HttpConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import type { SharedState } from "../state/types.ts";
import { noteCalledTool } from "../server.ts";
import { type HttpServerHandle, serveHttp } from "./http.ts";
import { createLegacyHttpHandler } from "./legacy_http.ts";

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
 * The body the front door buffered, parsed once here for the SDK too (it would otherwise parse it
 * again); when it is one `tools/call`, the tool is noted for the factory (see
 * {@linkcode noteCalledTool}). A body that is not JSON is left for the SDK to answer.
 */
function parseBody(request: Request, body: Uint8Array | null): unknown {
  if (request.method !== "POST" || body === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
  const message = parsed as { method?: unknown; params?: { name?: unknown } } | null;
  const name = message?.method === "tools/call" ? message.params?.name : undefined;
  if (typeof name === "string" && /^[a-z0-9_]{1,64}$/.test(name)) noteCalledTool(request, name);
  return parsed;
}

const decoder = new TextDecoder();

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
  const onerror = (error: Error) => logger.debug("MCP HTTP exchange error", { error });
  // The SDK serves the 2026 era; 2025-era requests are routed to our own stateless handler,
  // which answers in JSON when nothing precedes the result (see legacy_http.ts).
  const handler = createMcpHandler(options.factory, {
    maxRequestBodySize: http.maxBodyBytes,
    ...(options.bus ? { bus: options.bus } : {}),
    legacy: "reject",
    onerror,
  });
  const legacy = createLegacyHttpHandler(options.factory, {
    maxBodyBytes: http.maxBodyBytes,
    onerror,
  });
  const server = serveHttp(
    async (forwarded, caller, _signal, body) => {
      const parsedBody = parseBody(forwarded, body);
      // The caller's id (a hash of the bearer) always; the bearer itself only when it is the
      // caller's RunPod key, for that request.
      const served = {
        authInfo: { token: caller.runpodKey ?? "", clientId: caller.id, scopes: [] },
        ...(parsedBody !== undefined ? { parsedBody } : {}),
      };
      const isLegacy = await isLegacyRequest(forwarded, parsedBody, {
        maxRequestBodySize: http.maxBodyBytes,
      });
      return isLegacy ? legacy(forwarded, served) : handler.fetch(forwarded, served);
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
