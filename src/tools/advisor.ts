/**
 * `recommend_gpu`: sizes a model's VRAM with the documented estimate in `policy/vram.ts` and
 * ranks the live catalog's single- and multi-GPU options that fit, cheapest and in stock first.
 *
 * @module
 */

import { z } from "zod";
import { round4 } from "../policy/estimate.ts";
import {
  estimateVram,
  MULTI_GPU_OVERHEAD_PER_EXTRA_GPU,
  type VramEstimate,
  vramForGpus,
} from "../policy/vram.ts";
import type { GpuType } from "../runpod/mod.ts";
import { defineTool, READ_ONLY } from "./_define.ts";

const AVAILABILITY = ["NONE", "LOW", "MEDIUM", "HIGH"] as const;
type Availability = typeof AVAILABILITY[number];

/** Options shown at most. */
export const MAX_OPTIONS = 8;
/** Most GPUs per serverless worker considered (the catalog's maxCount is a pod ceiling). */
export const SERVERLESS_MAX_GPUS_PER_WORKER = 8;

const optionShape = {
  gpu_type: z.string().describe(
    "GPU type id for create_pod, or the pool id for create_endpoint's gpu_types, e.g. AMPERE_48",
  ),
  name: z.string(),
  gpu_count: z.number().describe("GPUs per pod or worker: 1, 2, 4 or 8"),
  total_vram_gb: z.number(),
  headroom_gb: z.number().describe("VRAM left after the estimate (with the multi-GPU allowance)"),
  usd_per_hour: z.number().describe("gpu_count × the per-GPU price"),
  availability: z.enum(AVAILABILITY).describe("Catalog stock now, checked for one GPU"),
  pool: z.string().optional().describe(
    "Serverless pool (SERVERLESS only); VRAM is its smallest GPU, price its dearest",
  ),
};

type Option = z.output<z.ZodObject<typeof optionShape>>;

const estimateShape = {
  weights_gb: z.number(),
  kv_cache_or_activations_gb: z.number(),
  optimizer_gb: z.number(),
  overhead_gb: z.number(),
  total_gb: z.number().describe("VRAM needed on one GPU"),
  assumptions: z.string(),
};

const money = (usd: number) => `$${usd.toFixed(2)}/h`;

function availabilityOf(gpu: GpuType): Availability {
  return (AVAILABILITY as readonly string[]).includes(gpu.availability ?? "")
    ? gpu.availability as Availability
    : "NONE";
}

/** Something to rent: one GPU type for pods, one serverless pool for endpoints. */
interface Offer {
  id: string;
  name: string;
  /** VRAM per GPU, GB: for a pool, its smallest member, since a worker may land on any. */
  memory: number;
  /** USD/hour per GPU: for a pool, its dearest member (the safe figure estimate_cost uses). */
  price: number;
  maxCount: number;
  availability: Availability;
  pool?: string;
}

/** Pods: each secure-cloud GPU type. Serverless: each pool, as create_endpoint deploys to pools. */
function offersFor(gpus: readonly GpuType[], product: "POD" | "SERVERLESS"): Offer[] {
  if (product === "POD") {
    return gpus
      .filter((g) => g.memory > 0 && g.secure && g.price.secure > 0 && g.maxCount.secure >= 1)
      .map((g) => ({
        id: g.id,
        name: g.name,
        memory: g.memory,
        price: g.price.secure,
        maxCount: g.maxCount.secure,
        availability: availabilityOf(g),
      }));
  }
  const pools = new Map<string, Offer>();
  for (const g of gpus) {
    const price = g.price.serverless;
    if (!g.pool || g.memory <= 0 || price === undefined || price <= 0) continue;
    const seen = pools.get(g.pool);
    if (!seen) {
      pools.set(g.pool, {
        id: g.pool,
        name: g.name,
        memory: g.memory,
        price,
        maxCount: SERVERLESS_MAX_GPUS_PER_WORKER,
        availability: availabilityOf(g),
        pool: g.pool,
      });
      continue;
    }
    seen.name = `${seen.name} / ${g.name}`;
    seen.memory = Math.min(seen.memory, g.memory);
    seen.price = Math.max(seen.price, price);
    const level = availabilityOf(g);
    if (AVAILABILITY.indexOf(level) > AVAILABILITY.indexOf(seen.availability)) {
      seen.availability = level;
    }
  }
  return [...pools.values()];
}

function optionFor(offer: Offer, count: number, totalGb: number): Option {
  const vram = offer.memory * count;
  const option: Option = {
    gpu_type: offer.id,
    name: offer.name,
    gpu_count: count,
    total_vram_gb: vram,
    headroom_gb: Math.round((vram - vramForGpus(totalGb, count)) * 10) / 10,
    usd_per_hour: round4(offer.price * count),
    availability: offer.availability,
  };
  if (offer.pool) option.pool = offer.pool;
  return option;
}

