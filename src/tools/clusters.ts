/**
 * Instant Cluster tools: list, inspect (with member pods), create, rename and delete clusters of
 * identical multi-GPU pods in one data center.
 *
 * @module
 */

import { checkId } from "./_id_check.ts";
import { round4 } from "../policy/estimate.ts";
import { rememberCreated } from "../policy/protect.ts";
import { type ContainerFields, containerFields } from "./_container_body.ts";
import { z } from "zod";
import {
  type Cluster,
  CLUSTER_TYPES,
  createCluster,
  type CreateClusterBody,
  deleteCluster,
  getCluster,
  listClusterPods,
  listClusters,
  listGpuTypes,
  type Pod,
  recoveryNote,
  updateCluster,
} from "../runpod/mod.ts";
import {
  checkNewEnv,
  checkPorts,
  DATA_CENTER_ID,
  dockerArgsArg,
  envArg,
  idString,
  imageArg,
  mountPathArg,
  nameArg,
  portsArg,
} from "./_args.ts";
import {
  CREATES,
  defineTool,
  DESTRUCTIVE,
  type FullAnnotations,
  READ_ONLY,
  ToolInputError,
} from "./_define.ts";
import { resolveGpuType } from "./_gpu.ts";

/** A rename: it changes a label, never spend or data, and repeating it changes nothing more. */
const RENAMES: FullAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};

// Its characters are checked by checkClusterId in every tool that takes it.
const clusterIdArg = z.string().trim().describe("e.g. k3xq9p2m7a");

const clusterRowShape = {
  id: z.string(),
  name: z.string(),
  type: z.string(),
  gpu_type: z.string(),
  gpu_count_per_pod: z.number(),
  pod_count: z.number(),
  pods_by_status: z.record(z.string(), z.number()),
  data_center_id: z.string().nullable(),
};

type ClusterRow = z.output<z.ZodObject<typeof clusterRowShape>>;

function clusterRow(c: Cluster): ClusterRow {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    gpu_type: c.compute.gpuTypeId,
    gpu_count_per_pod: c.compute.gpuCountPerPod,
    pod_count: c.compute.podCount,
    pods_by_status: { ...c.pods.byStatus },
    data_center_id: c.dataCenterId ?? null,
  };
}

function describeCluster(row: ClusterRow): string {
  const states = Object.entries(row.pods_by_status).map(([s, n]) => `${n} ${s}`).join(", ");
  return `${row.id} "${row.name}" ${row.type}, ${row.pod_count} pods × ${row.gpu_count_per_pod}× ${row.gpu_type}${
    row.data_center_id ? ` in ${row.data_center_id}` : ""
  } (${states || "no pods"})`;
}

const memberShape = {
  id: z.string(),
  status: z.string(),
  rank: z.number().nullable(),
  role: z.string().nullable(),
  ip: z.string().nullable().describe("Address on the cluster's private network"),
  cost_per_hour: z.number(),
  ssh: z.string().nullable(),
};

function memberRow(pod: Pod): z.output<z.ZodObject<typeof memberShape>> {
  return {
    id: pod.id,
    status: pod.status,
    rank: pod.cluster?.rank ?? null,
    role: pod.cluster?.role ?? null,
    ip: pod.cluster?.ip ?? null,
    cost_per_hour: pod.cost,
    ssh: pod.ssh?.direct?.command ?? pod.ssh?.proxy?.command ?? null,
  };
}

function checkClusterId(id: string): void {
  checkId(id, "cluster", "use cluster id");
}

/** `list_clusters`: every Instant Cluster on the account. */
export const listClustersTool = defineTool({
  name: "list_clusters",
  title: "List clusters",
  description:
    "Lists Instant Clusters (multi-GPU pods on a private network): type, GPUs, pods by status, data center. Next: get_cluster.",
  toolset: "clusters",
  annotations: READ_ONLY,
  input: {},
  output: { clusters: z.array(z.object(clusterRowShape)) },
  async run(_args, ctx) {
    const rows = (await listClusters(ctx.runpod, ctx.signal)).map(clusterRow);
    const summary = rows.length === 0
      ? "No clusters. Create one with create_cluster."
      : `${rows.length} cluster(s):\n${rows.map(describeCluster).join("\n")}`;
    return { summary, data: { clusters: rows } };
  },
});

