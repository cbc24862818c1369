/**
 * Pod write operations on REST v2: create, update, and lifecycle actions. Reads live on
 * {@linkcode RunpodClient} itself.
 *
 * @module
 */

import type { RunpodClient } from "./client.ts";
import { pathSegment } from "./path.ts";
import { createOnce } from "./reconcile.ts";
import {
  ListPodsResponseSchema,
  NoContentSchema,
  type Pod,
  type PodAction,
  PodSchema,
} from "./schemas.ts";

/** `CreatePodRequest` as RunPod's REST v2 takes it (only the fields runpod-mcp sends). */
export interface CreatePodBody {
  name: string;
  image?: string;
  templateId?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  cloud?: "SECURE" | "COMMUNITY";
  dataCenterIds?: string[];
  gpu?: { id: string; count: number; minCudaVersion?: string };
  cpu?: { id: string; vcpuCount: number };
  mounts?: {
    persistent?: { size: number; path: string };
    network?: { volumeId: string; path: string }[];
  };
  startSsh?: boolean;
}

/** `UpdatePodRequest`: a partial update. */
export interface UpdatePodBody {
  name?: string;
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  locked?: boolean;
}

/**
 * Creates a pod (`POST /v2/pods`), sent exactly once: RunPod may have created the pod even when
 * the call fails, and a second attempt could bill twice. When the outcome is unknown (timeout,
 * dropped connection, 5xx, unreadable 2xx) the pod is looked up by name and creation time; a
 * single match is returned with a {@linkcode recoveryNote}.
 *
 * @throws {RunpodAmbiguousWriteError} RunPod may have created the pod and the lookup did not
 * find exactly one.
 */
export async function createPod(
  client: RunpodClient,
  body: CreatePodBody,
  signal?: AbortSignal,
): Promise<Pod> {
  return await createOnce({
    client,
    resource: "pod",
    name: body.name,
    listing: "GET /v2/pods",
    send: () =>
      client.rest({
        method: "POST",
        path: "/v2/pods",
        body,
        schema: PodSchema,
        idempotent: false,
        signal,
      }),
    list: () => listPods(client, signal),
  });
}

/** Updates a pod (`PATCH /v2/pods/{id}`) and returns the full pod. */
export async function updatePod(
  client: RunpodClient,
  id: string,
  body: UpdatePodBody,
  signal?: AbortSignal,
): Promise<Pod> {
  return await client.rest({
    method: "PATCH",
    path: `/v2/pods/${pathSegment(id, "pod id")}`,
    body,
    schema: PodSchema,
    signal,
  });
}

/**
 * Runs a lifecycle action (`POST /v2/pods/{id}/action`). Returns the pod, or `undefined` for
 * `terminate`, which RunPod answers with 204.
 */
export async function podAction(
  client: RunpodClient,
  id: string,
  action: PodAction,
  signal?: AbortSignal,
): Promise<Pod | undefined> {
  return await client.rest({
    method: "POST",
    path: `/v2/pods/${pathSegment(id, "pod id")}/action`,
    body: { action },
    schema: action === "terminate" ? NoContentSchema : PodSchema,
    signal,
  });
}

/**
 * Lists the account's pods. Instant Cluster members are left out, as RunPod does by default,
 * unless `options.includeClusterPods` is true.
 */
export async function listPods(
  client: RunpodClient,
  signal?: AbortSignal,
  options: { includeClusterPods?: boolean } = {},
): Promise<Pod[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/pods",
    ...(options.includeClusterPods ? { query: { includeClusterPods: true } } : {}),
    schema: ListPodsResponseSchema,
    signal,
  });
  return body.pods;
}

/** Gets one pod by id. */
export async function getPod(client: RunpodClient, id: string, signal?: AbortSignal): Promise<Pod> {
  return await client.rest({
    method: "GET",
    path: `/v2/pods/${pathSegment(id, "pod id")}`,
    schema: PodSchema,
    signal,
  });
}
