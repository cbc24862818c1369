/**
 * Worked example: fine-tune a model with PyTorch on a pod, checkpoints on a network volume.
 *
 * The user asks for a LoRA fine-tune; the agent sizes the GPU with `recommend_gpu`, checks stock
 * with `list_gpu_types`, creates a network volume and a pod (each confirmed with its cost), waits
 * for the pod, follows the training logs, stops the pod and keeps the volume.
 *
 * Run `deno run -A examples/fine_tune.ts` to regenerate `docs/examples/fine-tune.md`.
 *
 * @module
 */

import type { CallToolResult } from "../src/deps.ts";
import { type ExampleMeta, main, type Session } from "./_session.ts";

/** Title and intro of the transcript. */
export const meta: ExampleMeta = {
  name: "fine_tune",
  title: "Worked example: fine-tune a model with PyTorch on a pod",
  intro:
    "The user wants to LoRA fine-tune an 8B model with PyTorch, keep the checkpoints, and pay only while the GPU works. The agent picks a GPU that fits, creates a network volume for checkpoints and a pod that mounts it, follows the training, then stops the pod and keeps the volume.",
};

const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
const DATA_CENTER = "EU-SE-1";
const MINUTE = 60_000;

function data<T>(result: CallToolResult): T {
  if (result.isError || !result.structuredContent) {
    throw new Error(`Cannot continue the example: ${JSON.stringify(result.content)}`);
  }
  return result.structuredContent as T;
}

/** The script. */
export async function run(s: Session): Promise<void> {
  s.user(
    "I want to LoRA fine-tune Llama 3.1 8B (bf16) on my chat dataset with PyTorch. Keep the checkpoints somewhere safe, and don't let me pay for an idle GPU.",
  );
  s.agent(
    "First I size the job: how much VRAM an 8B LoRA fine-tune in bf16 needs, and which GPUs fit.",
  );
  await s.call("recommend_gpu", {
    model_params_b: 8,
    precision: "bf16",
    workload: "lora_finetune",
    context_tokens: 4096,
    batch_size: 1,
  });
  s.agent(
    "The A40 (48 GB) fits with room to spare and is the cheapest. The pod and its network volume must share a data center, so I look for one with A40s in stock that offers network volumes.",
  );
  await s.call("list_data_centers", {
    gpu_type: "NVIDIA A40",
    include_gpu_availability: true,
    network_volume_support: true,
  });

  s.agent(
    `A40 at $0.40/h is in stock in ${DATA_CENTER}. Checkpoints go on a network volume there: it survives stopping and even terminating the pod.`,
  );
  const volume = data<{ volume_id: string }>(
    await s.call("create_network_volume", {
      name: "llama-ft-checkpoints",
      size_gb: 50,
      data_center_id: DATA_CENTER,
    }),
  );

  s.agent("Now the pod: one A40, the PyTorch image, the volume mounted at /workspace.");
  const created = data<{ pod: { id: string } }>(
    await s.call("create_pod", {
      name: "llama-ft",
      image: IMAGE,
      gpu_type: "NVIDIA A40",
      gpu_count: 1,
      data_center_ids: [DATA_CENTER],
      network_volume_id: volume.volume_id,
      container_disk_gb: 40,
      docker_args: "python /workspace/train.py --output /workspace/checkpoints",
    }),
  );
  const podId = created.pod.id;

  await s.call("wait_for_pod", { pod_id: podId, timeout_s: 300 });

  s.aside("Training runs for 40 minutes; the training script prints its progress.");
  s.simulator.advance(20 * MINUTE);
  s.simulator.addPodLog(podId, "epoch 1/2 step 500/1000 loss=1.412");
  s.simulator.addPodLog(podId, "saved /workspace/checkpoints/step-500");
  s.simulator.advance(20 * MINUTE);
  s.simulator.addPodLog(podId, "epoch 2/2 step 1000/1000 loss=0.987");
  s.simulator.addPodLog(podId, "saved /workspace/checkpoints/step-1000");
  s.simulator.addPodLog(podId, "training finished");

  s.user("How is it going?");
  await s.call("get_pod_logs", { pod_id: podId, tail: 10, source: "container" });

  s.agent(
    "Training finished and the last checkpoint is on the network volume. I stop the pod so the GPU stops billing; the volume stays.",
  );
  await s.call("stop_pod", { pod_id: podId });
  await s.call("list_network_volumes", {});

  s.agent(
    `Done. The pod is stopped (a stopped pod bills nothing for the GPU; its container disk is wiped). The checkpoints are on volume ${volume.volume_id} at about $3.50/month; to free it, call delete_network_volume. To train again, start_pod brings the pod back with the same volume.`,
  );
}

if (import.meta.main) await main(meta, run);
