/**
 * How serverless endpoints are shown: the compact row list_endpoints gives, the detail
 * get/create/update_endpoint give, their always-on cost and one-line descriptions.
 *
 * @module
 */

import { z } from "zod";
import type { Endpoint } from "../runpod/endpoints.ts";
import { endpointWorkerPrice, type PriceCatalog, round4 } from "../policy/estimate.ts";
import { maskEnv } from "../secrets.ts";

/** Compact endpoint row, as list_endpoints shows it. */
export const endpointRowShape = {
  id: z.string(),
  name: z.string(),
  type: z.string().describe("QUEUE (job queue) or LOAD_BALANCER (direct HTTP)"),
  gpu_pools: z.array(z.string()).describe("Serverless GPU pools; empty for CPU"),
  gpu_count: z.number().nullable().describe("GPUs per worker; null for CPU"),
  cpu_flavor: z.string().nullable().describe("null for GPU endpoints"),
  vcpu_count: z.number().nullable().describe("vCPUs per worker; null for GPU endpoints"),
  workers_min: z.number(),
  workers_max: z.number(),
  always_on_cost_per_hour: z.number().nullable().describe(
    "Estimate, USD/hour billed even with no jobs: workers_min × GPUs × the priciest eligible pool's serverless price; null when the catalog has no price",
  ),
  created_at: z.string(),
};

/** A compact endpoint row. */
export type EndpointRow = z.output<z.ZodObject<typeof endpointRowShape>>;

/** One endpoint in detail. */
export const endpointDetailShape = {
  ...endpointRowShape,
  request_urls: z.record(z.string(), z.string()).describe(
    "Job URLs (run, runSync, status, …) for QUEUE; base and health for LOAD_BALANCER",
  ),
  image: z.string().nullable(),
  registry_id: z.string().nullable(),
  excluded_gpu_types: z.array(z.string()),
  scaling_type: z.string(),
  scaling_value: z.number().nullable().describe(
    "Queue delay in seconds (QUEUE_DELAY) or requests per worker (REQUEST_COUNT)",
  ),
  idle_timeout_s: z.number().nullable().describe("null when it does not apply"),
  execution_timeout_s: z.number().describe("Longest a job may run; 0 means RunPod has none set"),
  flashboot: z.string(),
  data_center_ids: z.array(z.string()),
  network_volume_ids: z.array(z.string()),
  container_disk_gb: z.number().nullable(),
  ports: z.array(z.string()),
  env: z.record(z.string(), z.string()).describe("Env vars; secret-looking values are masked"),
};

/** One endpoint in detail. */
export type EndpointDetail = z.output<z.ZodObject<typeof endpointDetailShape>>;

/** Worker counts by status; `starting` is initializing plus throttled. */
export const workerSummaryShape = {
  running: z.number(),
  idle: z.number(),
  starting: z.number(),
  unhealthy: z.number(),
  total: z.number(),
};

/** What always-on (`workers.min`) workers cost per hour; 0 when none are always on. */
export async function alwaysOnCost(ep: Endpoint, catalog: PriceCatalog): Promise<number | null> {
  if (ep.workers.min <= 0) return 0;
  const price = await endpointWorkerPrice(ep, catalog);
  return price === null ? null : round4(price * ep.workers.min);
}

/** The compact endpoint row list_endpoints shows. */
export function endpointRow(ep: Endpoint, cost: number | null): EndpointRow {
  return {
    id: ep.id,
    name: ep.name,
    type: ep.type ?? "QUEUE",
    gpu_pools: ep.gpu ? [...ep.gpu.pools] : [],
    gpu_count: ep.gpu ? ep.gpu.count ?? 1 : null,
    // RunPod takes a list of CPU configs; create_endpoint sends one, so the first is shown.
    cpu_flavor: ep.gpu ? null : ep.cpu?.[0]?.id ?? null,
    vcpu_count: ep.gpu ? null : ep.cpu?.[0]?.vcpuCount ?? null,
    workers_min: ep.workers.min,
    workers_max: ep.workers.max,
    always_on_cost_per_hour: cost,
    created_at: ep.createdAt,
  };
}

/** One endpoint in detail, env masked unless `showSecrets`. */
export function endpointDetail(
  ep: Endpoint,
  cost: number | null,
  showSecrets: boolean,
): EndpointDetail {
  const scalingValue = ep.scaling.type === "REQUEST_COUNT"
    ? ep.scaling.requestCount
    : ep.scaling.queueDelay;
  return {
    ...endpointRow(ep, cost),
    request_urls: { ...ep.requestUrls },
    image: ep.image || null,
    registry_id: ep.registry ?? null,
    excluded_gpu_types: [...(ep.gpu?.excludedTypes ?? [])],
    scaling_type: ep.scaling.type,
    scaling_value: scalingValue ?? null,
    idle_timeout_s: ep.workers.idleTimeout ?? null,
    execution_timeout_s: ep.timeout / 1000,
    flashboot: ep.flashboot,
    data_center_ids: [...ep.dataCenterIds],
    network_volume_ids: [...ep.networkVolumes],
    container_disk_gb: ep.disk ?? null,
    ports: [...(ep.ports ?? [])],
    env: maskEnv(ep.env, showSecrets),
  };
}

/** The workers' hardware in words, e.g. `1× GPU from ADA_24`. */
export function hardware(row: EndpointRow): string {
  if (row.gpu_pools.length > 0) return `${row.gpu_count}× GPU from ${row.gpu_pools.join(", ")}`;
  if (row.cpu_flavor) return `CPU ${row.cpu_flavor}/${row.vcpu_count} vCPU`;
  return "no compute";
}

/** What `min` always-on workers cost, in words. */
export function costText(cost: number | null, min: number): string {
  if (min === 0) return "scales to zero, so no cost while idle";
  if (cost === null) {
    return `${min} always-on worker(s) billed even with no jobs (no catalog price to estimate)`;
  }
  return `${min} always-on worker(s) cost about $${cost.toFixed(2)}/h (estimate) even with no jobs`;
}

/** One endpoint in one line. */
export function describeRow(row: EndpointRow): string {
  return `${row.id} "${row.name}" ${row.type}, ${
    hardware(row)
  }, workers ${row.workers_min}–${row.workers_max}, ${
    costText(row.always_on_cost_per_hour, row.workers_min)
  }`;
}
