/**
 * Argument schemas and checks several tools share, so the same input is judged the same way
 * everywhere.
 *
 * @module
 */

import { z } from "zod";
import { RunpodApiError } from "../runpod/mod.ts";
import { ToolInputError } from "./_define.ts";

/** What a RunPod id (pod, endpoint, template, volume, registry) may contain. */
export const RESOURCE_ID = /^[A-Za-z0-9_-]+$/;

/** A data center id such as `US-KS-2` or `EUR-IS-1`. */
export const DATA_CENTER_ID = /^[A-Z]{2,4}-[A-Z]{2,4}-\d+$/;

const PORT = /^(\d{1,5})\/(http|tcp|udp)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A RunPod id argument, validated locally so a malformed id never reaches RunPod. */
export function idArg(what: string, example: string) {
  return z.string().trim().min(1).max(64).regex(
    RESOURCE_ID,
    `a ${what} has only letters, digits, - and _`,
  ).describe(`${what[0]!.toUpperCase()}${what.slice(1)}, e.g. ${example}`);
}

/** Exposed ports as `port/protocol`; describe at the use site. */
export const portsArg = z.array(
  z.string().regex(PORT, "use port/protocol, e.g. 8888/http or 22/tcp"),
).max(20);

/** Environment variables; describe at the use site. */
export const envArg = z.record(
  z.string().regex(ENV_NAME, "env names are letters, digits and _"),
  z.string(),
).refine((env) => Object.keys(env).length <= 100, "at most 100 env vars");

/** Refuses port numbers outside 1-65535 and repeated ports; `action` names what was attempted. */
export function checkPorts(ports: readonly string[] | undefined, action: string): void {
  const seen = new Set<string>();
  for (const port of ports ?? []) {
    const number = Number(port.split("/")[0]);
    if (number < 1 || number > 65535) {
      throw new ToolInputError(`Cannot ${action}: port ${port} is outside 1-65535`);
    }
    if (seen.has(port)) throw new ToolInputError(`Cannot ${action}: port ${port} is listed twice`);
    seen.add(port);
  }
}

/**
 * Turns a RunPod error whose status has a known meaning for this tool into a
 * {@linkcode ToolInputError} that names the fix, keeping RunPod's own words; any other error is
 * returned unchanged for the central mapping in `errors.ts`.
 */
export function explainStatus(
  error: unknown,
  explanations: Partial<Record<number, string>>,
): unknown {
  if (!(error instanceof RunpodApiError)) return error;
  const text = explanations[error.status];
  if (text === undefined) return error;
  const said = error.detail ?? error.title;
  return new ToolInputError(said ? `${text} (RunPod: ${said})` : text);
}
