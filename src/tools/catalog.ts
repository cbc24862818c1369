/**
 * Catalog tools: GPU types with prices and stock.
 *
 * @module
 */

import { z } from "zod";
import type { GpuType } from "../runpod/mod.ts";
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
  availability: z.enum(AVAILABILITY).optional().describe("Stock now; present when asked for"),
};

type GpuRow = z.output<z.ZodObject<typeof gpuRowShape>>;

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
      ? gpu.availability as GpuRow["availability"]
      : "NONE";
    row.availability = level;
  }
  return row;
}

const money = (n: number | null) => (n === null ? "n/a" : `$${n.toFixed(2)}/h`);

/** `list_gpu_types`: the GPU catalog, filtered and sorted by price. */
export const listGpuTypes = defineTool({
  name: "list_gpu_types",
  title: "List GPU types and prices",
  description:
    "Lists RunPod GPU types with VRAM (GB), price in USD per GPU-hour (secure, community, serverless) and, when asked, current stock. Sorted cheapest first for the chosen product and cloud. Use it before create_pod (pass the row's id as gpu_type) or before deploying serverless (use the pool id). Set available_only=true to see only what can be rented now.",
  toolset: "catalog",
  annotations: READ_ONLY,
  input: {
    min_vram_gb: z.number().int().min(1).max(4096).optional().describe(
      "Only GPUs with at least this much VRAM per GPU, in GB, e.g. 24",
    ),
    max_price_per_hour: z.number().positive().optional().describe(
      "Only GPUs at or below this USD per GPU-hour for the chosen product/cloud, e.g. 1.5",
    ),
    cloud: z.enum(["SECURE", "COMMUNITY"]).default("SECURE").describe(
      "Pod cloud whose price and stock count, e.g. SECURE",
    ),
    product: z.enum(["POD", "SERVERLESS"]).default("POD").describe(
      "POD for pods, SERVERLESS for endpoints (rows without a pool are dropped), e.g. POD",
    ),
    gpu_count: z.number().int().min(1).max(16).default(1).describe(
      "GPUs per pod or worker; stock is checked for this count, e.g. 2",
    ),
    include_availability: z.boolean().default(false).describe(
      "Add current stock (NONE/LOW/MEDIUM/HIGH) to each row, e.g. true",
    ),
    available_only: z.boolean().default(false).describe(
      "Only GPUs with stock now (implies include_availability), e.g. true",
    ),
  },
  output: {
    gpus: z.array(z.object(gpuRowShape)),
    count: z.number().describe("Rows returned"),
    price_basis: z.string().describe("Which price the sort and max_price_per_hour used"),
  },
  async run(args, ctx) {
    const withAvailability = args.include_availability || args.available_only;
    const gpus = await ctx.runpod.listGpuTypes(
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
    if (args.available_only) rows = rows.filter((row) => row.availability !== "NONE");
    rows.sort((a, b) =>
      (priceOf(a) ?? Infinity) - (priceOf(b) ?? Infinity) || a.id.localeCompare(b.id)
    );

    const cheapest = rows[0];
    const summary = rows.length === 0
      ? "No GPU type matches these filters. Relax min_vram_gb or max_price_per_hour, or try the other cloud."
      : `${rows.length} GPU types (${basis} prices, per GPU-hour${
        args.gpu_count > 1
          ? `; × ${args.gpu_count} GPUs per ${args.product === "POD" ? "pod" : "worker"}`
          : ""
      }). Cheapest: ${cheapest?.name} (${cheapest?.vram_gb} GB) at ${
        money(cheapest ? priceOf(cheapest) : null)
      }.`;
    return {
      summary,
      data: {
        gpus: rows,
        count: rows.length,
        price_basis: `${basis} USD per GPU-hour`,
      },
    };
  },
});
