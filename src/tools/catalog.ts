/**
 * Catalog tools: GPU types with prices and stock.
 *
 * @module
 */

import { z } from "zod";
import { type GpuType, listGpuTypes } from "../runpod/mod.ts";
import { defineTool, READ_ONLY } from "./_define.ts";

const AVAILABILITY = ["NONE", "LOW", "MEDIUM", "HIGH"] as const;

/** One compact catalog row, as the model sees it. Prices are USD per GPU-hour. */
export const gpuRowShape = {
  id: z.string().describe("GPU type id to pass to create_pod, e.g. 'NVIDIA GeForce RTX 4090'"),
  name: z.string(),
  vram_gb: z.number(),
  pool: z.string().nullable().describe("Serverless pool id, e.g. ADA_24; null if not serverless"),
  secure_price: z.number().nullable().describe(
    "USD per GPU-hour on SECURE cloud; null if not offered",
  ),
  community_price: z.number().nullable().describe(
    "USD per GPU-hour on COMMUNITY cloud; null if not offered",
  ),
  serverless_price: z.number().nullable().describe("USD per GPU-hour on serverless; null if none"),
  max_gpus: z.number().nullable().describe("Most GPUs of this type in one pod on the chosen cloud"),
  // A string on the wire: the model reads the value, and the enum would cost bytes on every list.
  availability: z.string().optional().describe("Stock now: NONE, LOW, MEDIUM or HIGH"),
};

type GpuRow = z.output<z.ZodObject<typeof gpuRowShape>>;
type Availability = typeof AVAILABILITY[number];

function priceFor(gpu: GpuType, which: "secure" | "community" | "serverless"): number | null {
  if (which === "secure" && !gpu.secure) return null;
  if (which === "community" && !gpu.community) return null;
  const value = gpu.price[which];
  return typeof value === "number" ? value : null;
}

/** The compact catalog row for one GPU type; `cloud` picks max_gpus, `withAvailability` adds stock. */
export function toRow(
  gpu: GpuType,
  cloud: "SECURE" | "COMMUNITY",
  withAvailability: boolean,
): GpuRow {
  const maxCount = cloud === "SECURE" ? gpu.maxCount.secure : gpu.maxCount.community;
  const row: GpuRow = {
    id: gpu.id,
    name: gpu.name,
    vram_gb: gpu.memory,
    pool: gpu.pool ?? null,
    secure_price: priceFor(gpu, "secure"),
    community_price: priceFor(gpu, "community"),
    serverless_price: gpu.pool ? priceFor(gpu, "serverless") : null,
    max_gpus: typeof maxCount === "number" ? maxCount : null,
  };
  if (withAvailability) {
    const level = (AVAILABILITY as readonly string[]).includes(gpu.availability ?? "")
      ? gpu.availability as Availability
      : "NONE";
    row.availability = level;
  }
  return row;
}

const money = (n: number | null) => (n === null ? "n/a" : `$${n.toFixed(2)}/h`);

/** `list_gpu_types`: the GPU catalog, filtered and sorted by price. */
export const listGpuTypesTool = defineTool({
  name: "list_gpu_types",
  title: "List GPU types",
  description:
    "GPU types with VRAM (GB), USD per GPU-hour and stock, cheapest first (default: SECURE pods, 1 GPU). Out-of-stock rows are hidden unless available_only=false. Pass id to create_pod, or pool to create_endpoint.",
  toolset: "catalog",
  annotations: READ_ONLY,
  input: {
    min_vram_gb: z.number().int().min(1).max(4096).optional().describe(
      "Min VRAM per GPU, GB, e.g. 24",
    ),
    max_price_per_hour: z.number().positive().optional().describe(
      "Max USD per GPU-hour, e.g. 1.5",
    ),
    cloud: z.enum(["SECURE", "COMMUNITY"]).default("SECURE").describe(
      "Pod cloud, e.g. SECURE",
    ),
    product: z.enum(["POD", "SERVERLESS"]).default("POD").describe(
      "SERVERLESS: pools, e.g. POD",
    ),
    gpu_count: z.number().int().min(1).max(16).default(1).describe(
      "Per pod/worker, e.g. 2",
    ),
    include_availability: z.boolean().default(true).describe(
      "Add stock per row, e.g. true",
    ),
    available_only: z.boolean().default(true).describe(
      "Hide out-of-stock rows, e.g. false",
    ),
  },
  output: {
    gpus: z.array(z.object(gpuRowShape)),
    count: z.number().describe("Rows returned"),
    out_of_stock_hidden: z.number().describe("Rows left out for having no stock"),
  },
  async run(args, ctx) {
    const withAvailability = args.include_availability || args.available_only;
    const gpus = await listGpuTypes(
      ctx.runpod,
      withAvailability
        ? {
          include: "AVAILABILITY",
          product: args.product,
          count: args.gpu_count,
          ...(args.product === "POD" ? { cloud: args.cloud } : {}),
        }
        : {},
      ctx.signal,
    );
    const basis = args.product === "SERVERLESS"
      ? "serverless"
      : args.cloud === "SECURE"
      ? "secure"
      : "community";
    const priceOf = (row: GpuRow) =>
      basis === "serverless"
        ? row.serverless_price
        : basis === "secure"
        ? row.secure_price
        : row.community_price;

    let rows = gpus.map((gpu) => toRow(gpu, args.cloud, withAvailability));
    if (args.product === "SERVERLESS") rows = rows.filter((row) => row.pool !== null);
    else rows = rows.filter((row) => priceOf(row) !== null);
    if (args.product === "POD") {
      rows = rows.filter((row) => row.max_gpus === null || row.max_gpus >= args.gpu_count);
    }
    if (args.min_vram_gb !== undefined) {
      const min = args.min_vram_gb;
      rows = rows.filter((row) => row.vram_gb >= min);
    }
    if (args.max_price_per_hour !== undefined) {
      const max = args.max_price_per_hour;
      rows = rows.filter((row) => {
        const price = priceOf(row);
        return price !== null && price <= max;
      });
    }
    const listed = rows.length;
    if (args.available_only) rows = rows.filter((row) => row.availability !== "NONE");
    const hidden = listed - rows.length;
    rows.sort((a, b) =>
      (priceOf(a) ?? Infinity) - (priceOf(b) ?? Infinity) || a.id.localeCompare(b.id)
    );

    const cheapest = rows[0];
    const hiddenNote = hidden > 0
      ? ` ${hidden} more match but have no stock now (available_only=false lists them).`
      : "";
    const summary = rows.length === 0
      ? `No GPU type matches these filters. Relax min_vram_gb or max_price_per_hour, or try the other cloud.${hiddenNote}`
      : `${rows.length} GPU types (${basis} prices, per GPU-hour${
        args.gpu_count > 1
          ? `; × ${args.gpu_count} GPUs per ${args.product === "POD" ? "pod" : "worker"}`
          : ""
      }). Cheapest: ${cheapest?.name} (${cheapest?.vram_gb} GB) at ${
        money(cheapest ? priceOf(cheapest) : null)
      }${withAvailability ? `, stock ${cheapest?.availability}` : ""}.${hiddenNote}`;
    return {
      summary,
      data: {
        gpus: rows,
        count: rows.length,
        out_of_stock_hidden: hidden,
      },
    };
  },
});
