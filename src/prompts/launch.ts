/**
 * Prompts that start work: choosing a GPU, deploying an inference endpoint, training on a pod and
 * running a diffusion model.
 *
 * @module
 */

import {
  estimateVramGb,
  formatModelSize,
  parseCount,
  parseHours,
  parseModelSize,
  parseTaskKind,
  parseUsd,
  quote,
  type TaskKind,
} from "./_args.ts";
import {
  CONFIRM_COSTS,
  given,
  optionalArg,
  optionalCompletedArg,
  type PromptSpec,
  renderPlan,
  requiredArg,
} from "./_define.ts";

/** The most VRAM one GPU in RunPod's catalog is assumed to have when splitting a model. */
const LARGEST_COMMON_GPU_GB = 80;

const TASK_LABEL: Record<TaskKind, string> = {
  inference: "inference",
  "fine-tuning": "fine-tuning",
  training: "full training",
  diffusion: "image generation (diffusion)",
  other: "GPU work",
};

/** Sizing sentence and the min_vram_gb / gpu_count hint for a task and model size. */
function sizing(kind: TaskKind, billions: number, batch = 1) {
  const total = estimateVramGb(kind, billions, batch);
  const gpus = total > LARGEST_COMMON_GPU_GB ? Math.ceil(total / LARGEST_COMMON_GPU_GB) : 1;
  const perGpu = Math.ceil(total / gpus);
  const split = gpus > 1
    ? ` That is more than one GPU holds: plan on ${gpus} GPUs of at least ${perGpu} GB (model or data parallel), so pass gpu_count=${gpus}.`
    : "";
  return {
    perGpu,
    gpus,
    text: `Rough sizing: ${TASK_LABEL[kind]} of a ${
      formatModelSize(billions)
    } model needs about ${total} GB of VRAM (a starting point, not a guarantee; 4-bit quantisation needs about a third).${split}`,
  };
}

const NO_CREATE =
  "This prompt only chooses; create nothing here. If the user wants to go ahead, follow the matching plan (train_pytorch_on_pod, deploy_inference_endpoint, run_diffusion_model).";

