/**
 * `recommend_gpu`: sizes a model's VRAM with the documented estimate in `policy/vram.ts` and
 * ranks the live catalog's single- and multi-GPU options that fit, cheapest and in stock first.
 *
 * @module
 */

import { z } from "zod";
import { capRefusals } from "../policy/_caps.ts";
import { round4 } from "../policy/estimate.ts";
import { hasCaps, type PolicyOptions } from "../policy/guard.ts";
import {
  estimateVram,
  headroomNeeded,
  MULTI_GPU_OVERHEAD_PER_EXTRA_GPU,
  type VramEstimate,
  vramForGpus,
} from "../policy/vram.ts";
import { type GpuType, listGpuTypes } from "../runpod/mod.ts";
import { defineTool, READ_ONLY, type ToolContext } from "./_define.ts";

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
  // A string on the wire: the model reads the value, and the enum would cost bytes on every list.
  availability: z.string().describe("Catalog stock now, checked for one GPU: NONE … HIGH"),
  data_center_ids: z.array(z.string()).optional().describe(
    "With --allowed-data-centers: pass these as data_center_ids",
  ),
};

/** An option as the code carries it; `availability` is a string on the wire (see optionShape). */
type Option = z.output<z.ZodObject<typeof optionShape>> & { availability: Availability };

const excludedShape = {
  gpu_type: z.string(),
  gpu_count: z.number(),
  usd_per_hour: z.number(),
  reason: z.string(),
};

type Excluded = z.output<z.ZodObject<typeof excludedShape>>;

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
  /** Every GPU type it may run on (a pool: each member). */
  gpuTypeIds: string[];
  manufacturer: string;
  /** Data centers listing it, with stock (a pool: its best-stocked member there). */
  dataCenters: { id: string; availability: Availability }[];
}

const levelOf = (text: string | undefined): Availability =>
  (AVAILABILITY as readonly string[]).includes(text ?? "") ? text as Availability : "NONE";

const better = (a: Availability, b: Availability) =>
  AVAILABILITY.indexOf(a) >= AVAILABILITY.indexOf(b) ? a : b;

function dcsOf(g: GpuType): Offer["dataCenters"] {
  return (g.dataCenters ?? []).map((d) => ({ id: d.id, availability: levelOf(d.availability) }));
}

function mergeDcs(a: Offer["dataCenters"], b: Offer["dataCenters"]): Offer["dataCenters"] {
  const out = new Map(a.map((d) => [d.id, d.availability]));
  for (const d of b) out.set(d.id, better(out.get(d.id) ?? "NONE", d.availability));
  return [...out].map(([id, availability]) => ({ id, availability }));
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
        gpuTypeIds: [g.id],
        manufacturer: g.manufacturer,
        dataCenters: dcsOf(g),
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
        gpuTypeIds: [g.id],
        manufacturer: g.manufacturer,
        dataCenters: dcsOf(g),
      });
      continue;
    }
    seen.gpuTypeIds.push(g.id);
    seen.dataCenters = mergeDcs(seen.dataCenters, dcsOf(g));
    if (g.manufacturer !== seen.manufacturer) seen.manufacturer = "mixed";
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
  return option;
}

/** An option that fits with headroom, and the offer it came from. */
interface Fit {
  option: Option;
  offer: Offer;
}

/**
 * Per offer: the smallest power-of-two count that fits with the headroom rule
 * ({@linkcode headroomNeeded}); else, when some count fits only without it, a "too tight"
 * exclusion; else its largest configuration (for "nothing fits").
 */
function candidates(
  offers: readonly Offer[],
  totalGb: number,
): { fits: Fit[]; tight: Excluded[]; largest: Option[] } {
  const fits: Fit[] = [];
  const tight: Excluded[] = [];
  const largest: Option[] = [];
  for (const offer of offers) {
    let fit: Option | undefined;
    let squeezed: Option | undefined;
    let most = 1;
    // Powers of two only: tensor parallelism splits attention heads, a power of two in most models.
    for (let n = 1; n <= offer.maxCount && !fit; n *= 2) {
      most = n;
      const need = vramForGpus(totalGb, n);
      if (offer.memory * n >= need + headroomNeeded(need)) fit = optionFor(offer, n, totalGb);
      else if (offer.memory * n >= need) squeezed ??= optionFor(offer, n, totalGb);
    }
    if (squeezed) {
      const need = vramForGpus(totalGb, squeezed.gpu_count);
      tight.push(excludedOf(
        squeezed,
        `too tight: ${squeezed.headroom_gb} GB spare, the headroom rule asks ≥ ${
          headroomNeeded(need)
        } GB (max(10%, 2 GB))`,
      ));
    }
    if (fit) fits.push({ option: fit, offer });
    else if (!squeezed) largest.push(optionFor(offer, most, totalGb));
  }
  return { fits, tight, largest };
}

function excludedOf(o: Option, reason: string): Excluded {
  return { gpu_type: o.gpu_type, gpu_count: o.gpu_count, usd_per_hour: o.usd_per_hour, reason };
}

