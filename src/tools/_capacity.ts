/**
 * RunPod's capacity error (a 400 with a human-readable detail only, API-NOTES §3.1/§3.8) turned
 * into a next step: the GPUs in stock now with at least the same VRAM, cheapest first, with their
 * price and where they are in stock. `create_pod`, `start_pod` and `create_endpoint` share it.
 *
 * @module
 */

import { round4 } from "../policy/estimate.ts";
import { capRefusals } from "../policy/_caps.ts";
import type { PolicyOptions } from "../policy/guard.ts";
import { type GpuType, listGpuTypes, type Pod, RunpodApiError } from "../runpod/mod.ts";
import { type ToolContext, ToolInputError } from "./_define.ts";

/** Alternatives named at most. */
export const MAX_ALTERNATIVES = 5;

/** RunPod's capacity wordings (create: "no longer any instances", start: "not enough free GPUs"). */
const CAPACITY = /no longer any instances|no instances available|not enough free gpus|capacity/i;

/** What was asked for when RunPod answered with its capacity error. */
export interface CapacityRequest {
  /** What was attempted, e.g. `create pod` or `start pod abc123`. */
  action: string;
  product: "POD" | "SERVERLESS";
  /** Pods: the GPU type id that had no capacity. */
  gpuTypeId?: string;
  /** Serverless: the pools that had no capacity. */
  pools?: readonly string[];
  /** GPUs per pod or worker. */
  count: number;
  /** Pods: the cloud, default SECURE. */
  cloud?: string;
  /** A note for the model after the list, e.g. that a stopped pod cannot move. */
  next?: string;
}

/** True for RunPod's capacity error: a 400 whose detail says no machine is free. */
export function isCapacityError(error: unknown): error is RunpodApiError {
  return error instanceof RunpodApiError && error.status === 400 &&
    CAPACITY.test(`${error.detail ?? ""} ${error.title ?? ""}`);
}

/** One thing to rent instead: a GPU type (pods) or a pool (serverless). */
export interface Alternative {
  /** What to pass back: a GPU type id, or a pool id. */
  id: string;
  name: string;
  /** VRAM per GPU, GB (a pool: its smallest member). */
  vramGb: number;
  /** USD/hour for `count` GPUs (a pool: its dearest member). */
  usdPerHour: number;
  gpuTypeIds: string[];
  /** Data centers with stock now. */
  dataCenters: string[];
}

const inStockDcs = (g: GpuType) =>
  (g.dataCenters ?? []).filter((d) => d.availability !== "NONE").map((d) => d.id);

/**
 * The alternatives to `want` in `gpus` (a catalog read with include=AVAILABILITY for the same
 * product, count and cloud): in stock, at least the failed GPU's VRAM, same maker (a CUDA image
 * does not run on AMD), cheapest first. The failed type itself is kept when it has stock elsewhere.
 */
export function capacityAlternatives(
  gpus: readonly GpuType[],
  want: CapacityRequest,
): Alternative[] {
  const cloud = want.cloud === "COMMUNITY" ? "community" : "secure";
  if (want.product === "POD") {
    const failed = gpus.find((g) => g.id === want.gpuTypeId);
    if (!failed) return [];
    return gpus
      .filter((g) =>
        g[cloud] && g.maxCount[cloud] >= want.count && g.memory >= failed.memory &&
        g.manufacturer === failed.manufacturer && g.availability !== "NONE" &&
        inStockDcs(g).length > 0
      )
      .map((g) => ({
        id: g.id,
        name: g.name,
        vramGb: g.memory,
        usdPerHour: round4(g.price[cloud] * want.count),
        gpuTypeIds: [g.id],
        dataCenters: inStockDcs(g),
      }))
      .sort((a, b) => a.usdPerHour - b.usdPerHour || a.id.localeCompare(b.id));
  }
  const pools = new Map<string, GpuType[]>();
  for (const g of gpus) {
    if (g.pool && g.price.serverless !== undefined) {
      pools.set(g.pool, [...pools.get(g.pool) ?? [], g]);
    }
  }
  const wanted = gpus.filter((g) => g.pool !== null && want.pools?.includes(g.pool));
  const minVram = Math.min(...wanted.map((g) => g.memory));
  return [...pools.entries()]
    .map(([pool, members]) => ({
      id: pool,
      name: members.map((g) => g.name).join(" / "),
      vramGb: Math.min(...members.map((g) => g.memory)),
      usdPerHour: round4(Math.max(...members.map((g) => g.price.serverless!)) * want.count),
      gpuTypeIds: members.map((g) => g.id),
      dataCenters: [...new Set(members.flatMap(inStockDcs))],
    }))
    .filter((a) => a.vramGb >= minVram && a.dataCenters.length > 0)
    .sort((a, b) => a.usdPerHour - b.usdPerHour || a.id.localeCompare(b.id));
}

