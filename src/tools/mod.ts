/**
 * The registry of every tool. Nothing else registers a tool.
 *
 * @module
 */

import type { CallToolResult, McpServer, ProtocolEra, ServerContext } from "../deps.ts";
import { TASK_TOOLS, type TaskHost } from "../tasks/types.ts";
import type { Logger } from "../log.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import type { AskUser } from "../policy/call_gate.ts";
import { DEFAULT_POLICY, type PolicyOptions } from "../policy/guard.ts";
import type { SpendLedger } from "../policy/burn.ts";
import type { TokenClaim } from "../policy/confirm.ts";
import {
  type CallDeps,
  CONFIRM_FORM,
  inputSchemaOf,
  outputSchemaOf,
  runToolCall,
} from "./_call.ts";
import { type LogForwarder, withCallLog } from "../call_log.ts";
import {
  cachedToolList,
  lazySchema,
  type ListedTool,
  once,
  type RenderedSchemas,
  renderSchemas,
} from "./_list.ts";
import PRERENDERED from "./_schemas.json" with { type: "json" };
import { type AnyTool, type Clock, type Toolset, TOOLSETS } from "./_define.ts";
import {
  addSshKeyTool,
  createSecretTool,
  deleteSecretTool,
  listSecretsTool,
  listSshKeysTool,
  removeSshKeyTool,
} from "./account.ts";
import { recommendGpuTool } from "./advisor.ts";
import { listGpuTypesTool } from "./catalog.ts";
import { listCpuTypesTool, listDataCentersTool } from "./catalog_more.ts";
import { getBalanceTool, getBillingHistoryTool, getSpendSummaryTool } from "./billing.ts";
import {
  createClusterTool,
  deleteClusterTool,
  getClusterTool,
  listClustersTool,
  updateClusterTool,
} from "./clusters.ts";
import { estimateCostTool } from "./estimate_cost.ts";
import {
  cancelJobTool,
  getEndpointHealthTool,
  getJobTool,
  purgeQueueTool,
  retryJobTool,
  runJobSyncTool,
  runJobTool,
  streamJobTool,
} from "./jobs.ts";
import {
  restartPodTool,
  startPodTool,
  stopPodTool,
  terminatePodTool,
  waitForPodTool,
} from "./pod_actions.ts";
import { createPodTool, updatePodTool } from "./pod_create.ts";
import { getPodLogsTool } from "./pod_logs.ts";
import { getPodTool, listPodsTool } from "./pods.ts";
import {
  createEcrDelegationTool,
  createRegistryTool,
  deleteRegistryTool,
  listEcrDelegationsTool,
  listRegistriesTool,
  revokeEcrDelegationTool,
  updateRegistryTool,
} from "./registries.ts";
import {
  createEndpointTool,
  deleteEndpointTool,
  getEndpointTool,
  listEndpointsTool,
  updateEndpointTool,
} from "./serverless.ts";
import {
  getWorkerLogsTool,
  listEndpointReleasesTool,
  listEndpointWorkersTool,
} from "./endpoint_workers.ts";
import {
  createTemplateTool,
  deleteTemplateTool,
  getTemplateTool,
  listTemplatesTool,
  updateTemplateTool,
} from "./templates.ts";
import {
  createNetworkVolumeTool,
  deleteNetworkVolumeTool,
  getNetworkVolumeTool,
  listNetworkVolumesTool,
  updateNetworkVolumeTool,
} from "./volumes.ts";

export { type AnyTool, type Clock, REAL_CLOCK, type Toolset, TOOLSETS } from "./_define.ts";

/** Every tool, in the order `tools/list` shows them. */
export const ALL_TOOLS: readonly AnyTool[] = [
  listGpuTypesTool,
  recommendGpuTool,
  listDataCentersTool,
  listCpuTypesTool,
  listPodsTool,
  getPodTool,
  createPodTool,
  updatePodTool,
  startPodTool,
  stopPodTool,
  restartPodTool,
  terminatePodTool,
  waitForPodTool,
  getPodLogsTool,
  listClustersTool,
  getClusterTool,
  createClusterTool,
  updateClusterTool,
  deleteClusterTool,
  listEndpointsTool,
  getEndpointTool,
  createEndpointTool,
  updateEndpointTool,
  deleteEndpointTool,
  listEndpointWorkersTool,
  listEndpointReleasesTool,
  getWorkerLogsTool,
  runJobTool,
  runJobSyncTool,
  getJobTool,
  streamJobTool,
  cancelJobTool,
  retryJobTool,
  getEndpointHealthTool,
  purgeQueueTool,
  listTemplatesTool,
  getTemplateTool,
  createTemplateTool,
  updateTemplateTool,
  deleteTemplateTool,
  listNetworkVolumesTool,
  getNetworkVolumeTool,
  createNetworkVolumeTool,
  updateNetworkVolumeTool,
  deleteNetworkVolumeTool,
  listRegistriesTool,
  createRegistryTool,
  updateRegistryTool,
  deleteRegistryTool,
  listEcrDelegationsTool,
  createEcrDelegationTool,
  revokeEcrDelegationTool,
  listSshKeysTool,
  addSshKeyTool,
  removeSshKeyTool,
  listSecretsTool,
  createSecretTool,
  deleteSecretTool,
  getBalanceTool,
  getBillingHistoryTool,
  getSpendSummaryTool,
  estimateCostTool,
];

