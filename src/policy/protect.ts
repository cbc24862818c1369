/**
 * `--protect-existing`: destructive or billable changes are allowed only on resources runpod-mcp
 * created. What it creates carries a marker: env var {@linkcode MANAGED_ENV} on pods, serverless
 * endpoints and templates (RunPod keeps env, and nothing else a create can set survives as a
 * label). Network volumes and clusters have no such field, so only the ones this server process
 * created (remembered by id) may be changed; after a restart they count as existing ones.
 *
 * @module
 */

import {
  getEndpoint,
  getPod,
  getTemplate,
  type PlannedRequest,
  type RunpodClient,
} from "../runpod/mod.ts";
import type { MatchedWrite } from "./writes.ts";

/** The env var runpod-mcp sets on the pods, endpoints and templates it creates. */
export const MANAGED_ENV = "RUNPOD_MCP_MANAGED";
/** Its value. */
export const MANAGED_VALUE = "1";

/** What a write changes, for the protect check. */
type Target = "pod" | "endpoint" | "template" | "network volume" | "cluster";

/** `env` with the marker added, for a pod, endpoint or template runpod-mcp creates. */
export function withMarker(env: Record<string, string> | undefined): Record<string, string> {
  return { ...env, [MANAGED_ENV]: MANAGED_VALUE };
}

/**
 * True when a write would put the marker into an env: on an existing resource that is only
 * allowed where the marker already is, or an agent could mark what it did not make.
 */
export function setsMarker(request: PlannedRequest): boolean {
  const env = (request.body as { env?: unknown } | undefined)?.env;
  return !!env && typeof env === "object" &&
    (env as Record<string, unknown>)[MANAGED_ENV] !== undefined;
}

/** Ids of markless resources (volumes, clusters) this process created. */
const createdHere = new Set<string>();

/** Remembers a network volume or cluster this process created, so it may change it later. */
export function rememberCreated(id: string): void {
  createdHere.add(id);
}

function targetOf(matched: MatchedWrite, request: PlannedRequest): [Target, string] | undefined {
  const { params } = matched;
  if (request.api === "jobs") {
    return params.endpointId ? ["endpoint", params.endpointId] : undefined;
  }
  const id = params.id;
  if (id === undefined) return undefined;
  const collection = request.path.split("/")[2];
  const targets: Record<string, Target> = {
    pods: "pod",
    serverless: "endpoint",
    templates: "template",
    "network-volumes": "network volume",
    clusters: "cluster",
  };
  const target = collection ? targets[collection] : undefined;
  return target ? [target, id] : undefined;
}

function marked(env: Record<string, string> | null | undefined): boolean {
  return env?.[MANAGED_ENV] === MANAGED_VALUE;
}

async function isManaged(
  target: Target,
  id: string,
  runpod: RunpodClient,
  signal?: AbortSignal,
): Promise<boolean> {
  switch (target) {
    case "pod":
      return marked((await getPod(runpod, id, signal)).env);
    case "endpoint":
      return marked((await getEndpoint(runpod, id, signal)).env);
    case "template":
      return marked((await getTemplate(runpod, id, signal)).env);
    case "network volume":
    case "cluster":
      return createdHere.has(id);
  }
}

/**
 * The refusal for a destructive or billable write to a resource runpod-mcp did not create, or
 * undefined when the write may go ahead. Reads the resource to look for the marker.
 */
export async function protectRefusal(
  matched: MatchedWrite,
  request: PlannedRequest,
  action: string,
  runpod: RunpodClient,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const target = targetOf(matched, request);
  if (!target) return undefined;
  const [kind, id] = target;
  if (await isManaged(kind, id, runpod, signal)) return undefined;
  const why = kind === "network volume" || kind === "cluster"
    ? `a ${kind} has no field to carry runpod-mcp's marker, so only the ones this server process created can be changed`
    : `${kind} ${id} has no env ${MANAGED_ENV}=${MANAGED_VALUE}, the marker runpod-mcp sets on what it creates`;
  return `Cannot ${action}: the server protects resources it did not create (--protect-existing, env RUNPOD_MCP_PROTECT_EXISTING), and ${why}. Ask the user to do this in the RunPod console, or to restart the server without --protect-existing`;
}
