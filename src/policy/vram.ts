/**
 * A rough, documented estimate of the GPU memory a dense decoder-only transformer needs for
 * inference or training. Pure arithmetic, no I/O; `recommend_gpu` turns it into GPU picks.
 * docs/gpu-advisor.md explains every constant. GB here means 10^9 bytes.
 *
 * @module
 */

/** Numeric precision of the model weights. */
export type Precision = "fp32" | "bf16" | "fp16" | "fp8" | "int8" | "int4";

/** What the GPUs will do with the model. */
export type Workload = "inference" | "lora_finetune" | "full_finetune" | "training";

/** Bytes per weight at each precision. */
export const BYTES_PER_PARAM: Readonly<Record<Precision, number>> = {
  fp32: 4,
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
};

/** Default tokens per sequence (prompt + output for inference, sequence length for training). */
export const DEFAULT_CONTEXT_TOKENS = 4096;
/** Default sequences processed at once. */
export const DEFAULT_BATCH_SIZE = 1;

/**
 * Dense decoders have about 12 × layers × hidden² parameters (4h² attention + 8h² MLP per layer,
 * embeddings ignored).
 */
export const PARAMS_PER_LAYER_PER_HIDDEN_SQUARED = 12;
/** Typical hidden size / layer count (Llama 2 7B and 13B: 128; Llama 2 70B: 102). */
export const HIDDEN_PER_LAYER = 128;
/**
 * Query heads per KV head. Grouped-query attention (Llama 3, Mistral, Qwen 2.5) shares each KV
 * head among 4–8 query heads; 4 is the conservative end. Multi-head models (Llama 2 7B) keep 4×
 * more KV cache than this assumes.
 */
export const GQA_FACTOR = 4;
/**
 * Stored activation bytes per token per hidden unit, per checkpointed layer, with gradient
 * checkpointing: each layer keeps only its 16-bit input (2 bytes).
 */
export const CHECKPOINT_BYTES_PER_HIDDEN_PER_LAYER = 2;
/**
 * Activation bytes per token per hidden unit of the one layer being recomputed in the backward
 * pass: 34 for 16-bit activations with FlashAttention (no sequence² attention scores), the figure
 * from Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models".
 */
export const LAYER_ACTIVATION_BYTES_PER_HIDDEN = 34;
/**
 * LoRA adapter parameters as a share of the base model: rank 16–64 on every linear layer gives
 * about 0.5–2%; 1% is the middle (rank ~32).
 */
export const LORA_PARAM_FRACTION = 0.01;
/**
 * Bytes per trained parameter with Adam in mixed precision: 16-bit weight (2) + 16-bit gradient
 * (2) + fp32 master weight (4) + two fp32 moments (8). Pure fp32 training also totals 16.
 */
export const ADAM_BYTES_PER_TRAINED_PARAM = 16;
/** CUDA context, allocator fragmentation and temporary buffers, as a share of everything else. */
export const OVERHEAD_FRACTION = 0.1;
/** Fixed overhead per model copy: CUDA context and framework (PyTorch, vLLM) buffers, GB. */
export const OVERHEAD_FIXED_GB = 1;
/**
 * Extra memory per additional GPU when a model is sharded (tensor parallelism for inference,
 * FSDP/ZeRO-3 for training): duplicated buffers, communication buffers, per-GPU CUDA context.
 */
export const MULTI_GPU_OVERHEAD_PER_EXTRA_GPU = 0.05;

/** Options for {@linkcode estimateVram}. */
export interface VramOptions {
  /** Model size in billions of parameters, e.g. 7. */
  paramsB: number;
  precision: Precision;
  workload: Workload;
  /** Tokens per sequence; default {@linkcode DEFAULT_CONTEXT_TOKENS}. */
  contextTokens?: number;
  /** Sequences at once; default {@linkcode DEFAULT_BATCH_SIZE}. */
  batchSize?: number;
}

/** An estimate in GB (10^9 bytes), each part rounded to 0.1 GB; `totalGb` is their sum. */
export interface VramEstimate {
  /** Model weights at the given precision (for full training, the 16-bit or fp32 working copy). */
  weightsGb: number;
  /** KV cache for inference; stored activations for training. */
  kvCacheOrActivationsGb: number;
  /** Gradients, fp32 master weights and Adam moments (LoRA: the adapters, whole). */
  optimizerGb: number;
  /** {@linkcode OVERHEAD_FRACTION} of the rest plus {@linkcode OVERHEAD_FIXED_GB}. */
  overheadGb: number;
  /** For one GPU; see {@linkcode vramForGpus} for N GPUs. */
  totalGb: number;
  /** Derived architecture: layer count and hidden size, rounded. */
  layers: number;
  hidden: number;
  /** One line naming the assumptions, e.g. "7B bf16 inference, 4096 tokens × batch 1, …". */
  assumptions: string;
}

const round1 = (gb: number) => Math.round(gb * 10) / 10;

/**
 * Layers and hidden size of a typical dense decoder with `params` parameters, from
 * params ≈ 12 · layers · hidden² and hidden ≈ 128 · layers.
 */
