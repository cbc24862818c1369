/**
 * Instant Clusters: the `/v2/clusters*` routes. A cluster is a set of identical GPU pods in one
 * data center; its members are ordinary pod records with a `cluster` field, so they boot
 * (PROVISIONING → STARTING → RUNNING) and bill through the pod state machine, and they stay out
 * of `GET /v2/pods` unless `includeClusterPods=true`. Their spend is booked to the cluster.
 *
 * Rank, role and overlay address are assigned at create, so they are never null here.
 *
 * @module
 */

import { effectiveLevel, type GpuDemand, levelRank } from "./catalog.ts";
import type { Ctx, Route } from "./context.ts";
import { iso, json, noContent, problem } from "./http.ts";
import { appendLog, closeLogStreams, NO_CAPACITY, podView } from "./pods.ts";
import type {
  ClusterRecord,
  ClusterRole,
  DataCenterRecord,
  GpuTypeRecord,
  PodRecord,
  SimulatorState,
} from "./state.ts";
import { arr, bool, int, obj, type Schema, str, stringMap, validate } from "./validate.ts";

const CLUSTER_TYPES = ["APPLICATION", "TRAINING", "SLURM", "RAY"] as const;
const OVERLAY_CIDR = "10.65.0.0/16";
const VXLAN_PORT = 4789;
const PORT_PATTERN = /^(\d{1,5})\/(http|tcp|udp)$/;

// `BaseContainerConfig` (no `registry`: clusters cannot pull from private registries yet).
const createSchema: Schema = obj({
  args: str(),
  disk: int(1),
  env: stringMap,
  image: str(),
  ports: arr(str()),
  compute: obj({
    gpuTypeId: str({ minLength: 1 }),
    gpuCountPerPod: int(1),
    podCount: int(2, 250),
  }, ["gpuTypeId", "gpuCountPerPod", "podCount"]),
  name: str({ minLength: 1 }),
  type: str({ enum: CLUSTER_TYPES }),
  dataCenterIds: arr(str()),
  mounts: obj({
    persistent: obj({ size: int(10), path: str() }, ["size", "path"]),
    network: arr(obj({ volumeId: str(), path: str() }, ["volumeId", "path"]), { maxItems: 1 }),
  }),
  startJupyter: bool,
  startSsh: bool,
}, ["name", "type", "compute"]);

const updateSchema: Schema = obj({ name: str({ minLength: 1 }) });

interface CreateBody {
  name: string;
  type: ClusterRecord["type"];
  compute: ClusterRecord["compute"];
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  dataCenterIds?: string[];
  mounts?: PodRecord["mounts"];
  startJupyter?: boolean;
  startSsh?: boolean;
}

/** The member pods of a cluster that still exist, by rank. */
export function clusterMembers(state: SimulatorState, clusterId: string): PodRecord[] {
  return [...state.pods.values()]
    .filter((p) => p.cluster?.id === clusterId && p.status !== "TERMINATED")
    .sort((a, b) => (a.cluster?.rank ?? 0) - (b.cluster?.rank ?? 0));
}

/** The REST `Cluster` wire object. */
export function clusterView(
  state: SimulatorState,
  cluster: ClusterRecord,
): Record<string, unknown> {
  const members = clusterMembers(state, cluster.id);
  const byStatus: Record<string, number> = {};
  for (const pod of members) byStatus[pod.status] = (byStatus[pod.status] ?? 0) + 1;
  const view: Record<string, unknown> = {
    id: cluster.id,
    name: cluster.name,
    type: cluster.type,
    compute: { ...cluster.compute },
    dataCenterId: cluster.dataCenterId,
    pods: { total: members.length, byStatus },
    network: { ...cluster.network },
  };
  const primary = members.find((p) => p.cluster?.rank === 0);
  if (primary) {
    const sshPort = primary.portMap["22"];
    view.primary = {
      podId: primary.id,
      status: primary.status,
      ...(primary.status === "RUNNING" && primary.ports.includes("22/tcp") && sshPort
        ? { sshEndpoint: `${primary.publicIp}:${sshPort}` }
        : {}),
    };
  }
  view.createdAt = iso(cluster.createdAt);
  return view;
}

function roleOf(type: ClusterRecord["type"], rank: number): ClusterRole | undefined {
  if (type === "SLURM") return rank === 0 ? "SLURM_CONTROLLER" : "SLURM_COMPUTE";
  if (type === "RAY") return rank === 0 ? "RAY_HEAD" : "RAY_WORKER";
  return undefined;
}

