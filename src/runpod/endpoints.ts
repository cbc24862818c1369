/**
 * Serverless endpoints on REST v2 (`/v2/serverless*`): zod schemas for what RunPod returns and
 * one function per operation over {@linkcode RunpodClient}.
 *
 * @module
 */

import { z } from "zod";
import type { RunpodClient } from "./client.ts";
import { pathSegment } from "./path.ts";
import { createOnce } from "./reconcile.ts";
import { NoContentSchema, openEnum } from "./schemas.ts";

/** Request-routing models (`EndpointType`); fixed when the endpoint is created. */
export const ENDPOINT_TYPES = ["QUEUE", "LOAD_BALANCER"] as const;
/** One of {@linkcode ENDPOINT_TYPES}. */
export type EndpointType = typeof ENDPOINT_TYPES[number];

/** Autoscaling signals (`EndpointScaling.type`). */
export const SCALING_TYPES = ["QUEUE_DELAY", "REQUEST_COUNT"] as const;
/** One of {@linkcode SCALING_TYPES}. */
export type ScalingType = typeof SCALING_TYPES[number];

/** FlashBoot modes (`FlashBoot`). */
export const FLASHBOOT_MODES = ["OFF", "FLASHBOOT", "PRIORITY_FLASHBOOT"] as const;
/** One of {@linkcode FLASHBOOT_MODES}. */
export type FlashbootMode = typeof FLASHBOOT_MODES[number];

/** Worker statuses RunPod documents (`WorkerStatus`). */
export const WORKER_STATUSES = [
  "RUNNING",
  "IDLE",
  "INITIALIZING",
  "THROTTLED",
  "UNHEALTHY",
] as const;

/** An endpoint's GPU selection (`EndpointGpuConfig`): serverless pools minus excluded types. */
export const EndpointGpuSchema = z.looseObject({
  /** Pool ids, e.g. `ADA_24`. */
  pools: z.array(z.string()),
  /** GPU type ids subtracted from the pools. */
  excludedTypes: z.array(z.string()).optional(),
  /** GPUs per worker. */
  count: z.number().optional(),
  allowedCudaVersions: z.array(z.string()).optional(),
  minCudaVersion: z.string().nullable().optional(),
});

/** One CPU configuration of a CPU endpoint (`CpuConfig`); `memory` in GB. */
export const EndpointCpuSchema = z.looseObject({
  id: z.string(),
  vcpuCount: z.number(),
  memory: z.number().optional(),
});

/** Scaling bounds (`EndpointWorkers`); `idleTimeout` in seconds. */
export const EndpointWorkersSchema = z.looseObject({
  min: z.number(),
  max: z.number(),
  /** Omitted for a QUEUE endpoint that scales on REQUEST_COUNT. */
  idleTimeout: z.number().optional(),
});

/** The autoscaling signal (`EndpointScaling`), read loosely: one of the two values is present. */
export const EndpointScalingSchema = z.looseObject({
  type: openEnum(SCALING_TYPES),
  /** Seconds a job may wait in the queue before another worker starts (QUEUE_DELAY). */
  queueDelay: z.number().optional(),
  /** In-flight requests per worker (REQUEST_COUNT). */
  requestCount: z.number().optional(),
});

/** A serverless endpoint (`Endpoint`). */
export const EndpointSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: openEnum(ENDPOINT_TYPES).optional(),
  /** Job URLs (QUEUE) or `base` and `health` (LOAD_BALANCER). */
  requestUrls: z.record(z.string(), z.string()).optional(),
  image: z.string().optional(),
  args: z.string().optional(),
  /** Container disk in GB. */
  disk: z.number().optional(),
  ports: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** Container-registry credential id. */
  registry: z.string().nullable().optional(),
  /** Null (or absent) for CPU endpoints. */
  gpu: EndpointGpuSchema.nullable().optional(),
  /** Present for CPU endpoints. */
  cpu: z.array(EndpointCpuSchema).optional(),
  workers: EndpointWorkersSchema,
  scaling: EndpointScalingSchema,
  dataCenterIds: z.array(z.string()),
  networkVolumes: z.array(z.string()),
  /** Per-job execution timeout in milliseconds; 0 when it was never set (RunPod quirk). */
  timeout: z.number(),
  flashboot: openEnum(FLASHBOOT_MODES),
  /** RFC 3339. */
  createdAt: z.string(),
});
/** A serverless endpoint as RunPod reports it. */
export type Endpoint = z.infer<typeof EndpointSchema>;

