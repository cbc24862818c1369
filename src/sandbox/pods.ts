/**
 * Pods: the `/v2/pods*` routes, the PROVISIONING → STARTING → RUNNING state machine driven by
 * the simulator clock, billing accrual while RUNNING, and the SSE log stream.
 *
 * Cost choice: `cost` is the pod's hourly rate whenever it holds compute (PROVISIONING, STARTING,
 * RUNNING — as in the spec's create example) and 0 when EXITED, ERROR or TERMINATED; the balance
 * is debited only for RUNNING time.
 *
 * @module
 */

import { compareCuda, dcSupportsCuda, effectiveLevel, levelRank } from "./catalog.ts";
import { CONTAINER_PROPS, patchContainer } from "./container.ts";
import type { Ctx, Route, SimSettings } from "./context.ts";
import type { IdSource } from "./ids.ts";
import { eventStream, iso, json, noContent, problem } from "./http.ts";
import type {
  DataCenterRecord,
  GpuTypeRecord,
  LogLine,
  PodRecord,
  PodStatus,
  SimulatorState,
} from "./state.ts";
import { arr, bool, int, obj, type Schema, str, validate } from "./validate.ts";

/** RunPod's capacity message (HTTP 400, human-readable only). */
export const NO_CAPACITY =
  "There are no longer any instances available with the requested specifications. Please refresh and try again.";

const CUDA_PATTERN = /^\d+\.\d+$/;
const PORT_PATTERN = /^(\d{1,5})\/(http|tcp|udp)$/;

const mountsSchema: Schema = obj({
  persistent: obj({ size: int(10), path: str() }, ["size", "path"]),
  network: arr(obj({ volumeId: str(), path: str() }, ["volumeId", "path"]), { maxItems: 1 }),
});

const createSchema: Schema = obj({
  ...CONTAINER_PROPS,
  name: str({ minLength: 1 }),
  cloud: str({ enum: ["SECURE", "COMMUNITY"] }),
  cpu: obj({ id: str({ minLength: 1 }), vcpuCount: int(2) }, ["id", "vcpuCount"]),
  dataCenterIds: arr(str()),
  globalNetworking: bool,
  gpu: obj({
    id: str(),
    count: int(1),
    allowedCudaVersions: arr(str({ pattern: CUDA_PATTERN })),
    minCudaVersion: str({ pattern: CUDA_PATTERN }),
  }, ["id"]),
  mounts: mountsSchema,
  startJupyter: bool,
  startSsh: bool,
  templateId: str({ minLength: 1 }),
}, ["name"]);

const updateSchema: Schema = obj({
  ...CONTAINER_PROPS,
  globalNetworking: bool,
  locked: bool,
  mounts: mountsSchema,
  name: str({ minLength: 1 }),
  templateId: str(),
});

const actionSchema: Schema = obj({
  action: str({ enum: ["start", "stop", "restart", "terminate"] }),
}, ["action"]);

/** Actions RunPod allows in each status. */
export const POD_ACTIONS: Readonly<Record<PodStatus, readonly string[]>> = {
  RUNNING: ["stop", "restart", "terminate"],
  EXITED: ["start", "terminate"],
  ERROR: ["start", "terminate"],
  PROVISIONING: ["stop", "terminate"],
  STARTING: ["stop", "terminate"],
  TERMINATED: [],
};

type LogListener = (line: LogLine | null) => void;
const logListeners = new WeakMap<PodRecord, Set<LogListener>>();

/** Appends a log line and hands it to every open log stream of the pod. */
export function appendLog(pod: PodRecord, at: number, source: LogLine["source"], line: string) {
  const entry: LogLine = { at, source, line };
  pod.logs.push(entry);
  for (const fn of logListeners.get(pod) ?? []) fn(entry);
}

/** Ends every open log stream of a pod that is going away. */
export function closeLogStreams(pod: PodRecord): void {
  for (const fn of logListeners.get(pod) ?? []) fn(null);
  logListeners.delete(pod);
}

function hourStart(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}

