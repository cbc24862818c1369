/**
 * Serves an MCP server over stdio until the client closes stdin.
 *
 * @module
 */

import { type McpServer, StdioServerTransport } from "../deps.ts";
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

/** Connects `server` to stdin/stdout and resolves when the connection closes. */
export async function serveStdio(
  server: McpServer,
  logger: Logger,
  options: StdioOptions = {},
): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  transport.onerror = (error) => logger.error("stdio transport error", { error });
  await server.connect(transport);
  announceIfTerminal(options);
  // The SDK's stdio transport does not notice end-of-input by itself.
  process.stdin.once("end", () => void server.close());
  await closed;
}
