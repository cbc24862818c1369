/**
 * The registry of every prompt. Each prompt is a short numbered plan naming the tools to call in
 * order, with the user's arguments woven in and a cost confirmation step. Arguments whose values
 * come from the account (pod, endpoint and volume ids, GPU types, data centers) complete from
 * RunPod.
 *
 * Prompts follow the tool selection (`--read-only`, `--toolsets`, `--tools`, `--exclude-tools`):
 * - a prompt is registered only when the tools that do its job (its `requires`) are offered:
 *   under `--read-only` the prompts that create things are not offered, the debugging and
 *   cost prompts are;
 * - in a registered prompt, a line that names a tool or prompt the server does not offer is
 *   replaced by its fallback (which says what to do without it, e.g. ask the user to do it in
 *   the RunPod console) or left out, so no prompt text names a tool the client cannot call.
 *
 * @module
 */

import { type McpServer, ProtocolError } from "../deps.ts";
import { z } from "zod";
import type { Logger } from "../log.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import { resolveGpuType } from "../tools/_gpu.ts";
import { ALL_TOOLS, type Clock } from "../tools/mod.ts";
import { quote } from "./_args.ts";
import { type Completers, createCompleters } from "./_complete.ts";
export { createCompleters } from "./_complete.ts";
import type { PromptArgs, PromptSpec, RenderContext } from "./_define.ts";
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

/** JSON-RPC's code for invalid params. */
const INVALID_PARAMS = -32602;

/** What prompts need from the outside world: RunPod for completions. */
export interface PromptDeps {
  runpod: RunpodClient;
  logger: Logger;
  /** Time for the completion cache; default wall-clock. */
  clock?: Clock;
  /** Names of the tools the server offers; default every tool. */
  tools?: readonly string[];
  /**
   * Completions and catalog checks with their short cache, shared by every server of one app
   * (an HTTP server builds one per request); default: made for this server.
   */
  completers?: Completers;
}

/** The prompts whose `requires` the offered tools meet, in listing order. */
export function offeredPrompts(tools: ReadonlySet<string>): PromptSpec[] {
  return ALL_PROMPTS.filter((prompt) =>
    prompt.requires.every((group) => group.some((tool) => tools.has(tool)))
  );
}

/** Tells whether a text names a tool or prompt that is not offered. */
function missingNames(tools: ReadonlySet<string>, prompts: ReadonlySet<string>) {
  const missing = [
    ...ALL_TOOLS.map((t) => t.name).filter((name) => !tools.has(name)),
    ...ALL_PROMPTS.map((p) => p.name).filter((name) => !prompts.has(name)),
  ];
  // Names are snake_case, so \b keeps `get_pod` from matching inside `get_pod_logs`.
  const pattern = missing.length > 0 ? new RegExp(`\\b(?:${missing.join("|")})\\b`) : undefined;
  return (text: string) => pattern?.test(text) ?? false;
}

/**
 * Checks a `gpu_type` argument against RunPod's catalog. An unknown name is an invalid-params
 * error listing close matches; a catalog that cannot be read becomes a note in the text.
 */
async function checkGpuType(
  args: PromptArgs,
  completers: Completers,
  logger: Logger,
): Promise<string[]> {
  const wanted = args.gpu_type?.trim();
  if (!wanted) return [];
  let gpus;
  try {
    gpus = await completers.gpuCatalog();
  } catch (error) {
    logger.warn("prompt GPU check failed", {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return [
      `Cannot check gpu_type ${
        quote(wanted)
      } against RunPod's catalog now: confirm the name with the user`,
    ];
  }
  try {
    resolveGpuType(gpus, wanted);
    return [];
  } catch (error) {
    throw new ProtocolError(
      INVALID_PARAMS,
      error instanceof Error ? error.message : String(error),
    );
  }
}

/**
 * Each prompt's argument schema, built once per set of completers: an HTTP server builds a server
 * for every request, and building the schemas again each time was a fifth of a request's CPU.
 */
const argSchemas = new WeakMap<Completers, Map<string, z.ZodObject>>();

function argsSchemaOf(prompt: PromptSpec, completers: Completers): z.ZodObject {
  let byName = argSchemas.get(completers);
  if (!byName) argSchemas.set(completers, byName = new Map());
  let schema = byName.get(prompt.name);
  if (!schema) byName.set(prompt.name, schema = z.object(prompt.args(completers)));
  return schema;
}

/**
 * Registers the prompts the offered tools support on `server` (see the module notes). A
 * `gpu_type` argument is checked against RunPod's GPU catalog. Completions list pods, endpoints,
 * network volumes, GPU types or data centers (cached for 10 s, at most 20 values, no suggestions
 * when RunPod fails).
 *
 * @example
 * ```ts
 * const server = createServer(deps, options);
 * registerPrompts(server, { runpod: deps.runpod, logger: deps.logger, tools: ["list_pods"] });
 * ```
 */
export function registerPrompts(server: McpServer, deps: PromptDeps): void {
  const clock = deps.clock;
  const completers = deps.completers ?? createCompleters({
    runpod: deps.runpod,
    logger: deps.logger,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const tools = new Set(deps.tools ?? ALL_TOOLS.map((t) => t.name));
  const prompts = offeredPrompts(tools);
  const names = new Set(prompts.map((p) => p.name));
  const namesMissing = missingNames(tools, names);
  const offers = (name: string) => tools.has(name) || names.has(name);
  for (const prompt of prompts) {
    server.registerPrompt(
      prompt.name,
      {
        title: prompt.title,
        description: prompt.description,
        argsSchema: argsSchemaOf(prompt, completers),
      },
      async (given: Record<string, unknown>) => {
        const args = given as PromptArgs;
        const problems = await checkGpuType(args, completers, deps.logger);
        const ctx: RenderContext = { offers, namesMissing, problems };
        return {
          description: prompt.description,
          messages: [{
            role: "user" as const,
            content: { type: "text" as const, text: prompt.render(args, ctx) },
          }],
        };
      },
    );
  }
}