/** Charges `pod` for RUNNING time up to `until`, split into hourly billing buckets. */
function accrue(state: SimulatorState, pod: PodRecord, until: number): void {
  let from = pod.billedUntil;
  while (from < until) {
    const bucket = hourStart(from);
    const to = Math.min(until, bucket + 3_600_000);
    const amount = pod.costPerHour * (to - from) / 3_600_000;
    // A cluster member bills to its cluster, as RunPod reports it under /v2/billing/clusters.
    const [kind, resourceId] = pod.cluster
      ? ["cluster", pod.cluster.id] as const
      : ["pod", pod.id] as const;
    const key = `${kind}|${resourceId}|${bucket}`;
    const entry = state.billing.get(key) ??
      {
        kind,
        resourceId,
        hourStart: bucket,
        gpuAmount: 0,
        cpuAmount: 0,
        diskAmount: 0,
      };
    if (pod.gpu) entry.gpuAmount += amount;
    else entry.cpuAmount += amount;
    state.billing.set(key, entry);
    state.balance -= amount;
    state.user.lifetimeSpend += amount;
    from = to;
  }
  pod.billedUntil = Math.max(pod.billedUntil, until);
}

function enterRunning(pod: PodRecord, at: number): void {
  pod.status = "RUNNING";
  pod.statusSince = at;
  pod.startedAt = at;
  pod.billedUntil = at;
  appendLog(pod, at, "system", "Container started");
  appendLog(pod, at, "container", "==========");
  appendLog(pod, at, "container", "== CUDA ==");
  appendLog(pod, at, "container", "==========");
  if (pod.ports.includes("22/tcp")) appendLog(pod, at, "container", "Starting SSH service...");
  if (pod.ports.some((p) => p.startsWith("8888/"))) {
    appendLog(pod, at, "container", "Starting Jupyter Lab on port 8888...");
  }
  appendLog(pod, at, "container", "Pod ready");
}

/** Advances one pod's state machine to `now`, charging RUNNING time as it goes. */
export function settlePod(
  state: SimulatorState,
  pod: PodRecord,
  now: number,
  settings: SimSettings,
): void {
  for (;;) {
    if (pod.status === "PROVISIONING") {
      const t = pod.statusSince + settings.podBootSeconds.provisioning * 1000;
      if (now < t) break;
      pod.status = "STARTING";
      pod.statusSince = t;
      appendLog(pod, t, "system", `Image ${pod.image} pulled`);
      appendLog(pod, t, "system", "Starting container");
      continue;
    }
    if (pod.status === "STARTING") {
      const t = pod.statusSince + settings.podBootSeconds.starting * 1000;
      if (now < t) break;
      enterRunning(pod, t);
      continue;
    }
    break;
  }
  if (pod.status === "RUNNING") accrue(state, pod, now);
}

/** Brings every pod up to `now`; when the prepaid balance runs out, running pods are stopped. */
export function settlePods(state: SimulatorState, now: number, settings: SimSettings): void {
  for (const pod of state.pods.values()) settlePod(state, pod, now, settings);
  if (state.balance <= 0) {
    for (const pod of state.pods.values()) {
      if (pod.status === "RUNNING" || pod.status === "STARTING" || pod.status === "PROVISIONING") {
        stopPod(pod, now, "Pod stopped: insufficient account balance");
      }
    }
  }
}

function stopPod(pod: PodRecord, now: number, message: string): void {
  pod.status = "EXITED";
  pod.statusSince = now;
  appendLog(pod, now, "system", message);
}

/** USD per hour of a pod, rounded to the cent fraction RunPod shows. */
function rate(state: SimulatorState, pod: Pick<PodRecord, "gpu" | "cpu" | "cloud">): number {
  if (pod.gpu) {
    const gpu = state.gpuTypes.get(pod.gpu.id);
    const unit = gpu ? (pod.cloud === "SECURE" ? gpu.price.secure : gpu.price.community) : 0;
    return Math.round(unit * pod.gpu.count * 1000) / 1000;
  }
  if (pod.cpu) {
    const cpu = state.cpuTypes.get(pod.cpu.id);
    return Math.round((cpu?.price.securePerVcpu ?? 0) * pod.cpu.vcpuCount * 1000) / 1000;
  }
  return 0;
}

