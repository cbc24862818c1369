/**
 * Worked example: manage a long-running experiment on a pod.
 *
 * Checkpoints live on a network volume; the first create hits a capacity error and the agent
 * retries with the GPU the error suggests; the pod's status is read as a resource; the pod is
 * stopped overnight and started again the next day; the spend summary shows the burn rate and
 * the runway; at the end the pod is terminated and the volume kept.
 *
 * Run `deno run -A examples/long_experiment.ts` to regenerate `docs/examples/long-experiment.md`.
 *
 * @module
 */

import type { CallToolResult } from "../src/deps.ts";
import { type ExampleMeta, main, type Session } from "./_session.ts";

/** Title and intro of the transcript. */
export const meta: ExampleMeta = {
  name: "long_experiment",
  title: "Worked example: manage a long-running experiment",
  intro:
    "The user runs a training experiment over two days and wants to spend as little as possible: checkpoints on a network volume, the GPU stopped overnight, and a clear view of the burn rate and the runway. On the way the first GPU choice is sold out, and the agent recovers from RunPod's capacity error.",
};

const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
const DATA_CENTER = "EU-RO-1";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function data<T>(result: CallToolResult): T {
  if (result.isError || !result.structuredContent) {
    throw new Error(`Cannot continue the example: ${JSON.stringify(result.content)}`);
  }
  return result.structuredContent as T;
}

/** The script. */
export async function run(s: Session): Promise<void> {
  s.user(
    `I have a sweep that needs about 8 GPU-hours a day for two days on a 48 GB card, in ${DATA_CENTER} near my data. Keep the results, and don't burn money at night.`,
  );
  s.agent("First, what the account has and what already burns money.");
  await s.call("get_spend_summary", {});

  s.agent(
    `Nothing is running. Results go on a network volume in ${DATA_CENTER}: it outlives the pod, and a pod that mounts it can be stopped or even terminated without losing them.`,
  );
  const volume = data<{ volume_id: string }>(
    await s.call("create_network_volume", {
      name: "sweep-results",
      size_gb: 100,
      data_center_id: DATA_CENTER,
    }),
  );

  s.agent("Now the pod. The RTX A6000 is the cheapest 48 GB card on the secure cloud.");
  const podArgs = {
    name: "sweep",
    image: IMAGE,
    gpu_count: 1,
    data_center_ids: [DATA_CENTER],
    network_volume_id: volume.volume_id,
    container_disk_gb: 30,
    docker_args: "python /workspace/sweep.py --resume /workspace/runs",
  };
  const refused = await s.call("create_pod", { ...podArgs, gpu_type: "NVIDIA RTX A6000" });
  if (!refused.isError) throw new Error("Cannot continue the example: expected a capacity error");

  s.agent(
    `RunPod has no RTX A6000 left in ${DATA_CENTER}, and the error lists what is in stock. The volume pins the pod to ${DATA_CENTER}, where the RTX 6000 Ada (48 GB) is available, so I tell the user the new price and retry with it.`,
  );
  s.user("OK, the Ada is fine.");
  const created = data<{ pod: { id: string } }>(
    await s.call("create_pod", { ...podArgs, gpu_type: "NVIDIA RTX 6000 Ada Generation" }),
  );
  const podId = created.pod.id;
  await s.call("wait_for_pod", { pod_id: podId });

  s.agent(
    `The pod's status is also a resource, runpod://pods/${podId}: a client can read it, or subscribe to it and be told when the status changes, instead of calling tools.`,
  );
  await s.readResource(`runpod://pods/${podId}`);

  s.aside("Eight hours pass; the sweep writes checkpoints to the volume.");
  s.simulator.advance(8 * HOUR);
  s.simulator.addPodLog(podId, "run 12/24 done: val_loss=0.842, saved /workspace/runs/run-12");

  s.user("It's evening. Pause it until tomorrow.");
  await s.call("get_pod_logs", { pod_id: podId, tail: 3, source: "container" });
  s.agent(
    "Run 12 is saved on the volume, so nothing is lost. Stopping ends GPU billing; the sweep resumes from /workspace/runs tomorrow.",
  );
  await s.call("stop_pod", { pod_id: podId });
  await s.call("get_spend_summary", {});

  s.aside("The night passes (14 hours).");
  s.simulator.advance(14 * HOUR);

  s.user("Good morning, carry on.");
  await s.call("start_pod", { pod_id: podId });
  await s.call("wait_for_pod", { pod_id: podId });

  s.aside("Another eight hours pass; the sweep finishes.");
  s.simulator.advance(8 * HOUR);
  s.simulator.addPodLog(podId, "run 24/24 done: best val_loss=0.791 (run-19)");
  s.simulator.addPodLog(podId, "sweep finished; results in /workspace/runs");

  s.user("Is it done? What did it cost?");
  await s.call("get_pod_logs", { pod_id: podId, tail: 2, source: "container" });
  s.agent(
    "The sweep is finished and its results are on the volume. The pod is no longer needed, so I terminate it rather than stop it (a stopped pod still bills for its disk); the volume stays.",
  );
  await s.call("terminate_pod", { pod_id: podId });
  await s.call("get_spend_summary", {});

  s.agent(
    `Done. The GPU ran about 16 hours at $0.77/h. What keeps costing money is the results volume ${volume.volume_id} (100 GB, about $7.00/month): copy the results off and call delete_network_volume when you no longer need it.`,
  );
}

if (import.meta.main) await main(meta, run);
