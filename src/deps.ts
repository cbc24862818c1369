/**
 * The one place the MCP SDK is imported.
 *
 * Under Deno the SDK's `./*` export maps `server/mcp.js` to a `server/mcp.js.d.ts` that does not
 * exist, so every import through it is typed `any` (SDK issue #2701). Each re-export below points
 * Deno at the real declaration file with a `@ts-types` line, which is what makes `deno check`
 * check tool handlers. `tests/deps_types_test.ts` proves a wrongly typed handler fails.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/mcp"
export { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
export type { RegisteredTool, ToolCallback } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/completable"
export { completable } from "@modelcontextprotocol/sdk/server/completable.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
export { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/index"
export { Client } from "@modelcontextprotocol/sdk/client/index.js";
// The stdio *client* transport pulls in cross-spawn, whose `which` reads env vars such as OSTYPE
// when loaded; under the binary's narrow --allow-env that throws. Only tests spawn servers, so the
// module is loaded on demand and the server never evaluates it. The type import is erased at run
// time.
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import type {
  StdioClientTransport,
  StdioServerParameters,
} from "@modelcontextprotocol/sdk/client/stdio.js";
export type { StdioClientTransport, StdioServerParameters };

/** Creates the SDK's stdio client transport, loading its module on first use. */
export async function createStdioClientTransport(
  params: StdioServerParameters,
): Promise<StdioClientTransport> {
  const module = await import("@modelcontextprotocol/sdk/client/stdio.js") as {
    StdioClientTransport: typeof StdioClientTransport;
  };
  return new module.StdioClientTransport(params);
}
// @ts-types="@modelcontextprotocol/sdk/inMemory"
export { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="@modelcontextprotocol/sdk/types"
export {
  CallToolResultSchema,
  ElicitRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ProgressNotificationSchema,
  ResourceUpdatedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
// @ts-types="@modelcontextprotocol/sdk/types"
export type {
  CallToolResult,
  LoggingLevel,
  ServerNotification,
  ServerRequest,
  Tool,
  ToolAnnotations,
} from "@modelcontextprotocol/sdk/types.js";
// @ts-types="@modelcontextprotocol/sdk/shared/protocol"
export type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
