import assert from "node:assert/strict";
import {
  estimateVram,
  HEADROOM_FRACTION,
  HEADROOM_MIN_GB,
  headroomNeeded,
  vramForGpus,
  type VramOptions,
} from "../src/policy/vram.ts";
import { recommendGpuTool } from "../src/tools/advisor.ts";
import { dataOf, startHarness, TEST_KEY, textOf } from "./_harness.ts";

// --- the estimate --------------------------------------------------------------------------------

function parts(options: VramOptions) {
  const e = estimateVram(options);
  return [e.weightsGb, e.kvCacheOrActivationsGb, e.optimizerGb, e.overheadGb, e.totalGb];
}

Deno.test("estimateVram() pins 7B bf16 inference at 4k context to 17.1 GB", () => {
  assert.deepEqual(parts({ paramsB: 7, precision: "bf16", workload: "inference" }), [
    14,
    0.6,
    0,
    2.5,
    17.1,
  ]);
  const e = estimateVram({ paramsB: 7, precision: "bf16", workload: "inference" });
  assert.equal(e.layers, 33);
  assert.equal(e.hidden, 4211);
  assert.match(e.assumptions, /4096 tokens × batch 1/);
});

Deno.test("estimateVram() pins 70B int4 inference to 42.4 GB with a 16-bit KV cache", () => {
  assert.deepEqual(parts({ paramsB: 70, precision: "int4", workload: "inference" }), [
    35,
    2.6,
    0,
    4.8,
    42.4,
  ]);
});

Deno.test("estimateVram() pins 7B full fine-tune with Adam to 126.1 GB (16 B/param)", () => {
  assert.deepEqual(parts({ paramsB: 7, precision: "bf16", workload: "full_finetune" }), [
    14,
    1.7,
    98,
    12.4,
    126.1,
  ]);
  // Training from scratch needs the same memory per step; fp32 keeps 16 B/param too.
  assert.deepEqual(
    parts({ paramsB: 7, precision: "bf16", workload: "training" }),
    parts({ paramsB: 7, precision: "bf16", workload: "full_finetune" }),
  );
  assert.deepEqual(parts({ paramsB: 7, precision: "fp32", workload: "full_finetune" }), [
    28,
    3.4,
    84,
    12.5,
    127.9,
  ]);
});

Deno.test("estimateVram() pins int8 and fp8 inference; fp8 also halves the KV cache", () => {
  assert.deepEqual(parts({ paramsB: 13, precision: "int8", workload: "inference" }), [
    13,
    0.9,
    0,
    2.4,
    16.3,
  ]);
  assert.deepEqual(parts({ paramsB: 8, precision: "fp8", workload: "inference" }), [
    8,
    0.3,
    0,
    1.8,
    10.1,
  ]);
});

Deno.test("estimateVram() pins LoRA and QLoRA: frozen weights plus 1% adapters with Adam", () => {
  assert.deepEqual(parts({ paramsB: 7, precision: "bf16", workload: "lora_finetune" }), [
    14,
    1.7,
    1.1,
    2.7,
    19.5,
  ]);
  const qlora = estimateVram({ paramsB: 70, precision: "int4", workload: "lora_finetune" });
  assert.deepEqual(
    [qlora.weightsGb, qlora.kvCacheOrActivationsGb, qlora.optimizerGb, qlora.totalGb],
    [35, 6.5, 11.2, 59],
  );
  assert.match(qlora.assumptions, /QLoRA/);
});

Deno.test("estimateVram() grows the KV cache linearly with context and batch", () => {
  const one = estimateVram({ paramsB: 7, precision: "bf16", workload: "inference" });
  const big = estimateVram({
    paramsB: 7,
    precision: "bf16",
    workload: "inference",
    contextTokens: 32768,
    batchSize: 8,
  });
  assert.equal(big.kvCacheOrActivationsGb, 36.3);
  assert.ok(Math.abs(big.kvCacheOrActivationsGb / 64 - one.kvCacheOrActivationsGb) < 0.05);
  assert.equal(big.totalGb, 56.3);
});

Deno.test("vramForGpus() adds 5% per extra GPU", () => {
  assert.equal(vramForGpus(100, 1), 100);
  assert.equal(vramForGpus(100, 2), 105);
  assert.equal(vramForGpus(100, 4), 115);
});

// --- the tool, through a real MCP client against the simulator -----------------------------------

interface Option {
  gpu_type: string;
  name: string;
  gpu_count: number;
  total_vram_gb: number;
  headroom_gb: number;
  usd_per_hour: number;
  availability: string;
}
interface Advice {
  vram_needed_gb: number;
  sizing: string;
  options: Option[];
  excluded: { gpu_type: string; gpu_count: number; usd_per_hour: number; reason: string }[];
  /** The text result without its closing "Rough sizing" line. */
  explanation: string;
}

