/**
 * Serves an MCP server over stdio until the client closes stdin.
 *
 * @module
 */

import { type McpServer, StdioServerTransport } from "../deps.ts";
import process from "node:process";
import type { Logger } from "../log.ts";

/** Connects `server` to stdin/stdout and resolves when the connection closes. */
export async function serveStdio(server: McpServer, logger: Logger): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  transport.onerror = (error) => logger.error("stdio transport error", { error });
  await server.connect(transport);
  // The SDK's stdio transport does not notice end-of-input by itself.
  process.stdin.once("end", () => void server.close());
  await closed;
}
