/**
 * The one place the server imports the MCP SDK: `@modelcontextprotocol/server` 2.x. It serves and
 * speaks both protocol eras (2025-11-25 and earlier with `initialize`; 2026-07-28 with per-request
 * envelopes) and ships real `.d.mts` declarations, so Deno type-checks every handler without the
 * `@ts-types` workaround 1.x needed. `tests/deps_types_test.ts` proves a wrongly typed handler
 * fails. The client half (`@modelcontextprotocol/client`), which only tests and tools use, is in
 * `deps_client.ts`, so the server never loads it.
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
  StandardSchemaWithJSON,
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
