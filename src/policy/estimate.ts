/**
 * Cost estimates from RunPod's catalog prices: what a pod, a serverless endpoint or a network
 * volume will cost. Tools show these to the model; the guardrails check them against the caps.
 * Estimates only: the bill is what RunPod charges.
 *
 * @module
 */

import {
  type CpuType,
  type GpuType,
  listCpuTypes,
  listGpuTypes,
  type RunpodClient,
} from "../runpod/mod.ts";

/** Hours in an average month (365 × 24 / 12), for turning monthly prices into hourly ones. */
export const HOURS_PER_MONTH = 730;

/** A kind of storage RunPod bills by the GB-month. */
export type StorageKind =
  | "container_disk"
  | "pod_volume"
  | "pod_volume_stopped"
  | "network_standard"
  | "network_high_performance";

/** One row of {@linkcode STORAGE_RATES}: a list price in USD per GB-month. */
export interface StorageRate {
  kind: StorageKind;
  /** How tools name it, e.g. "pod volume (pod stopped)". */
  label: string;
  /** Its name in a rate list, e.g. "STANDARD". */
  short: string;
  usdPerGbMonth: number;
  /** From this size on (GB), {@linkcode StorageRate.aboveTierUsdPerGbMonth} applies instead. */
  tierGb?: number;
  aboveTierUsdPerGbMonth?: number;
}

/**
 * Every storage list price the server assumes, USD per GB-month (RunPod's pricing page, late
 * 2026). RunPod publishes no price API for storage, so these are estimates; the bill is what RunPod
 * charges. Every tool that prices or prints storage goes through {@linkcode storageCost}.
 */
export const STORAGE_RATES: readonly StorageRate[] = [
  { kind: "container_disk", label: "container disk", short: "container disk", usdPerGbMonth: 0.10 },
  {
    kind: "pod_volume",
    label: "pod volume (pod running)",
    short: "pod volume",
    usdPerGbMonth: 0.10,
  },
  {
    kind: "pod_volume_stopped",
    label: "pod volume (pod stopped)",
    short: "stopped pod volume",
    usdPerGbMonth: 0.20,
  },
  {
    kind: "network_standard",
    label: "STANDARD network volume",
    short: "STANDARD",
    usdPerGbMonth: 0.07,
    tierGb: 1000,
    aboveTierUsdPerGbMonth: 0.05,
  },
  {
    kind: "network_high_performance",
    label: "HIGH_PERFORMANCE network volume",
    short: "HIGH_PERFORMANCE",
    usdPerGbMonth: 0.14,
  },
];

function rateOf(kind: StorageKind): StorageRate {
  return STORAGE_RATES.find((r) => r.kind === kind)!;
}

/** STANDARD tier, USD per GB-month, for the first {@linkcode STANDARD_TIER_GB} GB. */
export const STANDARD_USD_PER_GB_MONTH = rateOf("network_standard").usdPerGbMonth;
/** STANDARD tier, USD per GB-month, for every GB above {@linkcode STANDARD_TIER_GB}. */
export const STANDARD_ABOVE_TIER_USD_PER_GB_MONTH = rateOf("network_standard")
  .aboveTierUsdPerGbMonth!;
/** Where the cheaper STANDARD rate starts: 1 TB, counted as 1000 GB. */
export const STANDARD_TIER_GB = rateOf("network_standard").tierGb!;
/** HIGH_PERFORMANCE tier, USD per GB-month, at every size. */
export const HIGH_PERFORMANCE_USD_PER_GB_MONTH = rateOf("network_high_performance").usdPerGbMonth;
/** Container disk and pod volume while the pod runs. */
export const POD_STORAGE_RUNNING_USD_PER_GB_MONTH = rateOf("pod_volume").usdPerGbMonth;
/** Pod volume while the pod is stopped. */
export const POD_VOLUME_STOPPED_USD_PER_GB_MONTH = rateOf("pod_volume_stopped").usdPerGbMonth;

