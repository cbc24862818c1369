/**
 * `createServer(deps, options)`: builds the MCP server — instructions, tools, logging — with no
 * I/O of its own. Transports connect it to the outside.
 *
 * @module
 */

import { currentCallLog, type LogForwarder } from "./call_log.ts";
import { InMemoryServerEventBus, McpServer, type ServerEventBus } from "./deps.ts";
import { PodStatusFeed } from "./resources/_feed.ts";
import type {
  LoggingLevel,
  McpRequestContext,
  McpServerFactory,
  ProtocolEra,
  ServerContext,
} from "./deps.ts";
import type { SpendLedger } from "./policy/burn.ts";
import type { TokenClaim } from "./policy/confirm.ts";
import type { TaskHost } from "./tasks/types.ts";
import { createTaskHost } from "./tasks/host.ts";
import type { LogLevel, RootLogger } from "./log.ts";
import type { PolicyOptions } from "./policy/guard.ts";
import type { RunpodClient } from "./runpod/mod.ts";
import { createCompleters, registerPrompts } from "./prompts/mod.ts";
import type { Completers } from "./prompts/_complete.ts";
import { registerResources, type ResourceHandle } from "./resources/mod.ts";
import { registerTools } from "./tools/mod.ts";
import type { AnyTool, Clock } from "./tools/mod.ts";

/** What the server depends on. */
export interface ServerDeps {
  runpod: RunpodClient;
  logger: RootLogger;
  /** Time for polls and deadlines; default wall-clock. Tests pass the simulator's clock. */
  clock?: Clock;
  /**
   * Bring-your-own-key HTTP mode: the RunPod account of the request being served, from the
   * caller's bearer. It replaces `runpod` for that request only; undefined means refuse.
   */
  callerAccount?: (ctx: McpRequestContext) => CallerAccount | undefined;
}