const BUILT_IN: ReadonlySet<AnyTool> = new Set(ALL_TOOLS);

/** What tools need from the outside world. */
export interface ToolDeps {
  runpod: RunpodClient;
  logger: Logger;
  /** Default: wall-clock time. */
  clock?: Clock;
}

/** Options for {@linkcode registerTools}. */
export interface RegisterToolsOptions {
  /** Show secret env values unmasked. Default false. */
  showSecrets?: boolean;
  /** Extra strings to scrub from error texts (the API key). */
  secrets?: readonly string[];
  /** Which tools to register; default all. */
  tools?: readonly AnyTool[];
  /** Guardrails; default {@linkcode DEFAULT_POLICY}. */
  policy?: PolicyOptions;
  /** Reads `RUNPOD_MCP_SECRET_<name>`; default: no secret values available. */
  secretFromEnv?: (name: string) => string | undefined;
  /** Sandbox mode: descriptions gain each tool's `sandboxNote`. */
  sandbox?: boolean;
  /** The protocol era the server speaks; default the 2025 one. */
  era?: ProtocolEra;
  /** Where a call's log events go: the client that made it. Default: nowhere. */
  logTo?: (ctx: ServerContext) => LogForwarder;
  /** See {@linkcode CallDeps.ledger}. */
  ledger?: SpendLedger;
  /** See {@linkcode CallDeps.claimToken}. */
  claimToken?: TokenClaim;
  /** Runs the long waits as tasks for clients that ask (2026 era); default never. */
  tasks?: TaskHost;
  /**
   * Registers only this tool (a server built for one `tools/call`); `tools/list` is then not
   * answered from this server. Default: every selected tool.
   */
  only?: string;
}

/** Which tools to offer: `--read-only`, `--toolsets`, `--tools`, `--exclude-tools`. */
export interface ToolSelection {
  readOnly?: boolean;
  toolsets?: readonly string[];
  tools?: readonly string[];
  excludeTools?: readonly string[];
}

/**
 * The tools a selection keeps, in registry order. A tool is kept when it is in a chosen toolset
 * or named in `tools` (all toolsets when neither is given), is not excluded (exclusion wins), and
 * is read-only when `readOnly` is set. Unknown names throw, listing the valid ones.
 */
export function selectTools(
  selection: ToolSelection,
  all: readonly AnyTool[] = ALL_TOOLS,
): AnyTool[] {
  const names = new Set(all.map((t) => t.name));
  const unknownSets = (selection.toolsets ?? []).filter((t) =>
    !(TOOLSETS as readonly string[]).includes(t)
  );
  if (unknownSets.length > 0) {
    throw new Error(
      `Unknown toolset ${unknownSets.join(", ")}; toolsets are ${TOOLSETS.join(", ")}`,
    );
  }
  const unknownTools = [...(selection.tools ?? []), ...(selection.excludeTools ?? [])].filter((t) =>
    !names.has(t)
  );
  if (unknownTools.length > 0) {
    throw new Error(
      `Unknown tool ${
        unknownTools.join(", ")
      }; list_gpu_types, create_pod, … (see the README's tool table)`,
    );
  }
  const sets = new Set<Toolset | string>(selection.toolsets ?? []);
  const picked = new Set(selection.tools ?? []);
  const excluded = new Set(selection.excludeTools ?? []);
  const everything = sets.size === 0 && picked.size === 0;
  return all.filter((tool) =>
    (everything || sets.has(tool.toolset) || picked.has(tool.name)) &&
    !excluded.has(tool.name) &&
    (!selection.readOnly || tool.annotations.readOnlyHint)
  );
}

/** Asks through a 2025-era elicitation form, when the connected client declared it can show one. */
function askUserVia(server: McpServer, ctx: ServerContext): AskUser | undefined {
  if (!server.server.getClientCapabilities()?.elicitation?.form) return undefined;
  return async (message, signal) => {
    const result = await ctx.mcpReq.elicitInput({
      mode: "form",
      message,
      requestedSchema: CONFIRM_FORM,
    }, { signal });
    if (result.action === "accept") return result.content?.confirm === true ? "yes" : "no";
    return result.action === "decline" ? "no" : "cancel";
  };
}

interface Listing {
  listed: ListedTool[];
  list: ReturnType<typeof cachedToolList>;
  /** What each tool registers with the SDK: lazy schemas (see `lazySchema`). */
  registered: {
    inputSchema: ReturnType<typeof lazySchema>;
    outputSchema: ReturnType<typeof lazySchema>;
  }[];
}

