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
  type Parsed,
  parseHours,
  parseModelSize,
  parseUsd,
  parseWorkload,
  quote,
  type TaskKind,
} from "./_args.ts";
import {
  CONFIRM_COSTS,
  given,
  type Line,
  notOffered,
  optionalArg,
  optionalCompletedArg,
  type PromptArgs,
  type PromptSpec,
  type RenderContext,
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

const NO_CREATE: Line = {
  text:
    "This prompt only chooses; create nothing here. If the user wants to go ahead, follow the matching plan (train_pytorch_on_pod, deploy_inference_endpoint, run_diffusion_model).",
  instead: "This prompt only chooses; create nothing here.",
};

/** Reads an optional argument with `parse`; an unreadable value becomes a problem. */
function reader(args: PromptArgs, problems: string[]) {
  return <T>(name: string, parse: (text: string) => Parsed<T>): T | undefined => {
    const text = given(args, name);
    if (!text) return undefined;
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    problems.push(parsed.problem);
    return undefined;
  };
}

/** `select_gpu`: which GPU fits a workload, model size and budget. */
export const selectGpuPrompt: PromptSpec = {
  name: "select_gpu",
  title: "Choose a GPU for a task",
  description:
    "Plan for choosing a RunPod GPU type for a workload (inference, fine-tuning, training, diffusion), model size and batch size, with live prices and stock.",
  requires: [["recommend_gpu", "list_gpu_types"]],
  args: (complete) => ({
    workload: requiredArg(
      "What the GPU is for: inference, lora_finetune, full_finetune or training as recommend_gpu names them, or free text, e.g. LoRA fine-tuning or SDXL image generation",
    ),
    framework: optionalArg("Framework or engine, e.g. PyTorch, vLLM, JAX, ComfyUI"),
    model_params_b: optionalArg("Model size in billions of parameters, e.g. 7 (or 7B, 350M)"),
    batch_size: optionalArg("Sequences per step, 1 to 4096, e.g. 8"),
    max_price_per_hour: optionalArg("Most USD per GPU-hour the user will pay, e.g. 1.50"),
    gpu_type: optionalCompletedArg("A GPU the user would like, e.g. RTX 4090", complete.gpuTypes),
  }),
  render(args, ctx) {
    const task = given(args, "workload") ?? "GPU work";
    const { kind, workload } = parseWorkload(task);
    const framework = given(args, "framework");
    const preference = given(args, "gpu_type");
    const problems: string[] = [];
    const context: Line[] = [];
    const read = reader(args, problems);
    const batch = read("batch_size", (t) => parseCount(t, "batch_size", 4096));
    const price = read("max_price_per_hour", (t) => parseUsd(t, "max_price_per_hour"));
    const billions = read("model_params_b", parseModelSize);
    let minVram = "min_vram_gb from the sizing";
    let gpuCount = "";
    if (billions !== undefined) {
      const s = sizing(kind, billions, batch);
      context.push(s.text);
      minVram = `min_vram_gb=${s.perGpu}`;
      if (s.gpus > 1) gpuCount = `, gpu_count=${s.gpus}`;
    } else {
      context.push(
        "The model size is not known: ask the user (or read it from the model's name) and size VRAM from it: about 2.2 bytes per parameter for inference, 3 for LoRA fine-tuning, 16 for full training with Adam.",
      );
    }
    const label = task.toLowerCase() === TASK_LABEL[kind] ? "" : ` (${TASK_LABEL[kind]})`;
    const goal = `Help the user choose a RunPod GPU for ${quote(task)}${label}` +
      (framework ? ` with ${quote(framework)}` : "") +
      (billions !== undefined ? `, model size ${formatModelSize(billions)}` : "") +
      (batch ? `, batch size ${batch}` : "") +
      (price ? `, at most $${price} per GPU-hour` : "") +
      (preference ? `; the user would like ${quote(preference)}` : "") + ".";
    const product = kind === "inference" ? "POD (SERVERLESS if the user wants an endpoint)" : "POD";
    return renderPlan({
      goal,
      problems,
      context,
      steps: [
        `\`recommend_gpu\` with ${
          billions !== undefined ? `model_params_b=${billions}` : "model_params_b"
        }, precision=bf16 (int4 or int8 if the user quantises), workload=${workload}${
          batch ? `, batch_size=${batch}` : ""
        }${price ? `, max_price_per_hour=${price}` : ""}, product=${product}.`,
        `\`list_gpu_types\` with ${minVram}${gpuCount}, available_only=true${
          price ? `, max_price_per_hour=${price}` : ""
        }, product=${product}, to compare stock and prices. Rows come cheapest first.`,
        preference
          ? `Check that ${
            quote(preference)
          } is among those GPUs with enough VRAM; if not, say why and offer the closest ones.`
          : "Keep two or three candidates: the cheapest that fits, and one with more VRAM headroom.",
        {
          text:
            "`estimate_cost` with kind=pod, gpu_type, gpu_count and the hours the user expects, for each candidate.",
          instead:
            "For each candidate, estimate the total: USD/hour per GPU × gpu_count × the hours the user expects.",
        },
        "Show a short table (GPU, VRAM GB, USD/hour, stock, estimated total) and recommend one, saying why. COMMUNITY cloud is cheaper but less reliable than SECURE.",
      ],
      safety: [NO_CREATE, CONFIRM_COSTS],
    }, ctx);
  },
};

/** `deploy_inference_endpoint`: a serverless endpoint serving a model (vLLM by default). */
export const deployInferenceEndpointPrompt: PromptSpec = {
  name: "deploy_inference_endpoint",
  title: "Deploy a model as a serverless endpoint",
  description:
    "Plan for serving a model on a RunPod serverless endpoint (vLLM by default): GPU choice, cost with min/max workers, creation, a test job and clean-up.",
  requires: [["create_endpoint"]],
  args: (complete) => ({
    model: requiredArg("Model to serve, e.g. meta-llama/Llama-3.1-8B-Instruct"),
    engine: optionalArg("Serving engine or image, e.g. vLLM (default), TGI, myorg/worker:1.2"),
    model_params_b: optionalArg("Model size in billions of parameters, e.g. 8 (or 8B)"),
    gpu_type: optionalCompletedArg("Preferred GPU type, e.g. L40S", complete.gpuTypes),
    workers_max: optionalArg("Most workers at once, 1 to 100 (default 2), e.g. 3"),
    workers_min: optionalArg("Workers kept running even when idle, 0 to 100 (default 0), e.g. 1"),
  }),
  render(args, ctx) {
    const model = given(args, "model") ?? "the model";
    const engine = given(args, "engine") ?? "vLLM";
    const vllm = /vllm/i.test(engine);
    const gpu = given(args, "gpu_type");
    const problems: string[] = [];
    const context: Line[] = [];
    const read = reader(args, problems);
    const maxWorkers = read("workers_max", (t) => parseCount(t, "workers_max", 100)) ?? 2;
    const minWorkers = Math.min(
      read(
        "workers_min",
        (t) => t.trim() === "0" ? { ok: true, value: 0 } : parseCount(t, "workers_min", 100),
      ) ?? 0,
      maxWorkers,
    );
    let minVram = "min_vram_gb from the model's size";
    const billions = read("model_params_b", parseModelSize);
    if (billions !== undefined) {
      const s = sizing("inference", billions);
      context.push(s.text);
      minVram = `min_vram_gb=${s.perGpu}`;
    }
    context.push(
      minWorkers > 0
        ? `workers_min=${minWorkers} keeps ${minWorkers} worker(s) billing around the clock, busy or not.`
        : "workers_min=0: nothing bills while idle, but the first request after idle waits for a cold start.",
    );
    const image = vllm ? "RunPod's vLLM worker image (runpod/worker-v1-vllm)" : quote(engine);
    return renderPlan({
      goal: `Deploy ${quote(model)} with ${quote(engine)} as a RunPod serverless endpoint${
        gpu ? ` on ${quote(gpu)}` : ""
      }, workers ${minWorkers}–${maxWorkers}.`,
      problems,
      context,
      steps: [
        {
          text: vllm
            ? '`list_templates` with source=official, name_contains="vllm": use RunPod\'s current vLLM worker template or image.'
            : `\`list_templates\` with source=official to see if one fits; otherwise use the image ${
              quote(engine)
            }.`,
          instead: `Use the image ${image}.`,
        },
        {
          text: `\`list_gpu_types\` with product=SERVERLESS, ${minVram}, available_only=true${
            gpu ? `; keep ${quote(gpu)} first if it fits` : ""
          }. Pick one to three gpu_types, so the endpoint is not stuck when one pool runs out.`,
          instead: `Pick one to three gpu_types (pools such as ADA_24, ${minVram}${
            gpu ? `, ${quote(gpu)} first` : ""
          }), so the endpoint is not stuck when one pool runs out.`,
        },
        {
          text:
            `\`estimate_cost\` with kind=endpoint, gpu_type, workers_min=${minWorkers}, workers_max=${maxWorkers}, hours=24: the idle cost and the cost with every worker busy.`,
          instead:
            `Work out the cost for 24 h from the pool's USD/hour: idle (workers_min=${minWorkers}) and with all ${maxWorkers} workers busy.`,
        },
        "Tell the user both figures and get their agreement.",
        `\`create_endpoint\` with name, template_id or image, gpu_types, workers_min=${minWorkers}, workers_max=${maxWorkers}, idle_timeout_s=5, flashboot=FLASHBOOT, execution_timeout_s=600${
          vllm ? `, env {"MODEL_NAME": ${quote(model)}}` : ""
        }. A gated model needs the user's HF_TOKEN in env: ask for it, never echo it.`,
        "`get_endpoint_health` until a worker is ready (the first start downloads the model: minutes).",
        {
          text:
            '`run_job_sync` with a tiny input, e.g. {"prompt": "Hello", "sampling_params": {"max_tokens": 16}}; if it is still running, `get_job` or `stream_job`.',
          instead:
            '`run_job_sync` with a tiny input, e.g. {"prompt": "Hello", "sampling_params": {"max_tokens": 16}}.',
        },
        "Give the user the endpoint id and how to call it.",
      ],
      safety: [
        CONFIRM_COSTS,
        "Use `update_endpoint` to change workers later.",
        {
          text: "`delete_endpoint` when it is no longer needed.",
          instead: `Delete the endpoint when it is no longer needed: ${
            notOffered("deleting endpoints")
          }.`,
        },
      ],
    }, ctx);
  },
};

/** An image for PyTorch work when no template can be looked up. */
const PYTORCH_IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";

/** `train_pytorch_on_pod`: a PyTorch training run on a pod, checkpoints on a network volume. */
export const trainPytorchOnPodPrompt: PromptSpec = {
  name: "train_pytorch_on_pod",
  title: "Train a PyTorch model on a pod",
  description:
    "Plan for a PyTorch training run on a GPU pod with a network volume for checkpoints: placement, cost, creation, monitoring and clean-up.",
  requires: [["create_pod"]],
  args: (complete) => ({
    task: requiredArg("What to train, e.g. LoRA fine-tune of Llama 3.1 8B on my chat dataset"),
    gpu_type: optionalCompletedArg("GPU type, e.g. A100 SXM", complete.gpuTypes),
    gpu_count: optionalArg("GPUs in the pod, 1 to 16 (default 1), e.g. 2"),
    network_volume_id: optionalCompletedArg(
      "Existing network volume for data and checkpoints, e.g. agv6w2qcg7",
      complete.networkVolumeIds,
    ),
    data_center_id: optionalCompletedArg(
      "Data center for the pod and a new volume, e.g. EU-RO-1",
      complete.dataCenterIds,
    ),
    size_gb: optionalArg("Size of a new network volume in GB, 1 to 4000 (default 100), e.g. 200"),
    hours: optionalArg("Expected run time in hours, e.g. 12 (or 12h, 2 days)"),
  }),
  render(args, ctx) {
    const task = given(args, "task") ?? "the training run";
    const gpu = given(args, "gpu_type");
    const volume = given(args, "network_volume_id");
    const dc = given(args, "data_center_id");
    const problems: string[] = [];
    const read = reader(args, problems);
    const gpuCount = read("gpu_count", (t) => parseCount(t, "gpu_count", 16)) ?? 1;
    const sizeGb = read("size_gb", (t) => parseCount(t, "size_gb", 4000)) ?? 100;
    const hours = read("hours", (t) => parseHours(t, "hours"));
    const gpuArg = gpu ? `gpu_type=${quote(gpu)}` : "the chosen gpu_type";
    const dcText = dc ? quote(dc) : "the chosen data center";
    const newVolume = `a new network volume of ${sizeGb} GB in ${dcText}`;
    return renderPlan({
      goal: `Run ${quote(task)} with PyTorch on a RunPod pod (${gpuCount} × ${
        gpu ? quote(gpu) : "a GPU to choose"
      }${hours ? `, about ${hours} h` : ""}), checkpoints on a network volume.`,
      problems,
      context: gpu ? [] : [{
        text:
          "No GPU given: size it first (the select_gpu prompt, or `list_gpu_types` with min_vram_gb).",
        instead: "No GPU given: ask the user which GPU type to use and check it has the VRAM.",
      }],
      steps: [
        volume
          ? {
            text: `\`get_network_volume\` with volume_id=${
              quote(volume)
            }: its data center is where the pod must run.${
              given(args, "size_gb")
                ? ` If it is under ${sizeGb} GB, \`update_network_volume\` with size_gb=${sizeGb} (volumes only grow).`
                : ""
            }`,
            instead: `Ask the user which data center network volume ${
              quote(volume)
            } is in: the pod must run there.`,
          }
          : {
            text: "`list_network_volumes`: reuse a volume if one fits; otherwise plan a new one.",
            instead:
              `Ask the user whether a network volume exists to reuse; otherwise plan ${newVolume}.`,
          },
        `\`list_data_centers\` with gpu_type, include_gpu_availability=true, network_volume_support=true: confirm ${dcText} has ${
          gpu ? quote(gpu) : "the GPU"
        } in stock${volume ? " (it must be the volume's)" : ""}.`,
        {
          text:
            '`list_templates` with source=official, name_contains="pytorch": pick a PyTorch template or image.',
          instead: `Use the image ${quote(PYTORCH_IMAGE)} or one the user names.`,
        },
        {
          text:
            `\`estimate_cost\` with kind=pod, ${gpuArg}, gpu_count=${gpuCount}, container_disk_gb=50, hours=${
              hours ?? "the expected hours"
            }${
              volume ? "" : `; and kind=network_volume, volume_gb=${sizeGb} (billed monthly)`
            }. Get the user's agreement.`,
          instead: `Work out the cost: USD/hour per GPU × ${gpuCount} × ${
            hours ?? "the expected"
          } hours${volume ? "" : ", plus the volume's monthly storage"}. Get the user's agreement.`,
        },
        volume ? "Skip: the volume exists." : {
          text: `\`create_network_volume\` with name, size_gb=${sizeGb}, data_center_id=${
            dc ? quote(dc) : "that data center"
          }.`,
          instead: `For ${newVolume}: ${notOffered("creating network volumes")}.`,
        },
        `\`create_pod\` with name, template_id or image, ${gpuArg}, gpu_count=${gpuCount}, data_center_ids=[${dcText}], network_volume_id, volume_mount_path="/workspace", container_disk_gb=50, ports=["22/tcp"], start_ssh=true.`,
        "`wait_for_pod` with pod_id, then `get_pod` for the SSH command.",
        "Tell the user to save checkpoints under /workspace/checkpoints (the network volume) every epoch or N steps, and to resume from the latest one.",
        "`get_pod_logs` with pod_id, tail=200 to follow; for a long run use the manage_long_running_experiment prompt.",
      ],
      safety: [
        CONFIRM_COSTS,
        {
          text:
            "When training ends: confirm the last checkpoint is on /workspace, then `stop_pod` or `terminate_pod` with the user's agreement; a running pod bills every hour, idle or not.",
          instead:
            `When training ends: confirm the last checkpoint is on /workspace, then stop the pod; ${
              notOffered("stopping pods")
            }. A running pod bills every hour, idle or not.`,
        },
        {
          text:
            "The network volume keeps billing until `delete_network_volume`, which destroys its data: only with explicit consent.",
          instead: "The network volume keeps billing until it is deleted, which destroys its data.",
        },
      ],
    }, ctx);
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

/** Reads `mode`, falling back to the kind of deployment the server can create. */
function diffusionMode(text: string | undefined, ctx: RenderContext, problems: string[]) {
  let serverless = !ctx.offers("create_pod");
  if (text) {
    if (/serverless|endpoint|api/i.test(text)) serverless = true;
    else if (/pod|ui|interactive|comfy/i.test(text)) serverless = false;
    else {
      problems.push(
        `Cannot read mode ${quote(text)}: give pod (interactive UI) or serverless (API)`,
      );
    }
  }
  const tool = serverless ? "create_endpoint" : "create_pod";
  if (!ctx.offers(tool)) {
    problems.push(
      `Mode ${serverless ? "serverless" : "pod"}: ${
        notOffered(serverless ? "creating endpoints" : "creating pods")
      }, or plan for ${serverless ? "a pod" : "a serverless endpoint"} instead`,
    );
    serverless = !serverless;
  }
  return serverless;
}

/** `run_diffusion_model`: an image model on a pod with a UI, or behind a serverless endpoint. */
export const runDiffusionModelPrompt: PromptSpec = {
  name: "run_diffusion_model",
  title: "Run a diffusion (image) model",
  description:
    "Plan for running an image model (SDXL, FLUX, …) on a pod with a web UI such as ComfyUI, or as a serverless endpoint for an API.",
  requires: [["create_pod", "create_endpoint"]],
  args: (complete) => ({
    model: requiredArg("Image model, e.g. SDXL, FLUX.1-dev, Stable Diffusion 1.5"),
    mode: optionalArg("pod (interactive UI, default) or serverless (API), e.g. pod"),
    gpu_type: optionalCompletedArg("Preferred GPU type, e.g. RTX 4090", complete.gpuTypes),
    hours: optionalArg("How long the user expects to use it in hours, e.g. 3 (or 3h)"),
  }),
  render(args, ctx) {
    const model = given(args, "model") ?? "the model";
    const gpu = given(args, "gpu_type");
    const problems: string[] = [];
    const serverless = diffusionMode(given(args, "mode"), ctx, problems);
    const hours = reader(args, problems)("hours", (t) => parseHours(t, "hours"));
    const vram = diffusionVram(model);
    const gpuPick: Line = {
      text: `\`list_gpu_types\` with min_vram_gb=${vram}, available_only=true${
        serverless ? ", product=SERVERLESS" : ""
      }${gpu ? `; prefer ${quote(gpu)} if it fits` : ""}.`,
      instead: `Pick a GPU with at least ${vram} GB${gpu ? `, ${quote(gpu)} if it fits` : ""}.`,
    };
    const steps: Line[] = serverless
      ? [
        {
          text: `\`list_templates\` with source=official (then verified) to find a worker for ${
            quote(model)
          } or ComfyUI.`,
          instead: `Ask the user for a worker image that serves ${quote(model)} or ComfyUI.`,
        },
        gpuPick,
        {
          text:
            "`estimate_cost` with kind=endpoint, gpu_type, workers_min=0, workers_max=2, hours=24. Get the user's agreement.",
          instead:
            "Work out the cost with both workers busy for 24 h from the GPU's USD/hour. Get the user's agreement.",
        },
        "`create_endpoint` with name, template_id or image, gpu_types, workers_min=0, workers_max=2, flashboot=FLASHBOOT, execution_timeout_s=300.",
        "`get_endpoint_health` until a worker is ready.",
        {
          text:
            '`run_job` with a small input, e.g. {"prompt": "a red bicycle", "width": 1024, "height": 1024}, then `get_job` (or `stream_job`) for the image.',
          instead:
            '`run_job_sync` with a small input, e.g. {"prompt": "a red bicycle", "width": 1024, "height": 1024}.',
        },
      ]
      : [
        {
          text:
            `\`list_templates\` with source=official, name_contains="comfy" (or verified/community) for a UI template that ships ${
              quote(model)
            } or can download it.`,
          instead: `Ask the user for a UI image (e.g. ComfyUI) that ships ${
            quote(model)
          } or can download it.`,
        },
        gpuPick,
        {
          text: `\`estimate_cost\` with kind=pod, gpu_type, volume_gb=50, hours=${
            hours ?? "the expected hours"
          }. Get the user's agreement.`,
          instead: `Work out the cost: the GPU's USD/hour × ${
            hours ?? "the expected"
          } hours. Get the user's agreement.`,
        },
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
          ? {
            text:
              "With workers_min=0 nothing bills while idle; `delete_endpoint` when it is no longer needed.",
            instead: "With workers_min=0 nothing bills while idle.",
          }
          : {
            text:
              "A pod bills every hour until stopped: `stop_pod` when the user pauses, `terminate_pod` (with agreement) when done.",
            instead: `A pod bills every hour until stopped: ${notOffered("stopping pods")}.`,
          },
      ],
    }, ctx);
  },
};
