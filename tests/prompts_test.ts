import assert from "node:assert/strict";
import { formatModelSize, parseModelSize, WORKLOADS } from "../src/prompts/_args.ts";
import { ALL_PROMPTS, offeredPrompts } from "../src/prompts/mod.ts";
import { ALL_TOOLS, selectTools, type ToolSelection } from "../src/tools/mod.ts";
import { simRequest, startHarness, TEST_KEY } from "./_harness.ts";

const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
const RTX4090 = "NVIDIA GeForce RTX 4090";

/** The real server with every tool (or a selection) and the prompts, against the simulator. */
async function startPromptHarness(selection: ToolSelection = {}) {
  const h = await startHarness({ server: { tools: selectTools(selection) } });
  const { sim, client, logLines } = h;
  const close = h.close;
  return {
    sim,
    client,
    logLines,
    async post(path: string, body: unknown): Promise<{ id: string }> {
      const { status, json } = await simRequest(h, "POST", path, body);
      assert.equal(status, 201, JSON.stringify(json));
      return json;
    },
    async render(name: string, args: Record<string, string>): Promise<string> {
      const result = await client.getPrompt({ name, arguments: args });
      assert.equal(result.messages.length, 1);
      const content = result.messages[0]!.content;
      assert.equal(content.type, "text");
      return content.type === "text" ? content.text : "";
    },
    async complete(prompt: string, argument: string, value: string): Promise<string[]> {
      const result = await client.complete({
        ref: { type: "ref/prompt", name: prompt },
        argument: { name: argument, value },
      });
      return result.completion.values;
    },
    [Symbol.asyncDispose]: close,
  };
}

const TOOL_NAMES = new Set([...ALL_TOOLS.map((t) => t.name), "recommend_gpu"]);
const PROMPT_NAMES = new Set(ALL_PROMPTS.map((p) => p.name));
// Argument names the plans may spell out, and enum values and job-input fields that look alike.
const WORDS_NOT_TOOLS = new Set([
  ...ALL_TOOLS.flatMap((t) => Object.keys(t.input)),
  "dry_run",
  "confirmation_token",
  "network_volume",
  "sampling_params",
  "max_tokens",
  ...WORKLOADS,
]);
const TOOL_VERB =
  /^(list|get|create|update|delete|start|stop|restart|terminate|wait|run|stream|cancel|retry|purge|estimate|recommend)_/;

/** Every snake_case word is a real tool, a prompt, or a real argument name; returns the tools. */
function toolsNamedIn(text: string): Set<string> {
  const tools = new Set<string>();
  for (const [word] of text.matchAll(/\b[a-z]+(_[a-z]+)+\b/g)) {
    if (TOOL_NAMES.has(word)) tools.add(word);
    else {
      assert.ok(
        PROMPT_NAMES.has(word) || WORDS_NOT_TOOLS.has(word),
        `${JSON.stringify(word)} is neither a tool, a prompt nor an argument`,
      );
    }
  }
  for (const [word] of text.matchAll(/`([a-z_]+)`/g)) {
    const name = word.slice(1, -1);
    if (TOOL_VERB.test(name)) assert.ok(TOOL_NAMES.has(name), `unknown tool ${name}`);
  }
  return tools;
}

interface Case {
  required: Record<string, string>;
  all: Record<string, string>;
  /** Tools the plan must name with only the required arguments. */
  tools: string[];
  /** How the text shows values it normalises, e.g. "2 days" → "48 h". */
  shown?: Record<string, string>;
}