/** Body of `GET /v2/serverless`. */
export const ListEndpointsResponseSchema = z.looseObject({ endpoints: z.array(EndpointSchema) });

/** One active worker of an endpoint (`Worker`). */
export const WorkerSchema = z.looseObject({
  id: z.string(),
  status: openEnum(WORKER_STATUSES),
  /** True when the worker runs an older endpoint configuration. */
  isStale: z.boolean(),
  version: z.number().nullable().optional(),
  gpuCount: z.number(),
  image: z.string().nullable().optional(),
  uptimeSeconds: z.number().nullable().optional(),
  gpuTypeId: z.string().nullable().optional(),
  dataCenterId: z.string().nullable().optional(),
  startedAt: z.string().nullable().optional(),
});
/** One worker as RunPod reports it. */
export type Worker = z.infer<typeof WorkerSchema>;

/** Worker counts by status (`WorkerSummary`). */
export const WorkerSummarySchema = z.looseObject({
  running: z.number(),
  idle: z.number(),
  initializing: z.number(),
  throttled: z.number(),
  unhealthy: z.number(),
  total: z.number(),
});
/** Worker counts by status. */
export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;

/** Body of `GET /v2/serverless/{id}/workers`. */
export const ListEndpointWorkersResponseSchema = z.looseObject({
  workers: z.array(WorkerSchema),
  summary: WorkerSummarySchema,
  endpointVersion: z.number().nullable().optional(),
});
/** Body of `GET /v2/serverless/{id}/workers`. */
export type ListEndpointWorkersResponse = z.infer<typeof ListEndpointWorkersResponseSchema>;

/** Where a release came from (`ReleaseSource`). */
export const RELEASE_SOURCES = ["GIT_BUILD", "MANUAL"] as const;

/** One configuration version of an endpoint (`Release`), with what changed from the previous. */
export const ReleaseSchema = z.looseObject({
  id: z.string(),
  version: z.number().nullable().optional(),
  source: openEnum(RELEASE_SOURCES),
  buildId: z.string().nullable().optional(),
  createdByUserId: z.string().nullable().optional(),
  /** Workers running this release now. */
  workerCount: z.number(),
  /** RFC 3339. */
  createdAt: z.string(),
  diff: z.array(z.looseObject({ field: z.string(), old: z.unknown(), new: z.unknown() })),
});
/** One release as RunPod reports it. */
export type Release = z.infer<typeof ReleaseSchema>;

/** How far the latest release has reached the workers (`RolloutSummary`). */
export const RolloutSchema = z.looseObject({
  inProgress: z.boolean(),
  workersOnLatest: z.number(),
  workersTotal: z.number(),
  percentOnLatest: z.number(),
});

/** Body of `GET /v2/serverless/{id}/releases`; releases newest first. */
export const ListEndpointReleasesResponseSchema = z.looseObject({
  endpointVersion: z.number().nullable().optional(),
  rollout: RolloutSchema,
  releases: z.array(ReleaseSchema),
});
/** Body of `GET /v2/serverless/{id}/releases`. */
export type ListEndpointReleasesResponse = z.infer<typeof ListEndpointReleasesResponseSchema>;

/** `EndpointScaling` as sent. */
export type ScalingBody =
  | { type: "QUEUE_DELAY"; queueDelay: number }
  | { type: "REQUEST_COUNT"; requestCount: number };