/** `select_gpu`: which GPU fits a task, model size and budget. */
export const selectGpuPrompt: PromptSpec = {
  name: "select_gpu",
  title: "Choose a GPU for a task",
  description:
    "Plan for choosing a RunPod GPU type for a task (inference, fine-tuning, training, diffusion), model size and batch size, with live prices and stock.",
  args: (complete) => ({
    task_type: requiredArg(
      "What the GPU is for, e.g. inference, LoRA fine-tuning, training, SDXL image generation",
    ),
    framework: optionalArg("Framework or engine, e.g. PyTorch, vLLM, JAX, ComfyUI"),
    model_size: optionalArg("Model parameter count, e.g. 7B, 13b, 70B, 350M"),
    batch_size: optionalArg("Batch size per step, e.g. 8"),
    max_price_per_hour: optionalArg("Most USD per GPU-hour the user will pay, e.g. 1.50"),
    gpu_preference: optionalCompletedArg(
      "A GPU the user would like, e.g. RTX 4090",
      complete.gpuTypes,
    ),
  }),
  render(args) {
    const task = given(args, "task_type") ?? "GPU work";
    const kind = parseTaskKind(task);
    const framework = given(args, "framework");
    const preference = given(args, "gpu_preference");
    const problems: string[] = [];
    const context: string[] = [];
    let batch: number | undefined;
    const batchText = given(args, "batch_size");
    if (batchText) {
      const parsed = parseCount(batchText, "batch size", 65536);
      if (parsed.ok) batch = parsed.value;
      else problems.push(parsed.problem);
    }
    let price: number | undefined;
    const priceText = given(args, "max_price_per_hour");
    if (priceText) {
      const parsed = parseUsd(priceText, "max price per hour");
      if (parsed.ok) price = parsed.value;
      else problems.push(parsed.problem);
    }
    let minVram = "min_vram_gb from the sizing";
    let gpuCount = "";
    const sizeText = given(args, "model_size");
    const size = sizeText ? parseModelSize(sizeText) : undefined;
    if (size?.ok) {
      const s = sizing(kind, size.value, batch);
      context.push(s.text);
      minVram = `min_vram_gb=${s.perGpu}`;
      if (s.gpus > 1) gpuCount = `, gpu_count=${s.gpus}`;
    } else {
      if (size) problems.push(size.problem);
      context.push(
        "The model size is not known: ask the user (or read it from the model's name) and size VRAM from it: about 2.2 bytes per parameter for inference, 3 for LoRA fine-tuning, 16 for full training with Adam.",
      );
    }
    const label = task.toLowerCase() === TASK_LABEL[kind] ? "" : ` (${TASK_LABEL[kind]})`;
    const goal = `Help the user choose a RunPod GPU for ${quote(task)}${label}` +
      (framework ? ` with ${quote(framework)}` : "") +
      (sizeText ? `, model size ${quote(sizeText)}` : "") +
      (batch ? `, batch size ${batch}` : "") +
      (price ? `, at most $${price} per GPU-hour` : "") +
      (preference ? `; the user would like ${quote(preference)}` : "") + ".";
    return renderPlan({
      goal,
      problems,
      context,
      steps: [
        "`recommend_gpu` with model_params_b, precision (e.g. bf16), workload (inference, a LoRA fine-tune or a full fine-tune, as its schema names them), batch_size and product; if this server does not offer it, go to step 2.",
        `\`list_gpu_types\` with ${minVram}${gpuCount}, available_only=true${
          price ? `, max_price_per_hour=${price}` : ""
        }, product=${
          kind === "inference" ? "POD (SERVERLESS if the user wants an endpoint)" : "POD"
        }. Rows come cheapest first.`,
        preference
          ? `Check that ${
            quote(preference)
          } is in that list with enough VRAM; if not, say why and offer the closest rows.`
          : "Keep two or three candidates: the cheapest that fits, and one with more VRAM headroom.",
        "`estimate_cost` with kind=pod, gpu_type, gpu_count and the hours the user expects, for each candidate.",
        "Show a short table (GPU, VRAM GB, USD/hour, stock, estimated total) and recommend one, saying why. COMMUNITY cloud is cheaper but less reliable than SECURE.",
      ],
      safety: [NO_CREATE, CONFIRM_COSTS],
    });
  },
};