const CASES: Record<string, Case> = {
  select_gpu: {
    required: { workload: "LoRA fine-tuning" },
    all: {
      workload: "inference",
      framework: "vLLM",
      model_params_b: "13b",
      batch_size: "8",
      max_price_per_hour: "$1.50",
      gpu_type: "RTX 4090",
    },
    tools: ["recommend_gpu", "list_gpu_types", "estimate_cost"],
    shown: { "$1.50": "max_price_per_hour=1.5", "13b": "model_params_b=13," },
  },
  deploy_inference_endpoint: {
    required: { model: "meta-llama/Llama-3.1-8B-Instruct" },
    all: {
      model: "Qwen/Qwen2.5-7B-Instruct",
      engine: "vLLM",
      model_params_b: "7B",
      gpu_type: "L40S",
      workers_max: "3",
      workers_min: "1",
    },
    tools: [
      "list_templates",
      "list_gpu_types",
      "estimate_cost",
      "create_endpoint",
      "get_endpoint_health",
      "run_job_sync",
      "delete_endpoint",
    ],
    shown: { "1": "workers_min=1", "3": "workers_max=3" },
  },
  train_pytorch_on_pod: {
    required: { task: "fine-tune ResNet-50 on my images" },
    all: {
      task: "LoRA fine-tune of Llama 3.1 8B",
      gpu_type: "A100 SXM",
      gpu_count: "2",
      network_volume_id: "agv6w2qcg7",
      data_center_id: "EU-RO-1",
      size_gb: "200",
      hours: "2 days",
    },
    tools: [
      "list_network_volumes",
      "list_data_centers",
      "estimate_cost",
      "create_network_volume",
      "create_pod",
      "wait_for_pod",
      "get_pod_logs",
      "stop_pod",
      "terminate_pod",
    ],
    shown: { "2 days": "hours=48", "200": "size_gb=200" },
  },
  run_diffusion_model: {
    required: { model: "SDXL" },
    all: { model: "FLUX.1-dev", mode: "serverless", gpu_type: "RTX 4090", hours: "3h" },
    tools: ["list_templates", "list_gpu_types", "estimate_cost", "create_pod", "stop_pod"],
    shown: { "3h": "about 3 h", "serverless": "as a serverless endpoint" },
  },
  manage_long_running_experiment: {
    required: { pod_id: "x7k2m9p4q1" },
    all: {
      pod_id: "x7k2m9p4q1",
      budget_usd: "40",
      done_when: "Training complete",
      checkpoint_path: "/workspace/ckpt",
      check_every: "30 min",
    },
    tools: ["get_pod", "get_spend_summary", "get_pod_logs", "stop_pod", "terminate_pod"],
    shown: { "40": "budget of $40", "30 min": "every 30 min" },
  },
  debug_pod: {
    required: { pod_id: "x7k2m9p4q1" },
    all: { pod_id: "x7k2m9p4q1", symptom: "port 8888 not reachable" },
    tools: ["get_pod", "wait_for_pod", "get_pod_logs", "update_pod", "restart_pod"],
  },
  debug_endpoint: {
    required: { endpoint_id: "vllm-a1b2c3d4e5" },
    all: { endpoint_id: "vllm-a1b2c3d4e5", symptom: "jobs stuck IN_QUEUE", job_id: "job-123-u1" },
    tools: [
      "get_endpoint",
      "get_endpoint_health",
      "list_endpoint_workers",
      "get_job",
      "list_gpu_types",
      "update_endpoint",
      "purge_queue",
    ],
  },
  reduce_costs: {
    required: {},
    all: { focus: "serverless", monthly_budget_usd: "300" },
    tools: [
      "get_spend_summary",
      "get_billing_history",
      "list_pods",
      "stop_pod",
      "list_endpoints",
      "update_endpoint",
      "list_network_volumes",
    ],
  },
};

Deno.test("prompts/list shows all eight prompts with described arguments", async () => {
  await using h = await startPromptHarness();
  const capabilities = h.client.getServerCapabilities();
  assert.ok(capabilities?.prompts, "prompts capability");
  assert.ok(capabilities?.completions, "completions capability");
  const { prompts } = await h.client.listPrompts();
  assert.deepEqual(prompts.map((p) => p.name), Object.keys(CASES));
  for (const prompt of prompts) {
    assert.ok(prompt.title && prompt.description, `${prompt.name} has a title and description`);
    assert.ok((prompt.arguments ?? []).length > 0 || prompt.name === "reduce_costs");
    const required = (prompt.arguments ?? []).filter((a) => a.required).map((a) => a.name);
    assert.deepEqual(required.sort(), Object.keys(CASES[prompt.name]!.required).sort());
    for (const arg of prompt.arguments ?? []) {
      assert.match(arg.description ?? "", /e\.g\. /, `${prompt.name}.${arg.name} has an example`);
    }
  }
});

