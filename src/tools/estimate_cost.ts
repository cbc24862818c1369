/**
 * `estimate_cost`: what a pod, a serverless endpoint or a network volume would cost, before
 * creating it, from RunPod's catalog prices.
 *
 * @module
 */

import { z } from "zod";
import {
  endpointHourlyCosts,
  HOURS_PER_MONTH,
  networkVolumeMonthlyCost,
  POD_STORAGE_RUNNING_USD_PER_GB_MONTH,
  POD_VOLUME_STOPPED_USD_PER_GB_MONTH,
  podHourlyPrice,
  priceCatalog,
  round4,
} from "../policy/estimate.ts";
import { defineTool, READ_ONLY, ToolInputError } from "./_define.ts";
import { resolveGpuType } from "./_gpu.ts";

/** `estimate_cost`. */
export const estimateCost = defineTool({
  name: "estimate_cost",
  title: "Estimate what a resource would cost",
  description:
    "Estimates USD per hour and in total for a duration, from RunPod's catalog list prices: a pod (GPU type × count × cloud, or CPU flavor × vCPUs, plus disk), a serverless endpoint (always-on workers_min cost and the cost with workers_max busy), or a network volume. Use it before create_pod / create_endpoint to tell the user the cost. Sends nothing that changes the account.",
  toolset: "billing",
  annotations: READ_ONLY,
  input: {
    kind: z.enum(["pod", "endpoint", "network_volume"]).describe("What to price, e.g. pod"),
    gpu_type: z.string().trim().min(2).max(100).optional().describe(
      "GPU type id or name for a pod or endpoint, e.g. RTX 4090",
    ),
    gpu_count: z.number().int().min(1).max(16).default(1).describe(
      "GPUs per pod or per worker, e.g. 2",
    ),
    cloud: z.enum(["SECURE", "COMMUNITY"]).default("SECURE").describe("Pod cloud, e.g. SECURE"),
    cpu_flavor: z.string().trim().regex(/^cpu\d[a-z]$/).optional().describe(
      "CPU flavor for a CPU pod, e.g. cpu5c",
    ),
    vcpu_count: z.number().int().min(1).max(128).optional().describe("vCPUs for a CPU pod, e.g. 4"),
    container_disk_gb: z.number().int().min(0).max(2000).default(0).describe(
      "Pod container disk in GB, e.g. 50",
    ),
    volume_gb: z.number().int().min(0).max(4000).default(0).describe(
      "Pod volume in GB, or the network volume's size, e.g. 100",
    ),
    volume_type: z.enum(["STANDARD", "HIGH_PERFORMANCE"]).default("STANDARD").describe(
      "Network volume tier, e.g. STANDARD",
    ),
    workers_min: z.number().int().min(0).max(100).default(0).describe(
      "Endpoint workers always on, e.g. 1",
    ),
    workers_max: z.number().int().min(1).max(100).default(3).describe(
      "Endpoint workers at most, e.g. 3",
    ),
    hours: z.number().positive().max(8760).default(1).describe("Duration to price, e.g. 24"),
  },
  output: {
    usd_per_hour: z.number().describe("What it costs per hour (endpoints: always-on workers)"),
    usd_per_hour_max: z.number().nullable().describe("Endpoints: with workers_max busy"),
    total_usd: z.number().describe("usd_per_hour × hours"),
    total_usd_max: z.number().nullable().describe("Endpoints: usd_per_hour_max × hours"),
    hours: z.number(),
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
      const monthly = networkVolumeMonthlyCost(args.volume_gb, args.volume_type);
      hourly = monthly / HOURS_PER_MONTH;
      breakdown.push(`${args.volume_gb} GB ${args.volume_type}: $${monthly.toFixed(2)}/month`);
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
        const gpu = resolveGpuType(await catalog.gpus(), args.gpu_type!);
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
      const storageGb = args.container_disk_gb + args.volume_gb;
      const storage = storageGb * POD_STORAGE_RUNNING_USD_PER_GB_MONTH / HOURS_PER_MONTH;
      if (storageGb > 0) {
        breakdown.push(
          `${storageGb} GB disk and volume while running: $${
            storage.toFixed(4)
          }/h ($${POD_STORAGE_RUNNING_USD_PER_GB_MONTH}/GB-month)`,
        );
      }
      if (args.volume_gb > 0) {
        breakdown.push(
          `While stopped the ${args.volume_gb} GB volume still costs $${
            (args.volume_gb * POD_VOLUME_STOPPED_USD_PER_GB_MONTH).toFixed(2)
          }/month`,
        );
      }
      hourly = (compute ?? 0) + storage;
    } else {
      if (!args.gpu_type) throw new ToolInputError("Cannot price an endpoint: give gpu_type");
      if (args.workers_min > args.workers_max) {
        throw new ToolInputError("Cannot price an endpoint: workers_min is above workers_max");
      }
      const gpu = resolveGpuType(await catalog.gpus(), args.gpu_type);
      if (!gpu.pool) {
        throw new ToolInputError(
          `Cannot price an endpoint on ${gpu.name}: it is in no serverless pool`,
        );
      }
      const costs = await endpointHourlyCosts({
        gpu: { pools: [gpu.pool], count: args.gpu_count },
        workers: { min: args.workers_min, max: args.workers_max },
      }, catalog);
      hourly = costs.alwaysOn ?? 0;
      hourlyMax = costs.atMax;
      breakdown.push(
        `pool ${gpu.pool}, ${args.gpu_count} GPU(s) per worker: $${
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
        hours: args.hours,
        breakdown,
        price_source: source,
      },
    };
  },
});