/** `deploy_inference_endpoint`: a serverless endpoint serving a model (vLLM by default). */
export const deployInferenceEndpointPrompt: PromptSpec = {
  name: "deploy_inference_endpoint",
  title: "Deploy a model as a serverless endpoint",
  description:
    "Plan for serving a model on a RunPod serverless endpoint (vLLM by default): GPU choice, cost with min/max workers, creation, a test job and clean-up.",
  args: (complete) => ({
    model: requiredArg("Model to serve, e.g. meta-llama/Llama-3.1-8B-Instruct"),
    engine: optionalArg("Serving engine or image, e.g. vLLM (default), TGI, myorg/worker:1.2"),
    model_size: optionalArg("Model parameter count, e.g. 8B"),
    gpu_type: optionalCompletedArg("Preferred GPU type, e.g. L40S", complete.gpuTypes),
    max_workers: optionalArg("Most workers at once (default 2), e.g. 3"),
    min_workers: optionalArg("Workers kept running even when idle (default 0), e.g. 1"),
  }),
  render(args) {
    const model = given(args, "model") ?? "the model";
    const engine = given(args, "engine") ?? "vLLM";
    const vllm = /vllm/i.test(engine);
    const gpu = given(args, "gpu_type");
    const problems: string[] = [];
    const context: string[] = [];
    const count = (name: string, label: string, fallback: number, min: number) => {
      const text = given(args, name);
      if (!text) return fallback;
      const parsed = text.trim() === "0" && min === 0
        ? { ok: true as const, value: 0 }
        : parseCount(text, label, 100);
      if (parsed.ok) return parsed.value;
      problems.push(parsed.problem);
      return fallback;
    };
    const maxWorkers = count("max_workers", "max workers", 2, 1);
    const minWorkers = Math.min(count("min_workers", "min workers", 0, 0), maxWorkers);
    let minVram = "min_vram_gb from the model's size";
    const sizeText = given(args, "model_size");
    const size = sizeText ? parseModelSize(sizeText) : undefined;
    if (size?.ok) {
      const s = sizing("inference", size.value);
      context.push(s.text);
      minVram = `min_vram_gb=${s.perGpu}`;
    } else if (size) {
      problems.push(size.problem);
    }
    context.push(
      minWorkers > 0
        ? `workers_min=${minWorkers} keeps ${minWorkers} worker(s) billing around the clock, busy or not.`
        : "workers_min=0: nothing bills while idle, but the first request after idle waits for a cold start.",
    );
    return renderPlan({
      goal: `Deploy ${quote(model)} with ${quote(engine)} as a RunPod serverless endpoint${
        gpu ? ` on ${quote(gpu)}` : ""
      }, workers ${minWorkers}–${maxWorkers}.`,
      problems,
      context,
      steps: [
        vllm
          ? '`list_templates` with source=official, name_contains="vllm": use RunPod\'s current vLLM worker template or image.'
          : `\`list_templates\` with source=official to see if one fits; otherwise use the image ${
            quote(engine)
          }.`,
        `\`list_gpu_types\` with product=SERVERLESS, ${minVram}, available_only=true${
          gpu ? `; keep ${quote(gpu)} first if it fits` : ""
        }. Pick one to three gpu_types, so the endpoint is not stuck when one pool runs out.`,
        `\`estimate_cost\` with kind=endpoint, gpu_type, workers_min=${minWorkers}, workers_max=${maxWorkers}, hours=24: the idle cost and the cost with every worker busy.`,
        "Tell the user both figures and get their agreement.",
        `\`create_endpoint\` with name, template_id or image, gpu_types, workers_min=${minWorkers}, workers_max=${maxWorkers}, idle_timeout_s=5, flashboot=FLASHBOOT, execution_timeout_s=600${
          vllm ? `, env {"MODEL_NAME": ${quote(model)}}` : ""
        }. A gated model needs the user's HF_TOKEN in env: ask for it, never echo it.`,
        "`get_endpoint_health` until a worker is ready (the first start downloads the model: minutes).",
        '`run_job_sync` with a tiny input, e.g. {"prompt": "Hello", "sampling_params": {"max_tokens": 16}}; if it is still running, `get_job` or `stream_job`.',
        "Give the user the endpoint id and how to call it.",
      ],
      safety: [
        CONFIRM_COSTS,
        "Use `update_endpoint` to change workers later, and `delete_endpoint` when it is no longer needed.",
      ],
    });
  },
};