/** Fitting options and, per offer, its largest configuration (for "nothing fits"). */
function candidates(
  offers: readonly Offer[],
  totalGb: number,
): { fits: Option[]; largest: Option[] } {
  const fits: Option[] = [];
  const largest: Option[] = [];
  for (const offer of offers) {
    let fit: Option | undefined;
    let most = 1;
    // Powers of two only: tensor parallelism splits attention heads, a power of two in most models.
    for (let n = 1; n <= offer.maxCount && !fit; n *= 2) {
      most = n;
      if (offer.memory * n >= vramForGpus(totalGb, n)) fit = optionFor(offer, n, totalGb);
    }
    if (fit) fits.push(fit);
    else largest.push(optionFor(offer, most, totalGb));
  }
  return { fits, largest };
}

/** In stock first, then cheapest, then fewer GPUs. */
function byRank(a: Option, b: Option): number {
  const stock = Number(a.availability === "NONE") - Number(b.availability === "NONE");
  return stock || a.usd_per_hour - b.usd_per_hour || a.gpu_count - b.gpu_count ||
    a.gpu_type.localeCompare(b.gpu_type);
}

const byPrice = (a: Option, b: Option) =>
  a.usd_per_hour - b.usd_per_hour || a.gpu_count - b.gpu_count ||
  a.gpu_type.localeCompare(b.gpu_type);

function label(o: Option): string {
  return o.pool
    ? `${o.gpu_count}× GPU from pool ${o.pool} (${o.name}; ${o.total_vram_gb} GB)`
    : `${o.gpu_count}× ${o.name} (${o.total_vram_gb} GB)`;
}

function breakdown(e: VramEstimate, workload: string): string {
  const parts = [
    `${e.weightsGb} GB weights`,
    `${e.kvCacheOrActivationsGb} GB ${workload === "inference" ? "KV cache" : "activations"}`,
  ];
  if (e.optimizerGb > 0) parts.push(`${e.optimizerGb} GB optimizer state`);
  parts.push(`${e.overheadGb} GB overhead`);
  return `${e.totalGb} GB = ${parts.join(" + ")}`;
}

/** Ways to need less memory, given what was asked and where the memory goes. */
function remedies(
  args: { precision: string; workload: string; context_tokens: number; batch_size: number },
  estimate: VramEstimate,
): string {
  const out: string[] = [];
  const training = args.workload === "full_finetune" || args.workload === "training";
  if (training) out.push("lora_finetune instead of full training (int4 for QLoRA)");
  else if (args.precision !== "int4") out.push("a lower precision (int8, int4)");
  if (estimate.kvCacheOrActivationsGb > estimate.totalGb * 0.1) {
    if (args.batch_size > 1) out.push("a smaller batch_size");
    if (args.context_tokens > 2048) out.push("fewer context_tokens");
  }
  return out.length > 0 ? `Try ${out.join(", ")}.` : "Try a smaller model.";
}