/** `CreateEndpointRequest` (only the fields runpod-mcp sends). */
export interface CreateEndpointBody {
  name: string;
  type: EndpointType;
  image?: string;
  templateId?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  registry?: string;
  gpu?: { pools: string[]; excludedTypes?: string[]; count: number };
  cpu?: { id: string; vcpuCount: number }[];
  workers: { min: number; max: number; idleTimeout?: number };
  scaling: ScalingBody;
  dataCenterIds?: string[];
  networkVolumes?: string[];
  /** Milliseconds; always sent, because RunPod stores 0 when it is omitted. */
  timeout: number;
  flashboot?: FlashbootMode;
}

/** `UpdateEndpointRequest`: a partial update; `type` cannot change. */
export interface UpdateEndpointBody {
  name?: string;
  image?: string;
  templateId?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  registry?: string;
  gpu?: { pools?: string[]; excludedTypes?: string[]; count?: number };
  cpu?: { id: string; vcpuCount: number }[];
  workers?: { min?: number; max?: number; idleTimeout?: number };
  scaling?: ScalingBody;
  dataCenterIds?: string[];
  networkVolumes?: string[];
  timeout?: number;
  flashboot?: FlashbootMode;
}

function endpointPath(id: string): string {
  return `/v2/serverless/${pathSegment(id, "endpoint id")}`;
}

/** Lists the account's serverless endpoints (`GET /v2/serverless`). */
export async function listEndpoints(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<Endpoint[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/serverless",
    schema: ListEndpointsResponseSchema,
    signal,
  });
  return body.endpoints;
}

/** Gets one endpoint (`GET /v2/serverless/{id}`). */
export async function getEndpoint(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<Endpoint> {
  return await client.rest({
    method: "GET",
    path: endpointPath(id),
    schema: EndpointSchema,
    signal,
  });
}

/**
 * Creates an endpoint (`POST /v2/serverless`), sent exactly once: RunPod may have created it even
 * when the call fails, and a second one with always-on workers would bill twice. When the outcome
 * is unknown (timeout, dropped connection, 5xx, unreadable 2xx) the endpoint is looked up by name
 * and creation time; a single match is returned with a {@linkcode recoveryNote}.
 *
 * @throws {RunpodAmbiguousWriteError} RunPod may have created the endpoint and the lookup did
 * not find exactly one.
 */
export async function createEndpoint(
  client: RunpodClient,
  body: CreateEndpointBody,
  signal?: AbortSignal,
): Promise<Endpoint> {
  return await createOnce({
    client,
    resource: "endpoint",
    name: body.name,
    listing: "GET /v2/serverless",
    send: () =>
      client.rest({
        method: "POST",
        path: "/v2/serverless",
        body,
        schema: EndpointSchema,
        idempotent: false,
        signal,
      }),
    list: () => listEndpoints(client, signal),
  });
}

/** Updates an endpoint (`PATCH /v2/serverless/{id}`) and returns the full endpoint. */
export async function updateEndpoint(
  client: RunpodClient,
  id: string,
  body: UpdateEndpointBody,
  signal?: AbortSignal,
): Promise<Endpoint> {
  return await client.rest({
    method: "PATCH",
    path: endpointPath(id),
    body,
    schema: EndpointSchema,
    signal,
  });
}

/** Deletes an endpoint (`DELETE /v2/serverless/{id}`, 204); its queued jobs are cancelled. */
export async function deleteEndpoint(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.rest({
    method: "DELETE",
    path: endpointPath(id),
    schema: NoContentSchema,
    signal,
  });
}

/** Lists an endpoint's active workers (`GET /v2/serverless/{id}/workers`). */
export async function listEndpointWorkers(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<ListEndpointWorkersResponse> {
  return await client.rest({
    method: "GET",
    path: `${endpointPath(id)}/workers`,
    schema: ListEndpointWorkersResponseSchema,
    signal,
  });
}

/** Lists an endpoint's releases, newest first, and its rollout (`GET /v2/serverless/{id}/releases`). */
export async function listEndpointReleases(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<ListEndpointReleasesResponse> {
  return await client.rest({
    method: "GET",
    path: `${endpointPath(id)}/releases`,
    schema: ListEndpointReleasesResponseSchema,
    signal,
  });
}
