/**
 * Instant Clusters on REST v2 (`/v2/clusters*`, `/v2/billing/clusters`): zod schemas for what
 * RunPod returns and one function per operation over {@linkcode RunpodClient}.
 *
 * @module
 */

import { z } from "zod";
import { type BillingQuery, BillingQueryEchoSchema } from "./billing.ts";
import type { RunpodClient } from "./client.ts";
import { pathSegment } from "./path.ts";
import { createOnce } from "./reconcile.ts";
import { ListPodsResponseSchema, NoContentSchema, type Pod } from "./schemas.ts";

/** Cluster types (`ClusterType`). */
export const CLUSTER_TYPES = ["TRAINING", "APPLICATION", "SLURM", "RAY"] as const;
/** One of {@linkcode CLUSTER_TYPES}. */
export type ClusterType = typeof CLUSTER_TYPES[number];

/** The homogeneous shape of a cluster (`ClusterCompute`). */
export const ClusterComputeSchema = z.looseObject({
  gpuTypeId: z.string(),
  gpuCountPerPod: z.number(),
  podCount: z.number(),
});

/** A cluster (`Cluster`); `pods` is a summary, the members come from `listClusterPods`. */
export const ClusterSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  /** Read as a string so a type RunPod adds later does not break the client. */
  type: z.string(),
  compute: ClusterComputeSchema,
  template: z.string().optional(),
  dataCenterId: z.string().optional(),
  pods: z.looseObject({
    total: z.number(),
    byStatus: z.record(z.string(), z.number()),
  }),
  network: z.looseObject({
    cidr: z.string(),
    vxlanId: z.number().optional(),
    vxlanPort: z.number().optional(),
  }).optional(),
  primary: z.looseObject({
    podId: z.string(),
    status: z.string(),
    /** `host:port`, once the primary is RUNNING with 22/tcp. */
    sshEndpoint: z.string().optional(),
  }).optional(),
  /** RFC 3339. */
  createdAt: z.string(),
});
/** A cluster as RunPod reports it. */
export type Cluster = z.infer<typeof ClusterSchema>;

/** Body of `GET /v2/clusters`. */
export const ListClustersResponseSchema = z.looseObject({ clusters: z.array(ClusterSchema) });

/** `CreateClusterRequest` (only the fields runpod-mcp sends; there is no `registry`). */
export interface CreateClusterBody {
  name: string;
  type: ClusterType;
  compute: { gpuTypeId: string; gpuCountPerPod: number; podCount: number };
  image: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  dataCenterIds?: string[];
  mounts?: {
    persistent?: { size: number; path: string };
    network?: { volumeId: string; path: string }[];
  };
  startSsh?: boolean;
  startJupyter?: boolean;
}

/** `UpdateClusterRequest`: only the name can change. */
export interface UpdateClusterBody {
  name: string;
}

const amount = z.number().optional();

/** Cluster amounts (`ClusterBillingAmounts`), USD; clusters have no CPU part. */
export const ClusterBillingAmountsSchema = z.looseObject({
  totalAmount: z.number(),
  gpuAmount: amount,
  diskAmount: amount,
  networkingAmount: amount,
});

/** Body of `GET /v2/billing/clusters` (`ListClusterBillingResponse`). */
export const ListClusterBillingResponseSchema = z.looseObject({
  records: z.array(z.looseObject({
    startTime: z.string(),
    endTime: z.string(),
    clusterId: z.string(),
    ...ClusterBillingAmountsSchema.shape,
  })),
  metadata: z.looseObject({
    query: BillingQueryEchoSchema,
    recordCount: z.number(),
    totals: ClusterBillingAmountsSchema,
  }),
});
/** Body of `GET /v2/billing/clusters`. */
export type ListClusterBillingResponse = z.infer<typeof ListClusterBillingResponseSchema>;

function clusterPath(id: string): string {
  return `/v2/clusters/${pathSegment(id, "cluster id")}`;
}

/** Lists the account's clusters (`GET /v2/clusters`). */
export async function listClusters(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<Cluster[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/clusters",
    schema: ListClustersResponseSchema,
    signal,
  });
  return body.clusters;
}

/** Gets one cluster's summary (`GET /v2/clusters/{id}`). */
export async function getCluster(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<Cluster> {
  return await client.rest({ method: "GET", path: clusterPath(id), schema: ClusterSchema, signal });
}

/** Lists a cluster's member pods as full pods (`GET /v2/clusters/{id}/pods`). */
export async function listClusterPods(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<Pod[]> {
  const body = await client.rest({
    method: "GET",
    path: `${clusterPath(id)}/pods`,
    schema: ListPodsResponseSchema,
    signal,
  });
  return body.pods;
}

/**
 * Creates a cluster (`POST /v2/clusters`), sent exactly once: RunPod may have created it even
 * when the call fails, and a second one would bill every pod twice. When the outcome is unknown
 * (timeout, dropped connection, 5xx, unreadable 2xx) the cluster is looked up by name and
 * `createdAt`; a single match is returned with a {@linkcode recoveryNote}.
 *
 * @throws {RunpodAmbiguousWriteError} RunPod may have created the cluster and the lookup did not
 * find exactly one.
 */
export async function createCluster(
  client: RunpodClient,
  body: CreateClusterBody,
  signal?: AbortSignal,
): Promise<Cluster> {
  return await createOnce({
    client,
    resource: "cluster",
    name: body.name,
    listing: "GET /v2/clusters",
    send: () =>
      client.rest({
        method: "POST",
        path: "/v2/clusters",
        body,
        schema: ClusterSchema,
        idempotent: false,
        signal,
      }),
    list: () => listClusters(client, signal),
  });
}

/**
 * Renames a cluster (`PATCH /v2/clusters/{id}`); nothing else about a cluster can change. Safe
 * to repeat, so it is retried like a GET.
 */
export async function updateCluster(
  client: RunpodClient,
  id: string,
  body: UpdateClusterBody,
  signal?: AbortSignal,
): Promise<Cluster> {
  return await client.rest({
    method: "PATCH",
    path: clusterPath(id),
    body,
    schema: ClusterSchema,
    // Setting the same name twice leaves the same cluster.
    idempotent: true,
    signal,
  });
}

/** Deletes a cluster and terminates every member pod (`DELETE /v2/clusters/{id}`, 204). */
export async function deleteCluster(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.rest({
    method: "DELETE",
    path: clusterPath(id),
    schema: NoContentSchema,
    signal,
  });
}

/** Cluster spend, one record per cluster per bucket (`GET /v2/billing/clusters?clusterId=`). */
export async function listClusterBilling(
  client: RunpodClient,
  query: BillingQuery & { clusterId?: string } = {},
  signal?: AbortSignal,
): Promise<ListClusterBillingResponse> {
  return await client.rest({
    method: "GET",
    path: "/v2/billing/clusters",
    query: {
      startTime: query.startTime,
      endTime: query.endTime,
      bucketSize: query.bucketSize,
      lastN: query.lastN,
      clusterId: query.clusterId,
    },
    schema: ListClusterBillingResponseSchema,
    signal,
  });
}
