/**
 * Catalog tools: data centers (with per-DC GPU stock) and CPU flavors with per-vCPU prices.
 *
 * @module
 */

import { round4 } from "../policy/estimate.ts";
import { z } from "zod";
import {
  AVAILABILITY_LEVELS,
  COMPLIANCE,
  type CpuType,
  DATA_CENTER_REGIONS,
  type DataCenter,
  type DataCenterQuery,
  listCpuTypes,
  listDataCenters,
} from "../runpod/mod.ts";
import { defineTool, READ_ONLY, ToolInputError } from "./_define.ts";

type Level = typeof AVAILABILITY_LEVELS[number];

/** RunPod's availability enum is open; a level we do not know counts as no stock. */
function levelOf(value: string | undefined): Level {
  return (AVAILABILITY_LEVELS as readonly string[]).includes(value ?? "") ? value as Level : "NONE";
}

const rank = (level: Level) => AVAILABILITY_LEVELS.indexOf(level);

/** One compact data-center row, as the model sees it. */
export const dataCenterRowShape = {
  id: z.string().describe("Data center id for create_pod data_center_ids, e.g. 'EU-RO-1'"),
  name: z.string(),
  region: z.string().describe("e.g. EUROPE"),
  network_volumes: z.array(z.string()).describe(
    "Network volume tiers offered (STANDARD, HIGH_PERFORMANCE); empty means none",
  ),
  global_network: z.boolean().describe("Supports the private cross-DC pod network"),
  compliance: z.array(z.string()).describe("Certifications held, e.g. ['GDPR']"),
  gpu_stock: z.string().optional().describe(
    "Stock of the asked gpu_type here; present when gpu_type is given",
  ),
  gpus_available: z.number().optional().describe(
    "GPU types with stock here; present when include_gpu_availability is true",
  ),
};

type DataCenterRow = z.output<z.ZodObject<typeof dataCenterRowShape>>;

/** Whether a catalog entry is the asked GPU, by id or by display name, ignoring case. */
function isGpu(entry: { id: string; name: string }, wanted: string): boolean {
  const w = wanted.toLowerCase();
  return entry.id.toLowerCase() === w || entry.name.toLowerCase() === w;
}

function toDataCenterRow(
  dc: DataCenter,
  gpuType: string | undefined,
  countGpus: boolean,
): DataCenterRow {
  const row: DataCenterRow = {
    id: dc.id,
    name: dc.name,
    region: dc.region,
    network_volumes: [...dc.networkVolumeTypes],
    global_network: dc.globalNetwork,
    compliance: [...dc.compliance],
  };
  // RunPod omits gpuAvailability for a DC that offers no GPUs at all.
  const gpus = dc.gpuAvailability ?? [];
  if (gpuType !== undefined) {
    row.gpu_stock = levelOf(gpus.find((g) => isGpu(g, gpuType))?.availability);
  }
  if (countGpus) {
    row.gpus_available = gpus.filter((g) => levelOf(g.availability) !== "NONE").length;
  }
  return row;
}

