/**
 * The registry of every tool. Nothing else registers a tool.
 *
 * @module
 */

import type { McpServer } from "../deps.ts";
import type { Logger } from "../log.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import { type AnyTool, type Clock, REAL_CLOCK, type ToolContext } from "./_define.ts";
import { listGpuTypes } from "./catalog.ts";
import { listCpuTypes, listDataCenters } from "./catalog_more.ts";
import { errorToToolResult } from "./errors.ts";
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
}

/** Registers tools on `server`, wrapping each handler with progress, cancellation and error mapping. */
export function registerTools(
  server: McpServer,
  deps: ToolDeps,
  options: RegisterToolsOptions = {},
): void {
  for (const tool of options.tools ?? ALL_TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args, extra) => {
        const token = extra._meta?.progressToken;
        const ctx: ToolContext = {
          runpod: deps.runpod,
          logger: deps.logger,
          signal: extra.signal,
          showSecrets: options.showSecrets ?? false,
          clock: deps.clock ?? REAL_CLOCK,
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