function shapeOf(params: number): { layers: number; hidden: number } {
  const layers = Math.cbrt(
    params / (PARAMS_PER_LAYER_PER_HIDDEN_SQUARED * HIDDEN_PER_LAYER * HIDDEN_PER_LAYER),
  );
  return { layers, hidden: layers * HIDDEN_PER_LAYER };
}

/**
 * Estimates the VRAM a model needs for a workload; see docs/gpu-advisor.md for the formula.
 *
 * @example
 * ```ts
 * estimateVram({ paramsB: 7, precision: "bf16", workload: "inference" }).totalGb; // 17
 * ```
 */
export function estimateVram(options: VramOptions): VramEstimate {
  const { paramsB, precision, workload } = options;
  const tokens = (options.contextTokens ?? DEFAULT_CONTEXT_TOKENS) *
    (options.batchSize ?? DEFAULT_BATCH_SIZE);
  const params = paramsB * 1e9;
  const { layers, hidden } = shapeOf(params);
  const bytes = BYTES_PER_PARAM[precision];
  // int8/int4 quantize weights only: compute, KV cache and activations stay 16-bit.
  const activationBytes = precision === "fp32" ? 4 : precision === "fp8" ? 1 : 2;
  const activationScale = activationBytes / 2;
  const activationsPerToken = hidden * activationScale *
    (CHECKPOINT_BYTES_PER_HIDDEN_PER_LAYER * layers + LAYER_ACTIVATION_BYTES_PER_HIDDEN);

  let weights: number;
  let state: number;
  let optimizer = 0;
  let detail: string;
  if (workload === "inference") {
    weights = params * bytes;
    // K and V, per layer, over hidden / GQA_FACTOR channels.
    state = tokens * 2 * layers * (hidden / GQA_FACTOR) * activationBytes;
    detail = `KV cache ${activationBytes * 8}-bit, GQA ${GQA_FACTOR}×`;
  } else if (workload === "lora_finetune") {
    weights = params * bytes;
    optimizer = params * LORA_PARAM_FRACTION * ADAM_BYTES_PER_TRAINED_PARAM;
    state = tokens * activationsPerToken;
    detail = `${precision === "int4" ? "QLoRA" : "LoRA"} adapters ${
      LORA_PARAM_FRACTION * 100
    }% of params with Adam, gradient checkpointing`;
  } else {
    // Training keeps a 16-bit working copy (fp32 when asked) whatever the storage precision.
    const working = precision === "fp32" ? 4 : 2;
    weights = params * working;
    optimizer = params * (ADAM_BYTES_PER_TRAINED_PARAM - working);
    state = tokens * activationsPerToken;
    detail = `Adam ${ADAM_BYTES_PER_TRAINED_PARAM} B/param, gradient checkpointing`;
  }
  const overhead = (weights + state + optimizer) * OVERHEAD_FRACTION + OVERHEAD_FIXED_GB * 1e9;
  const weightsGb = round1(weights / 1e9);
  const kvCacheOrActivationsGb = round1(state / 1e9);
  const optimizerGb = round1(optimizer / 1e9);
  const overheadGb = round1(overhead / 1e9);
  return {
    weightsGb,
    kvCacheOrActivationsGb,
    optimizerGb,
    overheadGb,
    totalGb: round1(weightsGb + kvCacheOrActivationsGb + optimizerGb + overheadGb),
    layers: Math.round(layers),
    hidden: Math.round(hidden),
    assumptions: `${paramsB}B ${precision} ${workload}, ${
      options.contextTokens ?? DEFAULT_CONTEXT_TOKENS
    } tokens × batch ${options.batchSize ?? DEFAULT_BATCH_SIZE}; ~${Math.round(layers)} layers × ${
      Math.round(hidden)
    } hidden; ${detail}; +${OVERHEAD_FRACTION * 100}% +${OVERHEAD_FIXED_GB} GB overhead`,
  };
}

/**
 * Total VRAM `gpus` GPUs need together for a model whose single-GPU estimate is `totalGb`: each
 * GPU beyond the first adds {@linkcode MULTI_GPU_OVERHEAD_PER_EXTRA_GPU} of it.
 *
 * @example
 * ```ts
 * vramForGpus(100, 2); // 105
 * ```
 */
export function vramForGpus(totalGb: number, gpus: number): number {
  return round1(totalGb * (1 + MULTI_GPU_OVERHEAD_PER_EXTRA_GPU * (gpus - 1)));
}

/** Spare VRAM a pick must leave, as a share of what the model needs (see {@linkcode headroomNeeded}). */
export const HEADROOM_FRACTION = 0.1;
/** Spare VRAM a pick must leave at least, GB, whatever the model's size. */
export const HEADROOM_MIN_GB = 2;

/**
 * The spare VRAM a pick must leave after `neededGb` (the estimate, with the multi-GPU allowance):
 * max({@linkcode HEADROOM_FRACTION} × need, {@linkcode HEADROOM_MIN_GB}). The estimate leaves out
 * the logits buffer and framework quirks, so a card filled to the last GB is too tight.
 *
 * @example
 * ```ts
 * headroomNeeded(17.1); // 2 (10% would be 1.7)
 * headroomNeeded(42.4); // 4.2
 * ```
 */
export function headroomNeeded(neededGb: number): number {
  return round1(Math.max(neededGb * HEADROOM_FRACTION, HEADROOM_MIN_GB));
}