/** `list_data_centers`: RunPod data centers, optionally with stock of one GPU type per DC. */
export const listDataCentersTool = defineTool({
  name: "list_data_centers",
  title: "List data centers",
  description:
    "Data centers: region, network volume tiers, global network, compliance. gpu_type adds its stock per DC, for create_pod data_center_ids; pick a DC with volumes for create_network_volume.",
  toolset: "catalog",
  annotations: READ_ONLY,
  input: {
    region: z.enum(DATA_CENTER_REGIONS).optional().describe(
      "Region, e.g. EUROPE",
    ),
    gpu_type: z.string().trim().min(1).max(100).optional().describe(
      "GPU id or name, e.g. RTX 4090",
    ),
    include_gpu_availability: z.boolean().default(false).describe(
      "Count GPU types in stock, e.g. true",
    ),
    network_volume_support: z.boolean().optional().describe(
      "Has volumes, e.g. true",
    ),
    network_volume_type: z.enum(["STANDARD", "HIGH_PERFORMANCE"]).optional().describe(
      "Volume tier offered, e.g. STANDARD",
    ),
    global_network: z.boolean().optional().describe(
      "Has cross-DC pod network, e.g. true",
    ),
    compliance: z.enum(COMPLIANCE).optional().describe(
      "Certification held, e.g. GDPR",
    ),
  },
  output: {
    data_centers: z.array(z.object(dataCenterRowShape)),
    count: z.number().describe("Rows returned"),
  },
  async run(args, ctx) {
    if (args.network_volume_support === false && args.network_volume_type !== undefined) {
      throw new ToolInputError(
        "Cannot list data centers: network_volume_support=false excludes every DC with a network_volume_type; drop one of them",
      );
    }
    const withGpus = args.include_gpu_availability || args.gpu_type !== undefined;
    // RunPod filters region, compliance, volume tier and global networking itself. It has no
    // "supports any volume tier" or "supports none" filter (networkVolumeTypes requires every
    // listed tier), so network_volume_support is applied here, on networkVolumeTypes.
    const query: DataCenterQuery = {};
    if (withGpus) query.include = ["GPU_AVAILABILITY"];
    if (args.region) query.regions = [args.region];
    if (args.network_volume_type) query.networkVolumeTypes = [args.network_volume_type];
    if (args.compliance) query.compliance = [args.compliance];
    if (args.global_network !== undefined) query.globalNetwork = args.global_network;
    const dataCenters = await listDataCenters(ctx.runpod, query, ctx.signal);

    let rows = dataCenters.map((dc) =>
      toDataCenterRow(dc, args.gpu_type, args.include_gpu_availability)
    );
    if (args.network_volume_support !== undefined) {
      const wanted = args.network_volume_support;
      rows = rows.filter((row) => (row.network_volumes.length > 0) === wanted);
    }
    if (args.gpu_type !== undefined) {
      // Array.prototype.sort is stable, so RunPod's order holds within one stock level.
      rows.sort((a, b) => rank(levelOf(b.gpu_stock)) - rank(levelOf(a.gpu_stock)));
    }

    const data = { data_centers: rows, count: rows.length };
    let summary = rows.length === 0
      ? "No data center matches these filters. Drop region, compliance or the network volume filters."
      : `${rows.length} data centers.`;
    if (args.include_gpu_availability && rows.length > 0) {
      const best = rows.reduce((a, b) => (b.gpus_available ?? 0) > (a.gpus_available ?? 0) ? b : a);
      summary += ` Most GPU types in stock: ${best.id} (${best.gpus_available}).`;
    }
    const gpuType = args.gpu_type;
    if (gpuType !== undefined) {
      const inStock = rows.filter((row) => row.gpu_stock !== "NONE");
      const offered = dataCenters.some((dc) =>
        (dc.gpuAvailability ?? []).some((g) => isGpu(g, gpuType))
      );
      if (rows.length > 0) {
        summary += inStock.length > 0
          ? ` ${gpuType} in stock in ${inStock.length}: ${
            inStock.map((row) => `${row.id} (${row.gpu_stock})`).join(", ")
          }. Pass these ids as create_pod data_center_ids.`
          : offered
          ? ` ${gpuType} has no stock in any of them now; try another GPU type (list_gpu_types with available_only=true) or region.`
          : ` None of them offers '${gpuType}'; check the id with list_gpu_types, or drop the filters.`;
      }
    }
    return { summary, data };
  },
});

/** One compact CPU flavor row, as the model sees it. Prices are USD per vCPU-hour. */
export const cpuRowShape = {
  id: z.string().describe("CPU flavor for create_pod cpu_flavor, e.g. 'cpu5c'"),
  name: z.string(),
  vcpu_min: z.number(),
  vcpu_max: z.number(),
  ram_gb_per_vcpu: z.number().describe("GB of RAM per vCPU"),
  price_per_vcpu_hour: z.number().describe("USD per vCPU-hour for the chosen product"),
  price_per_hour: z.number().optional().describe(
    "USD per hour for vcpu_count vCPUs; present when vcpu_count is given",
  ),
  availability: z.string().optional().describe("Stock now; present when asked for"),
};

type CpuRow = z.output<z.ZodObject<typeof cpuRowShape>>;