/** Drops alternatives the guard would refuse (the total cap aside: it is not read on this path). */
async function allowedByPolicy(
  alternatives: Alternative[],
  want: CapacityRequest,
  policy: PolicyOptions,
  ctx: ToolContext,
  gpus: readonly GpuType[],
): Promise<Alternative[]> {
  const { maxTotalHourlyCost: _total, ...perResource } = policy;
  const allowedDcs = policy.allowedDataCenters;
  const placed = alternatives
    .map((a) => ({
      ...a,
      dataCenters: allowedDcs
        ? a.dataCenters.filter((dc) => allowedDcs.includes(dc))
        : a.dataCenters,
    }))
    .filter((a) => a.dataCenters.length > 0);
  const refusals = await capRefusals(
    placed.map((a) => ({
      action: `${want.action} on ${a.id}`,
      hourly: a.usdPerHour,
      gpuTypeIds: a.gpuTypeIds,
      gpuCount: want.count,
      dataCenters: a.dataCenters,
    })),
    perResource,
    ctx.runpod,
    gpus,
    ctx.signal,
  );
  return placed.filter((_, i) => refusals[i] === undefined);
}

/** The text naming the alternatives, cheapest first; see {@linkcode capacityAlternatives}. */
export function capacityText(
  alternatives: readonly Alternative[],
  want: CapacityRequest,
  error: RunpodApiError,
): string {
  const where = want.product === "POD" ? ` on ${want.cloud ?? "SECURE"} cloud` : "";
  const what = want.product === "POD"
    ? `${want.count}× ${want.gpuTypeId}`
    : `pool ${want.pools?.join(",")}`;
  const said = error.detail ?? error.title ?? "no capacity";
  const head =
    `Cannot ${want.action}: RunPod has no capacity for ${what}${where} now (${error.status} on ${error.method} ${error.path}: ${said})`;
  const more = "list_gpu_types with available_only=true lists everything in stock";
  if (alternatives.length === 0) {
    return `${head}. Nothing with as much VRAM is in stock${where} either: try later${
      want.product === "POD" ? ", the other cloud, or a smaller gpu_count" : ""
    }; ${more}`;
  }
  const list = alternatives.slice(0, MAX_ALTERNATIVES).map((a) =>
    `${a.id} (${a.name}, ${a.vramGb} GB) $${a.usdPerHour.toFixed(2)}/h, in stock in ${
      a.dataCenters.join(", ")
    }`
  );
  const unit = want.product === "POD" ? `per GPU${where}` : "per GPU, serverless";
  const retry = want.product === "POD"
    ? "retry with one of these as gpu_type (data_center_ids pins a data center)"
    : "retry with one of these pools in gpu_types";
  return `${head}. In stock now with at least the same VRAM ${unit}, cheapest first: ${
    list.join("; ")
  }. Next: ${want.next ?? retry}; ${more}`;
}

/**
 * A `.catch` handler for a call that may meet RunPod's capacity error: rethrows it as a
 * {@linkcode ToolInputError} naming in-stock alternatives; any other error passes unchanged.
 *
 * @example
 * ```ts
 * const pod = await createPod(ctx.runpod, body, ctx.signal).catch(
 *   onCapacityError(ctx, { action: "create pod", product: "POD", gpuTypeId, count: 1 }),
 * );
 * ```
 */
export function onCapacityError(
  ctx: ToolContext,
  want: CapacityRequest | undefined,
): (error: unknown) => Promise<never> {
  return async (error) => {
    if (!want || !isCapacityError(error)) throw error;
    let gpus: GpuType[];
    try {
      gpus = await listGpuTypes(ctx.runpod, {
        include: "AVAILABILITY",
        product: want.product,
        count: want.count,
        ...(want.product === "POD"
          ? { cloud: want.cloud === "COMMUNITY" ? "COMMUNITY" : "SECURE" }
          : {}),
      }, ctx.signal);
    } catch {
      throw error;
    }
    const found = await allowedByPolicy(
      capacityAlternatives(gpus, want),
      want,
      ctx.policy,
      ctx,
      gpus,
    );
    throw new ToolInputError(capacityText(found, want, error));
  };
}

/** What a `start_pod` that meets the capacity error asked for; undefined for a CPU pod. */
export function startCapacityRequest(pod: Pod): CapacityRequest | undefined {
  if (!pod.gpu) return undefined;
  return {
    action: `start pod ${pod.id}`,
    product: "POD",
    gpuTypeId: pod.gpu.id,
    count: pod.gpu.count ?? 1,
    cloud: pod.cloud ?? "SECURE",
    next:
      "a stopped pod stays on its host, so try start_pod later, or create_pod with one of these (its pod volume does not move; a network volume does)",
  };
}

/** What a `create_endpoint` that meets the capacity error asked for; undefined for CPU workers. */
export function endpointCapacityRequest(
  body: { gpu?: { pools: readonly string[]; count?: number } | null },
): CapacityRequest | undefined {
  if (!body.gpu) return undefined;
  return {
    action: "create endpoint",
    product: "SERVERLESS",
    pools: body.gpu.pools,
    count: body.gpu.count ?? 1,
  };
}