/** `train_pytorch_on_pod`: a PyTorch training run on a pod, checkpoints on a network volume. */
export const trainPytorchOnPodPrompt: PromptSpec = {
  name: "train_pytorch_on_pod",
  title: "Train a PyTorch model on a pod",
  description:
    "Plan for a PyTorch training run on a GPU pod with a network volume for checkpoints: placement, cost, creation, monitoring and clean-up.",
  args: (complete) => ({
    task: requiredArg("What to train, e.g. LoRA fine-tune of Llama 3.1 8B on my chat dataset"),
    gpu_type: optionalCompletedArg("GPU type, e.g. A100 SXM", complete.gpuTypes),
    gpu_count: optionalArg("GPUs in the pod (default 1), e.g. 2"),
    network_volume_id: optionalCompletedArg(
      "Existing network volume for data and checkpoints, e.g. agv6w2qcg7",
      complete.networkVolumeIds,
    ),
    data_center_id: optionalCompletedArg(
      "Data center for the pod and a new volume, e.g. EU-RO-1",
      complete.dataCenterIds,
    ),
    volume_size_gb: optionalArg("Size of a new network volume in GB (default 100), e.g. 200"),
    hours: optionalArg("Expected run time, e.g. 12h or 2 days"),
  }),
  render(args) {
    const task = given(args, "task") ?? "the training run";
    const gpu = given(args, "gpu_type");
    const volume = given(args, "network_volume_id");
    const dc = given(args, "data_center_id");
    const problems: string[] = [];
    const read = <T>(
      name: string,
      parse: (t: string) => { ok: true; value: T } | {
        ok: false;
        problem: string;
      },
    ) => {
      const text = given(args, name);
      if (!text) return undefined;
      const parsed = parse(text);
      if (parsed.ok) return parsed.value;
      problems.push(parsed.problem);
      return undefined;
    };
    const gpuCount = read("gpu_count", (t) => parseCount(t, "GPU count", 16)) ?? 1;
    const sizeGb = read("volume_size_gb", (t) => parseCount(t, "volume size in GB", 4000)) ?? 100;
    const hours = read("hours", (t) => parseHours(t, "run time"));
    const gpuArg = gpu ? `gpu_type=${quote(gpu)}` : "the chosen gpu_type";
    const dcText = dc ? quote(dc) : "the chosen data center";
    return renderPlan({
      goal: `Run ${quote(task)} with PyTorch on a RunPod pod (${gpuCount} × ${
        gpu ? quote(gpu) : "a GPU to choose"
      }${hours ? `, about ${hours} h` : ""}), checkpoints on a network volume.`,
      problems,
      context: gpu ? [] : [
        "No GPU given: size it first (the select_gpu prompt, or `list_gpu_types` with min_vram_gb).",
      ],
      steps: [
        volume
          ? `\`get_network_volume\` with volume_id=${
            quote(volume)
          }: its data center is where the pod must run.${
            given(args, "volume_size_gb")
              ? ` If it is under ${sizeGb} GB, \`update_network_volume\` with size_gb=${sizeGb} (volumes only grow).`
              : ""
          }`
          : "`list_network_volumes`: reuse a volume if one fits; otherwise plan a new one.",
        `\`list_data_centers\` with gpu_type, include_gpu_availability=true, network_volume_support=true: confirm ${dcText} has ${
          gpu ? quote(gpu) : "the GPU"
        } in stock${volume ? " (it must be the volume's)" : ""}.`,
        '`list_templates` with source=official, name_contains="pytorch": pick a PyTorch template or image.',
        `\`estimate_cost\` with kind=pod, ${gpuArg}, gpu_count=${gpuCount}, container_disk_gb=50, hours=${
          hours ?? "the expected hours"
        }${
          volume ? "" : `; and kind=network_volume, volume_gb=${sizeGb} (billed monthly)`
        }. Get the user's agreement.`,
        volume
          ? "Skip: the volume exists."
          : `\`create_network_volume\` with name, size_gb=${sizeGb}, data_center_id=${
            dc ? quote(dc) : "that data center"
          }.`,
        `\`create_pod\` with name, template_id or image, ${gpuArg}, gpu_count=${gpuCount}, data_center_ids=[${dcText}], network_volume_id, volume_mount_path="/workspace", container_disk_gb=50, ports=["22/tcp"], start_ssh=true.`,
        "`wait_for_pod` with pod_id, then `get_pod` for the SSH command.",
        "Tell the user to save checkpoints under /workspace/checkpoints (the network volume) every epoch or N steps, and to resume from the latest one.",
        "`get_pod_logs` with pod_id, tail=200 to follow; for a long run use the manage_long_running_experiment prompt.",
      ],
      safety: [
        CONFIRM_COSTS,
        "When training ends: confirm the last checkpoint is on /workspace, then `stop_pod` or `terminate_pod` with the user's agreement; a running pod bills every hour, idle or not.",
        "The network volume keeps billing until `delete_network_volume`, which destroys its data: only with explicit consent.",
      ],
    });
  },
};

function diffusionVram(model: string): number {
  const m = model.toLowerCase();
  if (/wan|hunyuan|video|mochi|ltx|cogvideo/.test(m)) return 48;
  if (/flux/.test(m)) return 24;
  if (/sd ?3|sd3/.test(m)) return 20;
  if (/xl/.test(m)) return 16;
  if (/1\.5|sd15|sd ?2/.test(m)) return 10;
  return 24;
}