/** A 400 for a rule the schema cannot express, or the checked GPU type. */
function checkRequest(state: SimulatorState, body: CreateBody): Response | GpuTypeRecord {
  if (body.image === undefined || body.image.trim() === "") {
    return problem(400, "image is required: every cluster pod runs the same container image");
  }
  for (const p of body.ports ?? []) {
    const m = PORT_PATTERN.exec(p);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      return problem(400, `invalid port '${p}': use <port>/http or <port>/tcp, e.g. 8888/http`);
    }
  }
  const mounts = body.mounts ?? {};
  if (mounts.persistent && mounts.network) {
    return problem(400, "mounts.persistent and mounts.network cannot be used together");
  }
  if (mounts.network && mounts.network.length === 0) {
    return problem(400, "mounts.network must contain one volume when set");
  }
  for (const id of body.dataCenterIds ?? []) {
    if (!state.dataCenters.has(id)) return problem(400, `unknown data center '${id}'`);
  }
  const gpu = state.gpuTypes.get(body.compute.gpuTypeId);
  if (!gpu || gpu.hiddenFromRest) {
    return problem(404, `GPU type '${body.compute.gpuTypeId}' not found`);
  }
  if (!gpu.secure) return problem(400, `${gpu.id} is not available in SECURE cloud`);
  if (body.compute.gpuCountPerPod > gpu.maxCount.secure) {
    return problem(
      400,
      `compute.gpuCountPerPod ${body.compute.gpuCountPerPod} exceeds the maximum of ${gpu.maxCount.secure} for ${gpu.id}`,
    );
  }
  return gpu;
}

/** The data center for the whole cluster: the caller's first choice with stock, else the best. */
function place(
  state: SimulatorState,
  body: CreateBody,
  gpu: GpuTypeRecord,
): DataCenterRecord | Response {
  const netMount = body.mounts?.network?.[0];
  let volumeDc: string | undefined;
  if (netMount) {
    const vol = state.networkVolumes.get(netMount.volumeId);
    if (!vol) return problem(404, `network volume '${netMount.volumeId}' not found`);
    volumeDc = vol.dataCenter;
  }
  const preferred = body.dataCenterIds?.length ? body.dataCenterIds : undefined;
  let dcs = preferred
    ? preferred.map((id) => state.dataCenters.get(id)!)
    : [...state.dataCenters.values()];
  if (volumeDc) dcs = dcs.filter((dc) => dc.id === volumeDc);
  const demand: GpuDemand = {
    count: body.compute.gpuCountPerPod,
    cloud: "SECURE",
    products: ["CLUSTER"],
  };
  const options = dcs
    .map((dc) => ({ dc, rank: levelRank(effectiveLevel(gpu, dc.id, demand)) }))
    .filter((o) => o.rank > 0);
  if (!preferred) options.sort((a, b) => b.rank - a.rank);
  return options[0]?.dc ?? problem(400, NO_CAPACITY);
}

function memberPod(
  ctx: Ctx,
  cluster: ClusterRecord,
  body: CreateBody,
  rank: number,
  cuda: string | null,
): PodRecord {
  const ip = `10.65.0.${rank + 2}`;
  const env: Record<string, string> = {
    ...(body.env ?? {}),
    NODE_RANK: String(rank),
    NUM_NODES: String(cluster.compute.podCount),
    NODE_ADDR: ip,
    PRIMARY_ADDR: "10.65.0.2",
  };
  if (body.startSsh && ctx.state.sshKeys.length > 0) env.PUBLIC_KEY = ctx.state.sshKeys.join("\n");
  const gpu = ctx.state.gpuTypes.get(cluster.compute.gpuTypeId)!;
  const role = roleOf(cluster.type, rank);
  const pod: PodRecord = {
    id: ctx.ids.podId(),
    name: `${cluster.name}-${rank}`,
    image: body.image ?? "",
    args: body.args ?? "",
    disk: body.disk ?? 50,
    ports: [...(body.ports ?? [])],
    env,
    registry: null,
    status: "PROVISIONING",
    mounts: {},
    gpu: { id: gpu.id, count: cluster.compute.gpuCountPerPod },
    cloud: "SECURE",
    dataCenterId: cluster.dataCenterId,
    cudaVersion: cuda,
    locked: false,
    globalNetworking: false,
    costPerHour: Math.round(gpu.price.secure * cluster.compute.gpuCountPerPod * 1000) / 1000,
    createdAt: ctx.now,
    startedAt: null,
    statusSince: ctx.now,
    billedUntil: ctx.now,
    publicIp: ctx.ids.ip(),
    portMap: {},
    sshSuffix: ctx.ids.hex(8),
    startSsh: body.startSsh ?? false,
    startJupyter: body.startJupyter ?? false,
    logs: [],
    cluster: { id: cluster.id, rank, ...(role ? { role } : {}), ip },
  };
  if (body.mounts?.persistent) pod.mounts.persistent = { ...body.mounts.persistent };
  if (body.mounts?.network) pod.mounts.network = [{ ...body.mounts.network[0]! }];
  for (const p of pod.ports) {
    const m = PORT_PATTERN.exec(p);
    if (m && pod.portMap[m[1]!] === undefined) pod.portMap[m[1]!] = ctx.ids.int(10000, 49999);
  }
  appendLog(pod, ctx.now, "system", `Pod ${pod.id} created in ${cluster.dataCenterId}`);
  appendLog(pod, ctx.now, "system", `Joined cluster ${cluster.id} as rank ${rank}`);
  return pod;
}

