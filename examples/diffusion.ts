/**
 * Worked example: run a diffusion model. First an interactive pod on a GPU chosen by VRAM, with
 * its cost stated and confirmed; then the same image generation as serverless jobs, the two
 * costs compared, and everything cleaned up.
 *
 * `deno run -A examples/diffusion.ts` writes `docs/examples/diffusion.md`.
 *
 * @module
 */

import { main, type Session } from "./_session.ts";

/** Title and intro of the transcript. */
export const meta = {
  name: "diffusion",
  title: "Worked example: generate images with a diffusion model",
  intro: "A user wants to generate images with Stable Diffusion XL. The agent sizes the GPU by " +
    "VRAM, rents a pod for interactive work, then moves the same workload to a serverless " +
    "endpoint that bills only while it renders, compares the two costs and removes everything " +
    "it created.",
};

/** The structured result of a call, for the numbers the agent reasons with. */
// deno-lint-ignore no-explicit-any
function dataOf(result: { structuredContent?: unknown }): Record<string, any> {
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

const money = (usd: number, digits = 2) => `$${usd.toFixed(digits)}`;

/** Seconds one 1024×1024 SDXL image takes at 30 steps on a 24 GB card, as the script assumes. */
const SECONDS_PER_IMAGE = 8;

/** The conversation. */
export async function run(s: Session): Promise<void> {
  s.user(
    "I'd like to play with Stable Diffusion XL for an afternoon, maybe ComfyUI. Which GPU do I " +
      "need, what will it cost, and can you set it up?",
  );
  s.agent(
    "SDXL has about 3.5 billion parameters (a 2.6 B UNet plus two text encoders) and runs in " +
      "fp16. `recommend_gpu` sizes a transformer, so its weights figure applies but its KV cache " +
      "does not: a short context (SDXL's text encoders read 77 tokens) keeps that part near zero. " +
      "The VAE decode at 1024×1024 needs a few GB more than the advisor counts, so I'll treat " +
      "its answer as a floor and look at 24 GB cards.",
  );
  await s.call("recommend_gpu", {
    model_params_b: 3.5,
    precision: "fp16",
    workload: "inference",
    context_tokens: 77,
  });
  const gpus = await s.call("list_gpu_types", { min_vram_gb: 24, available_only: true });
  // deno-lint-ignore no-explicit-any
  const gpu = (dataOf(gpus).gpus as Record<string, any>[])[0]!;
  s.agent(
    `The cheapest card in stock with at least 24 GB is the ${gpu.name} at ${
      money(gpu.secure_price)
    } per GPU-hour in the secure cloud. A 40 GB volume keeps the model weights and your outputs ` +
      "if the pod is stopped. Here is what an afternoon (4 hours) costs:",
  );
  const podEstimate = await s.call("estimate_cost", {
    kind: "pod",
    gpu_type: gpu.id,
    container_disk_gb: 30,
    volume_gb: 40,
    hours: 4,
  });
  const podPerHour = dataOf(podEstimate).usd_per_hour as number;
  s.agent(
    `So ${money(podPerHour)}/hour, about ${
      money(dataOf(podEstimate).total_usd)
    } for 4 hours, billed while the pod exists whether or not it renders. Creating it:`,
  );
  const created = await s.call("create_pod", {
    name: "sdxl-comfyui",
    image: "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
    gpu_type: gpu.id,
    container_disk_gb: 30,
    volume_gb: 40,
    volume_mount_path: "/workspace",
    ports: ["8188/http", "22/tcp"],
    env: { COMFYUI_PORT: "8188" },
  });
  const podId = dataOf(created).pod.id as string;
  await s.call("wait_for_pod", { pod_id: podId, until: "PORTS_READY", timeout_s: 300 });
  s.agent(
    "The pod is up: port 8188 is where ComfyUI listens once you start it, and SSH works for " +
      "copying models in. I'll check what it has cost once you have used it for a while.",
  );

  // Two hours of interactive use pass on the simulated clock.
  s.simulator.advance(2 * 3_600_000);
  s.user(
    "That worked. Later I want an app to make ~100 images a day. Do I keep this pod running?",
  );
  await s.readResource(`runpod://pods/${podId}`);
  s.agent(
    "For occasional requests a serverless endpoint is cheaper: workers start when a job " +
      "arrives and bill per second only while they run. Serverless prices GPU pools rather " +
      "than single cards:",
  );
  const pools = await s.call("list_gpu_types", {
    product: "SERVERLESS",
    min_vram_gb: 24,
    available_only: true,
  });
  // deno-lint-ignore no-explicit-any
  const pool = (dataOf(pools).gpus as Record<string, any>[]).find((g) => g.pool)!;
  const endpointEstimate = await s.call("estimate_cost", {
    kind: "endpoint",
    gpu_type: pool.pool,
    workers_min: 0,
    workers_max: 2,
    hours: 1,
  });
  const busyPerHour = dataOf(endpointEstimate).usd_per_hour_max as number;
  const perImage = busyPerHour / 3600 * SECONDS_PER_IMAGE;
  s.agent(
    `With no always-on worker the endpoint costs nothing while idle; a busy worker on ` +
      `${pool.pool} costs ${money(busyPerHour / 2)}/hour, so at about ${SECONDS_PER_IMAGE} s per ` +
      `1024×1024 image that is ${money(perImage, 4)} an image, ${
        money(perImage * 100)
      } for 100 images a day (cold starts add a little). The pod costs ${
        money(podPerHour * 24)
      } a day left running. Shall I set it up and shut the pod down?`,
  );
  s.user("Yes, move it to serverless and terminate the pod.");

  const template = await s.call("create_template", {
    name: "sdxl-worker",
    image: "your-registry/sdxl-worker:1.0",
    serverless: true,
    container_disk_gb: 20,
    env: { MODEL_ID: "stabilityai/stable-diffusion-xl-base-1.0" },
  });
  const templateId = dataOf(template).template_id as string;
  const endpoint = await s.call("create_endpoint", {
    name: "sdxl",
    template_id: templateId,
    gpu_types: [pool.pool],
    workers_min: 0,
    workers_max: 2,
    idle_timeout_s: 5,
    flashboot: "FLASHBOOT",
    execution_timeout_s: 300,
  });
  const endpointId = dataOf(endpoint).endpoint.id as string;
  await generate(s, endpointId);
  s.agent("The endpoint works, so the pod can go. Its volume goes with it.");
  await s.call("terminate_pod", { pod_id: podId });
  s.user("Great. I'm done for now: remove the endpoint too so nothing is left billing.");
  await s.call("delete_endpoint", { endpoint_id: endpointId });
  await s.call("delete_template", { template_id: templateId });
  await s.call("list_pods");
  await s.call("list_endpoints");
  await s.call("get_spend_summary");
  s.agent(
    "Nothing is left running: no pods, no endpoints. The spend so far is the pod's two hours " +
      "and the few seconds of worker time the images took.",
  );
}

/** One image synchronously, then a batch as an async job. */
async function generate(s: Session, endpointId: string): Promise<void> {
  s.agent(
    "A first image, synchronously. The worker's handler takes an SDXL-style input. In the " +
      "sandbox the simulated worker has no model: it returns the input's `output` field as its " +
      "result after `duration_ms`, so the script supplies what a real worker would return.",
  );
  await s.call("run_job_sync", {
    endpoint_id: endpointId,
    wait_s: 60,
    input: {
      prompt: "a lighthouse on a cliff at dusk, oil painting",
      negative_prompt: "blurry, text",
      width: 1024,
      height: 1024,
      num_inference_steps: 30,
      guidance_scale: 7,
      seed: 42,
      duration_ms: SECONDS_PER_IMAGE * 1000,
      output: { images: [{ seed: 42, url: "https://example.com/outputs/lighthouse-42.png" }] },
    },
  });
  s.agent("Now a batch of four as an async job, which the app would poll or get by webhook:");
  const job = await s.call("run_job", {
    endpoint_id: endpointId,
    input: {
      prompt: "a lighthouse on a cliff at dusk, watercolour",
      width: 1024,
      height: 1024,
      num_inference_steps: 30,
      num_images: 4,
      seed: 7,
      duration_ms: 4 * SECONDS_PER_IMAGE * 1000,
      output: {
        images: [7, 8, 9, 10].map((seed) => ({
          seed,
          url: `https://example.com/outputs/lighthouse-${seed}.png`,
        })),
      },
    },
  });
  await s.call("get_job", { endpoint_id: endpointId, job_id: dataOf(job).job_id, wait_s: 120 });
}

if (import.meta.main) await main(meta, run);
