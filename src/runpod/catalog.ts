/**
 * The catalog: GPU types, CPU flavors and data centers, with prices and availability
 * (`/v2/catalog/*`).
 *
 * @module
 */

import type { QueryValue, RunpodClient } from "./client.ts";
import { pathSegment } from "./path.ts";
import {
  type CpuType,
  type DataCenter,
  type GpuType,
  GpuTypeSchema,
  ListCpuTypesResponseSchema,
  ListDataCentersResponseSchema,
  ListGpuTypesResponseSchema,
} from "./schemas.ts";

/** Filters for the GPU catalog (`GET /v2/catalog/gpus`). All but `include` need `include`. */
export interface GpuTypeQuery {
  /** Adds `availability`, `dataCenters` and `cudaVersions`; needs `product`. */
  include?: "AVAILABILITY";
  /** Availability context; required with `include`. */
  product?: "POD" | "CLUSTER" | "SERVERLESS";
  /** GPUs per unit, default 1. */
  count?: number;
  /** Cloud to check, default SECURE. */
  cloud?: "SECURE" | "COMMUNITY";
  /** ISO alpha-2 codes, e.g. `["FR", "DE"]`. */
  countryCodes?: string[];
  /** Exact CUDA versions, e.g. `["12.8"]`; exclusive with `minCudaVersion`. */
  cudaVersions?: string[];
  /** Minimum CUDA version, e.g. `12.4`. */
  minCudaVersion?: string;
}

/** Filters for the CPU catalog (`GET /v2/catalog/cpus`). */
export interface CpuTypeQuery {
  /** Adds `availability` and `dataCenters`; needs `product`. */
  include?: "AVAILABILITY";
  /** Availability context; required with `include`. */
  product?: "POD" | "SERVERLESS";
  /** vCPUs per unit, a power of two ≥ 2. */
  vcpuCount?: number;
}

/** Filters for the data-center catalog (`GET /v2/catalog/datacenters`). */
export interface DataCenterQuery {
  /** Adds per-DC GPU and/or CPU availability. */
  include?: ("GPU_AVAILABILITY" | "CPU_AVAILABILITY")[];
  /** Regions, e.g. `["EUROPE"]`. */
  regions?: string[];
  /** Network volume tiers the DC must support. */
  networkVolumeTypes?: ("STANDARD" | "HIGH_PERFORMANCE")[];
  /** Compliance certifications the DC must hold, e.g. `["GDPR"]`. */
  compliance?: string[];
  /** Only DCs that support global networking. */
  globalNetwork?: boolean;
}

/** Lists GPU types with prices (USD/hour per GPU) and, with `include`, availability. */
export async function listGpuTypes(
  client: RunpodClient,
  params: GpuTypeQuery = {},
  signal?: AbortSignal,
): Promise<GpuType[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/catalog/gpus",
    query: gpuQuery(params),
    schema: ListGpuTypesResponseSchema,
    signal,
  });
  return body.gpus;
}

/** Gets one GPU type by its full id, e.g. `NVIDIA GeForce RTX 4090`. */
export async function getGpuType(
  client: RunpodClient,
  id: string,
  params: GpuTypeQuery = {},
  signal?: AbortSignal,
): Promise<GpuType> {
  return await client.rest({
    method: "GET",
    path: `/v2/catalog/gpus/${pathSegment(id, "GPU type id")}`,
    query: gpuQuery(params),
    schema: GpuTypeSchema,
    signal,
  });
}

/** Lists CPU flavors with per-vCPU prices and, with `include`, availability. */
export async function listCpuTypes(
  client: RunpodClient,
  params: CpuTypeQuery = {},
  signal?: AbortSignal,
): Promise<CpuType[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/catalog/cpus",
    query: { include: params.include, product: params.product, vcpuCount: params.vcpuCount },
    schema: ListCpuTypesResponseSchema,
    signal,
  });
  return body.cpus;
}

/** Lists data centers, optionally with GPU/CPU availability. */
export async function listDataCenters(
  client: RunpodClient,
  params: DataCenterQuery = {},
  signal?: AbortSignal,
): Promise<DataCenter[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/catalog/datacenters",
    query: {
      include: params.include,
      regions: params.regions,
      networkVolumeTypes: params.networkVolumeTypes,
      compliance: params.compliance,
      globalNetwork: params.globalNetwork,
    },
    schema: ListDataCentersResponseSchema,
    signal,
  });
  return body.dataCenters;
}

function gpuQuery(params: GpuTypeQuery): Record<string, QueryValue> {
  return {
    include: params.include,
    product: params.product,
    count: params.count,
    cloud: params.cloud,
    countryCodes: params.countryCodes,
    cudaVersions: params.cudaVersions,
    minCudaVersion: params.minCudaVersion,
  };
}