/** The REST `Pod` wire object. */
export function podView(pod: PodRecord, now: number): Record<string, unknown> {
  const running = pod.status === "RUNNING";
  const holdsCompute = running || pod.status === "PROVISIONING" || pod.status === "STARTING";
  const sshPort = pod.portMap["22"];
  const proxyUser = `${pod.id}-${pod.sshSuffix}`;
  const view: Record<string, unknown> = {
    id: pod.id,
    name: pod.name,
    image: pod.image,
    args: pod.args,
    disk: pod.disk,
    ports: [...pod.ports],
    env: { ...pod.env },
    registry: pod.registry,
    status: pod.status,
    actions: [...POD_ACTIONS[pod.status]],
    mounts: structuredClone(pod.mounts),
  };
  if (pod.gpu) view.gpu = { ...pod.gpu };
  if (pod.cpu) view.cpu = { ...pod.cpu };
  Object.assign(view, {
    cloud: pod.cloud,
    dataCenterId: pod.dataCenterId,
    cudaVersion: pod.cudaVersion,
    ssh: {
      proxy: running
        ? {
          host: "ssh.runpod.io",
          port: 22,
          username: proxyUser,
          command: `ssh ${proxyUser}@ssh.runpod.io -i ~/.ssh/id_ed25519`,
        }
        : null,
      direct: running && pod.ports.includes("22/tcp") && sshPort !== undefined
        ? {
          host: pod.publicIp,
          port: sshPort,
          username: "root",
          command: `ssh root@${pod.publicIp} -p ${sshPort} -i ~/.ssh/id_ed25519`,
        }
        : null,
    },
  });
  if (pod.cluster) view.cluster = { ...pod.cluster };
  Object.assign(view, {
    template: null,
    cost: holdsCompute ? pod.costPerHour : 0,
    locked: pod.locked,
    globalNetworking: pod.globalNetworking
      ? {
        enabled: true,
        ip: `10.65.${pod.publicIp.split(".")[2]}.${pod.publicIp.split(".")[3]}`,
        internalDns: `${pod.id}.runpod.internal`,
      }
      : { enabled: false },
    runtime: running
      ? {
        uptime: Math.max(0, Math.floor((now - (pod.startedAt ?? now)) / 1000)),
        gpus: Array.from({ length: pod.gpu?.count ?? 0 }, () => ({ util: 0, memoryUtil: 0 })),
        cpu: { util: 1 },
        memory: { util: 3 },
        ports: pod.ports.flatMap((p) => {
          const m = PORT_PATTERN.exec(p);
          if (!m) return [];
          const priv = Number(m[1]);
          return [{
            private: priv,
            public: pod.portMap[String(priv)] ?? null,
            type: m[2]!,
            ip: pod.publicIp,
          }];
        }),
      }
      : null,
    createdAt: iso(pod.createdAt),
    startedAt: pod.startedAt === null ? null : iso(pod.startedAt),
  });
  return view;
}

function badJson(): Response {
  return problem(400, "request body must be valid JSON");
}

function assignPorts(ids: IdSource, pod: PodRecord): void {
  for (const p of pod.ports) {
    const m = PORT_PATTERN.exec(p);
    if (m && pod.portMap[m[1]!] === undefined) pod.portMap[m[1]!] = ids.int(10000, 49999);
  }
}

function checkPorts(ports: string[] | undefined): Response | undefined {
  for (const p of ports ?? []) {
    const m = PORT_PATTERN.exec(p);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      return problem(400, `invalid port '${p}': use <port>/http or <port>/tcp, e.g. 8888/http`);
    }
  }
  return undefined;
}

interface CreateBody {
  name: string;
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  registry?: string | null;
  cloud?: "SECURE" | "COMMUNITY";
  cpu?: { id: string; vcpuCount: number };
  dataCenterIds?: string[];
  globalNetworking?: boolean;
  gpu?: { id: string; count?: number; allowedCudaVersions?: string[]; minCudaVersion?: string };
  mounts?: PodRecord["mounts"];
  startJupyter?: boolean;
  startSsh?: boolean;
  templateId?: string;
}