function createCluster(ctx: Ctx): Response {
  if (ctx.bodyInvalid) return problem(400, "request body must be valid JSON");
  const errors = validate(createSchema, ctx.body ?? null);
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const body = ctx.body as CreateBody;
  const { state } = ctx;
  const gpu = checkRequest(state, body);
  if (gpu instanceof Response) return gpu;
  if (state.balance <= 0) {
    return problem(402, "insufficient balance: add credit to your account to deploy clusters");
  }
  const dc = place(state, body, gpu);
  if (dc instanceof Response) return dc;
  const cluster: ClusterRecord = {
    id: ctx.ids.shortId(),
    name: body.name,
    type: body.type,
    compute: { ...body.compute },
    dataCenterId: dc.id,
    network: { cidr: OVERLAY_CIDR, vxlanId: ctx.ids.int(1, 4095), vxlanPort: VXLAN_PORT },
    createdAt: ctx.now,
  };
  state.clusters.set(cluster.id, cluster);
  const cuda = gpu.minCudaVersion === null ? null : dc.cudaVersion;
  for (let rank = 0; rank < body.compute.podCount; rank++) {
    const pod = memberPod(ctx, cluster, body, rank, cuda);
    state.pods.set(pod.id, pod);
  }
  return json(clusterView(state, cluster), 201);
}

function findCluster(ctx: Ctx): ClusterRecord | Response {
  const cluster = ctx.state.clusters.get(ctx.params.id ?? "");
  return cluster ?? problem(404, `cluster '${ctx.params.id}' not found`);
}

function listClusters(ctx: Ctx): Response {
  const clusters = [...ctx.state.clusters.values()].map((c) => clusterView(ctx.state, c));
  return json({ clusters });
}

function getCluster(ctx: Ctx): Response {
  const cluster = findCluster(ctx);
  return cluster instanceof Response ? cluster : json(clusterView(ctx.state, cluster));
}

function listClusterPods(ctx: Ctx): Response {
  const cluster = findCluster(ctx);
  if (cluster instanceof Response) return cluster;
  const pods = clusterMembers(ctx.state, cluster.id).map((p) => podView(p, ctx.now));
  return json({ pods });
}

function updateCluster(ctx: Ctx): Response {
  const cluster = findCluster(ctx);
  if (cluster instanceof Response) return cluster;
  if (ctx.bodyInvalid) return problem(400, "request body must be valid JSON");
  const errors = validate(updateSchema, ctx.body ?? null);
  const body = ctx.body as { name?: string } | undefined;
  if (errors.length === 0 && Object.keys(body ?? {}).length === 0) {
    errors.push("$: minProperties: got 0, want 1");
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  cluster.name = body!.name!;
  return json(clusterView(ctx.state, cluster));
}

function deleteCluster(ctx: Ctx): Response {
  const cluster = findCluster(ctx);
  if (cluster instanceof Response) return cluster;
  for (const pod of clusterMembers(ctx.state, cluster.id)) {
    appendLog(pod, ctx.now, "system", "Pod terminated with its cluster");
    pod.status = "TERMINATED";
    pod.statusSince = ctx.now;
    closeLogStreams(pod);
    ctx.state.pods.delete(pod.id);
  }
  ctx.state.clusters.delete(cluster.id);
  return noContent();
}

/** Routes for `/v2/clusters*`. */
export const clusterRoutes: readonly Route[] = [
  { method: "GET", path: "/v2/clusters", handler: listClusters },
  { method: "POST", path: "/v2/clusters", handler: createCluster },
  { method: "GET", path: "/v2/clusters/:id", handler: getCluster },
  { method: "PATCH", path: "/v2/clusters/:id", handler: updateCluster },
  { method: "DELETE", path: "/v2/clusters/:id", handler: deleteCluster },
  { method: "GET", path: "/v2/clusters/:id/pods", handler: listClusterPods },
];
