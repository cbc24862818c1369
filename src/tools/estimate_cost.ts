/**
 * `estimate_cost`: what a pod, a serverless endpoint or a network volume would cost, before
 * creating it, from RunPod's catalog prices.
 *
 * @module
 */

import { z } from "zod";
import {
  endpointHourlyCosts,
  networkStorageKind,
  podHourlyPrice,
  podStorage,
  priceCatalog,
  round4,
  storageCost,
} from "../policy/estimate.ts";
import type { GpuType } from "../runpod/mod.ts";
import { defineTool, READ_ONLY, ToolInputError } from "./_define.ts";
import { resolveGpuIdentifier } from "./_gpu.ts";

/**
 * The GPU type a pod is priced on: the named type, or for a pool id its dearest member on the
 * cloud (a safe figure; the note says so).
 */
function podGpu(
  gpus: readonly GpuType[],
  input: string,
  cloud: "SECURE" | "COMMUNITY",
): { gpu: GpuType; note?: string } {
  const found = resolveGpuIdentifier(gpus, input);
  if (found.kind === "type") return { gpu: found.gpu };
  const key = cloud === "SECURE" ? "secure" : "community";
  const offered = found.members.filter((g) => g[key]);
  const dearest = [...(offered.length > 0 ? offered : found.members)]
    .sort((a, b) => b.price[key] - a.price[key])[0]!;
  return {
    gpu: dearest,
    note:
      `pool ${found.pool} priced at its dearest GPU, ${dearest.name}; pass a GPU id for the exact price`,
  };
}