const isPowerOfTwo = (n: number) => n >= 1 && (n & (n - 1)) === 0;

function toCpuRow(
  cpu: CpuType,
  product: "POD" | "SERVERLESS",
  vcpuCount: number | undefined,
  withAvailability: boolean,
): CpuRow {
  const perVcpu = product === "POD" ? cpu.price.securePerVcpu : cpu.price.serverlessPerVcpu;
  const row: CpuRow = {
    id: cpu.id,
    name: cpu.name,
    vcpu_min: cpu.vcpu.min,
    vcpu_max: cpu.vcpu.max,
    ram_gb_per_vcpu: cpu.ramGbPerVcpu,
    price_per_vcpu_hour: perVcpu,
  };
  if (vcpuCount !== undefined) row.price_per_hour = round4(perVcpu * vcpuCount);
  if (withAvailability) row.availability = levelOf(cpu.availability);
  return row;
}

/** `list_cpu_types`: CPU flavors for CPU pods or CPU serverless workers, cheapest first. */
export const listCpuTypesTool = defineTool({
  name: "list_cpu_types",
  title: "List CPU types",
  description:
    "CPU flavors (e.g. cpu5c) with vCPU range, GB RAM per vCPU and USD per vCPU-hour, cheapest first; vcpu_count adds the hourly total. For CPU-only create_pod (cpu_flavor, vcpu_count) or endpoints.",
  toolset: "catalog",
  annotations: READ_ONLY,
  input: {
    product: z.enum(["POD", "SERVERLESS"]).default("POD").describe(
      "Whose price, e.g. SERVERLESS",
    ),
    vcpu_count: z.number().int().min(2).max(512).optional().describe(
      "vCPUs, a power of two, e.g. 4",
    ),
    include_availability: z.boolean().default(false).describe(
      "Add stock per row, e.g. true",
    ),
  },
  output: {
    cpus: z.array(z.object(cpuRowShape)),
    count: z.number().describe("Rows returned"),
  },
  async run(args, ctx) {
    const vcpuCount = args.vcpu_count;
    if (vcpuCount !== undefined && !isPowerOfTwo(vcpuCount)) {
      throw new ToolInputError(
        `Cannot list CPU types for ${vcpuCount} vCPUs: vcpu_count must be a power of two, e.g. 2, 4, 8, 16 or 32`,
      );
    }
    // product and vcpuCount are only valid together with include=AVAILABILITY (RunPod answers
    // 400 otherwise), so without it the vCPU filter and the price choice are applied here.
    const cpus = await listCpuTypes(
      ctx.runpod,
      args.include_availability
        ? {
          include: "AVAILABILITY",
          product: args.product,
          ...(vcpuCount !== undefined ? { vcpuCount } : {}),
        }
        : {},
      ctx.signal,
    );
    let rows = cpus.map((cpu) => toCpuRow(cpu, args.product, vcpuCount, args.include_availability));
    if (vcpuCount !== undefined) {
      rows = rows.filter((row) => row.vcpu_min <= vcpuCount && vcpuCount <= row.vcpu_max);
    }
    rows.sort((a, b) => a.price_per_vcpu_hour - b.price_per_vcpu_hour || a.id.localeCompare(b.id));

    const basis = args.product === "POD" ? "secure pod" : "serverless";
    const cheapest = rows[0];
    let summary: string;
    if (!cheapest) {
      summary = vcpuCount !== undefined
        ? `No CPU flavor allows ${vcpuCount} vCPUs. Try a smaller vcpu_count.`
        : "RunPod lists no CPU flavors right now.";
    } else {
      const n = vcpuCount ?? cheapest.vcpu_min;
      summary =
        `${rows.length} CPU flavors (${basis} prices, USD per vCPU-hour). E.g. ${cheapest.id} with ${n} vCPU (${
          round4(n * cheapest.ram_gb_per_vcpu)
        } GB RAM) costs $${round4(n * cheapest.price_per_vcpu_hour).toFixed(2)}/h.`;
    }
    return {
      summary,
      data: { cpus: rows, count: rows.length },
    };
  },
});