Deno.test("every prompt renders with only its required arguments and with all of them", async () => {
  await using h = await startPromptHarness();
  for (const [name, c] of Object.entries(CASES)) {
    for (const args of [c.required, c.all]) {
      const text = await h.render(name, args);
      const where = `${name} ${JSON.stringify(args)}`;
      assert.ok(text.length <= 2600, `${where}: ${text.length} chars`);
      for (const value of Object.values(args)) {
        const shown = c.shown?.[value] ?? value;
        assert.ok(text.includes(shown), `${where}: mentions ${value} as ${shown}`);
      }
      const tools = toolsNamedIn(text);
      assert.ok(tools.has("estimate_cost"), `${where}: prices with estimate_cost`);
      if (args === c.required) {
        for (const tool of c.tools) assert.ok(tools.has(tool), `${where}: names ${tool}`);
      }
      assert.match(text, /get their agreement/, `${where}: asks the user to agree to costs`);
      assert.doesNotMatch(text, /Unclear input/, `${where}: reads every value`);
      // Numbered steps, in order.
      assert.match(text, /\n1\. .*\n2\. /);
    }
  }
  assert.deepEqual(
    [...new Set(h.sim.requests.map((r) => `${r.method} ${r.path}`))],
    ["GET /v2/catalog/gpus"],
    "rendering asks RunPod only for the GPU catalog, to check gpu_type",
  );
});

Deno.test("prompt texts weave in the sizing and choices read from the arguments", async () => {
  await using h = await startPromptHarness();
  const gpu = await h.render("select_gpu", { workload: "inference", model_params_b: "7" });
  assert.match(gpu, /7B model needs about 18 GB/);
  assert.match(gpu, /`recommend_gpu` with model_params_b=7, precision=bf16 .*workload=inference/);
  assert.match(gpu, /`list_gpu_types` with min_vram_gb=18, available_only=true/);
  const big = await h.render("select_gpu", { workload: "inference", model_params_b: "70b" });
  // 157.9 GB from the documented estimate (policy/vram.ts), rounded up and split over 2 GPUs.
  assert.match(big, /70B model needs about 158 GB/);
  assert.match(big, /min_vram_gb=79, gpu_count=2/);
  const serverless = await h.render("run_diffusion_model", { model: "FLUX.1", mode: "api" });
  assert.match(serverless, /`create_endpoint`/);
  assert.doesNotMatch(serverless, /`create_pod`/);
  const alwaysOn = await h.render("deploy_inference_endpoint", {
    model: "m",
    workers_min: "1",
    workers_max: "4",
  });
  assert.match(alwaysOn, /workers_min=1, workers_max=4/);
  assert.match(alwaysOn, /billing around the clock/);
  const reused = await h.render("train_pytorch_on_pod", {
    task: "t",
    network_volume_id: "vol123",
  });
  assert.match(reused, /`get_network_volume` with volume_id="vol123"/);
  assert.doesNotMatch(reused, /`create_network_volume`/);
});

Deno.test("model sizes are read the way people write them", () => {
  for (
    const [text, billions] of [
      ["7B", 7],
      ["7", 7],
      ["70b", 70],
      ["1.5B", 1.5],
      [
        "350M",
        0.35,
      ],
      ["8x7B", 56],
      ["7000000000", 7],
      ["13 B params", 13],
    ] as const
  ) {
    assert.deepEqual(parseModelSize(text), { ok: true, value: billions }, text);
  }
  for (const text of ["huge", "0", "-7B", "7Q", "", "50M", "2001"]) {
    assert.equal(parseModelSize(text).ok, false, text);
  }
  assert.equal(formatModelSize(0.35), "350M");
  assert.equal(formatModelSize(7), "7B");
});