/**
 * The built-in tools' schemas, rendered ahead of time (see `_list.ts`). Only the tool objects of
 * {@linkcode ALL_TOOLS} use them: a test's own tool of the same name is rendered from its schemas.
 */
const prerendered = (tool: AnyTool): RenderedSchemas | undefined =>
  BUILT_IN.has(tool)
    ? (PRERENDERED as Record<string, RenderedSchemas | undefined>)[tool.name]
    : undefined;

/**
 * Schemas and the rendered `tools/list`, made once per tool selection: an HTTP server builds a
 * server for every request, and this work would otherwise be repeated each time.
 */
const listings = new WeakMap<readonly AnyTool[], Map<boolean, Listing>>();

function listingOf(tools: readonly AnyTool[], sandbox: boolean): Listing {
  let bySandbox = listings.get(tools);
  if (!bySandbox) listings.set(tools, bySandbox = new Map());
  const known = bySandbox.get(sandbox);
  if (known) return known;
  const listed = tools.map((tool): ListedTool => {
    const input = once(() => inputSchemaOf(tool));
    const output = once(() => outputSchemaOf(tool));
    const ahead = prerendered(tool);
    return {
      name: tool.name,
      title: tool.title,
      description: sandbox && tool.sandboxNote
        ? `${tool.description} ${tool.sandboxNote}`
        : tool.description,
      input,
      output,
      annotations: { ...tool.annotations },
      schemas: once(() => ahead ?? renderSchemas(input(), output())),
    };
  });
  const registered = listed.map((entry) => ({
    inputSchema: lazySchema(entry.input, () => entry.schemas().inputSchema),
    // Every tool has an output schema; `Tool` types it optional.
    outputSchema: lazySchema(entry.output, () => entry.schemas().outputSchema ?? {}),
  }));
  const listing = { listed, list: cachedToolList(listed), registered };
  bySandbox.set(sandbox, listing);
  return listing;
}

/**
 * Registers tools on `server` with strict input and guarded output schemas; each call runs
 * through {@linkcode runToolCall}.
 */
export function registerTools(
  server: McpServer,
  deps: ToolDeps,
  options: RegisterToolsOptions = {},
): void {
  const era = options.era ?? "legacy";
  const callDeps: Omit<CallDeps, "askUser"> = {
    runpod: deps.runpod,
    logger: deps.logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    policy: options.policy ?? DEFAULT_POLICY,
    showSecrets: options.showSecrets ?? false,
    secrets: options.secrets ?? [],
    secretFromEnv: options.secretFromEnv ?? (() => undefined),
    sandbox: options.sandbox ?? false,
    era,
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.claimToken ? { claimToken: options.claimToken } : {}),
  };
  const tools = options.tools ?? ALL_TOOLS;
  const { listed, list, registered } = listingOf(tools, options.sandbox ?? false);
  // A call of a tool this server does not offer still needs every tool registered, so the SDK
  // answers "tool not found" (-32602) rather than "method not found".
  const only = tools.some((tool) => tool.name === options.only) ? options.only : undefined;
  const logTo = options.logTo;
  tools.forEach((tool, index) => {
    if (only !== undefined && tool.name !== only) return;
    const entry = listed[index]!;
    const { inputSchema, outputSchema } = registered[index]!;
    server.registerTool(
      tool.name,
      {
        title: entry.title,
        description: entry.description,
        inputSchema,
        // A server built for one HTTP tools/call skips the SDK's check of the result against the
        // output schema, a parse of every result on the request path. Every other server keeps
        // the check, and the whole test suite runs through those; tools/list shows the schema
        // either way (rendered from `listed`).
        ...(only === undefined ? { outputSchema } : {}),
        annotations: { title: tool.title, ...tool.annotations },
      },
      (args: Record<string, unknown>, ctx: ServerContext) => {
        const runIn = (callCtx: ServerContext) => {
          const run = () =>
            runToolCall(tool, args, callCtx, {
              ...callDeps,
              askUser: () =>
                era === "legacy" && callCtx === ctx ? askUserVia(server, ctx) : undefined,
            });
          return logTo ? withCallLog(logTo(callCtx), run) : run();
        };
        const task = TASK_TOOLS.has(tool.name)
          ? options.tasks?.start(tool.name, ctx, runIn)
          : undefined;
        // The SDK types a tool's answer as a result; a created task is the extension's answer.
        return (task as Promise<CallToolResult> | undefined) ?? runIn(ctx);
      },
    );
  });
  // The SDK validates calls against the schemas above; the list it would send is replaced by
  // one rendered once and kept (see _list.ts for what it leaves out).
  if (listed.length > 0 && only === undefined) {
    server.server.setRequestHandler("tools/list", list);
  }
}
