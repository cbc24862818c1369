/**
 * `create_pod` and `update_pod`: flat, validated arguments mapped to RunPod's v2 bodies.
 *
 * @module
 */

import { type ContainerFields, containerFields } from "./_container_body.ts";
import { z } from "zod";
import {
  createPod,
  type CreatePodBody,
  getPod,
  listGpuTypes,
  recoveryNote,
  updatePod,
  type UpdatePodBody,
} from "../runpod/mod.ts";
import { maskEnv } from "../secrets.ts";
import {
  checkNewEnv,
  checkPorts,
  DATA_CENTER_ID,
  dockerArgsArg,
  envArg,
  idString,
  imageArg,
  keptNote,
  LIMITS,
  mountPathArg,
  nameArg,
  portsArg,
  resolveEnvWrite,
  tooLong,
} from "./_args.ts";
import { CREATES, defineTool, DESTRUCTIVE, ToolInputError } from "./_define.ts";
import { cudaOnAmdWarning, resolveGpuType } from "./_gpu.ts";
import { onCapacityError } from "./_capacity.ts";
import { podStorage, round4 } from "../policy/estimate.ts";
import { validateSshPublicKey } from "./_ssh_key.ts";
import { checkPodId, podSummary, podSummaryShape } from "./pods.ts";

/** What create_pod and update_pod return. */
const maskedEnv = z.record(z.string(), z.string()).describe("Env vars; secrets masked");