/** `run_diffusion_model`: an image model on a pod with a UI, or behind a serverless endpoint. */
export const runDiffusionModelPrompt: PromptSpec = {
  name: "run_diffusion_model",
  title: "Run a diffusion (image) model",
  description:
    "Plan for running an image model (SDXL, FLUX, …) on a pod with a web UI such as ComfyUI, or as a serverless endpoint for an API.",
  args: (complete) => ({
    model: requiredArg("Image model, e.g. SDXL, FLUX.1-dev, Stable Diffusion 1.5"),
    mode: optionalArg("pod (interactive UI, default) or serverless (API), e.g. pod"),
    gpu_type: optionalCompletedArg("Preferred GPU type, e.g. RTX 4090", complete.gpuTypes),
    hours: optionalArg("How long the user expects to use it, e.g. 3h"),
  }),
  render(args) {
    const model = given(args, "model") ?? "the model";
    const modeText = given(args, "mode");
    const gpu = given(args, "gpu_type");
    const problems: string[] = [];
    let serverless = false;
    if (modeText) {
      if (/serverless|endpoint|api/i.test(modeText)) serverless = true;
      else if (!/pod|ui|interactive|comfy/i.test(modeText)) {
        problems.push(
          `Cannot read mode ${quote(modeText)}: give pod (interactive UI) or serverless (API)`,
        );
      }
    }
    let hours: number | undefined;
    const hoursText = given(args, "hours");
    if (hoursText) {
      const parsed = parseHours(hoursText, "usage time");
      if (parsed.ok) hours = parsed.value;
      else problems.push(parsed.problem);
    }
    const vram = diffusionVram(model);
    const gpuPick = `\`list_gpu_types\` with min_vram_gb=${vram}, available_only=true${
      serverless ? ", product=SERVERLESS" : ""
    }${gpu ? `; prefer ${quote(gpu)} if it fits` : ""}.`;
    const steps = serverless
      ? [
        `\`list_templates\` with source=official (then verified) to find a worker for ${
          quote(model)
        } or ComfyUI.`,
        gpuPick,
        "`estimate_cost` with kind=endpoint, gpu_type, workers_min=0, workers_max=2, hours=24. Get the user's agreement.",
        "`create_endpoint` with name, template_id or image, gpu_types, workers_min=0, workers_max=2, flashboot=FLASHBOOT, execution_timeout_s=300.",
        "`get_endpoint_health` until a worker is ready.",
        '`run_job` with a small input, e.g. {"prompt": "a red bicycle", "width": 1024, "height": 1024}, then `get_job` (or `stream_job`) for the image.',
      ]
      : [
        `\`list_templates\` with source=official, name_contains="comfy" (or verified/community) for a UI template that ships ${
          quote(model)
        } or can download it.`,
        gpuPick,
        `\`estimate_cost\` with kind=pod, gpu_type, volume_gb=50, hours=${
          hours ?? "the expected hours"
        }. Get the user's agreement.`,
        '`create_pod` with name, template_id, gpu_type, volume_gb=50, ports from the template (e.g. ["8188/http"]).',
        "`wait_for_pod` with pod_id, until=PORTS_READY, then `get_pod` for the UI's proxy URL.",
        "`get_pod_logs` with pod_id if the UI does not come up (model download, out of memory).",
      ];
    return renderPlan({
      goal: `Run ${quote(model)} ${
        serverless ? "as a serverless endpoint (API)" : "on a pod with a web UI"
      }${gpu ? ` on ${quote(gpu)}` : ""}${hours ? ` for about ${hours} h` : ""}.`,
      problems,
      context: [`Rough sizing: ${quote(model)} wants about ${vram} GB of VRAM.`],
      steps,
      safety: [
        CONFIRM_COSTS,
        serverless
          ? "With workers_min=0 nothing bills while idle; `delete_endpoint` when it is no longer needed."
          : "A pod bills every hour until stopped: `stop_pod` when the user pauses, `terminate_pod` (with agreement) when done.",
      ],
    });
  },
};
