/**
 * The registry of every tool. Nothing else registers a tool.
 *
 * @module
 */

import type { McpServer } from "../deps.ts";
import type { Logger } from "../log.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import { z } from "zod";
import { type AskUser, createCallGate } from "../policy/call_gate.ts";
import { DEFAULT_POLICY, GuardStop, type PolicyOptions } from "../policy/guard.ts";
import {
  type AnyTool,
  type Clock,
  REAL_CLOCK,
  type ToolContext,
  type Toolset,
  TOOLSETS,
} from "./_define.ts";
import { recommendGpu } from "./advisor.ts";
import { listGpuTypes } from "./catalog.ts";
import { listCpuTypes, listDataCenters } from "./catalog_more.ts";
import { getBalanceTool, getBillingHistoryTool, getSpendSummaryTool } from "./billing.ts";
import { errorToToolResult } from "./errors.ts";
import { estimateCost } from "./estimate_cost.ts";
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
import { restartPod, startPod, stopPod, terminatePod, waitForPod } from "./pod_actions.ts";
import { createPodTool, updatePodTool } from "./pod_create.ts";
import { getPodLogs } from "./pod_logs.ts";
import { getPod, listPods } from "./pods.ts";
import { createRegistryTool, deleteRegistryTool, listRegistriesTool } from "./registries.ts";
import {
  createEndpointTool,
  deleteEndpointTool,
  getEndpointTool,
  listEndpointsTool,
  listEndpointWorkersTool,
  updateEndpointTool,
} from "./serverless.ts";
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
  listGpuTypes,
  recommendGpu,
  listDataCenters,
  listCpuTypes,
  listPods,
  getPod,
  createPodTool,
  updatePodTool,
  startPod,
  stopPod,
  restartPod,
  terminatePod,
  waitForPod,
  getPodLogs,
  listEndpointsTool,
  getEndpointTool,
  createEndpointTool,
  updateEndpointTool,
  deleteEndpointTool,
  listEndpointWorkersTool,
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
  deleteRegistryTool,
  getBalanceTool,
  getBillingHistoryTool,
  getSpendSummaryTool,
  estimateCost,
];

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

/** Arguments every tool that changes RunPod state takes, handled by the guard, not the tool. */
const GUARD_ARGS = {
  dry_run: z.boolean().optional().describe(
    "Only show the exact RunPod request and its cost estimate; send nothing, e.g. true",
  ),
  confirmation_token: z.string().max(200).optional().describe(
    "Token from an earlier 'Confirmation needed' answer, after the user agreed, e.g. 1764000000.Ab3…",
  ),
};

function askUserVia(server: McpServer): AskUser | undefined {
  if (!server.server.getClientCapabilities()?.elicitation?.form) return undefined;
  return async (message, signal) => {
    const result = await server.server.elicitInput({
      mode: "form",
      message,
      requestedSchema: {
        type: "object",
        properties: {
          confirm: {
            type: "boolean",
            title: "Allow",
            description: "Tick to let the assistant go ahead",
          },
        },
        required: ["confirm"],
      },
    }, { signal });
    if (result.action === "accept") return result.content?.confirm === true ? "yes" : "no";
    return result.action === "decline" ? "no" : "cancel";
  };
}

/** Registers tools on `server`, wrapping each handler with progress, cancellation and error mapping. */
export function registerTools(
  server: McpServer,
  deps: ToolDeps,
  options: RegisterToolsOptions = {},
): void {
  const policy = options.policy ?? DEFAULT_POLICY;
  for (const tool of options.tools ?? ALL_TOOLS) {
    const mutates = !tool.annotations.readOnlyHint;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: mutates ? { ...tool.input, ...GUARD_ARGS } : tool.input,
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args, extra) => {
        const token = extra._meta?.progressToken;
        const clock = deps.clock ?? REAL_CLOCK;
        const gate = createCallGate({
          tool: tool.name,
          args: args as Record<string, unknown>,
          policy,
          runpod: deps.runpod,
          now: () => clock.now(),
          signal: extra.signal,
          askUser: askUserVia(server),
        });
        const ctx: ToolContext = {
          runpod: deps.runpod.withWriteGate(gate),
          logger: deps.logger,
          signal: extra.signal,
          showSecrets: options.showSecrets ?? false,
          clock,
          async progress(progress, total, message) {
            if (token === undefined || extra.signal.aborted) return;
            await extra.sendNotification({
              method: "notifications/progress",
              params: {
                progressToken: token,
                progress,
                ...(total !== undefined ? { total } : {}),
                ...(message !== undefined ? { message } : {}),
              },
            });
          },
        };
        const started = performance.now();
        try {
          const outcome = await tool.run(args as Record<string, unknown>, ctx);
          deps.logger.debug("tool call finished", {
            tool: tool.name,
            ms: Math.round(performance.now() - started),
          });
          return {
            content: [{
              type: "text" as const,
              text: outcome.summaryHasData
                ? outcome.summary
                : `${outcome.summary}\n\n${JSON.stringify(outcome.data)}`,
            }],
            structuredContent: outcome.data as Record<string, unknown>,
          };
        } catch (error) {
          if (error instanceof GuardStop) {
            deps.logger.info("tool call stopped by the guard", {
              tool: tool.name,
              kind: error.kind,
            });
            const details = Object.keys(error.details).length > 0
              ? `\n\n${JSON.stringify(error.details)}`
              : "";
            return {
              isError: true,
              content: [{ type: "text" as const, text: error.message + details }],
            };
          }
          deps.logger.warn("tool call failed", {
            tool: tool.name,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          return errorToToolResult(error, options.secrets);
        }
      },
    );
  }
}