interface Placement {
  dc: DataCenterRecord;
  cudaVersion: string | null;
}

function cudaFor(
  gpu: GpuTypeRecord,
  dc: DataCenterRecord,
  allowed: string[],
  min: string | undefined,
): string | null | undefined {
  if (gpu.minCudaVersion === null) return allowed.length > 0 || min ? undefined : null;
  if (allowed.length > 0) {
    const ok = allowed.filter((v) => dcSupportsCuda(gpu, dc, v)).sort(compareCuda);
    return ok.length > 0 ? ok[ok.length - 1] : undefined;
  }
  if (min && compareCuda(dc.cudaVersion, min) < 0) return undefined;
  return dc.cudaVersion;
}

function createPod(ctx: Ctx): Response {
  if (ctx.bodyInvalid) return badJson();
  const errors = validate(createSchema, ctx.body ?? null);
  const raw = ctx.body as Record<string, unknown> | undefined;
  if (errors.length === 0 && raw && raw.templateId === undefined && raw.image === undefined) {
    errors.push("$: missing property 'image'");
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const body = ctx.body as CreateBody;
  const { state } = ctx;

  if ((body.gpu === undefined) === (body.cpu === undefined)) {
    return problem(400, "exactly one of gpu or cpu must be set");
  }
  if (body.gpu && body.gpu.count === undefined) return problem(400, NO_CAPACITY);
  const allowed = body.gpu?.allowedCudaVersions ?? [];
  if (allowed.length > 0 && body.gpu?.minCudaVersion) {
    return problem(400, "gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive");
  }
  const mounts = body.mounts ?? {};
  if (mounts.persistent && mounts.network) {
    return problem(400, "mounts.persistent and mounts.network cannot be used together");
  }
  if (body.cpu && mounts.persistent) {
    return problem(400, "mounts.persistent is not supported on CPU pods; use a network volume");
  }
  const portError = checkPorts(body.ports);
  if (portError) return portError;

  const template = body.templateId ? state.templates.get(body.templateId) : undefined;
  if (body.templateId && !template) return problem(404, `template '${body.templateId}' not found`);
  const registry = body.registry !== undefined ? body.registry : template?.registry ?? null;
  if (registry !== null && !state.registries.has(registry)) {
    return problem(404, `container registry credential '${registry}' not found`);
  }

  let volumeDc: string | undefined;
  const netMount = mounts.network?.[0];
  if (mounts.network && mounts.network.length === 0) {
    return problem(400, "mounts.network must contain one volume when set");
  }
  if (netMount) {
    if (netMount.path.trim() === "") return problem(400, "mounts.network[0].path is required");
    const vol = state.networkVolumes.get(netMount.volumeId);
    if (!vol) return problem(404, `network volume '${netMount.volumeId}' not found`);
    volumeDc = vol.dataCenter;
    if (body.dataCenterIds?.length && !body.dataCenterIds.includes(vol.dataCenter)) {
      return problem(
        400,
        `network volume '${vol.id}' is in ${vol.dataCenter}, which is not in dataCenterIds`,
      );
    }
  }
  for (const id of body.dataCenterIds ?? []) {
    if (!state.dataCenters.has(id)) return problem(400, `unknown data center '${id}'`);
  }

  const cloud = body.cloud ?? "SECURE";
  let gpuType: GpuTypeRecord | undefined;
  if (body.gpu) {
    gpuType = state.gpuTypes.get(body.gpu.id);
    if (!gpuType || gpuType.hiddenFromRest) {
      return problem(404, `GPU type '${body.gpu.id}' not found`);
    }
    const count = body.gpu.count ?? 1;
    if (cloud === "COMMUNITY" && !gpuType.community) {
      return problem(400, `${gpuType.id} is not available in COMMUNITY cloud; use SECURE`);
    }
    if (cloud === "SECURE" && !gpuType.secure) {
      return problem(400, `${gpuType.id} is not available in SECURE cloud; use COMMUNITY`);
    }
    const max = cloud === "SECURE" ? gpuType.maxCount.secure : gpuType.maxCount.community;
    if (count > max) {
      return problem(
        400,
        `gpu.count ${count} exceeds the maximum of ${max} for ${gpuType.id} in ${cloud} cloud`,
      );
    }
    if (body.globalNetworking && gpuType.manufacturer !== "NVIDIA") {
      return problem(400, "global networking requires an NVIDIA GPU");
    }
  }
  const cpuType = body.cpu ? state.cpuTypes.get(body.cpu.id) : undefined;
  if (body.cpu) {
    if (!cpuType) return problem(404, `CPU type '${body.cpu.id}' not found`);
    const n = body.cpu.vcpuCount;
    if ((n & (n - 1)) !== 0 || n < cpuType.vcpu.min || n > cpuType.vcpu.max) {
      return problem(
        400,
        `cpu.vcpuCount must be a power of two between ${cpuType.vcpu.min} and ${cpuType.vcpu.max} for ${cpuType.id}`,
      );
    }
  }

  if (state.balance <= 0) {
    return problem(402, "insufficient balance: add credit to your account to deploy pods");
  }

  // Placement: preferred data centers in the caller's order, else best stock first.
  let dcs: DataCenterRecord[] = body.dataCenterIds?.length
    ? body.dataCenterIds.map((id) => state.dataCenters.get(id)!)
    : [...state.dataCenters.values()];
  if (volumeDc) dcs = dcs.filter((dc) => dc.id === volumeDc);
  if (body.globalNetworking) dcs = dcs.filter((dc) => dc.globalNetwork);
  const placements: (Placement & { rank: number })[] = [];
  for (const dc of dcs) {
    if (gpuType && body.gpu) {
      const level = effectiveLevel(gpuType, dc.id, {
        count: body.gpu.count ?? 1,
        cloud,
        products: ["POD"],
      });
      if (level === "NONE") continue;
      const cuda = cudaFor(gpuType, dc, allowed, body.gpu.minCudaVersion);
      if (cuda === undefined) continue;
      placements.push({ dc, cudaVersion: cuda, rank: levelRank(level) });
    } else if (cpuType) {
      const level = cpuType.stock[dc.id] ?? "NONE";
      if (level === "NONE") continue;
      placements.push({ dc, cudaVersion: null, rank: levelRank(level) });
    }
  }
  if (!body.dataCenterIds?.length) placements.sort((a, b) => b.rank - a.rank);
  const chosen = placements[0];
  if (!chosen) return problem(400, NO_CAPACITY);

  const env: Record<string, string> = { ...(template?.env ?? {}), ...(body.env ?? {}) };
  const startSsh = body.startSsh ?? false;
  const startJupyter = body.startJupyter ?? false;
  if (startSsh && state.sshKeys.length > 0) env.PUBLIC_KEY = state.sshKeys.join("\n");
  if (startJupyter && env.JUPYTER_PASSWORD === undefined) {
    env.JUPYTER_PASSWORD = ctx.ids.chars(20);
  }
  const persistent = mounts.persistent ?? (netMount ? undefined : template?.mounts.persistent);
  const pod: PodRecord = {
    id: ctx.ids.podId(),
    name: body.name,
    image: body.image ?? template?.image ?? "",
    args: body.args ?? template?.args ?? "",
    disk: body.disk ?? template?.disk ?? 50,
    ports: [...(body.ports ?? template?.ports ?? [])],
    env,
    registry,
    status: "PROVISIONING",
    mounts: {},
    cloud,
    dataCenterId: chosen.dc.id,
    cudaVersion: chosen.cudaVersion,
    locked: false,
    globalNetworking: body.globalNetworking ?? false,
    costPerHour: 0,
    createdAt: ctx.now,
    startedAt: null,
    statusSince: ctx.now,
    billedUntil: ctx.now,
    publicIp: ctx.ids.ip(),
    portMap: {},
    sshSuffix: ctx.ids.hex(8),
    startSsh,
    startJupyter,
    logs: [],
  };
  if (template) pod.templateId = template.id;
  if (persistent && !body.cpu) pod.mounts.persistent = { ...persistent };
  if (netMount) pod.mounts.network = [{ ...netMount }];
  if (body.gpu) pod.gpu = { id: body.gpu.id, count: body.gpu.count ?? 1 };
  if (body.cpu && cpuType) {
    pod.cpu = {
      id: body.cpu.id,
      vcpuCount: body.cpu.vcpuCount,
      memory: Math.round(body.cpu.vcpuCount * cpuType.ramGbPerVcpu),
    };
  }
  pod.costPerHour = rate(state, pod);
  assignPorts(ctx.ids, pod);
  appendLog(pod, ctx.now, "system", `Pod ${pod.id} created in ${chosen.dc.id}`);
  appendLog(pod, ctx.now, "system", `Pulling image ${pod.image}`);
  state.pods.set(pod.id, pod);
  return json(podView(pod, ctx.now), 201);
}

function findPod(ctx: Ctx): PodRecord | Response {
  const pod = ctx.state.pods.get(ctx.params.id ?? "");
  if (!pod || pod.status === "TERMINATED") return problem(404, `pod '${ctx.params.id}' not found`);
  return pod;
}

function listPods(ctx: Ctx): Response {
  const withCluster = ctx.query.includeClusterPods === "true";
  const pods = [...ctx.state.pods.values()]
    .filter((p) => p.status !== "TERMINATED" && (withCluster || !p.cluster))
    .map((p) => podView(p, ctx.now));
  return json({ pods });
}

function getPod(ctx: Ctx): Response {
  const pod = findPod(ctx);
  return pod instanceof Response ? pod : json(podView(pod, ctx.now));
}

function terminate(ctx: Ctx, pod: PodRecord): Response {
  if (pod.locked) return problem(409, `pod '${pod.id}' is locked; unlock it before terminating`);
  appendLog(pod, ctx.now, "system", "Pod terminated");
  pod.status = "TERMINATED";
  pod.statusSince = ctx.now;
  closeLogStreams(pod);
  ctx.state.pods.delete(pod.id);
  return noContent();
}

function deletePod(ctx: Ctx): Response {
  const pod = findPod(ctx);
  return pod instanceof Response ? pod : terminate(ctx, pod);
}

function podAction(ctx: Ctx): Response {
  const pod = findPod(ctx);
  if (pod instanceof Response) return pod;
  if (ctx.bodyInvalid) return badJson();
  const errors = validate(actionSchema, ctx.body ?? null);
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const action = (ctx.body as { action: string }).action;
  if (!POD_ACTIONS[pod.status].includes(action)) {
    return problem(409, `cannot ${action} a pod whose status is ${pod.status}`);
  }
  if (pod.locked && action !== "start") {
    return problem(409, `pod '${pod.id}' is locked; unlock it before you ${action} it`);
  }
  switch (action) {
    case "terminate":
      return terminate(ctx, pod);
    case "stop":
      stopPod(pod, ctx.now, "Pod stopped by user");
      break;
    case "restart":
      pod.status = "STARTING";
      pod.statusSince = ctx.now;
      appendLog(pod, ctx.now, "system", "Restarting container");
      break;
    case "start": {
      if (ctx.state.balance <= 0) {
        return problem(402, "insufficient balance: add credit to your account to start pods");
      }
      if (pod.gpu && pod.dataCenterId) {
        const gpu = ctx.state.gpuTypes.get(pod.gpu.id);
        const level = gpu
          ? effectiveLevel(gpu, pod.dataCenterId, {
            count: pod.gpu.count,
            cloud: pod.cloud,
            products: ["POD"],
          })
          : "NONE";
        if (level === "NONE") {
          return problem(
            400,
            "There are not enough free GPUs on the host machine to start this pod. Try again later or deploy a new pod.",
          );
        }
      }
      pod.status = "PROVISIONING";
      pod.statusSince = ctx.now;
      appendLog(pod, ctx.now, "system", "Start requested");
      break;
    }
  }
  return json(podView(pod, ctx.now));
}

interface UpdateBody {
  name?: string;
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  registry?: string | null;
  mounts?: PodRecord["mounts"];
  locked?: boolean;
  globalNetworking?: boolean;
  templateId?: string;
}

function updatePod(ctx: Ctx): Response {
  const pod = findPod(ctx);
  if (pod instanceof Response) return pod;
  if (ctx.bodyInvalid) return badJson();
  const errors = validate(updateSchema, ctx.body ?? null);
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  if (pod.cluster) {
    return problem(409, "Pod belongs to a cluster and cannot be modified via the pod endpoints.");
  }
  const body = ctx.body as UpdateBody;
  const portError = checkPorts(body.ports);
  if (portError) return portError;
  const template = body.templateId ? ctx.state.templates.get(body.templateId) : undefined;
  if (body.templateId && !template) return problem(404, `template '${body.templateId}' not found`);
  if (body.registry && !ctx.state.registries.has(body.registry)) {
    return problem(404, `container registry credential '${body.registry}' not found`);
  }
  const m = body.mounts;
  if (m?.network !== undefined) {
    if (m.network.length === 0) return problem(400, "mounts.network cannot be emptied");
    if (!pod.mounts.network) {
      return problem(400, "cannot add a network volume to an existing pod");
    }
    if (m.network[0]!.volumeId !== pod.mounts.network[0]?.volumeId) {
      return problem(400, "cannot change the network volume of an existing pod");
    }
  }
  if (m?.persistent !== undefined) {
    if (!pod.mounts.persistent) {
      return problem(400, "cannot add a persistent volume to an existing pod");
    }
    if (m.persistent.size < pod.mounts.persistent.size) {
      return problem(400, "mounts.persistent.size can only grow");
    }
  }
  if (body.globalNetworking) {
    const dc = pod.dataCenterId ? ctx.state.dataCenters.get(pod.dataCenterId) : undefined;
    if (!dc?.globalNetwork) {
      return problem(400, `data center ${pod.dataCenterId} does not support global networking`);
    }
  }

  const before = JSON.stringify([pod.image, pod.args, pod.disk, pod.ports, pod.env, pod.registry]);
  if (template) {
    pod.templateId = template.id;
    pod.image = template.image;
    pod.args = template.args;
    pod.disk = template.disk;
    pod.ports = [...template.ports];
    pod.env = { ...pod.env, ...template.env };
  }
  if (body.name !== undefined) pod.name = body.name;
  patchContainer(pod, body);
  if (body.locked !== undefined) pod.locked = body.locked;
  if (body.globalNetworking !== undefined) pod.globalNetworking = body.globalNetworking;
  if (m?.network) pod.mounts.network = [{ ...m.network[0]! }];
  if (m?.persistent) pod.mounts.persistent = { ...m.persistent };
  assignPorts(ctx.ids, pod);
  const after = JSON.stringify([pod.image, pod.args, pod.disk, pod.ports, pod.env, pod.registry]);
  // Like RunPod, changing the container configuration of a running pod resets it.
  if (before !== after && pod.status === "RUNNING") {
    pod.status = "STARTING";
    pod.statusSince = ctx.now;
    appendLog(pod, ctx.now, "system", "Pod updated; restarting container");
  }
  return json(podView(pod, ctx.now));
}

const encoder = new TextEncoder();

/** RFC 3339 with nanoseconds; `seq` keeps ids unique within one millisecond. */
function nanoTs(ms: number, seq: number): string {
  return iso(ms).replace(
    /\.(\d{3})Z$/,
    (_, milli: string) => `.${milli}${String(seq).padStart(6, "0")}Z`,
  );
}

function podLogs(ctx: Ctx, realTime: boolean): Response {
  const pod = findPod(ctx);
  if (pod instanceof Response) return pod;
  const errors: string[] = [];
  const source = ctx.query.source;
  if (source !== undefined && source !== "container" && source !== "system") {
    errors.push("source: value must be one of 'container', 'system'");
  }
  const tailRaw = ctx.query.tail;
  let tail = 100;
  if (tailRaw !== undefined) {
    if (!/^\d+$/.test(tailRaw) || Number(tailRaw) > 5000) {
      errors.push(`tail: must be an integer between 0 and 5000, got '${tailRaw}'`);
    } else tail = Number(tailRaw);
  }
  const sinceRaw = ctx.query.since;
  let sinceMs: number | undefined;
  if (sinceRaw !== undefined) {
    sinceMs = Date.parse(sinceRaw);
    if (Number.isNaN(sinceMs)) errors.push(`since: '${sinceRaw}' is not an RFC 3339 date-time`);
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const lastEventId = ctx.request.headers.get("last-event-id") ?? undefined;

  // Every line gets a stable id: its timestamp plus its index among lines of the same ms.
  const ids = new Map<LogLine, string>();
  const idFor = (line: LogLine): string => {
    let id = ids.get(line);
    if (id === undefined) {
      let seq = 0;
      for (const l of pod.logs) {
        if (l === line) break;
        if (l.at === line.at) seq++;
      }
      id = nanoTs(line.at, seq);
      ids.set(line, id);
    }
    return id;
  };
  const wanted = (l: LogLine) => source === undefined || l.source === source;
  let backlog = pod.logs.filter(wanted);
  if (lastEventId !== undefined) {
    backlog = backlog.filter((l) => idFor(l) > lastEventId);
  } else if (sinceMs !== undefined) {
    backlog = backlog.filter((l) => l.at >= sinceMs!);
  } else {
    backlog = tail === 0 ? [] : backlog.slice(-tail);
  }
  const frame = (l: LogLine) => {
    const ts = idFor(l);
    return encoder.encode(
      `id: ${ts}\ndata: ${JSON.stringify({ source: l.source, line: l.line, ts })}\n\n`,
    );
  };

  const signal = ctx.signal;
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const l of backlog) controller.enqueue(frame(l));
      let listeners = logListeners.get(pod);
      if (!listeners) logListeners.set(pod, listeners = new Set());
      let timer: ReturnType<typeof setInterval> | undefined;
      let done = false;
      const listener: LogListener = (line) => {
        if (done) return;
        if (line === null) {
          cleanup();
          controller.close();
          return;
        }
        if (wanted(line)) controller.enqueue(frame(line));
      };
      cleanup = () => {
        done = true;
        listeners.delete(listener);
        if (timer !== undefined) clearInterval(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        if (done) return;
        cleanup();
        try {
          controller.close();
        } catch {
          // Already closed or errored by the consumer.
        }
      };
      listeners.add(listener);
      signal.addEventListener("abort", onAbort);
      // With a real clock nothing else may poll, so keep the state machine moving.
      if (realTime) timer = setInterval(() => ctx.settle(), 250);
      if (signal.aborted) onAbort();
    },
    cancel() {
      cleanup();
    },
  });
  return eventStream(body);
}