/** `recommend_gpu`: VRAM estimate + ranked catalog options. */
export const recommendGpu = defineTool({
  name: "recommend_gpu",
  title: "Recommend a GPU for a model",
  description:
    "Sizes a model's VRAM and ranks RunPod GPUs (1 or N per pod/worker) that fit, in stock first, then by USD/hour. Estimate (GB) = params × bytes/precision + KV cache (inference) or activations (training) + gradients and Adam state (16 B/param full fine-tune; LoRA adapters only) + 10% + 1 GB; N GPUs assume tensor/FSDP sharding, +5% each extra. Rough sizing: see docs/gpu-advisor.md. Then create_pod (gpu_type, gpu_count) or create_endpoint (pool).",
  toolset: "catalog",
  annotations: READ_ONLY,
  input: {
    model_params_b: z.number().min(0.1).max(2000).describe(
      "Model size in billions of parameters, e.g. 7 for a 7B model",
    ),
    precision: z.enum(["fp32", "bf16", "fp16", "fp8", "int8", "int4"]).describe(
      "Precision of the weights; int4 with lora_finetune means QLoRA, e.g. bf16",
    ),
    workload: z.enum(["inference", "lora_finetune", "full_finetune", "training"]).describe(
      "What the GPU does with the model, e.g. inference",
    ),
    context_tokens: z.number().int().min(1).max(1_048_576).default(4096).describe(
      "Tokens per sequence (prompt + output, or training sequence length), e.g. 4096",
    ),
    batch_size: z.number().int().min(1).max(4096).default(1).describe(
      "Sequences processed at once, e.g. 1",
    ),
    product: z.enum(["POD", "SERVERLESS"]).default("POD").describe(
      "POD (secure-cloud pod prices) or SERVERLESS (worker prices, pooled GPUs only), e.g. POD",
    ),
    max_price_per_hour: z.number().positive().max(10_000).optional().describe(
      "Only options at or below this total USD/hour, e.g. 2.5",
    ),
  },
  output: {
    estimate: z.object(estimateShape),
    options: z.array(z.object(optionShape)).describe("Best first; empty when nothing fits"),
    nearest: z.object(optionShape).nullable().describe(
      "When nothing fits: the largest option, or the cheapest fit over max_price_per_hour",
    ),
    price_basis: z.string(),
    explanation: z.string(),
  },
  async run(args, ctx) {
    const estimate = estimateVram({
      paramsB: args.model_params_b,
      precision: args.precision,
      workload: args.workload,
      contextTokens: args.context_tokens,
      batchSize: args.batch_size,
    });
    const gpus = await ctx.runpod.listGpuTypes(
      { include: "AVAILABILITY", product: args.product },
      ctx.signal,
    );
    const { fits, largest } = candidates(offersFor(gpus, args.product), estimate.totalGb);
    const max = args.max_price_per_hour;
    const affordable = max === undefined ? fits : fits.filter((o) => o.usd_per_hour <= max);
    const ranked = [...affordable].sort(byRank);
    const options = ranked.slice(0, MAX_OPTIONS);
    const need = breakdown(estimate, args.workload);
    const unit = args.product === "POD" ? "pod" : "worker";

    let nearest: Option | null = null;
    let lines: [string, string];
    const pick = options[0];
    if (pick) {
      const shard = pick.gpu_count > 1
        ? `, sharded across ${pick.gpu_count} GPUs (tensor/FSDP parallelism, +${
          MULTI_GPU_OVERHEAD_PER_EXTRA_GPU * 100
        }% per extra GPU)`
        : "";
      const cheaperOut = affordable.filter((o) =>
        o.availability === "NONE" && byPrice(o, pick) < 0
      ).length;
      const why = pick.availability === "NONE"
        ? "the cheapest fit, but no option that fits is in stock now"
        : cheaperOut > 0
        ? `the cheapest fit in stock (${cheaperOut} cheaper ${
          cheaperOut === 1 ? "option has" : "options have"
        } no stock now)`
        : "the cheapest option that fits";
      lines = [
        `Pick: ${label(pick)} at ${
          money(pick.usd_per_hour)
        } per ${unit}, stock ${pick.availability}, ${pick.headroom_gb} GB headroom${shard}.`,
        `Why: ${why}; needs ~${need}.`,
      ];
    } else if (fits.length > 0) {
      nearest = [...fits].sort(byPrice)[0] ?? null;
      lines = [
        `Nothing that fits costs ${money(max ?? 0)} or less: the cheapest fit is ${
          nearest ? `${label(nearest)} at ${money(nearest.usd_per_hour)}` : "none"
        }.`,
        `Needs ~${need}. Raise max_price_per_hour, or ${
          remedies(args, estimate).replace(/^Try /, "try ")
        }`,
      ];
    } else {
      nearest = [...largest].sort((a, b) =>
        b.total_vram_gb - a.total_vram_gb || byPrice(a, b)
      )[0] ?? null;
      lines = [
        nearest
          ? `Nothing fits: the largest ${unit}, ${label(nearest)}, is ${-nearest
            .headroom_gb} GB short (the estimate is ${estimate.totalGb} GB on one GPU, more when sharded).`
          : `Nothing fits: the catalog offers no GPU for this product; the estimate is ${estimate.totalGb} GB.`,
        `Needs ~${need}. ${remedies(args, estimate)}`,
      ];
    }
    const explanation = lines.join("\n");
    return {
      summary: `${explanation}\nRough sizing: see docs/gpu-advisor.md for the formula.`,
      data: {
        estimate: {
          weights_gb: estimate.weightsGb,
          kv_cache_or_activations_gb: estimate.kvCacheOrActivationsGb,
          optimizer_gb: estimate.optimizerGb,
          overhead_gb: estimate.overheadGb,
          total_gb: estimate.totalGb,
          assumptions: estimate.assumptions,
        },
        options,
        nearest,
        price_basis: args.product === "POD"
          ? "secure-cloud pod USD/hour for gpu_count GPUs"
          : "serverless USD/hour per worker of gpu_count GPUs",
        explanation,
      },
    };
  },
});
