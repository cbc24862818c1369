/**
 * `createServer(deps, options)`: builds the MCP server — instructions, tools, logging — with no
 * I/O of its own. Transports connect it to the outside.
 *
 * @module
 */

import { McpServer, SetLevelRequestSchema } from "./deps.ts";
import type { LoggingLevel } from "./deps.ts";
import type { LogLevel, RootLogger } from "./log.ts";
import type { PolicyOptions } from "./policy/guard.ts";
import type { RunpodClient } from "./runpod/mod.ts";
import { registerPrompts } from "./prompts/mod.ts";
import { registerResources, type ResourceHandle } from "./resources/mod.ts";
import { registerTools } from "./tools/mod.ts";
import type { AnyTool, Clock } from "./tools/mod.ts";

/** What the server depends on. */
export interface ServerDeps {
  runpod: RunpodClient;
  logger: RootLogger;
  /** Time for polls and deadlines; default wall-clock. Tests pass the simulator's clock. */
  clock?: Clock;
}

/** Options for {@linkcode createServer}. */
export interface ServerOptions {
  version: string;
  /** True when RunPod is the built-in simulator; the instructions say so. */
  sandbox?: boolean;
  /** Show secret env values unmasked. */
  showSecrets?: boolean;
  /** Strings to scrub from any text the server returns (the API key). */
  secrets?: readonly string[];
  /** Restrict the tools registered; default all. */
  tools?: readonly AnyTool[];
  /** Guardrails: read-only mode, caps, confirmation. Default: confirm billable and destructive. */
  policy?: PolicyOptions;
  /** Reads the value of env `RUNPOD_MCP_SECRET_<name>` for create_secret; default none. */
  secretFromEnv?: (name: string) => string | undefined;
}

const RESOURCES = new WeakMap<McpServer, ResourceHandle>();

/** The resource subscriptions of a server made by {@linkcode createServer} (tests drive polls). */
export function resourcesOf(server: McpServer): ResourceHandle | undefined {
  return RESOURCES.get(server);
}

/** The server's name in the MCP handshake. */
export const SERVER_NAME = "runpod-mcp";

const MCP_LEVELS: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

const TO_MCP_LEVEL: Record<LogLevel, LoggingLevel> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

/** What the simulated serverless worker reads from a job's input (see `src/sandbox/jobs.ts`). */
export const SANDBOX_JOB_INPUTS =
  'Simulated serverless workers read these job input fields: duration_ms (run time in ms, default 2000; longer than the execution timeout → TIMED_OUT), fail (an error text: the job FAILS with it), stream (a list of chunks streamed during the run, which also become the output) and output (the result; default an echo of the input), e.g. {"duration_ms": 5000, "output": {"text": "hi"}}.';

/** The instructions sent to the client at initialization: what this is and where to start. */
export function serverInstructions(sandbox: boolean): string {
  const mode = sandbox
    ? `SANDBOX MODE: RunPod is simulated in-process. Nothing is billed; pods and prices are realistic but fake. ${SANDBOX_JOB_INPUTS}`
    : "LIVE MODE: these tools act on a real RunPod account. Pods and endpoints cost real money (USD per hour) from the moment they start until they are stopped or deleted.";
  return [
    "runpod-mcp manages a RunPod GPU cloud account: find and price GPUs, create pods, wait until they are ready, read their logs, and stop or terminate them; deploy serverless endpoints and run jobs; manage templates, network volumes and registry credentials.",
    mode,
    "Start with list_gpu_types (prices in USD per GPU-hour, stock with available_only=true) and list_pods (what is running and what it costs). After create_pod or start_pod, call wait_for_pod.",
    "Before any action that starts billing, tell the user the hourly cost and get their agreement (estimate_cost helps). Stop or terminate what is no longer needed; get_spend_summary shows what burns money now.",
    "The server enforces guardrails: a call may be refused by a spend cap, or answer 'Confirmation needed' with a confirmation_token. Then tell the user what will happen and the cost, and repeat the call with the token only if they agree. dry_run=true shows the exact request without sending it.",
  ].join("\n");
}

/**
 * The SDK's `McpError` writes "MCP error <code>: " into its message and the SDK sends that message
 * as the JSON-RPC error's; the client's `McpError` adds the prefix again, so clients showed
 * "MCP error -32602: MCP error -32602: …". The prefix is dropped on the way out.
 */
function withOnePrefix<T>(message: T): T {
  const error = (message as { error?: { code?: unknown; message?: unknown } }).error;
  if (typeof error?.message !== "string" || typeof error.code !== "number") return message;
  const prefix = `MCP error ${error.code}: `;
  if (!error.message.startsWith(prefix)) return message;
  return { ...message, error: { ...error, message: error.message.slice(prefix.length) } };
}

/**
 * Builds the MCP server. Log events at or above the client's chosen level (logging/setLevel) are
 * forwarded as `notifications/message`; before the client chooses, only warnings and errors are.
 */
export function createServer(deps: ServerDeps, options: ServerOptions): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: "RunPod", version: options.version },
    {
      capabilities: { logging: {} },
      instructions: serverInstructions(options.sandbox ?? false),
    },
  );

  registerTools(server, deps, {
    showSecrets: options.showSecrets,
    secrets: options.secrets,
    tools: options.tools,
    policy: options.policy,
    sandbox: options.sandbox ?? false,
    ...(options.secretFromEnv ? { secretFromEnv: options.secretFromEnv } : {}),
  });

  registerPrompts(server, {
    runpod: deps.runpod,
    logger: deps.logger,
    clock: deps.clock,
    tools: options.tools?.map((tool) => tool.name),
  });
  const resources = registerResources(server, deps, {
    showSecrets: options.showSecrets,
    secrets: options.secrets,
  });
  RESOURCES.set(server, resources);

  let clientLevel: LoggingLevel | undefined;
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    clientLevel = request.params.level;
    return {};
  });
  const removeSink = deps.logger.addSink((level, message, fields) => {
    const mcpLevel = TO_MCP_LEVEL[level];
    const threshold = clientLevel ?? "warning";
    if (MCP_LEVELS.indexOf(mcpLevel) < MCP_LEVELS.indexOf(threshold)) return;
    if (!server.isConnected()) return;
    server.server.sendLoggingMessage({
      level: mcpLevel,
      logger: SERVER_NAME,
      data: Object.keys(fields).length > 0 ? { message, ...fields } : message,
    }).catch(() => {
      // The client may have gone away; logging must never fail a request.
    });
  });
  const connect = server.connect.bind(server);
  server.connect = (transport) => {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => send(withOnePrefix(message), options);
    return connect(transport);
  };
  const close = server.close.bind(server);
  server.close = async () => {
    removeSink();
    resources.close();
    await close();
  };
  return server;
}