Deno.test("unreadable values render a clear note for the model to ask about, not an error", async () => {
  await using h = await startPromptHarness();
  const text = await h.render("select_gpu", {
    workload: "inference",
    model_params_b: "huge",
    batch_size: "lots",
  });
  assert.match(text, /Unclear input \(ask the user before relying on it\):/);
  assert.match(
    text,
    /Cannot read model_params_b "huge": give billions of parameters from 0\.1 to 2000, e\.g\. 7/,
  );
  assert.match(text, /Cannot read batch_size "lots": give a whole number from 1 to 4096/);
  assert.match(text, /`list_gpu_types`/, "the plan still renders");
  const budget = await h.render("manage_long_running_experiment", {
    pod_id: "p1",
    budget_usd: "a lot",
  });
  assert.match(budget, /Cannot read budget "a lot": give an amount in USD/);
  // Numbers outside what the tools take are notes too, named as the tools name them.
  const range = await h.render("deploy_inference_endpoint", {
    model: "m",
    model_params_b: "5000",
    workers_min: "-1",
    workers_max: "101",
  });
  assert.match(range, /Cannot read model_params_b "5000"/);
  assert.match(range, /Cannot read workers_min "-1": give a whole number from 1 to 100/);
  assert.match(range, /Cannot read workers_max "101": give a whole number from 1 to 100/);
  assert.match(range, /workers_min=0, workers_max=2/, "the defaults stand in");
});

Deno.test("prompt errors reach the client as worded, with no 'MCP error' prefix", async () => {
  await using h = await startPromptHarness();
  // A missing required argument: the SDK's own refusal, thrown as an McpError in its handler.
  const missing = await h.client.getPrompt({ name: "debug_pod", arguments: {} }).then(
    () => assert.fail("a missing pod_id is refused"),
    (error: Error) => error.message,
  );
  assert.match(missing, /^Invalid arguments for prompt debug_pod: pod_id/);
  assert.doesNotMatch(missing, /MCP error/);
  const unknown = await h.client.getPrompt({ name: "no_such_prompt" }).then(
    () => assert.fail("an unknown prompt is refused"),
    (error: Error) => error.message,
  );
  assert.equal(unknown, "Prompt no_such_prompt not found");
});

Deno.test("a gpu_type RunPod does not have is refused with close matches", async () => {
  await using h = await startPromptHarness();
  const message = await h.client.getPrompt({
    name: "train_pytorch_on_pod",
    arguments: { task: "t", gpu_type: "Banana GPU 9000" },
  }).then(() => assert.fail("an unknown GPU is refused"), (error: Error) => error.message);
  assert.match(
    message,
    /^Cannot find GPU type "Banana GPU 9000"\. Close matches: "/,
  );
  assert.doesNotMatch(message, /MCP error/);
  const typo = await h.client.getPrompt({
    name: "select_gpu",
    arguments: { workload: "inference", gpu_type: "RTX 4909" },
  }).then(() => assert.fail("a typo is refused"), (error: Error) => error.message);
  assert.match(typo, /Close matches: .*RTX 4090/);
  // Names, ids and different spacing or case are all fine.
  for (const gpu of ["RTX 4090", RTX4090, "rtx4090", "a100 sxm"]) {
    const text = await h.render("run_diffusion_model", { model: "SDXL", gpu_type: gpu });
    assert.ok(text.includes(gpu), gpu);
  }
  assert.equal(
    h.sim.requests.filter((r) => r.path === "/v2/catalog/gpus").length,
    1,
    "one catalog listing serves the checks for 10 s",
  );
});

