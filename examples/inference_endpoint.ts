/**
 * Worked example: deploy an inference endpoint. A vLLM-style worker template, a queue endpoint
 * on named GPUs with its scaling settings, synchronous, asynchronous and streaming jobs, health
 * and workers, the cost of an always-on worker, and teardown.
 *
 * `deno run -A examples/inference_endpoint.ts` writes `docs/examples/inference-endpoint.md`.
 *
 * @module
 */

import { main, type Session } from "./_session.ts";

/** Title and intro of the transcript. */
export const meta = {
  name: "inference_endpoint",
  title: "Worked example: deploy an LLM inference endpoint",
  intro: "A user wants an HTTP API for an 8-billion-parameter chat model. The agent sizes the " +
    "GPU, saves a vLLM worker template, deploys a serverless queue endpoint on two named GPU " +
    "types, sends synchronous, asynchronous and streaming requests, checks health, prices an " +
    "always-on worker against cold starts, and tears everything down.",
};

/** The structured result of a call, for the ids and numbers the agent reasons with. */
// deno-lint-ignore no-explicit-any
function dataOf(result: { structuredContent?: unknown }): Record<string, any> {
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

const money = (usd: number) => `$${usd.toFixed(2)}`;

/** The GPU types the endpoint may use, best first: both 48 GB, so the model fits either. */
const GPU_TYPES = ["NVIDIA L40S", "NVIDIA RTX A6000"];

/** The conversation. */
export async function run(s: Session): Promise<void> {
  s.user(
    "I want an API for Llama 3.1 8B Instruct, served with vLLM, for a small internal tool. " +
      "Mostly idle, sometimes a burst of requests. Set it up on RunPod serverless.",
  );
  s.agent(
    "First the size: 8 B parameters in bf16 with an 8k context, priced as serverless workers.",
  );
  await s.call("recommend_gpu", {
    model_params_b: 8,
    precision: "bf16",
    workload: "inference",
    context_tokens: 8192,
    batch_size: 4,
    product: "SERVERLESS",
  });
  s.agent(
    "The cheapest fit shards the model across two 16 GB GPUs. One larger card is simpler, and " +
      "vLLM uses spare VRAM as its KV cache pool, so more memory means more concurrent requests. " +
      `I'll name two 48 GB types, best first: ${GPU_TYPES.join(" then ")}; the server maps ` +
      "them to RunPod's serverless pools. " +
      "A template holds the container settings so the endpoint, and any later one, can reuse it:",
  );
  const template = await s.call("create_template", {
    name: "vllm-llama-3.1-8b",
    image: "runpod/worker-v1-vllm:v2.7.0",
    serverless: true,
    container_disk_gb: 40,
    env: {
      MODEL_NAME: "meta-llama/Llama-3.1-8B-Instruct",
      MAX_MODEL_LEN: "8192",
      GPU_MEMORY_UTILIZATION: "0.90",
    },
  });
  const templateId = dataOf(template).template_id as string;

  await s.call("estimate_cost", {
    kind: "endpoint",
    gpu_type: GPU_TYPES[0],
    workers_min: 0,
    workers_max: 3,
    hours: 1,
  });
  s.agent(
    "With no always-on worker it costs nothing while idle. Scaling: a new worker starts when a " +
      "request has waited 4 s in the queue (QUEUE_DELAY), at most 3 workers, and an idle worker " +
      "stays 60 s for the next request. FlashBoot shortens cold starts.",
  );
  const endpoint = await s.call("create_endpoint", {
    name: "llama-8b-api",
    template_id: templateId,
    gpu_types: GPU_TYPES,
    gpu_count: 1,
    workers_min: 0,
    workers_max: 3,
    scaling_type: "QUEUE_DELAY",
    scaling_value: 4,
    idle_timeout_s: 60,
    flashboot: "FLASHBOOT",
    execution_timeout_s: 600,
  });
  const endpointId = dataOf(endpoint).endpoint.id as string;
  await s.call("get_endpoint", { endpoint_id: endpointId });

  await requests(s, endpointId);
  await alwaysOn(s, endpointId);

  s.user("That's all I needed to see. Tear it down.");
  await s.call("delete_endpoint", { endpoint_id: endpointId });
  await s.call("delete_template", { template_id: templateId });
  await s.call("list_endpoints");
  await s.call("get_spend_summary");
  s.agent(
    "The endpoint and its template are gone and nothing is billing. The spend was the seconds " +
      "the workers ran, plus the always-on worker for the minutes it was kept.",
  );
}

/** A sync request, an async one and a streamed one. */
async function requests(s: Session, endpointId: string): Promise<void> {
  s.agent(
    "A first request, waiting for the answer. The vLLM worker takes a `prompt` and " +
      "`sampling_params`. The sandbox's simulated worker runs no model: it returns the input's " +
      "`output` field after `duration_ms`, so the script supplies a reply in the worker's shape.",
  );
  await s.call("run_job_sync", {
    endpoint_id: endpointId,
    wait_s: 90,
    input: {
      prompt: "In one sentence: what is a serverless endpoint?",
      sampling_params: { max_tokens: 64, temperature: 0.2 },
      duration_ms: 1500,
      output: [{
        choices: [{
          tokens: ["An endpoint whose workers start on demand and bill only while they run."],
        }],
        usage: { input: 12, output: 15 },
      }],
    },
  });
  s.agent("A longer request, queued; the tool to collect it is `get_job`:");
  const job = await s.call("run_job", {
    endpoint_id: endpointId,
    input: {
      prompt: "Summarise our on-call policy in five bullet points.",
      sampling_params: { max_tokens: 512 },
      duration_ms: 12_000,
      output: [{
        choices: [{ tokens: ["- Rotate weekly\n- …"] }],
        usage: { input: 220, output: 96 },
      }],
    },
  });
  await s.call("get_job", { endpoint_id: endpointId, job_id: dataOf(job).job_id, wait_s: 60 });

  s.user("Can I get tokens as they are generated, for a chat UI?");
  s.agent(
    "Yes: a real vLLM worker streams when the input says `stream: true`, and `stream_job` " +
      "collects the chunks. In the sandbox the `stream` field instead lists the chunks the " +
      "simulated worker emits.",
  );
  const streamed = await s.call("run_job", {
    endpoint_id: endpointId,
    input: {
      prompt: "Write a haiku about GPUs.",
      sampling_params: { max_tokens: 40 },
      duration_ms: 3000,
      stream: ["Silicon rivers ", "carry warm arithmetic ", "through the quiet night"],
    },
  });
  await s.call("stream_job", {
    endpoint_id: endpointId,
    job_id: dataOf(streamed).job_id,
    wait_s: 30,
  });
  await s.call("get_endpoint_health", { endpoint_id: endpointId });
  await s.call("list_endpoint_workers", { endpoint_id: endpointId });
}

/** Prices always-on workers, declines two, accepts one, then removes it again. */
async function alwaysOn(s: Session, endpointId: string): Promise<void> {
  s.user(
    "Each burst's first request waits for a cold start. Can we keep workers warm? Two, say.",
  );
  const two = await s.call("estimate_cost", {
    kind: "endpoint",
    gpu_type: GPU_TYPES[0],
    workers_min: 2,
    workers_max: 3,
    hours: 720,
  });
  const one = await s.call("estimate_cost", {
    kind: "endpoint",
    gpu_type: GPU_TYPES[0],
    workers_min: 1,
    workers_max: 3,
    hours: 720,
  });
  s.agent(
    `Always-on workers bill every hour, busy or idle. At the ${GPU_TYPES[0]} price (the dearer ` +
      `choice, so an upper bound) two cost about ${
        money(dataOf(two).total_usd)
      } a month (720 h), one about ${money(dataOf(one).total_usd)}.`,
  );
  await s.call("update_endpoint", { endpoint_id: endpointId, workers_min: 2 }, {
    confirm: false,
    note: "two always-on workers",
  });
  s.agent("Nothing was changed.");
  s.user("One, then, for today's demo only.");
  await s.call("update_endpoint", { endpoint_id: endpointId, workers_min: 1 });
  await s.call("list_endpoint_workers", { endpoint_id: endpointId });
  s.agent("With a warm worker a request starts at once:");
  await s.call("run_job_sync", {
    endpoint_id: endpointId,
    wait_s: 60,
    input: {
      prompt: "Say hello.",
      duration_ms: 800,
      output: [{ choices: [{ tokens: ["Hello!"] }], usage: { input: 3, output: 2 } }],
    },
  });
  // The demo lasts half an hour on the simulated clock.
  s.simulator.advance(30 * 60_000);
  s.user("Demo's over. Back to zero warm workers.");
  await s.call("update_endpoint", { endpoint_id: endpointId, workers_min: 0 });
  await s.call("get_endpoint_health", { endpoint_id: endpointId });
}

if (import.meta.main) await main(meta, run);