/** `estimate_cost`. */
export const estimateCostTool = defineTool({
  name: "estimate_cost",
  title: "Estimate a cost",
  description:
    "USD/hour and total over hours, from list prices: a pod (GPU × count × cloud, or CPU flavor × vCPUs, plus disk), an endpoint (workers_min always on, workers_max busy) or a network volume. Use before creating one.",
  toolset: "billing",
  annotations: READ_ONLY,
  input: {
    kind: z.enum(["pod", "endpoint", "network_volume"]).describe("What to price, e.g. pod"),
    gpu_type: z.string().trim().min(2).max(100).optional().describe(
      "GPU id, name or pool, e.g. AMPERE_24",
    ),
    gpu_count: z.number().int().min(1).max(16).default(1).describe(
      "Per pod/worker, e.g. 2",
    ),
    cloud: z.enum(["SECURE", "COMMUNITY"]).default("SECURE").describe("Pod cloud, e.g. SECURE"),
    cpu_flavor: z.string().trim().regex(/^cpu\d[a-z]$/).optional().describe(
      "CPU pod flavor, e.g. cpu5c",
    ),
    vcpu_count: z.number().int().min(1).max(128).optional().describe("CPU pod vCPUs, e.g. 4"),
    container_disk_gb: z.number().int().min(0).max(2000).default(0).describe(
      "Pod disk GB, e.g. 50",
    ),
    volume_gb: z.number().int().min(0).max(4000).default(0).describe(
      "Volume GB, e.g. 100",
    ),
    volume_type: z.enum(["STANDARD", "HIGH_PERFORMANCE"]).default("STANDARD").describe(
      "Network volume, e.g. STANDARD",
    ),
    workers_min: z.number().int().min(0).max(100).default(0).describe(
      "Always-on workers, e.g. 1",
    ),
    workers_max: z.number().int().min(1).max(100).default(3).describe(
      "Most workers, e.g. 3",
    ),
    hours: z.number().positive().max(8760).default(1).describe("Duration, e.g. 24"),
  },
  output: {
    usd_per_hour: z.number().describe("What it costs per hour (endpoints: always-on workers)"),
    usd_per_hour_max: z.number().nullable().describe("Endpoints: with workers_max busy"),
    total_usd: z.number().describe("usd_per_hour × hours"),
    total_usd_max: z.number().nullable().describe("Endpoints: usd_per_hour_max × hours"),
    breakdown: z.array(z.string()),
    price_source: z.string(),
  },
  async run(args, ctx) {
    const catalog = priceCatalog(ctx.runpod, ctx.signal);
    const breakdown: string[] = [];
    let hourly = 0;
    let hourlyMax: number | null = null;
    let source = "RunPod catalog list prices (GET /v2/catalog/gpus and /v2/catalog/cpus)";

    if (args.kind === "network_volume") {
      if (args.volume_gb < 10) {
        throw new ToolInputError("Cannot price a network volume: volume_gb must be 10-4096");
      }
      const volume = storageCost(networkStorageKind(args.volume_type), args.volume_gb);
      hourly = volume.usdPerHour;
      breakdown.push(volume.text);
      source =
        "list prices for network storage assumed by runpod-mcp (RunPod has no storage price API)";
    } else if (args.kind === "pod") {
      const isGpu = args.gpu_type !== undefined;
      if (isGpu === (args.cpu_flavor !== undefined)) {
        throw new ToolInputError(
          "Cannot price a pod: give gpu_type (GPU pod) or cpu_flavor + vcpu_count (CPU pod)",
        );
      }
      let compute: number | null;
      if (isGpu) {
        const { gpu, note } = podGpu(await catalog.gpus(), args.gpu_type!, args.cloud);
        if (note) breakdown.push(note);
        if (!(args.cloud === "SECURE" ? gpu.secure : gpu.community)) {
          throw new ToolInputError(
            `Cannot price a pod: ${gpu.name} is not offered on ${args.cloud} cloud`,
          );
        }
        compute = await podHourlyPrice({
          gpu: { id: gpu.id, count: args.gpu_count },
          cloud: args.cloud,
        }, catalog);
        breakdown.push(
          `${args.gpu_count}× ${gpu.name} on ${args.cloud}: $${compute?.toFixed(4)}/h`,
        );
      } else {
        if (args.vcpu_count === undefined) {
          throw new ToolInputError("Cannot price a CPU pod: give vcpu_count");
        }
        compute = await podHourlyPrice({
          cpu: { id: args.cpu_flavor!, vcpuCount: args.vcpu_count },
        }, catalog);
        if (compute === null) {
          throw new ToolInputError(
            `Cannot price CPU flavor ${args.cpu_flavor}: see list_cpu_types`,
          );
        }
        breakdown.push(`${args.vcpu_count} vCPU ${args.cpu_flavor}: $${compute.toFixed(4)}/h`);
      }
      const storage = podStorage(args.container_disk_gb, args.volume_gb);
      breakdown.push(...storage.lines);
      hourly = (compute ?? 0) + storage.runningUsdPerHour;
    } else {
      if (!args.gpu_type) throw new ToolInputError("Cannot price an endpoint: give gpu_type");
      if (args.workers_min > args.workers_max) {
        throw new ToolInputError("Cannot price an endpoint: workers_min is above workers_max");
      }
      const found = resolveGpuIdentifier(await catalog.gpus(), args.gpu_type);
      const pool = found.kind === "pool" ? found.pool : found.gpu.pool;
      if (!pool) {
        throw new ToolInputError(
          `Cannot price an endpoint on ${args.gpu_type}: it is in no serverless pool`,
        );
      }
      const costs = await endpointHourlyCosts({
        gpu: { pools: [pool], count: args.gpu_count },
        workers: { min: args.workers_min, max: args.workers_max },
      }, catalog);
      hourly = costs.alwaysOn ?? 0;
      hourlyMax = costs.atMax;
      breakdown.push(
        `pool ${pool}, ${args.gpu_count} GPU(s) per worker: $${
          ((costs.atMax ?? 0) / args.workers_max).toFixed(4)
        }/h per busy worker`,
        `${args.workers_min} always-on worker(s): $${hourly.toFixed(4)}/h even with no jobs`,
        `${args.workers_max} busy worker(s): $${(hourlyMax ?? 0).toFixed(4)}/h`,
      );
    }
    const perHour = round4(hourly);
    const total = round4(perHour * args.hours);
    const totalMax = hourlyMax === null ? null : round4(hourlyMax * args.hours);
    return {
      summary: `About $${perHour.toFixed(2)}/h, $${total.toFixed(2)} for ${args.hours} h${
        totalMax !== null ? ` (up to $${totalMax.toFixed(2)} with every worker busy)` : ""
      }. ${breakdown.join("; ")}.`,
      data: {
        usd_per_hour: perHour,
        usd_per_hour_max: hourlyMax,
        total_usd: total,
        total_usd_max: totalMax,
        breakdown,
        price_source: source,
      },
    };
  },
});