/** `get_cluster`: one cluster with its member pods. */
export const getClusterTool = defineTool({
  name: "get_cluster",
  title: "Get cluster",
  description:
    "One Instant Cluster: member pods (rank, role, private IP, status, USD/hour, ssh), total USD/hour. Members are not in list_pods.",
  toolset: "clusters",
  annotations: READ_ONLY,
  input: { cluster_id: clusterIdArg },
  output: {
    ...clusterRowShape,
    pods: z.array(z.object(memberShape)),
    total_cost_per_hour: z.number(),
  },
  async run(args, ctx) {
    checkClusterId(args.cluster_id);
    const [cluster, pods] = await Promise.all([
      getCluster(ctx.runpod, args.cluster_id, ctx.signal),
      listClusterPods(ctx.runpod, args.cluster_id, ctx.signal),
    ]);
    const row = clusterRow(cluster);
    const members = pods.map(memberRow);
    const total = round4(members.reduce((s, p) => s + p.cost_per_hour, 0));
    const primary = cluster.primary?.podId
      ? ` Primary node ${cluster.primary.podId}${
        cluster.primary.sshEndpoint ? ` (ssh ${cluster.primary.sshEndpoint})` : ""
      }.`
      : "";
    return {
      summary: `${describeCluster(row)}, $${total.toFixed(2)}/h in total.${primary}`,
      data: { ...row, pods: members, total_cost_per_hour: total },
    };
  },
});

/** `create_cluster`: rents an Instant Cluster. */
export const createClusterTool = defineTool({
  name: "create_cluster",
  title: "Create cluster",
  description:
    "Rents an Instant Cluster (SECURE cloud, one data center), billed USD/hour for all its pods until delete_cluster: tell the user the cost first. Next: get_cluster.",
  toolset: "clusters",
  annotations: CREATES,
  input: {
    name: nameArg().describe("e.g. llama-pretrain"),
    gpu_type: z.string().trim().describe("Id or name, e.g. H100 SXM"),
    gpu_count_per_pod: z.number().int().min(1).max(16).describe("GPUs, e.g. 8"),
    pod_count: z.number().int().min(2).max(250).describe("Nodes, e.g. 2"),
    type: z.enum(CLUSTER_TYPES).default("TRAINING").describe("e.g. TRAINING"),
    image: imageArg().describe("e.g. pytorch/pytorch:2.4.0-cuda12.4-cudnn9-devel"),
    data_center_ids: z.array(z.string().regex(DATA_CENTER_ID)).optional().describe(
      'Preferred, e.g. ["US-TX-3"]',
    ),
    container_disk_gb: z.number().int().min(1).max(2000).optional().describe("Per pod, e.g. 50"),
    volume_gb: z.number().int().min(10).max(4000).optional().describe("Per pod, e.g. 100"),
    network_volume_id: idString("network volume id").optional().describe(
      "Shared by all, e.g. agv6w2qcg7",
    ),
    volume_mount_path: mountPathArg.default("/workspace").describe("e.g. /workspace"),
    ports: portsArg.optional().describe('e.g. ["22/tcp"]'),
    env: envArg.optional().describe('e.g. {"NCCL_DEBUG": "INFO"}'),
    start_ssh: z.boolean().default(true).describe("Account SSH keys, e.g. true"),
    docker_args: dockerArgsArg.optional().describe("e.g. torchrun train.py"),
  },
  output: {
    cluster_id: z.string(),
    name: z.string(),
    data_center_id: z.string().nullable(),
    estimated_cost_per_hour: z.number().describe("USD/hour for the whole cluster"),
    next: z.string(),
  },
  async run(args, ctx) {
    if (args.volume_gb !== undefined && args.network_volume_id !== undefined) {
      throw new ToolInputError(
        "Cannot create cluster: use volume_gb (per pod) or network_volume_id, not both",
      );
    }
    checkPorts(args.ports, "create cluster");
    await checkNewEnv(args.env, "create cluster", ctx);
    const gpu = resolveGpuType(await listGpuTypes(ctx.runpod, {}, ctx.signal), args.gpu_type);
    if (!gpu.secure) {
      throw new ToolInputError(
        `Cannot create cluster: ${gpu.name} is not offered on SECURE cloud, where clusters run`,
      );
    }
    const max = gpu.maxCount.secure;
    if (typeof max === "number" && args.gpu_count_per_pod > max) {
      throw new ToolInputError(
        `Cannot create cluster: ${gpu.name} allows at most ${max} GPUs per pod`,
      );
    }
    const body: CreateClusterBody = {
      name: args.name,
      type: args.type,
      compute: {
        gpuTypeId: gpu.id,
        gpuCountPerPod: args.gpu_count_per_pod,
        podCount: args.pod_count,
      },
      image: args.image,
      startSsh: args.start_ssh,
    };
    const shared: Pick<CreateClusterBody, keyof ContainerFields> = containerFields(args, args.env);
    Object.assign(body, shared);

    const cluster = await createCluster(ctx.runpod, body, ctx.signal);
    rememberCreated(cluster.id);
    const estimate = round4(gpu.price.secure * args.gpu_count_per_pod * args.pod_count);
    const recovered = recoveryNote(cluster);
    return {
      summary: `${
        recovered ? `${recovered} ` : ""
      }Created cluster ${cluster.id} "${cluster.name}" (${args.pod_count} pods × ${args.gpu_count_per_pod}× ${gpu.id}) at about $${
        estimate.toFixed(2)
      }/h; billing runs until delete_cluster. Next: get_cluster.`,
      data: {
        cluster_id: cluster.id,
        name: cluster.name,
        data_center_id: cluster.dataCenterId ?? null,
        estimated_cost_per_hour: estimate,
        next: `get_cluster with cluster_id=${cluster.id} until every pod is RUNNING`,
      },
    };
  },
});

