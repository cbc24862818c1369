/**
 * The one place the MCP SDK is imported: `@modelcontextprotocol/server` and
 * `@modelcontextprotocol/client` 2.x. They serve and speak both protocol eras (2025-11-25 and
 * earlier with `initialize`; 2026-07-28 with per-request envelopes) and ship real `.d.mts`
 * declarations, so Deno type-checks every handler without the `@ts-types` workaround 1.x needed.
 * `tests/deps_types_test.ts` proves a wrongly typed handler fails.
 *
 * @module
 */

export {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  InMemoryServerEventBus,
  InMemoryTransport,
  inputRequired,
  inputResponse,
  isLegacyRequest,
  LOG_LEVEL_META_KEY,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
export { completable } from "@modelcontextprotocol/server";
export type {
  AuthInfo,
  CallToolResult,
  ClientCapabilities,
  InputRequiredResult,
  JSONRPCMessage,
  LoggingLevel,
  McpHttpHandler,
  McpRequestContext,
  McpServerFactory,
  ProtocolEra,
  RegisteredTool,
  ServerContext,
  ServerEvent,
  ServerEventBus,
  Tool,
  ToolAnnotations,
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/server";
export {
  serveStdio,
  type StdioServerHandle,
  StdioServerTransport,
} from "@modelcontextprotocol/server/stdio";
export {
  Client,
  InMemoryTransport as ClientInMemoryTransport,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
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