/** Routes for `/v2/pods*`; `realTime` tells the log stream whether to poll the clock itself. */
export function podRoutes(realTime: boolean): Route[] {
  return [
    { method: "GET", path: "/v2/pods", handler: listPods },
    { method: "POST", path: "/v2/pods", handler: createPod },
    { method: "GET", path: "/v2/pods/:id", handler: getPod },
    { method: "PATCH", path: "/v2/pods/:id", handler: updatePod },
    { method: "DELETE", path: "/v2/pods/:id", handler: deletePod },
    { method: "POST", path: "/v2/pods/:id/action", handler: podAction },
    { method: "GET", path: "/v2/pods/:id/logs", handler: (ctx) => podLogs(ctx, realTime) },
  ];
}

/** Appends a log line to a pod by id (used by `sim.addPodLog`). */
export function addPodLog(
  state: SimulatorState,
  podId: string,
  line: string,
  source: LogLine["source"],
  now: number,
): void {
  const pod = state.pods.get(podId);
  if (!pod) throw new Error(`Cannot add a log line: pod ${podId} does not exist`);
  appendLog(pod, now, source, line);
}

/** Hourly rate of all RUNNING pods (for GraphQL `currentSpendPerHr`). */
export function podSpendPerHour(state: SimulatorState): number {
  let sum = 0;
  for (const pod of state.pods.values()) {
    if (pod.status === "RUNNING") sum += pod.costPerHour;
  }
  return sum;
}
