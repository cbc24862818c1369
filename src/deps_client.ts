/**
 * The MCP SDK's client half (`@modelcontextprotocol/client` 2.x), for the tests, benches, examples
 * and packaging checks that drive the server as a real client would. The server never imports
 * this file: loading the client package cost about 40 ms of every cold start, and
 * `tests/startup_graph_test.ts` keeps it out of the server's module graph. Like `deps.ts`, this is
 * the only place the package is imported.
 *
 * @module
 */

export { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
// The stdio *client* transport pulls in cross-spawn, whose `which` reads env vars such as OSTYPE
// when loaded; under the binary's narrow --allow-env that throws. Only tests spawn servers, so the
// module is loaded on demand and the server never evaluates it. The type import is erased at run
// time.
import type {
  StdioClientTransport,
  StdioServerParameters,
} from "@modelcontextprotocol/client/stdio";
export type { StdioClientTransport, StdioServerParameters };

/** Creates the SDK's stdio client transport, loading its module on first use. */
export async function createStdioClientTransport(
  params: StdioServerParameters,
): Promise<StdioClientTransport> {
  const module = await import("@modelcontextprotocol/client/stdio");
  return new module.StdioClientTransport(params);
}