/** `create_pod`: rents a GPU or CPU pod. */
export const createPodTool = defineTool({
  name: "create_pod",
  title: "Create pod",
  description:
    "Rents a pod, billed USD/hour until stop_pod or terminate_pod: tell the user the cost first. Needs image or template_id, and gpu_type or cpu_flavor + vcpu_count. Next: wait_for_pod.",
  toolset: "pods",
  annotations: CREATES,
  input: {
    name: nameArg().describe("e.g. llama-finetune"),
    image: imageArg().optional().describe(
      "e.g. runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
    ),
    template_id: idString("template id").optional().describe(
      "e.g. 30zmvf89kd",
    ),
    gpu_type: z.string().trim().optional().describe("Id or name, e.g. RTX 4090"),
    gpu_count: z.number().int().min(1).max(16).default(1).describe("GPUs, e.g. 2"),
    cpu_flavor: z.string().trim().regex(/^cpu\d[a-z]$/).optional().describe(
      "CPU pod, e.g. cpu5c",
    ),
    vcpu_count: z.number().int().min(1).max(128).optional().describe("Power of 2, e.g. 4"),
    cloud: z.enum(["SECURE", "COMMUNITY"]).default("SECURE").describe(
      "COMMUNITY is cheaper, e.g. SECURE",
    ),
    data_center_ids: z.array(z.string().regex(DATA_CENTER_ID)).optional().describe(
      'Preferred, e.g. ["US-KS-2"]',
    ),
    container_disk_gb: z.number().int().min(1).max(2000).optional().describe(
      "Wiped on stop, e.g. 50",
    ),
    volume_gb: z.number().int().min(10).max(4000).optional().describe(
      "Kept on stop; GPU pods, e.g. 20",
    ),
    network_volume_id: idString("network volume id").optional().describe(
      "Same data center, e.g. agv6w2qcg7",
    ),
    volume_mount_path: mountPathArg.default("/workspace").describe("e.g. /workspace"),
    ports: portsArg.optional().describe('e.g. ["8888/http"]'),
    env: envArg.optional().describe('e.g. {"MODEL": "llama-3-8b"}'),
    start_ssh: z.boolean().default(true).describe("Account SSH keys, e.g. true"),
    ssh_public_key: z.string().max(
      LIMITS.SSH_PUBLIC_KEY_CHARS,
      tooLong("ssh_public_key", LIMITS.SSH_PUBLIC_KEY_CHARS),
    ).optional().describe("e.g. ssh-ed25519 AAAA… me@laptop"),
    docker_args: dockerArgsArg.optional().describe("e.g. python train.py"),
    min_cuda_version: z.string().regex(/^\d+\.\d+$/).optional().describe(
      "Lowest host CUDA, e.g. 12.4",
    ),
  },
  output: {
    pod: z.object(podSummaryShape),
    estimated_cost_per_hour: z.number().nullable().describe(
      "Catalog price × GPU count, USD/hour, before RunPod's own figure",
    ),
    next: z.string(),
  },
  async run(args, ctx) {
    const isGpu = args.gpu_type !== undefined;
    const isCpu = args.cpu_flavor !== undefined || args.vcpu_count !== undefined;
    if (isGpu === isCpu) {
      throw new ToolInputError(
        isGpu
          ? "Cannot create pod: give gpu_type for a GPU pod or cpu_flavor + vcpu_count for a CPU pod, not both"
          : "Cannot create pod: give gpu_type (GPU pod) or cpu_flavor + vcpu_count (CPU pod)",
      );
    }
    if (!args.image && !args.template_id) {
      throw new ToolInputError("Cannot create pod: give image or template_id");
    }
    if (args.volume_gb !== undefined && args.network_volume_id !== undefined) {
      throw new ToolInputError(
        "Cannot create pod: use volume_gb (pod volume) or network_volume_id, not both",
      );
    }
    if (isCpu && args.volume_gb !== undefined) {
      throw new ToolInputError(
        "Cannot create pod: CPU pods cannot have volume_gb; use network_volume_id or container_disk_gb",
      );
    }
    checkPorts(args.ports, "create pod");
    await checkNewEnv(args.env, "create pod", ctx);
    const env: Record<string, string> = { ...args.env };
    if (args.ssh_public_key !== undefined) {
      // RunPod's images install PUBLIC_KEY into authorized_keys at start.
      env.PUBLIC_KEY = validateSshPublicKey(args.ssh_public_key);
    }

    const body: CreatePodBody = { name: args.name };
    if (args.image) body.image = args.image;
    if (args.template_id) body.templateId = args.template_id;
    body.cloud = args.cloud;
    let estimate: number | null = null;
    let amdWarning: string | undefined;

    if (isGpu) {
      const gpus = await listGpuTypes(ctx.runpod, {}, ctx.signal);
      const gpu = resolveGpuType(gpus, args.gpu_type!);
      const offered = args.cloud === "SECURE" ? gpu.secure : gpu.community;
      if (!offered) {
        throw new ToolInputError(
          `Cannot create pod: ${gpu.name} is not offered on ${args.cloud} cloud; try cloud=${
            args.cloud === "SECURE" ? "COMMUNITY" : "SECURE"
          }`,
        );
      }
      const max = args.cloud === "SECURE" ? gpu.maxCount.secure : gpu.maxCount.community;
      if (typeof max === "number" && args.gpu_count > max) {
        throw new ToolInputError(
          `Cannot create pod: ${gpu.name} allows at most ${max} GPUs per pod on ${args.cloud} cloud`,
        );
      }
      // gpu.count is always sent: without it RunPod's scheduler matches no machine (API-NOTES §3.8).
      body.gpu = { id: gpu.id, count: args.gpu_count };
      if (args.min_cuda_version) body.gpu.minCudaVersion = args.min_cuda_version;
      const price = args.cloud === "SECURE" ? gpu.price.secure : gpu.price.community;
      estimate = round4(price * args.gpu_count);
      amdWarning = cudaOnAmdWarning(gpu, args.image);
    } else {
      if (!args.cpu_flavor || args.vcpu_count === undefined) {
        throw new ToolInputError(
          "Cannot create pod: a CPU pod needs both cpu_flavor and vcpu_count",
        );
      }
      if ((args.vcpu_count & (args.vcpu_count - 1)) !== 0) {
        throw new ToolInputError(
          `Cannot create pod: vcpu_count must be a power of 2 (1, 2, 4, 8, …), got ${args.vcpu_count}`,
        );
      }
      if (args.min_cuda_version) {
        throw new ToolInputError("Cannot create pod: min_cuda_version applies to GPU pods only");
      }
      body.cpu = { id: args.cpu_flavor, vcpuCount: args.vcpu_count };
    }
    const shared: Pick<CreatePodBody, keyof ContainerFields> = containerFields(args, env);
    Object.assign(body, shared);
    body.startSsh = args.start_ssh || args.ssh_public_key !== undefined;

    const pod = await createPod(ctx.runpod, body, ctx.signal).catch(
      onCapacityError(
        ctx,
        body.gpu &&
          {
            action: "create pod",
            product: "POD",
            gpuTypeId: body.gpu.id,
            count: args.gpu_count,
            cloud: args.cloud,
          },
      ),
    );
    const recovered = recoveryNote(pod);
    const cost = pod.cost > 0 ? pod.cost : estimate ?? 0;
    return {
      summary: `${
        recovered ? `${recovered} ` : ""
      }Created pod ${pod.id} "${pod.name}" (${pod.status}) at $${
        cost.toFixed(2)
      }/h; billing runs until stop_pod or terminate_pod.${
        [
          podStorage(args.container_disk_gb ?? 0, args.volume_gb ?? 0).lines.map((l) =>
            ` Storage: ${l}.`
          ).join(""),
          amdWarning ? ` ${amdWarning}` : "",
        ].join("")
      } Next: wait_for_pod.`,
      data: {
        pod: podSummary(pod),
        estimated_cost_per_hour: estimate,
        next: `wait_for_pod with pod_id=${pod.id} until it is RUNNING`,
      },
    };
  },
});