Deno.test("a GPU catalog RunPod cannot serve becomes a note, not a failure", async () => {
  await using h = await startPromptHarness();
  h.sim.injectFault({
    kind: "status",
    status: 500,
    times: 20,
    match: { path: "/v2/catalog/gpus" },
  });
  const text = await h.render("select_gpu", { workload: "inference", gpu_type: "Banana GPU" });
  assert.match(text, /Cannot check gpu_type "Banana GPU" against RunPod's catalog now/);
  assert.ok(h.logLines.some((l) => l.includes("prompt GPU check failed")));
  h.sim.clearFaults();
  await assert.rejects(
    () => h.render("select_gpu", { workload: "inference", gpu_type: "Banana GPU" }),
    /Cannot find GPU type "Banana GPU"/,
    "a failure is not cached",
  );
});

Deno.test("select_gpu passes recommend_gpu's workload values and reads free text into them", async () => {
  await using h = await startPromptHarness();
  for (
    const [workload, expected] of [
      ["lora_finetune", "lora_finetune"],
      ["full_finetune", "full_finetune"],
      ["training", "training"],
      ["LoRA fine-tune", "lora_finetune"],
      ["pretraining from scratch", "full_finetune"],
      ["SDXL images", "inference"],
    ]
  ) {
    const text = await h.render("select_gpu", { workload: workload!, model_params_b: "7" });
    assert.match(text, new RegExp(`workload=${expected}[,.]`), workload);
  }
});

Deno.test("pod id completions come from RunPod, filtered by prefix, and are cached briefly", async () => {
  await using h = await startPromptHarness();
  const pods = [];
  for (const name of ["train-llama", "train-sdxl", "notebook"]) {
    pods.push(await h.post("/v2/pods", { name, image: IMAGE, gpu: { id: RTX4090, count: 1 } }));
  }
  h.sim.clearRequests();
  const all = await h.complete("debug_pod", "pod_id", "");
  assert.deepEqual(all.sort(), pods.map((p) => p.id).sort());
  const first = pods[0]!.id;
  const byId = await h.complete("manage_long_running_experiment", "pod_id", first.slice(0, 6));
  assert.ok(byId.includes(first));
  assert.ok(byId.every((id) => id.startsWith(first.slice(0, 6))));
  const byName = await h.complete("debug_pod", "pod_id", "TRAIN-");
  assert.deepEqual(byName.sort(), [pods[0]!.id, pods[1]!.id].sort(), "a name suggests its id");
  assert.deepEqual(await h.complete("debug_pod", "pod_id", "zzz"), []);
  assert.deepEqual(
    h.sim.requests.map((r) => `${r.method} ${r.path}`),
    ["GET /v2/pods"],
    "one listing serves completions for 10 s",
  );
  h.sim.advance(11_000);
  await h.complete("debug_pod", "pod_id", "");
  assert.equal(h.sim.requests.length, 2, "listed again once the cache is stale");
});

Deno.test("endpoint, network volume and data center ids complete from RunPod", async () => {
  await using h = await startPromptHarness();
  const endpoint = await h.post("/v2/serverless", {
    name: "vllm-chat",
    type: "QUEUE",
    image: "runpod/worker-v1-vllm:v2.7.0",
    gpu: { pools: ["ADA_24"], count: 1 },
    workers: { min: 0, max: 2 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
  });
  const volume = await h.post("/v2/network-volumes", {
    name: "ckpt",
    size: 50,
    dataCenter: "US-KS-2",
  });
  assert.deepEqual(await h.complete("debug_endpoint", "endpoint_id", "vllm"), [endpoint.id]);
  assert.deepEqual(await h.complete("debug_endpoint", "endpoint_id", endpoint.id), [endpoint.id]);
  assert.deepEqual(await h.complete("train_pytorch_on_pod", "network_volume_id", ""), [volume.id]);
  const dcs = await h.complete("train_pytorch_on_pod", "data_center_id", "eu-");
  assert.ok(dcs.length > 0 && dcs.every((id) => id.startsWith("EU-")), dcs.join());
  assert.ok(dcs.includes("EU-RO-1"));
  // Arguments that come from nowhere in RunPod have no completions.
  assert.deepEqual(await h.complete("debug_pod", "symptom", "st"), []);
  const paths = new Set(h.sim.requests.map((r) => r.path));
  for (const path of ["/v2/serverless", "/v2/network-volumes", "/v2/catalog/datacenters"]) {
    assert.ok(paths.has(path), path);
  }
});

Deno.test("GPU type completions match short names or full ids and stop at 20", async () => {
  await using h = await startPromptHarness();
  const all = await h.complete("select_gpu", "gpu_type", "");
  assert.equal(all.length, 20, "capped");
  assert.ok(h.sim.state.gpuTypes.size > 20, "the catalog has more");
  const rtx = await h.complete("run_diffusion_model", "gpu_type", "rtx 40");
  assert.ok(rtx.includes("RTX 4090"), rtx.join());
  assert.ok(rtx.every((name) => name.toLowerCase().startsWith("rtx 40")), rtx.join());
  const full = await h.complete("train_pytorch_on_pod", "gpu_type", "NVIDIA H1");
  assert.ok(full.includes("NVIDIA H100 PCIe"), full.join());
  assert.ok(full.every((id) => id.startsWith("NVIDIA H1")), full.join());
  assert.ok(!all.includes("unknown"));
});

Deno.test("a completion answers no suggestions when RunPod fails", async () => {
  await using h = await startPromptHarness();
  h.sim.injectFault({ kind: "status", status: 500, times: 20, match: { path: "/v2/pods" } });
  assert.deepEqual(await h.complete("debug_pod", "pod_id", ""), []);
  assert.ok(h.sim.requests.some((r) => r.path === "/v2/pods"), "RunPod was asked");
  assert.ok(h.logLines.some((l) => l.includes("prompt completion failed")));
  h.sim.injectFault({ kind: "status", status: 401, match: { path: "/v2/serverless" } });
  assert.deepEqual(await h.complete("debug_endpoint", "endpoint_id", "a"), []);
  h.sim.clearFaults();
  // A failure is not cached: the next keystroke asks again and gets the pods.
  const pod = await h.post("/v2/pods", { name: "p", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  assert.deepEqual(await h.complete("debug_pod", "pod_id", ""), [pod.id]);
  assert.ok(!h.logLines.some((l) => l.includes(TEST_KEY)), "the key never reaches the log");
});

const WRITE_TOOLS = new Set(
  ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name),
);

/** Every tool in ALL_TOOLS whose name appears as a word in `text`. */
function everyToolIn(text: string): string[] {
  return ALL_TOOLS.map((t) => t.name).filter((name) => new RegExp(`\\b${name}\\b`).test(text));
}

/** Lists the offered prompts and renders each with its required and with all of its arguments. */
async function renderOffered(h: Awaited<ReturnType<typeof startPromptHarness>>) {
  const { prompts } = await h.client.listPrompts();
  const texts: { name: string; text: string }[] = [];
  for (const prompt of prompts) {
    const c = CASES[prompt.name]!;
    texts.push({ name: prompt.name, text: `${prompt.title}\n${prompt.description}` });
    for (const args of [c.required, c.all]) {
      texts.push({ name: prompt.name, text: await h.render(prompt.name, args) });
    }
  }
  return { names: prompts.map((p) => p.name), texts };
}

Deno.test("under --read-only no prompt names a write tool, and the plans say what to do instead", async () => {
  const selection = { readOnly: true };
  await using h = await startPromptHarness(selection);
  const offered = new Set(selectTools(selection).map((t) => t.name));
  const { names, texts } = await renderOffered(h);
  assert.deepEqual(names, [
    "select_gpu",
    "manage_long_running_experiment",
    "debug_pod",
    "debug_endpoint",
    "reduce_costs",
  ]);
  for (const { name, text } of texts) {
    for (const tool of everyToolIn(text)) {
      assert.ok(!WRITE_TOOLS.has(tool), `${name} names the write tool ${tool}`);
      assert.ok(offered.has(tool), `${name} names ${tool}, which is not offered`);
    }
    for (const prompt of ["train_pytorch_on_pod", "deploy_inference_endpoint"]) {
      assert.ok(!text.includes(prompt), `${name} points to the unoffered prompt ${prompt}`);
    }
  }
  const debug = await h.render("debug_pod", { pod_id: "x7k2m9p4q1" });
  assert.match(debug, /`get_pod_logs`/, "the reading steps stay");
  assert.match(debug, /this server does not offer changing or restarting pods/);
  const costs = await h.render("reduce_costs", {});
  assert.match(costs, /`list_pods`.*propose stopping it/);
  assert.match(costs, /The user applies the changes they agree to: this server does not offer/);
});

Deno.test("under --toolsets catalog only select_gpu is offered and it names only catalog tools", async () => {
  const selection = { toolsets: ["catalog"] };
  await using h = await startPromptHarness(selection);
  const offered = new Set(selectTools(selection).map((t) => t.name));
  const { names, texts } = await renderOffered(h);
  assert.deepEqual(names, ["select_gpu"]);
  for (const { text } of texts) {
    for (const tool of everyToolIn(text)) assert.ok(offered.has(tool), tool);
  }
  const text = await h.render("select_gpu", CASES.select_gpu!.all);
  assert.match(text, /`recommend_gpu`/);
  assert.match(text, /`list_gpu_types`/);
  assert.doesNotMatch(text, /estimate_cost/);
  assert.match(text, /USD\/hour per GPU × gpu_count × the hours/, "the cost step is replaced");
  assert.match(text, /This prompt only chooses; create nothing here\.\n/);
});

Deno.test("under any selection, offered prompts name only offered tools and prompts", async () => {
  const selections: ToolSelection[] = [
    { toolsets: ["pods"] },
    { toolsets: ["serverless"] },
    { toolsets: ["pods", "storage"], readOnly: true },
    { tools: ["create_pod", "get_pod", "get_pod_logs"] },
    { tools: ["create_endpoint", "list_gpu_types"] },
    { tools: ["recommend_gpu", "get_spend_summary"] },
  ];
  for (const selection of selections) {
    await using h = await startPromptHarness(selection);
    const offered = new Set(selectTools(selection).map((t) => t.name));
    const { names, texts } = await renderOffered(h);
    assert.ok(names.length > 0, JSON.stringify(selection));
    for (const { name, text } of texts) {
      for (const tool of everyToolIn(text)) {
        assert.ok(offered.has(tool), `${JSON.stringify(selection)}: ${name} names ${tool}`);
      }
      for (const prompt of ALL_PROMPTS.map((p) => p.name)) {
        if (prompt === name || names.includes(prompt)) continue;
        assert.ok(!text.includes(prompt), `${JSON.stringify(selection)}: ${name} names ${prompt}`);
      }
      assert.match(text, /\S/);
    }
  }
});

Deno.test("run_diffusion_model plans the deployment the server can create", async () => {
  await using h = await startPromptHarness({ toolsets: ["pods"] });
  const text = await h.render("run_diffusion_model", { model: "SDXL", mode: "serverless" });
  assert.match(text, /Mode serverless: this server does not offer creating endpoints/);
  assert.match(text, /on a pod with a web UI/);
  assert.match(text, /`create_pod`/);
  assert.doesNotMatch(text, /create_endpoint/);
});

Deno.test("every prompt's required tools are real tools, and all tools offer every prompt", () => {
  const tools = new Set(ALL_TOOLS.map((t) => t.name));
  for (const prompt of ALL_PROMPTS) {
    assert.ok(prompt.requires.length > 0, prompt.name);
    for (const tool of prompt.requires.flat()) {
      assert.ok(tools.has(tool), `${prompt.name}: ${tool}`);
    }
  }
  assert.deepEqual(offeredPrompts(tools), [...ALL_PROMPTS]);
  assert.deepEqual(offeredPrompts(new Set()), []);
});
