/**
 * The registry of every prompt. Each prompt is a short numbered plan naming the tools to call in
 * order, with the user's arguments woven in and a cost confirmation step. Arguments whose values
 * come from the account (pod, endpoint and volume ids, GPU types, data centers) complete from
 * RunPod.
 *
 * @module
 */

import type { McpServer } from "../deps.ts";
import type { Logger } from "../log.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import type { Clock } from "../tools/mod.ts";
import { createCompleters } from "./_complete.ts";
import type { PromptArgs, PromptSpec } from "./_define.ts";
import {
  deployInferenceEndpointPrompt,
  runDiffusionModelPrompt,
  selectGpuPrompt,
  trainPytorchOnPodPrompt,
} from "./launch.ts";
import {
  debugEndpointPrompt,
  debugPodPrompt,
  manageLongRunningExperimentPrompt,
  reduceCostsPrompt,
} from "./operate.ts";

export type { PromptSpec } from "./_define.ts";

/** Every prompt, in the order `prompts/list` shows them. */
export const ALL_PROMPTS: readonly PromptSpec[] = [
  selectGpuPrompt,
  deployInferenceEndpointPrompt,
  trainPytorchOnPodPrompt,
  runDiffusionModelPrompt,
  manageLongRunningExperimentPrompt,
  debugPodPrompt,
  debugEndpointPrompt,
  reduceCostsPrompt,
];

/** What prompts need from the outside world: RunPod for completions. */
export interface PromptDeps {
  runpod: RunpodClient;
  logger: Logger;
  /** Time for the completion cache; default wall-clock. */
  clock?: Clock;
}

/**
 * Registers every prompt on `server`. Completions list pods, endpoints, network volumes, GPU types
 * or data centers (cached for 10 s, at most 20 values, no suggestions when RunPod fails).
 *
 * @example
 * ```ts
 * const server = createServer(deps, options);
 * registerPrompts(server, { runpod: deps.runpod, logger: deps.logger, clock: deps.clock });
 * ```
 */
export function registerPrompts(server: McpServer, deps: PromptDeps): void {
  const clock = deps.clock;
  const completers = createCompleters({
    runpod: deps.runpod,
    logger: deps.logger,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  for (const prompt of ALL_PROMPTS) {
    server.registerPrompt(
      prompt.name,
      {
        title: prompt.title,
        description: prompt.description,
        argsSchema: prompt.args(completers),
      },
      (args) => ({
        description: prompt.description,
        messages: [{
          role: "user" as const,
          content: { type: "text" as const, text: prompt.render(args as PromptArgs) },
        }],
      }),
    );
  }
}
