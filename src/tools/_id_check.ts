/**
 * The one rule for RunPod ids (pod, cluster, endpoint, template, volume, registry, job, worker):
 * letters, digits, `-` and `_`, at most 64, checked before an id goes into a RunPod path, with an
 * error that names the action refused and where valid ids are listed.
 *
 * @module
 */

import { ToolInputError } from "./_define.ts";

/** What a RunPod id may contain. */
export const RESOURCE_ID = /^[A-Za-z0-9_-]+$/;

/** Longest id accepted. */
export const MAX_ID_LENGTH = 64;

/** Where the model finds a valid id of each kind. */
const SOURCES = {
  pod: "list_pods",
  cluster: "list_clusters",
  endpoint: "list_endpoints",
  template: "list_templates",
  volume: "list_network_volumes",
  registry: "list_registries",
  job: "run_job",
  worker: "list_endpoint_workers",
} as const;

/** A kind of id {@linkcode checkId} knows. */
export type IdKind = keyof typeof SOURCES;

/** True when `value` is a well-formed RunPod id. */
export function isResourceId(value: string): boolean {
  return value.length <= MAX_ID_LENGTH && RESOURCE_ID.test(value);
}

/**
 * Refuses a malformed id before any request is sent; `action` says what was attempted.
 *
 * @example
 * ```ts
 * checkId("../pods", "endpoint", "read endpoint ../pods");
 * // throws: Cannot read endpoint ../pods: "../pods" is not a valid endpoint id: an endpoint id has only letters, digits, - and _, at most 64 (see list_endpoints)
 * ```
 */
export function checkId(value: string, kind: IdKind, action: string): void {
  if (isResourceId(value)) return;
  const article = kind === "endpoint" ? "an" : "a";
  throw new ToolInputError(
    `Cannot ${action}: "${
      value.slice(0, MAX_ID_LENGTH)
    }" is not a valid ${kind} id: ${article} ${kind} id has only letters, digits, - and _, at most ${MAX_ID_LENGTH} (see ${
      SOURCES[kind]
    })`,
  );
}
