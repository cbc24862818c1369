/**
 * Cost estimates from RunPod's catalog prices: what a pod, a serverless endpoint or a network
 * volume will cost. Tools show these to the model; the guardrails check them against the caps.
 * Estimates only: the bill is what RunPod charges.
 *
 * @module
 */

import type { CpuType, GpuType, RunpodClient } from "../runpod/mod.ts";

/** Hours in an average month (365 × 24 / 12), for turning monthly prices into hourly ones. */
export const HOURS_PER_MONTH = 730;

// List prices the server assumes, in USD per GB-month (RunPod's pricing page, late 2026). RunPod
// publishes no price API for storage, so these are estimates; the bill is what RunPod charges.
/** STANDARD tier, USD per GB-month, for the first {@linkcode STANDARD_TIER_GB} GB. */
export const STANDARD_USD_PER_GB_MONTH = 0.07;
/** STANDARD tier, USD per GB-month, for every GB above {@linkcode STANDARD_TIER_GB}. */
export const STANDARD_ABOVE_TIER_USD_PER_GB_MONTH = 0.05;
/** Where the cheaper STANDARD rate starts: 1 TB, counted as 1000 GB. */
export const STANDARD_TIER_GB = 1000;
/** HIGH_PERFORMANCE tier, USD per GB-month, at every size. */
export const HIGH_PERFORMANCE_USD_PER_GB_MONTH = 0.14;

/**
 * Estimated monthly cost in USD of a network volume, from the list prices above. A tier this
 * server does not know is priced at the STANDARD rate.
 *
 * @example
 * ```ts
 * networkVolumeMonthlyCost(1500, "STANDARD"); // 1000 × 0.07 + 500 × 0.05 = 95
 * ```
 */
export function networkVolumeMonthlyCost(sizeGb: number, type: string): number {
  const cost = type === "HIGH_PERFORMANCE"
    ? sizeGb * HIGH_PERFORMANCE_USD_PER_GB_MONTH
    : Math.min(sizeGb, STANDARD_TIER_GB) * STANDARD_USD_PER_GB_MONTH +
      Math.max(0, sizeGb - STANDARD_TIER_GB) * STANDARD_ABOVE_TIER_USD_PER_GB_MONTH;
  return Math.round(cost * 100) / 100;
}

// Pod storage list prices the server assumes (RunPod's pricing page, late 2026), USD per
// GB-month. RunPod has no price API for storage; the bill is what RunPod charges.
/** Container disk and pod volume while the pod runs. */
export const POD_STORAGE_RUNNING_USD_PER_GB_MONTH = 0.10;
/** Pod volume while the pod is stopped. */
export const POD_VOLUME_STOPPED_USD_PER_GB_MONTH = 0.20;

/** The catalog reads one call needs, each made at most once and only when needed. */
export interface PriceCatalog {
  gpus(): Promise<GpuType[]>;
  cpus(): Promise<CpuType[]>;
}

/** A lazy, memoised view of RunPod's GPU and CPU price lists. */
export function priceCatalog(runpod: RunpodClient, signal?: AbortSignal): PriceCatalog {
  let gpus: Promise<GpuType[]> | undefined;
  let cpus: Promise<CpuType[]> | undefined;
  return {
    gpus: () => gpus ??= runpod.listGpuTypes({}, signal),
    cpus: () => cpus ??= runpod.listCpuTypes({}, signal),
  };
}

/** The parts of an endpoint (or endpoint request) that decide its price. */
export interface EndpointPricing {
  gpu?: { pools: string[]; excludedTypes?: string[]; count?: number } | null;
  cpu?: { id: string; vcpuCount: number }[] | null;
  workers: { min: number; max: number };
}

/**
 * USD/hour of one worker: the highest serverless price among the GPU types the pools allow (the
 * safe upper figure), times the GPU count; or the dearest CPU config. Null when unpriced.
 */
export async function endpointWorkerPrice(
  ep: Pick<EndpointPricing, "gpu" | "cpu">,
  catalog: PriceCatalog,
): Promise<number | null> {
  if (ep.gpu) {
    const { pools } = ep.gpu;
    const excluded = ep.gpu.excludedTypes ?? [];
    const prices = (await catalog.gpus())
      .filter((g) => g.pool !== null && pools.includes(g.pool) && !excluded.includes(g.id))
      .map((g) => g.price.serverless)
      .filter((p): p is number => p !== undefined);
    return prices.length > 0 ? Math.max(...prices) * (ep.gpu.count ?? 1) : null;
  }
  if (ep.cpu && ep.cpu.length > 0) {
    const cpus = await catalog.cpus();
    const prices: number[] = [];
    for (const config of ep.cpu) {
      const cpu = cpus.find((c) => c.id === config.id);
      if (!cpu) return null;
      prices.push(cpu.price.serverlessPerVcpu * config.vcpuCount);
    }
    return Math.max(...prices);
  }
  return null;
}

/** What an endpoint costs per hour with only its always-on workers, and with every worker busy. */
export async function endpointHourlyCosts(
  ep: EndpointPricing,
  catalog: PriceCatalog,
): Promise<{ alwaysOn: number | null; atMax: number | null }> {
  const price = await endpointWorkerPrice(ep, catalog);
  if (price === null) return { alwaysOn: ep.workers.min <= 0 ? 0 : null, atMax: null };
  return {
    alwaysOn: round4(price * Math.max(0, ep.workers.min)),
    atMax: round4(price * ep.workers.max),
  };
}

/** The parts of a pod (or pod request) that decide its price. */
export interface PodPricing {
  gpu?: { id: string; count: number };
  cpu?: { id: string; vcpuCount: number };
  cloud?: string;
}

/** USD/hour of a pod's compute at list price for its cloud, or null when unpriced. */
export async function podHourlyPrice(
  pod: PodPricing,
  catalog: PriceCatalog,
): Promise<number | null> {
  if (pod.gpu) {
    const gpu = (await catalog.gpus()).find((g) => g.id === pod.gpu!.id);
    if (!gpu) return null;
    const price = pod.cloud === "COMMUNITY" ? gpu.price.community : gpu.price.secure;
    return round4(price * pod.gpu.count);
  }
  if (pod.cpu) {
    const cpu = (await catalog.cpus()).find((c) => c.id === pod.cpu!.id);
    return cpu ? round4(cpu.price.securePerVcpu * pod.cpu.vcpuCount) : null;
  }
  return null;
}

/** Rounds USD to 1/100 of a cent, enough for hourly rates. */
export function round4(usd: number): number {
  return Math.round(usd * 10000) / 10000;
}