/** AMD is left out: the advisor assumes CUDA builds (PyTorch, vLLM), which do not run on ROCm. */
const AMD_REASON =
  "AMD GPU: CUDA builds of PyTorch/vLLM do not run on it (ROCm images only), so it is not proposed";

/**
 * Places each fit within `--allowed-data-centers` (allowed ones listing it, stock taken there)
 * and asks the guard's own caps about it; returns the fits it would let through, and the rest
 * with the guard's reason.
 */
async function withinPolicy(
  fits: readonly Fit[],
  policy: PolicyOptions,
  ctx: ToolContext,
  gpus: readonly GpuType[],
  product: "POD" | "SERVERLESS",
): Promise<{ allowed: Option[]; refused: Excluded[] }> {
  if (!hasCaps(policy)) return { allowed: fits.map((f) => f.option), refused: [] };
  const refused: Excluded[] = [];
  const placed: Option[] = [];
  const allowedDcs = policy.allowedDataCenters;
  for (const { option, offer } of fits) {
    if (!allowedDcs) {
      placed.push(option);
      continue;
    }
    const dcs = offer.dataCenters.filter((d) => allowedDcs.includes(d.id));
    if (dcs.length === 0) {
      refused.push(excludedOf(
        option,
        `refused by the server's policy: not offered in the allowed data centers (${
          allowedDcs.join(", ")
        }; --allowed-data-centers)`,
      ));
      continue;
    }
    const inStock = dcs.filter((d) => d.availability !== "NONE");
    placed.push({
      ...option,
      availability: dcs.map((d) => d.availability).reduce(better, "NONE" as Availability),
      data_center_ids: (inStock.length > 0 ? inStock : dcs).map((d) => d.id),
    });
  }
  const offerOf = new Map(fits.map((f) => [f.option.gpu_type, f.offer]));
  const reasons = await capRefusals(
    placed.map((o) => ({
      action: product === "POD"
        ? `create a pod with ${o.gpu_count}× ${o.gpu_type}`
        : `create an endpoint on pool ${o.gpu_type}`,
      hourly: o.usd_per_hour,
      gpuTypeIds: offerOf.get(o.gpu_type)?.gpuTypeIds ?? [o.gpu_type],
      gpuCount: o.gpu_count,
      ...(o.data_center_ids ? { dataCenters: o.data_center_ids } : {}),
    })),
    policy,
    ctx.runpod,
    gpus,
    ctx.signal,
  );
  const allowed: Option[] = [];
  placed.forEach((o, i) => {
    const reason = reasons[i];
    if (reason === undefined) allowed.push(o);
    else refused.push(excludedOf(o, `refused by the server's policy: ${reason}`));
  });
  return { allowed, refused };
}

/** In stock first, then cheapest, then fewer GPUs. */
function byRank(a: Option, b: Option): number {
  const stock = Number(a.availability === "NONE") - Number(b.availability === "NONE");
  return stock || a.usd_per_hour - b.usd_per_hour || a.gpu_count - b.gpu_count ||
    a.gpu_type.localeCompare(b.gpu_type);
}

const byCost = (a: Excluded, b: Excluded) =>
  a.usd_per_hour - b.usd_per_hour || a.gpu_type.localeCompare(b.gpu_type);

const byPrice = (a: Option, b: Option) =>
  a.usd_per_hour - b.usd_per_hour || a.gpu_count - b.gpu_count ||
  a.gpu_type.localeCompare(b.gpu_type);

function labelOf(o: Option, product: "POD" | "SERVERLESS"): string {
  return product === "SERVERLESS"
    ? `${o.gpu_count}× GPU from pool ${o.gpu_type} (${o.name}; ${o.total_vram_gb} GB)`
    : `${o.gpu_count}× ${o.name} (${o.total_vram_gb} GB)`;
}