function adviceOf(result: Parameters<typeof dataOf>[0]): Advice {
  const explanation = textOf(result).split("\nRough sizing")[0]!;
  return { ...dataOf<Omit<Advice, "explanation">>(result), explanation };
}

async function startAdvisor() {
  const h = await startHarness({ server: { tools: [recommendGpuTool] } });
  return {
    sim: h.sim,
    client: h.client,
    call: (args: Record<string, unknown>) => h.call("recommend_gpu", args),
    [Symbol.asyncDispose]: h.close,
  };
}

function assertRanked(options: Option[]) {
  for (let i = 1; i < options.length; i++) {
    const a = options[i - 1]!;
    const b = options[i]!;
    const stockA = a.availability === "NONE" ? 1 : 0;
    const stockB = b.availability === "NONE" ? 1 : 0;
    assert.ok(
      stockA < stockB || (stockA === stockB && a.usd_per_hour <= b.usd_per_hour),
      `option ${i} is out of order`,
    );
  }
}

Deno.test("recommend_gpu reads the catalog once and ranks 7B inference fits by price", async () => {
  await using h = await startAdvisor();
  const result = await h.call({ model_params_b: 7, precision: "bf16", workload: "inference" });
  const data = adviceOf(result);

  assert.equal(h.sim.requests.length, 1);
  const [request] = h.sim.requests;
  assert.equal(request?.method, "GET");
  assert.equal(request?.path, "/v2/catalog/gpus");
  assert.deepEqual(request?.query, { include: "AVAILABILITY", product: "POD" });

  assert.equal(data.vram_needed_gb, 17.1);
  assert.equal(data.options.length, 8);
  assertRanked(data.options);
  assert.deepEqual(
    data.options.map((o) => [o.name, o.gpu_count, o.usd_per_hour]),
    [
      ["RTX A4500", 1, 0.25],
      ["RTX 4000 Ada", 1, 0.26],
      ["RTX A5000", 1, 0.27],
      ["A40", 1, 0.4],
      ["L4", 1, 0.43],
      ["RTX 3090", 1, 0.46],
      ["RTX 2000 Ada", 2, 0.48],
      ["RTX A6000", 1, 0.49],
    ],
  );
  const pick = data.options[0]!;
  assert.deepEqual(pick, {
    gpu_type: "NVIDIA RTX A4500",
    name: "RTX A4500",
    gpu_count: 1,
    total_vram_gb: 20,
    headroom_gb: 2.9,
    usd_per_hour: 0.25,
    availability: "MEDIUM",
  });
  assert.ok(data.excluded.every((e) => /^AMD GPU/.test(e.reason)), "no nearest miss");
  assert.match(data.sizing, /^14 GB weights \+ .*; /);
  assert.equal(data.explanation.split("\n").length, 2);
  assert.match(data.explanation, /^Pick: 1× RTX A4500 \(20 GB\) at \$0\.25\/h per pod/);
  assert.match(data.explanation, /cheapest option that fits; needs ~17\.1 GB = 14 GB weights/);
  assert.match(textOf(result), /docs\/gpu-advisor\.md/);
});

Deno.test("recommend_gpu ranks GPUs with no stock after those in stock", async () => {
  await using h = await startAdvisor();
  const a4500 = h.sim.state.gpuTypes.get("NVIDIA RTX A4500");
  assert.ok(a4500);
  a4500.stock = { "EU-RO-1": "NONE" };
  const data = adviceOf(
    await h.call({ model_params_b: 7, precision: "bf16", workload: "inference" }),
  );
  assertRanked(data.options);
  assert.equal(data.options[0]?.name, "RTX 4000 Ada");
  assert.ok(!data.options.slice(0, 7).some((o) => o.name === "RTX A4500"));
  assert.match(data.explanation, /cheapest fit in stock \(1 cheaper option has no stock now\)/);
});