/** `update_pod`: changes a pod's name, image, disk, ports, env or lock. */
export const updatePodTool = defineTool({
  name: "update_pod",
  title: "Update pod",
  description:
    "Changes a pod. New image, docker_args, container_disk_gb, ports or env restart it and wipe its container disk (volume kept). env replaces all vars.",
  toolset: "pods",
  annotations: DESTRUCTIVE,
  input: {
    pod_id: z.string().trim().describe("e.g. xedezhzb9la3ye"),
    name: nameArg().optional().describe("e.g. llama-eval"),
    image: imageArg().optional().describe("e.g. vllm/vllm-openai:v0.11.0"),
    docker_args: dockerArgsArg.optional().describe("e.g. python serve.py"),
    container_disk_gb: z.number().int().min(1).max(2000).optional().describe("GB, e.g. 80"),
    ports: portsArg.optional().describe('All ports, e.g. ["8888/http"]'),
    env: envArg.optional().describe(
      '"[masked]" keeps a stored secret, e.g. {"HF_TOKEN": "[masked]"}',
    ),
    locked: z.boolean().optional().describe("Blocks stop/terminate, e.g. true"),
  },
  output: {
    pod: z.object({
      id: z.string(),
      name: z.string(),
      env: maskedEnv,
    }),
    changed: z.array(z.string()),
  },
  async run(args, ctx) {
    checkPodId(args.pod_id, "update pod");
    checkPorts(args.ports, `update pod ${args.pod_id}`);
    const body: UpdatePodBody = {};
    if (args.name !== undefined) body.name = args.name;
    if (args.image !== undefined) body.image = args.image;
    if (args.docker_args !== undefined) body.args = args.docker_args;
    if (args.container_disk_gb !== undefined) body.disk = args.container_disk_gb;
    if (args.ports !== undefined) body.ports = args.ports;
    if (args.locked !== undefined) body.locked = args.locked;
    const changed = Object.entries(args)
      .filter(([key, value]) => key !== "pod_id" && value !== undefined)
      .map(([key]) => key);
    if (changed.length === 0) {
      throw new ToolInputError(
        "Cannot update pod: give at least one of name, image, docker_args, container_disk_gb, ports, env, locked",
      );
    }
    let kept: string[] = [];
    if (args.env !== undefined) {
      const safe = await resolveEnvWrite(
        args.env,
        `update pod ${args.pod_id}`,
        async () => (await getPod(ctx.runpod, args.pod_id, ctx.signal)).env,
        ctx,
      );
      body.env = safe.env;
      kept = safe.kept;
    }
    const pod = await updatePod(ctx.runpod, args.pod_id, body, ctx.signal);
    return {
      summary: `Updated pod ${pod.id}: ${changed.join(", ")}. Status ${pod.status}.${
        keptNote(kept)
      }`,
      data: {
        pod: {
          id: pod.id,
          name: pod.name,
          env: maskEnv(pod.env, ctx.showSecrets),
        },
        changed,
      },
    };
  },
});