/** What {@linkcode storageCost} answers. */
export interface StorageCost {
  gb: number;
  usdPerMonth: number;
  /** `usdPerMonth` / {@linkcode HOURS_PER_MONTH}, to 1/100 cent. */
  usdPerHour: number;
  /** The one way tools print it, e.g. "100 GB pod volume (pod stopped): $20.00/month ($0.0274/h)". */
  text: string;
}

/**
 * The list-price cost of `gb` GB of one kind of storage, and the one line every tool prints for
 * it. A network volume tier this server does not know is priced as STANDARD.
 *
 * @example
 * ```ts
 * storageCost("network_standard", 1500).usdPerMonth; // 1000 × 0.07 + 500 × 0.05 = 95
 * ```
 */
export function storageCost(kind: StorageKind, gb: number): StorageCost {
  const rate = rateOf(kind);
  const tier = rate.tierGb ?? Infinity;
  const cost = Math.min(gb, tier) * rate.usdPerGbMonth +
    Math.max(0, gb - tier) * (rate.aboveTierUsdPerGbMonth ?? rate.usdPerGbMonth);
  const usdPerMonth = Math.round(cost * 100) / 100;
  const usdPerHour = round4(usdPerMonth / HOURS_PER_MONTH);
  return {
    gb,
    usdPerMonth,
    usdPerHour,
    text: `${gb} GB ${rate.label}: $${usdPerMonth.toFixed(2)}/month ($${usdPerHour.toFixed(4)}/h)`,
  };
}

/** The storage kind of a network volume tier (`STANDARD`, `HIGH_PERFORMANCE`). */
export function networkStorageKind(type: string | undefined): StorageKind {
  return type === "HIGH_PERFORMANCE" ? "network_high_performance" : "network_standard";
}

/** Rows of {@linkcode STORAGE_RATES} (default: all) in one line, for descriptions and notes. */
export function storageRatesText(kinds?: readonly StorageKind[]): string {
  return STORAGE_RATES.filter((r) => !kinds || kinds.includes(r.kind)).map((r) =>
    `${r.short} $${r.usdPerGbMonth.toFixed(2)}${
      r.tierGb !== undefined
        ? ` ($${r.aboveTierUsdPerGbMonth!.toFixed(2)} above ${r.tierGb} GB)`
        : ""
    }`
  ).join(", ") + " per GB-month";
}

/** What a pod's own storage costs: see {@linkcode podStorage}. */
export interface PodStorage {
  /** Container disk + pod volume while the pod runs, USD/hour. */
  runningUsdPerHour: number;
  /** The pod volume alone while the pod is stopped, USD/hour. */
  stoppedUsdPerHour: number;
  /** One {@linkcode StorageCost.text} per part that is not empty. */
  lines: string[];
}

/** The storage of a pod with `containerDiskGb` of container disk and `volumeGb` of pod volume. */
export function podStorage(containerDiskGb: number, volumeGb: number): PodStorage {
  const disk = storageCost("container_disk", containerDiskGb);
  const running = storageCost("pod_volume", volumeGb);
  const stopped = storageCost("pod_volume_stopped", volumeGb);
  const lines = [disk, running, stopped].filter((c) => c.gb > 0).map((c) => c.text);
  return {
    runningUsdPerHour: round4(disk.usdPerHour + running.usdPerHour),
    stoppedUsdPerHour: stopped.usdPerHour,
    lines,
  };
}

/**
 * Estimated monthly cost in USD of a network volume: {@linkcode storageCost} for its tier.
 *
 * @example
 * ```ts
 * networkVolumeMonthlyCost(1500, "STANDARD"); // 1000 × 0.07 + 500 × 0.05 = 95
 * ```
 */
export function networkVolumeMonthlyCost(sizeGb: number, type: string): number {
  return storageCost(networkStorageKind(type), sizeGb).usdPerMonth;
}

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
    gpus: () => gpus ??= listGpuTypes(runpod, {}, signal),
    cpus: () => cpus ??= listCpuTypes(runpod, {}, signal),
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