Deno.test("recommend_gpu shards a 70B bf16 model across several GPUs when that is cheapest", async () => {
  await using h = await startAdvisor();
  const data = adviceOf(
    await h.call({ model_params_b: 70, precision: "bf16", workload: "inference" }),
  );
  assert.equal(data.vram_needed_gb, 157.9);
  // 157.9 GB × (1 + 3 × 5%) = 181.6 GB across four A40s leaves 10.4 GB: under the 18.2 GB
  // (10%) the headroom rule asks, so four are too tight and eight it is.
  assert.deepEqual(data.excluded.find((e) => e.gpu_type === "NVIDIA A40"), {
    gpu_type: "NVIDIA A40",
    gpu_count: 4,
    usd_per_hour: 1.6,
    reason: "too tight: 10.4 GB spare, the headroom rule asks ≥ 18.2 GB (max(10%, 2 GB))",
  });
  const pick = data.options[0]!;
  assert.equal(pick.name, "A40");
  assert.equal(pick.gpu_count, 8);
  assert.equal(pick.total_vram_gb, 384);
  assert.equal(pick.usd_per_hour, 3.2);
  // 157.9 GB × (1 + 7 × 5%) = 213.2 GB needed across eight GPUs.
  assert.equal(pick.headroom_gb, 170.8);
  assert.match(data.explanation, /sharded across 8 GPUs \(tensor\/FSDP parallelism, \+5%/);
  assert.ok(data.options.every((o) => o.total_vram_gb >= vramForGpus(157.9, o.gpu_count)));
  assertRanked(data.options);
});

Deno.test("recommend_gpu drops options over max_price_per_hour", async () => {
  await using h = await startAdvisor();
  const data = adviceOf(
    await h.call({
      model_params_b: 7,
      precision: "bf16",
      workload: "inference",
      max_price_per_hour: 0.3,
    }),
  );
  assert.deepEqual(data.options.map((o) => o.name), ["RTX A4500", "RTX 4000 Ada", "RTX A5000"]);
  assert.ok(data.options.every((o) => o.usd_per_hour <= 0.3));
});

Deno.test("recommend_gpu names the cheapest fit when the budget rules out everything", async () => {
  await using h = await startAdvisor();
  const result = await h.call({
    model_params_b: 70,
    precision: "bf16",
    workload: "inference",
    max_price_per_hour: 1,
  });
  const data = adviceOf(result);
  assert.deepEqual(data.options, []);
  assert.deepEqual(data.excluded[0], {
    gpu_type: "NVIDIA A40",
    gpu_count: 8,
    usd_per_hour: data.excluded[0]?.usd_per_hour,
    reason: "cheapest fit, over max_price_per_hour",
  });
  assert.match(data.explanation, /Nothing that fits costs \$1\.00\/h or less/);
  assert.match(data.explanation, /Raise max_price_per_hour, or try a lower precision/);
});

Deno.test("recommend_gpu with SERVERLESS ranks pools at serverless prices, sized by their smallest GPU", async () => {
  await using h = await startAdvisor();
  const data = adviceOf(
    await h.call({
      model_params_b: 7,
      precision: "bf16",
      workload: "inference",
      product: "SERVERLESS",
    }),
  );
  assert.deepEqual(h.sim.requests[0]?.query, { include: "AVAILABILITY", product: "SERVERLESS" });
  assert.match(data.explanation, /per worker/);
  assertRanked(data.options);
  const pools = data.options.map((o) => o.gpu_type);
  assert.equal(new Set(pools).size, pools.length, "one option per pool");
  for (const option of data.options) {
    const members = [...h.sim.state.gpuTypes.values()].filter((g) =>
      g.pool === option.gpu_type && g.price.serverless !== undefined
    );
    assert.ok(members.length > 0);
    assert.equal(
      option.total_vram_gb,
      Math.min(...members.map((g) => g.memory)) * option.gpu_count,
    );
    assert.equal(
      option.usd_per_hour,
      Math.round(Math.max(...members.map((g) => g.price.serverless!)) * option.gpu_count * 1e4) /
        1e4,
    );
  }
  assert.deepEqual(
    data.options.slice(0, 4).map((o) => [o.gpu_type, o.gpu_count, o.usd_per_hour]),
    [["AMPERE_24", 1, 0.68], ["ADA_24", 1, 1.1], ["AMPERE_16", 2, 1.16], ["AMPERE_48", 1, 1.22]],
  );
  assert.match(
    data.explanation,
    /^Pick: 1× GPU from pool AMPERE_24 \(RTX 3090 \/ RTX A5000 \/ L4; 24 GB\) at \$0\.68\/h per worker/,
  );
});

Deno.test("recommend_gpu says what to change when no GPU can hold the model", async () => {
  await using h = await startAdvisor();
  const result = await h.call({
    model_params_b: 2000,
    precision: "bf16",
    workload: "full_finetune",
    batch_size: 4,
  });
  const data = adviceOf(result);
  assert.deepEqual(data.options, []);
  const [nearest] = data.excluded;
  assert.match(nearest?.gpu_type ?? "", /MI300X/);
  assert.equal(nearest?.gpu_count, 8);
  assert.match(nearest?.reason ?? "", /^nearest: the largest pod, [\d.]+ GB short$/);
  assert.match(
    data.explanation,
    /^Nothing fits: the largest pod, 8× MI300X \(1536 GB\), is [\d.]+ GB short/,
  );
  assert.match(data.explanation, /Try lora_finetune instead of full training \(int4 for QLoRA\)\./);
});

Deno.test("recommend_gpu refuses bad arguments before anything reaches RunPod", async () => {
  await using h = await startAdvisor();
  for (
    const args of [
      { model_params_b: 0.05, precision: "bf16", workload: "inference" },
      { model_params_b: 5000, precision: "bf16", workload: "inference" },
      { model_params_b: 7, precision: "fp64", workload: "inference" },
      { model_params_b: 7, precision: "bf16", workload: "pretraining" },
      { model_params_b: 7, precision: "bf16", workload: "inference", batch_size: 0 },
      { model_params_b: 7, precision: "bf16", workload: "inference", product: "CLUSTER" },
      { model_params_b: 7, precision: "bf16", workload: "inference", max_price_per_hour: -1 },
      { precision: "bf16", workload: "inference" },
    ]
  ) {
    const result = await h.call(args);
    assert.equal(result.isError, true, JSON.stringify(args));
    assert.match(textOf(result), /Input validation error/);
  }
  assert.equal(h.sim.requests.length, 0);
});

Deno.test("recommend_gpu works through the tool registry with a flat, described schema", async () => {
  await using h = await startAdvisor();
  const { tools } = await h.client.listTools();
  assert.equal(tools.length, 1);
  const tool = tools[0]!;
  assert.equal(tool.name, "recommend_gpu");
  assert.ok(tool.description && tool.description.length < 600);
  assert.equal(tool.annotations?.readOnlyHint, true);
  const properties = tool.inputSchema.properties as Record<string, { description?: string }>;
  for (const [name, schema] of Object.entries(properties)) {
    assert.match(name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    assert.match(String(schema.description), /e\.g\./, name);
  }
  const data = adviceOf(
    await h.call({ model_params_b: 7, precision: "bf16", workload: "inference" }),
  );
  assert.equal(data.options[0]?.name, "RTX A4500");
});

Deno.test("recommend_gpu maps a RunPod failure to a tool error", async () => {
  await using h = await startAdvisor();
  h.sim.injectFault({ kind: "status", status: 401, match: { path: "/v2/catalog/gpus" } });
  const result = await h.call({ model_params_b: 7, precision: "bf16", workload: "inference" });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /RUNPOD_API_KEY/);
  assert.ok(!textOf(result).includes(TEST_KEY));
});

Deno.test("recommend_gpu answers plainly when the catalog offers nothing", async () => {
  await using h = await startAdvisor();
  h.sim.state.gpuTypes.clear();
  const empty = adviceOf(
    await h.call({ model_params_b: 7, precision: "bf16", workload: "inference" }),
  );
  assert.deepEqual(empty.options, []);
  assert.deepEqual(empty.excluded, []);
  assert.match(empty.explanation, /^Nothing fits: the catalog offers no GPU for this product/);
});

Deno.test("headroomNeeded() asks for max(10%, 2 GB) spare", () => {
  assert.equal(HEADROOM_FRACTION, 0.1);
  assert.equal(HEADROOM_MIN_GB, 2);
  assert.equal(headroomNeeded(17.1), 2);
  assert.equal(headroomNeeded(19.5), 2);
  assert.equal(headroomNeeded(42.4), 4.2);
  assert.equal(headroomNeeded(181.6), 18.2);
});

Deno.test("recommend_gpu leaves headroom: a 7B LoRA does not land on a 20 GB card with 0.5 GB spare", async () => {
  await using h = await startAdvisor();
  const result = await h.call({ model_params_b: 7, precision: "bf16", workload: "lora_finetune" });
  const data = adviceOf(result);
  assert.equal(data.vram_needed_gb, 19.5);
  const pick = data.options[0]!;
  assert.deepEqual([pick.name, pick.gpu_count, pick.headroom_gb], ["RTX A5000", 1, 4.5]);
  for (const o of data.options) {
    assert.ok(o.headroom_gb >= headroomNeeded(vramForGpus(19.5, o.gpu_count)), o.gpu_type);
  }
  assert.ok(!data.options.some((o) => o.total_vram_gb === 20 && o.gpu_count === 1));
  const tight = data.excluded.filter((e) => /too tight/.test(e.reason));
  assert.deepEqual(tight.map((e) => [e.gpu_type, e.gpu_count, e.usd_per_hour]), [
    ["NVIDIA RTX A4500", 1, 0.25],
    ["NVIDIA RTX 4000 Ada Generation", 1, 0.26],
  ]);
  assert.equal(
    tight[0]?.reason,
    "too tight: 0.5 GB spare, the headroom rule asks ≥ 2 GB (max(10%, 2 GB))",
  );
  assert.match(textOf(result), /Excluded: 1× NVIDIA RTX A4500 \(too tight: 0\.5 GB spare/);
});
