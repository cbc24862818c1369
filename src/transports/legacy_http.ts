/**
 * 2025-era (stateless) MCP over HTTP, one POST at a time, from the app's factory.
 *
 * The SDK's own stateless fallback always answers a request over server-sent events, so even a
 * `tools/call` that sends nothing before its result pays for a stream in the transport, one in
 * the fallback and one in the front door. Here the answer is plain JSON unless the server sends
 * something before the result (a progress notification, a log event): then, and from that
 * message on, the answer becomes an SSE stream, so nothing is dropped or held back. Both are
 * valid Streamable HTTP answers, and a client must accept either.
 *
 * Everything else is the SDK's transport: Accept and Content-Type checks, JSON-RPC parsing,
 * `initialize`, notifications (202) and batches.
 *
 * @module
 */

import {
  type AuthInfo,
  type JSONRPCMessage,
  type McpServerFactory,
  type TransportSendOptions,
  WebStandardStreamableHTTPServerTransport,
} from "../deps.ts";
import { withBodyEnd } from "./http.ts";

/** Options for {@linkcode createLegacyHttpHandler}. */
export interface LegacyHttpOptions {
  /** Largest request body the SDK transport reads, bytes. */
  maxBodyBytes: number;
  /** Reports a failure the answer only shows as a 500. */
  onerror(error: Error): void;
}

/** What the handler is given besides the request: as the SDK's `handler.fetch` takes them. */
export interface LegacyRequestOptions {
  authInfo?: AuthInfo;
  parsedBody?: unknown;
}

/** Answers one 2025-era HTTP request. */
export type LegacyHttpHandler = (
  request: Request,
  options?: LegacyRequestOptions,
) => Promise<Response>;

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

function rpcError(status: number, code: number, message: string, id: unknown = null): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code, message }, id },
    { status, ...(status === 405 ? { headers: { allow: "POST" } } : {}) },
  );
}

/** The id of a body that is exactly one JSON-RPC request, else undefined. */
function singleRequestId(body: unknown): string | number | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const { id, method } = body as { id?: unknown; method?: unknown };
  if (typeof method !== "string") return undefined;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

function isResponseTo(message: JSONRPCMessage, id: string | number): boolean {
  return "id" in message && message.id === id && ("result" in message || "error" in message);
}

/**
 * Creates the 2025-era handler. Each POST gets a fresh server from `factory` (era `legacy`),
 * which is closed once its answer has been sent or the request is aborted. GET and DELETE are
 * session operations, which stateless serving has none of: 405.
 */
export function createLegacyHttpHandler(
  factory: McpServerFactory,
  options: LegacyHttpOptions,
): LegacyHttpHandler {
  const encoder = new TextEncoder();
  return async (request, requestOptions = {}) => {
    if (request.method.toUpperCase() !== "POST") {
      return rpcError(405, -32000, "Method not allowed.");
    }
    const { authInfo, parsedBody } = requestOptions;
    const requestId = singleRequestId(parsedBody);
    let closeServer = () => {};
    try {
      const server = await factory({
        era: "legacy",
        ...(authInfo ? { authInfo } : {}),
        requestInfo: request,
      });
      // JSON answers only for one request whose body is known; anything else (a batch, a
      // notification, a body the SDK must read itself) is answered as the SDK always does.
      const adaptive = requestId !== undefined;
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: adaptive,
        maxRequestBodySize: options.maxBodyBytes,
      });
      await server.connect(transport);
      // Settles the answer early: with a stream once something precedes the result, or with 499
      // once the request is aborted (the JSON answer would then never come).
      let upgrade: (response: Response) => void = () => {};
      const upgraded = new Promise<Response>((resolve) => (upgrade = resolve));
      let closed = false;
      closeServer = () => {
        if (closed) return;
        closed = true;
        request.signal.removeEventListener("abort", closeServer);
        upgrade(new Response(null, { status: 499 }));
        transport.close().catch(() => {});
        server.close().catch(() => {});
      };
      if (request.signal.aborted) closeServer();
      else request.signal.addEventListener("abort", closeServer, { once: true });
      if (adaptive) {
        let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
        const jsonSend = transport.send.bind(transport);
        const write = (message: JSONRPCMessage) => {
          stream?.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`));
        };
        // The transport in JSON mode drops what a handler sends before its result; this catches
        // that first message and turns the answer into a stream instead.
        transport.send = (message: JSONRPCMessage, sendOptions?: TransportSendOptions) => {
          const final = isResponseTo(message, requestId);
          const related = final || sendOptions?.relatedRequestId === requestId;
          if (!related) return jsonSend(message, sendOptions);
          if (stream === undefined && final) return jsonSend(message, sendOptions);
          if (stream === undefined) {
            upgrade(
              new Response(
                new ReadableStream<Uint8Array>({
                  start: (controller) => void (stream = controller),
                  cancel: () => closeServer(),
                }),
                { status: 200, headers: SSE_HEADERS },
              ),
            );
          }
          if (!closed) write(message);
          if (final) {
            stream?.close();
            closeServer();
          }
          return Promise.resolve();
        };
      }
      const answered = transport.handleRequest(request, {
        ...(authInfo ? { authInfo } : {}),
        ...(parsedBody !== undefined ? { parsedBody } : {}),
      });
      const response = await Promise.race([answered, upgraded]);
      if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
        closeServer();
        return response;
      }
      // Our own stream closes the server itself; the SDK's must be watched until it ends.
      return adaptive ? response : withBodyEnd(response, closeServer);
    } catch (error) {
      closeServer();
      options.onerror(error instanceof Error ? error : new Error(String(error)));
      return rpcError(500, -32603, "Internal server error", requestId ?? null);
    }
  };
}