function parts(e: VramEstimate, workload: string): string {
  const parts = [
    `${e.weightsGb} GB weights`,
    `${e.kvCacheOrActivationsGb} GB ${workload === "inference" ? "KV cache" : "activations"}`,
  ];
  if (e.optimizerGb > 0) parts.push(`${e.optimizerGb} GB optimizer state`);
  parts.push(`${e.overheadGb} GB overhead`);
  return parts.join(" + ");
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
export const recommendGpuTool = defineTool({
  name: "recommend_gpu",
  title: "Recommend a GPU",
  description:
    "Sizes a model's VRAM (GB); ranks NVIDIA GPUs (1 or N) that fit with headroom ≥ max(10%, 2 GB), in stock first, then USD/hour, within server caps; says what it excluded. Then create_pod or create_endpoint.",
  toolset: "catalog",
  annotations: READ_ONLY,
  input: {
    model_params_b: z.number().min(0.1).max(2000).describe(
      "Billions of parameters, e.g. 7",
    ),
    precision: z.enum(["fp32", "bf16", "fp16", "fp8", "int8", "int4"]).describe(
      "int4 + lora_finetune = QLoRA, e.g. bf16",
    ),
    workload: z.enum(["inference", "lora_finetune", "full_finetune", "training"]).describe(
      "Use of the model, e.g. inference",
    ),
    context_tokens: z.number().int().min(1).max(1_048_576).default(4096).describe(
      "Tokens per sequence, e.g. 4096",
    ),
    batch_size: z.number().int().min(1).max(4096).default(1).describe(
      "Sequences at once, e.g. 1",
    ),
    product: z.enum(["POD", "SERVERLESS"]).default("POD").describe(
      "Pods or serverless pools, e.g. POD",
    ),
    max_price_per_hour: z.number().positive().max(10_000).optional().describe(
      "Max total USD/hour, e.g. 2.5",
    ),
  },
  output: {
    vram_needed_gb: z.number().describe("The estimate, on one GPU"),
    sizing: z.string().describe("Where vram_needed_gb goes, and the assumptions"),
    options: z.array(z.object(optionShape)).describe("Best first; empty when nothing fits"),
    excluded: z.array(z.object(excludedShape)).describe(
      "Left out and why: server caps, too little headroom, AMD; when nothing fits the nearest miss comes first",
    ),
  },
  async run(args, ctx) {
    const estimate = estimateVram({
      paramsB: args.model_params_b,
      precision: args.precision,
      workload: args.workload,
      contextTokens: args.context_tokens,
      batchSize: args.batch_size,
    });
    const gpus = await listGpuTypes(
      ctx.runpod,
      { include: "AVAILABILITY", product: args.product },
      ctx.signal,
    );
    const found = candidates(offersFor(gpus, args.product), estimate.totalGb);
    const { tight, largest } = found;
    const fitting = found.fits.filter((f) => f.offer.manufacturer !== "AMD");
    const amd = found.fits.filter((f) => f.offer.manufacturer === "AMD");
    const fits = fitting.map((f) => f.option);
    const max = args.max_price_per_hour;
    const priced = max === undefined
      ? fitting
      : fitting.filter((f) => f.option.usd_per_hour <= max);
    const { allowed: affordable, refused } = await withinPolicy(
      priced,
      ctx.policy,
      ctx,
      gpus,
      args.product,
    );
    const excluded = [
      ...refused.sort(byCost),
      ...tight.sort(byCost),
      ...amd.map((f) => excludedOf(f.option, AMD_REASON)),
    ].slice(0, MAX_OPTIONS);
    const ranked = [...affordable].sort(byRank);
    const options = ranked.slice(0, MAX_OPTIONS);
    const split = parts(estimate, args.workload);
    const need = `${estimate.totalGb} GB = ${split}`;
    const label = (o: Option) => labelOf(o, args.product);
    const unit = args.product === "POD" ? "pod" : "worker";

    let nearest: Option | null = null;
    /** The nearest miss when nothing is proposed, unless excluded already names it (caps). */
    let miss: Excluded | undefined;
    let lines: string[];
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
    } else if (priced.length > 0) {
      nearest = priced.map((f) => f.option).sort(byPrice)[0] ?? null;
      lines = [
        `Every option that fits is refused by the server's policy (see excluded); the cheapest fit is ${
          nearest ? `${label(nearest)} at ${money(nearest.usd_per_hour)}` : "none"
        }.`,
        `Needs ~${need}. Ask the user to change the caps, or ${
          remedies(args, estimate).replace(/^Try /, "try ")
        }`,
      ];
    } else if (fits.length > 0) {
      nearest = [...fits].sort(byPrice)[0] ?? null;
      if (nearest) miss = excludedOf(nearest, `cheapest fit, over max_price_per_hour`);
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
      if (nearest) {
        miss = excludedOf(
          nearest,
          `nearest: the largest ${unit}, ${-nearest.headroom_gb} GB short`,
        );
      }
      lines = [
        nearest
          ? `Nothing fits: the largest ${unit}, ${label(nearest)}, is ${-nearest
            .headroom_gb} GB short (the estimate is ${estimate.totalGb} GB on one GPU, more when sharded).`
          : `Nothing fits: the catalog offers no GPU for this product; the estimate is ${estimate.totalGb} GB.`,
        `Needs ~${need}. ${remedies(args, estimate)}`,
      ];
    }
    // AMD is left out every time (see AMD_REASON); the line names only what this call excluded.
    const told = excluded.filter((e) => e.reason !== AMD_REASON);
    if (told.length > 0) {
      lines.push(
        `Excluded: ${
          told.slice(0, 3).map((e) => `${e.gpu_count}× ${e.gpu_type} (${e.reason})`).join("; ")
        }${told.length > 3 ? `; ${told.length - 3} more in excluded` : ""}.`,
      );
    }
    return {
      summary: `${lines.join("\n")}\nRough sizing: see docs/gpu-advisor.md for the formula.`,
      data: {
        vram_needed_gb: estimate.totalGb,
        sizing: `${split}; ${estimate.assumptions}`,
        options,
        excluded: [...(miss ? [miss] : []), ...excluded].slice(0, MAX_OPTIONS),
      },
    };
  },
});
