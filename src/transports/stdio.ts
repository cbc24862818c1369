/**
 * Serves MCP over stdio until the client closes stdin. The SDK's stdio entry decides the
 * connection's protocol era from its opening message and builds the one server for it.
 *
 * @module
 */

import {
  type JSONRPCMessage,
  type McpServerFactory,
  serveStdio as sdkServeStdio,
  StdioServerTransport,
  type Transport,
} from "../deps.ts";
import process from "node:process";
import type { Logger } from "../log.ts";

/** What a person who starts the server by hand in a terminal reads on stderr. */
export const TERMINAL_NOTICE =
  "runpod-mcp is an MCP server: it speaks JSON-RPC on stdin/stdout to an MCP client and ignores typed commands.\n" +
  "Connect a client (README, section Clients) or try it with the MCP Inspector (README, top); Ctrl+D quits.";

/** Options for {@linkcode serveStdio} and {@linkcode announceIfTerminal}. */
export interface StdioOptions {
  /** True when stdin is a terminal; default `Deno.stdin.isTerminal()`. */
  isTerminal?: () => boolean;
  /** Writes a line to stderr; default `console.error`. Never stdout: it carries the protocol. */
  writeError?: (line: string) => void;
  /**
   * Called when the client opens a `subscriptions/listen` stream (2026 era); the returned release
   * is called when the stream is cancelled or the connection closes.
   */
  onListen?: () => () => void;
}

/**
 * Writes {@linkcode TERMINAL_NOTICE} to stderr when stdin is a terminal, i.e. a person started
 * the server by hand and would otherwise see it wait in silence. Returns whether it wrote.
 *
 * @example
 * ```ts
 * announceIfTerminal({ isTerminal: () => true, writeError: (line) => lines.push(line) });
 * ```
 */
export function announceIfTerminal(options: StdioOptions = {}): boolean {
  const isTerminal = options.isTerminal ?? (() => Deno.stdin.isTerminal());
  if (!isTerminal()) return false;
  (options.writeError ?? console.error)(TERMINAL_NOTICE);
  return true;
}

/** Serves servers from `factory` on stdin/stdout and resolves when stdin ends. */
export async function serveStdio(
  factory: McpServerFactory,
  logger: Logger,
  options: StdioOptions = {},
): Promise<void> {
  const ended = new Promise<void>((resolve) => process.stdin.once("end", () => resolve()));
  const transport = new StdioServerTransport();
  const handle = sdkServeStdio(factory, {
    transport: options.onListen ? watchListens(transport, options.onListen) : transport,
    onerror: (error) => logger.error("stdio transport error", { error }),
  });
  announceIfTerminal(options);
  await ended;
  await handle.close();
}

/**
 * Wraps the stdio transport to see the client's `subscriptions/listen` streams open and close
 * (the SDK's stdio entry serves them itself and does not tell the server). Messages pass through
 * unchanged.
 */
export function watchListens(inner: Transport, onListen: () => () => void): Transport {
  const open = new Map<string | number, () => void>();
  const releaseAll = () => {
    for (const release of open.values()) release();
    open.clear();
  };
  const peek = (message: JSONRPCMessage) => {
    const { method, id, params } = message as {
      method?: string;
      id?: string | number;
      params?: { requestId?: string | number };
    };
    if (method === "subscriptions/listen" && id !== undefined && !open.has(id)) {
      open.set(id, onListen());
    } else if (method === "notifications/cancelled" && params?.requestId !== undefined) {
      open.get(params.requestId)?.();
      open.delete(params.requestId);
    }
  };
  const wrapper: Transport = {
    start: () => inner.start(),
    send: (message, sendOptions) => inner.send(message, sendOptions),
    close: async () => {
      releaseAll();
      await inner.close();
    },
  };
  Object.defineProperties(wrapper, {
    onmessage: {
      get: () => inner.onmessage,
      set: (handler: Transport["onmessage"]) => {
        inner.onmessage = handler
          ? (message, extra) => {
            peek(message);
            handler(message, extra);
          }
          : undefined;
      },
    },
    onclose: {
      get: () => inner.onclose,
      set: (handler: Transport["onclose"]) => {
        inner.onclose = () => {
          releaseAll();
          handler?.();
        };
      },
    },
    onerror: {
      get: () => inner.onerror,
      set: (handler: Transport["onerror"]) => (inner.onerror = handler),
    },
    sessionId: { get: () => inner.sessionId },
    setProtocolVersion: { get: () => inner.setProtocolVersion?.bind(inner) },
  });
  return wrapper;
}