/** `update_cluster`: renames a cluster, the only change RunPod allows. */
export const updateClusterTool = defineTool({
  name: "update_cluster",
  title: "Rename cluster",
  description:
    "Renames an Instant Cluster, the only change RunPod allows; for other changes, delete_cluster and create_cluster again.",
  toolset: "clusters",
  annotations: RENAMES,
  input: {
    cluster_id: clusterIdArg,
    name: nameArg().describe("e.g. llama-pretrain-v2"),
  },
  output: { cluster_id: z.string(), name: z.string() },
  async run(args, ctx) {
    checkClusterId(args.cluster_id);
    const cluster = await updateCluster(
      ctx.runpod,
      args.cluster_id,
      { name: args.name },
      ctx.signal,
    );
    return {
      summary: `Renamed cluster ${cluster.id} to "${cluster.name}".`,
      data: { cluster_id: cluster.id, name: cluster.name },
    };
  },
});

/** `delete_cluster`: deletes a cluster and terminates its pods. */
export const deleteClusterTool = defineTool({
  name: "delete_cluster",
  title: "Delete cluster",
  description:
    "Deletes an Instant Cluster for good: its pods are terminated with their container disks and pod volumes; billing ends; network volumes stay. Cannot be undone.",
  toolset: "clusters",
  annotations: DESTRUCTIVE,
  input: { cluster_id: clusterIdArg },
  output: { cluster_id: z.string(), name: z.string(), pods_terminated: z.number() },
  async run(args, ctx) {
    checkClusterId(args.cluster_id);
    const cluster = await getCluster(ctx.runpod, args.cluster_id, ctx.signal);
    await deleteCluster(ctx.runpod, cluster.id, ctx.signal);
    return {
      summary:
        `Deleted cluster ${cluster.id} "${cluster.name}" and terminated its ${cluster.pods.total} pod(s); billing ended.`,
      data: {
        cluster_id: cluster.id,
        name: cluster.name,
        pods_terminated: cluster.pods.total,
      },
    };
  },
});