/** One caller's RunPod account, for one request. */
export interface CallerAccount {
  runpod: RunpodClient;
  /** The caller's key: scrubbed from everything this request returns. */
  key: string;
  /** Stable, non-secret id of the account (a hash of the key), naming its spend holds. */
  scope: string;
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
  /** Time between polls of watched pods, ms (default 15 000, at least 2 000). */
  pollIntervalMs?: number;
  /** The spend ledger of an account scope (the total cap's in-flight holds); default per process. */
  ledgerFor?: (scope: string) => SpendLedger;
  /** Spends a confirmation token once across replicas; default this process's memory. */
  claimToken?: TokenClaim;
  /** Runs the long waits as tasks for 2026-era clients that declare the extension. */
  tasks?: TaskHost;
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

// The tool an HTTP request's `tools/call` calls, noted by the HTTP transport from the body it
// parsed. Keyed by the Request object, so nothing a client sends can set it.
const calledTools = new WeakMap<Request, string>();

/**
 * Notes that `request` is one `tools/call` of `tool`: the server built for it then registers only
 * that tool. A wrong name could only make the call fail with "tool not found", never run another
 * tool: the SDK dispatches by the body.
 */
export function noteCalledTool(request: Request, tool: string): void {
  calledTools.set(request, tool);
}

/** Everything one process serves from: the same tools and policy for every connection. */
export interface McpApp {
  /**
   * Builds the MCP server for one serving unit: one connection (stdio, in-memory) or one HTTP
   * request, in the era that unit speaks.
   */
  factory: McpServerFactory;
  /**
   * The change-event bus the HTTP handler's `subscriptions/listen` streams use; opening a stream
   * starts the pod status feed.
   */
  bus: ServerEventBus;
  /**
   * A 2026-era stdio connection opened a `subscriptions/listen` stream: the feed runs until the
   * returned release is called. Absent in bring-your-own-key mode (no one account to watch).
   */
  listenOpened?: () => () => void;
  /** The pod status feed for 2026-era listeners (tests drive polls); absent with own keys. */
  podFeed?: PodStatusFeed;
  /** Stops what the app runs in the background. */
  close(): Promise<void>;
}

/**
 * Creates the app: tools, prompts and resources are registered on each server the factory
 * builds. Log events reach a client only from its own requests: in the 2025 era at or above the
 * level it chose with logging/setLevel (warnings and errors before it chooses); in the 2026 era at
 * the level its request names (none when it names none).
 */
export function createApp(deps: ServerDeps, options: ServerOptions): McpApp {
  const removeSink = deps.logger.addSink((level, message, fields) => {
    const forward = currentCallLog();
    if (!forward) return;
    forward(TO_MCP_LEVEL[level], Object.keys(fields).length > 0 ? { message, ...fields } : message);
  });
  const servers = new Set<McpServer>();
  const clock = deps.clock;
  const tasks = options.tasks ??
    createTaskHost({ logger: deps.logger, ...(clock ? { now: () => clock.now() } : {}) });
  const served: ServerOptions = { ...options, tasks };
  const completers = createCompleters({
    runpod: deps.runpod,
    logger: deps.logger,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const events = new InMemoryServerEventBus();
  /** 2026-era stdio connections: their own server carries updates onto their listen streams. */
  const modernConnections = new Set<McpServer>();
  const podFeed = deps.callerAccount ? undefined : new PodStatusFeed({
    runpod: deps.runpod,
    logger: deps.logger,
    ...(options.pollIntervalMs !== undefined ? { intervalMs: options.pollIntervalMs } : {}),
    publish: (uri) => {
      events.publish({ kind: "resource_updated", uri });
      for (const server of modernConnections) {
        server.server.sendResourceUpdated({ uri }).catch(() => {
          // The connection may be closing; the next poll reports again if it matters.
        });
      }
    },
  });
  const listenOpened = podFeed ? () => podFeed.open() : undefined;
  const bus: ServerEventBus = {
    publish: (event) => events.publish(event),
    subscribe: (listener) => {
      const unsubscribe = events.subscribe(listener);
      const release = listenOpened?.() ?? (() => {});
      return () => {
        unsubscribe();
        release();
      };
    },
  };
  // A 2025-era client over stateless HTTP gets a fresh server per request, so the level it sets
  // with logging/setLevel is kept per caller (the bearer's id) instead of per server.
  const callerLevels = new Map<string, LoggingLevel>();
  const factory: McpServerFactory = (ctx) => {
    const perRequest = ctx.requestInfo !== undefined;
    const caller = ctx.authInfo?.clientId ?? "anonymous";
    let connectionLevel: LoggingLevel | undefined;
    const level: LevelStore = perRequest
      ? {
        get: () => callerLevels.get(caller),
        set: (value) => {
          // Bounded: one entry per caller id, and ids are hashes of bearers.
          if (callerLevels.size >= 10_000 && !callerLevels.has(caller)) callerLevels.clear();
          callerLevels.set(caller, value);
        },
      }
      : { get: () => connectionLevel, set: (value) => (connectionLevel = value) };
    // An HTTP request that calls one tool needs a server with that tool only (see mcp_http.ts).
    const calledTool = ctx.requestInfo ? calledTools.get(ctx.requestInfo) : undefined;
    const unit = {
      era: ctx.era,
      perRequest,
      level,
      podUpdates: podFeed !== undefined,
      ...(calledTool ? { calledTool } : {}),
    };
    const server = deps.callerAccount
      ? buildCallerServer(deps, served, ctx, unit)
      : buildServer(deps, served, {
        ...unit,
        completers,
        ledger: options.ledgerFor?.("account"),
      });
    servers.add(server);
    if (ctx.era === "modern" && !perRequest) modernConnections.add(server);
    const close = server.close.bind(server);
    server.close = async () => {
      servers.delete(server);
      modernConnections.delete(server);
      await close();
    };
    return server;
  };
  return {
    factory,
    bus,
    ...(listenOpened ? { listenOpened } : {}),
    ...(podFeed ? { podFeed } : {}),
    close: async () => {
      removeSink();
      podFeed?.close();
      tasks.close();
      for (const server of [...servers]) await server.close();
    },
  };
}

/**
 * A server for one request in bring-your-own-key mode: the caller's RunPod client, the caller's
 * key scrubbed from every output, the caller's spend holds, and no cache shared with other callers.
 */
function buildCallerServer(
  deps: ServerDeps,
  options: ServerOptions,
  ctx: McpRequestContext,
  unit: Omit<ServingUnit, "completers" | "ledger">,
): McpServer {
  const account = deps.callerAccount?.(ctx);
  if (!account) {
    // The HTTP front door refuses requests without a key; reaching here is a wiring bug.
    throw new Error("No RunPod key came with this request");
  }
  const callerDeps = { ...deps, runpod: account.runpod };
  const callerOptions = { ...options, secrets: [...(options.secrets ?? []), account.key] };
  const completers = createCompleters({
    runpod: account.runpod,
    logger: deps.logger,
  });
  return buildServer(callerDeps, callerOptions, {
    ...unit,
    completers,
    ledger: options.ledgerFor?.(account.scope),
  });
}

/** Where a client's chosen log level (2025 era, logging/setLevel) is kept. */
interface LevelStore {
  get(): LoggingLevel | undefined;
  set(level: LoggingLevel): void;
}

/** What one server serves: its era, whether it lives for one HTTP request, and its shares. */
interface ServingUnit {
  era: ProtocolEra;
  /** True for a server that answers one HTTP request and is then closed. */
  perRequest: boolean;
  level: LevelStore;
  /** Whether 2026-era listeners get pod status updates (the app runs a pod status feed). */
  podUpdates: boolean;
  /**
   * Set when the server answers one `tools/call` of this tool: it registers that tool only, and
   * no prompts or resources (building all of them for every request was most of its cost).
   */
  calledTool?: string;
  completers: Completers;
  ledger: SpendLedger | undefined;
}

function buildServer(deps: ServerDeps, options: ServerOptions, unit: ServingUnit): McpServer {
  const { era, completers, ledger } = unit;
  const server = new McpServer(
    { name: SERVER_NAME, title: "RunPod", version: options.version },
    {
      capabilities: { logging: {} },
      instructions: serverInstructions(options.sandbox ?? false),
    },
  );
  if (era === "legacy") {
    server.server.setRequestHandler("logging/setLevel", (request) => {
      unit.level.set(request.params.level);
      return {};
    });
  }
  /** How this server's handlers send their log events to the client. */
  const logTo = (ctx: ServerContext): LogForwarder => (level, data) => {
    if (era === "legacy") {
      const threshold = unit.level.get() ?? "warning";
      if (MCP_LEVELS.indexOf(level) < MCP_LEVELS.indexOf(threshold)) return;
    }
    ctx.mcpReq.log(level, data, SERVER_NAME).catch(() => {
      // The client may have gone away; logging must never fail a request.
    });
  };

  registerTools(server, deps, {
    showSecrets: options.showSecrets,
    secrets: options.secrets,
    tools: options.tools,
    policy: options.policy,
    sandbox: options.sandbox ?? false,
    era,
    logTo,
    ...(ledger ? { ledger } : {}),
    ...(options.claimToken ? { claimToken: options.claimToken } : {}),
    ...(options.secretFromEnv ? { secretFromEnv: options.secretFromEnv } : {}),
    ...(options.tasks ? { tasks: options.tasks } : {}),
    ...(unit.calledTool ? { only: unit.calledTool } : {}),
  });
  // The tasks extension belongs to the 2026 era.
  if (era === "modern") options.tasks?.register(server, era);
  // A server answering one tools/call needs neither prompts nor resources.
  if (unit.calledTool) return server;

  registerPrompts(server, {
    runpod: deps.runpod,
    logger: deps.logger,
    clock: deps.clock,
    tools: options.tools?.map((tool) => tool.name),
    completers,
  });
  const resources = registerResources(server, deps, {
    showSecrets: options.showSecrets,
    secrets: options.secrets,
    // Per-pod subscriptions need a connection to send updates on: not a one-request server.
    subscriptions: era === "legacy" && !unit.perRequest,
    listenUpdates: era === "modern" && unit.podUpdates,
  });
  RESOURCES.set(server, resources);
  const close = server.close.bind(server);
  server.close = async () => {
    resources.close();
    await close();
  };
  return server;
}

/**
 * Builds one MCP server for one 2025-era connection (what stdio and the in-memory tests serve).
 * Closing it also stops the app behind it.
 */
export function createServer(deps: ServerDeps, options: ServerOptions): McpServer {
  const app = createApp(deps, options);
  const server = app.factory({ era: "legacy" }) as McpServer;
  const close = server.close.bind(server);
  server.close = async () => {
    await close();
    await app.close();
  };
  return server;
}
