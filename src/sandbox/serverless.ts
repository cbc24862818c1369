/**
 * Serverless endpoints (`/v2/serverless*`) with RunPod's observed quirks: an omitted `timeout`
 * comes back as 0, PATCH with `type` is a 422, and `idleTimeout` on a queue endpoint scaling on
 * request count is a 422. Always-on (`workers.min`) workers are billed while time passes.
 *
 * @module
 */

import { CONTAINER_PROPS, patchContainer } from "./container.ts";
import type { Ctx, Route } from "./context.ts";
import { iso, json, noContent, problem } from "./http.ts";
import type { EndpointRecord, JobRecord, SimulatorState } from "./state.ts";
import { arr, int, obj, type Schema, str, validate } from "./validate.ts";
import { workerId, workerLogs } from "./worker_logs.ts";

export { workerId };

const CUDA = /^\d+\.\d+$/;

const commonProps: Record<string, Schema> = {
  ...CONTAINER_PROPS,
  cpu: arr(obj({ id: str({ minLength: 1 }), vcpuCount: int(2) }, ["id", "vcpuCount"]), {
    minItems: 1,
  }),
  dataCenterIds: arr(str()),
  flashboot: str({ enum: ["OFF", "FLASHBOOT", "PRIORITY_FLASHBOOT"] }),
  name: str({ minLength: 1 }),
  networkVolumes: arr(str()),
  // Checked by scalingErrors(): it is a oneOf.
  scaling: { type: "any" },
  timeout: int(),
  workers: obj({ min: int(0), max: int(0), idleTimeout: int(1, 3600) }),
};

const gpuProps = (minCuda: RegExp): Record<string, Schema> => ({
  pools: arr(str(), { minItems: 1 }),
  excludedTypes: arr(str({ pattern: /^\s*[^-\s]/ })),
  count: int(1),
  allowedCudaVersions: arr(str({ pattern: CUDA })),
  minCudaVersion: str({ pattern: minCuda }),
});

const createSchema: Schema = obj({
  ...commonProps,
  gpu: obj(gpuProps(CUDA), ["pools"]),
  templateId: str({ minLength: 1 }),
  type: str({ enum: ["QUEUE", "LOAD_BALANCER"] }),
}, ["name", "type", "scaling"]);

const updateSchema: Schema = obj({
  ...commonProps,
  gpu: obj(gpuProps(/^$|^\d+\.\d+$/)),
  templateId: str(),
});

/** Checks `scaling` (a oneOf the tiny validator does not model). */
function scalingErrors(scaling: unknown): string[] {
  if (scaling === undefined) return [];
  if (typeof scaling !== "object" || scaling === null || Array.isArray(scaling)) {
    return [
      "$.scaling: got " + (Array.isArray(scaling) ? "array" : typeof scaling) + ", want object",
    ];
  }
  const t = (scaling as { type?: unknown }).type;
  if (t === "QUEUE_DELAY") {
    return validate(
      obj({ type: str(), queueDelay: { type: "number", minimum: 0.5 } }, ["type", "queueDelay"]),
      scaling,
      "$.scaling",
    );
  }
  if (t === "REQUEST_COUNT") {
    return validate(
      obj({ type: str(), requestCount: int(1) }, ["type", "requestCount"]),
      scaling,
      "$.scaling",
    );
  }
  return ["$.scaling.type: value must be one of 'QUEUE_DELAY', 'REQUEST_COUNT'"];
}

interface EndpointBody {
  name?: string;
  type?: EndpointRecord["type"];
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  registry?: string | null;
  templateId?: string;
  gpu?: {
    pools?: string[];
    excludedTypes?: string[];
    count?: number;
    allowedCudaVersions?: string[];
    minCudaVersion?: string;
  };
  cpu?: { id: string; vcpuCount: number }[];
  workers?: { min?: number; max?: number; idleTimeout?: number };
  scaling?: EndpointRecord["scaling"];
  dataCenterIds?: string[];
  networkVolumes?: string[];
  timeout?: number;
  flashboot?: EndpointRecord["flashboot"];
}

/** USD per hour of one worker of the endpoint (cheapest eligible GPU type, or its CPU config). */
export function workerPricePerHour(state: SimulatorState, ep: EndpointRecord): number {
  if (ep.gpu) {
    const prices = [...state.gpuTypes.values()]
      .filter((g) =>
        g.pool !== null && ep.gpu!.pools.includes(g.pool) &&
        !(ep.gpu!.excludedTypes ?? []).includes(g.id) && g.price.serverless !== undefined
      )
      .map((g) => g.price.serverless!);
    return prices.length > 0 ? Math.min(...prices) * ep.gpu.count : 0;
  }
  const c = ep.cpu?.[0];
  const cpu = c ? state.cpuTypes.get(c.id) : undefined;
  return cpu && c ? cpu.price.serverlessPerVcpu * c.vcpuCount : 0;
}

/** Hourly cost of always-on (min) workers across all endpoints. */
export function endpointSpendPerHour(state: SimulatorState): number {
  let sum = 0;
  for (const ep of state.endpoints.values()) sum += ep.workers.min * workerPricePerHour(state, ep);
  return sum;
}

/** Adds serverless spend to the hourly billing buckets and debits the balance. */
export function chargeServerless(
  state: SimulatorState,
  endpointId: string,
  from: number,
  to: number,
  usdPerHour: number,
  gpu: boolean,
): void {
  while (from < to && usdPerHour > 0) {
    const bucket = Math.floor(from / 3_600_000) * 3_600_000;
    const end = Math.min(to, bucket + 3_600_000);
    const amount = usdPerHour * (end - from) / 3_600_000;
    const key = `serverless|${endpointId}|${bucket}`;
    const entry = state.billing.get(key) ?? {
      kind: "serverless" as const,
      resourceId: endpointId,
      hourStart: bucket,
      gpuAmount: 0,
      cpuAmount: 0,
      diskAmount: 0,
    };
    if (gpu) entry.gpuAmount += amount;
    else entry.cpuAmount += amount;
    state.billing.set(key, entry);
    state.balance -= amount;
    state.user.lifetimeSpend += amount;
    from = end;
  }
}

/** Bills always-on workers of every endpoint up to `now`. */
export function settleEndpoints(state: SimulatorState, now: number): void {
  for (const ep of state.endpoints.values()) {
    if (ep.billedUntil < now) {
      const rate = ep.workers.min * workerPricePerHour(state, ep);
      chargeServerless(state, ep.id, ep.billedUntil, now, rate, ep.gpu !== null);
      ep.billedUntil = now;
    }
  }
}

const RUNTIME_BASE = "https://api.runpod.ai/v2";

/** The REST `Endpoint` wire object. */
export function endpointView(ep: EndpointRecord): Record<string, unknown> {
  const requestUrls = ep.type === "QUEUE"
    ? {
      run: `${RUNTIME_BASE}/${ep.id}/run`,
      runSync: `${RUNTIME_BASE}/${ep.id}/runsync`,
      status: `${RUNTIME_BASE}/${ep.id}/status/{job_id}`,
      stream: `${RUNTIME_BASE}/${ep.id}/stream/{job_id}`,
      cancel: `${RUNTIME_BASE}/${ep.id}/cancel/{job_id}`,
      retry: `${RUNTIME_BASE}/${ep.id}/retry/{job_id}`,
      purgeQueue: `${RUNTIME_BASE}/${ep.id}/purge-queue`,
      health: `${RUNTIME_BASE}/${ep.id}/health`,
    }
    : {
      base: `https://${ep.id}.api.runpod.ai`,
      health: `https://${ep.id}.api.runpod.ai${ep.env.HEALTH_CHECK_PATH ?? "/ping"}`,
    };
  const view: Record<string, unknown> = {
    id: ep.id,
    name: ep.name,
    type: ep.type,
    requestUrls,
    image: ep.image,
    args: ep.args,
    disk: ep.disk,
    ports: [...ep.ports],
    env: { ...ep.env },
    registry: ep.registry,
    gpu: ep.gpu ? structuredClone(ep.gpu) : null,
  };
  if (ep.cpu) view.cpu = structuredClone(ep.cpu);
  Object.assign(view, {
    workers: { ...ep.workers },
    scaling: { ...ep.scaling },
    dataCenterIds: [...ep.dataCenterIds],
    networkVolumes: [...ep.networkVolumes],
    timeout: ep.timeout,
    flashboot: ep.flashboot,
    createdAt: iso(ep.createdAt),
  });
  return view;
}

function checkRefs(ctx: Ctx, b: EndpointBody, ep?: EndpointRecord): Response | undefined {
  const { state } = ctx;
  const pools = new Set([...state.gpuTypes.values()].map((g) => g.pool).filter((p) => p !== null));
  for (const p of b.gpu?.pools ?? []) {
    if (!pools.has(p)) return problem(400, `unknown GPU pool '${p}'`);
  }
  for (const t of b.gpu?.excludedTypes ?? []) {
    if (!state.gpuTypes.has(t.trim())) {
      return problem(400, `unknown GPU type '${t}' in excludedTypes`);
    }
  }
  const allowed = b.gpu?.allowedCudaVersions ?? ep?.gpu?.allowedCudaVersions ?? [];
  const min = b.gpu?.minCudaVersion ?? ep?.gpu?.minCudaVersion ?? "";
  if (allowed.length > 0 && min) {
    return problem(400, "gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive");
  }
  for (const c of b.cpu ?? []) {
    const cpu = state.cpuTypes.get(c.id);
    if (!cpu) return problem(404, `CPU type '${c.id}' not found`);
    if ((c.vcpuCount & (c.vcpuCount - 1)) !== 0 || c.vcpuCount > cpu.vcpu.max) {
      return problem(400, `cpu vcpuCount must be a power of two up to ${cpu.vcpu.max} for ${c.id}`);
    }
  }
  for (const id of b.dataCenterIds ?? []) {
    if (!state.dataCenters.has(id)) return problem(400, `unknown data center '${id}'`);
  }
  for (const id of b.networkVolumes ?? []) {
    if (!state.networkVolumes.has(id)) return problem(404, `network volume '${id}' not found`);
  }
  if (b.registry && !state.registries.has(b.registry)) {
    return problem(404, `container registry credential '${b.registry}' not found`);
  }
  const min0 = b.workers?.min ?? ep?.workers.min ?? 0;
  const max0 = b.workers?.max ?? ep?.workers.max ?? 3;
  if (min0 > max0) return problem(400, "workers.min cannot exceed workers.max");
  return undefined;
}

function idleTimeoutConflict(
  type: EndpointRecord["type"],
  scaling: EndpointRecord["scaling"],
  idle: number | undefined,
): Response | undefined {
  if (type === "QUEUE" && scaling.type === "REQUEST_COUNT" && idle !== undefined) {
    return problem(422, "Request validation failed.", [
      "idleTimeout does not apply to queue-based endpoints scaling on requestCount",
    ]);
  }
  return undefined;
}

function createEndpoint(ctx: Ctx): Response {
  if (ctx.bodyInvalid) return problem(400, "request body must be valid JSON");
  const raw = ctx.body as Record<string, unknown> | undefined;
  const errors = [...validate(createSchema, ctx.body ?? null), ...scalingErrors(raw?.scaling)];
  if (errors.length === 0 && raw && raw.templateId === undefined && raw.image === undefined) {
    errors.push("$: missing property 'image'");
  }
  const b = ctx.body as EndpointBody & { name: string; type: EndpointRecord["type"] };
  if (errors.length === 0 && b.type === "LOAD_BALANCER" && b.scaling?.type !== "REQUEST_COUNT") {
    errors.push("$.scaling.type: value must be one of 'REQUEST_COUNT'");
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const conflict = idleTimeoutConflict(b.type, b.scaling!, b.workers?.idleTimeout);
  if (conflict) return conflict;
  if ((b.gpu === undefined) === (b.cpu === undefined)) {
    return problem(400, "exactly one of gpu or cpu must be set");
  }
  const template = b.templateId ? ctx.state.templates.get(b.templateId) : undefined;
  if (b.templateId && !template) return problem(404, `template '${b.templateId}' not found`);
  if (template && !template.serverless) {
    return problem(422, "Request validation failed.", [
      `templateId: template '${template.id}' is a pod template, not a serverless template`,
    ]);
  }
  const refError = checkRefs(ctx, b);
  if (refError) return refError;
  if ((b.workers?.min ?? 0) > 0 && ctx.state.balance <= 0) {
    return problem(402, "insufficient balance: add credit to run always-on workers");
  }
  const workers: EndpointRecord["workers"] = { min: b.workers?.min ?? 0, max: b.workers?.max ?? 3 };
  const noIdle = b.type === "QUEUE" && b.scaling!.type === "REQUEST_COUNT";
  if (!noIdle) workers.idleTimeout = b.workers?.idleTimeout ?? 10;
  const ep: EndpointRecord = {
    id: ctx.ids.podId(),
    name: b.name,
    type: b.type,
    image: b.image ?? template?.image ?? "",
    args: b.args ?? template?.args ?? "",
    disk: b.disk ?? template?.disk ?? 20,
    ports: [...(b.ports ?? template?.ports ?? [])],
    env: { ...(template?.env ?? {}), ...(b.env ?? {}) },
    registry: b.registry !== undefined ? b.registry : template?.registry ?? null,
    gpu: b.gpu
      ? {
        pools: [...b.gpu.pools!],
        ...(b.gpu.excludedTypes ? { excludedTypes: [...b.gpu.excludedTypes] } : {}),
        count: b.gpu.count ?? 1,
        allowedCudaVersions: [...(b.gpu.allowedCudaVersions ?? [])],
        minCudaVersion: b.gpu.minCudaVersion ?? null,
      }
      : null,
    workers,
    scaling: { ...b.scaling! },
    dataCenterIds: [...(b.dataCenterIds ?? [])],
    networkVolumes: [...(b.networkVolumes ?? [])],
    // Observed: an omitted timeout is stored as 0, not the documented 300000.
    timeout: b.timeout ?? 0,
    flashboot: b.flashboot ?? "OFF",
    createdAt: ctx.now,
    version: 1,
    releases: [],
    billedUntil: ctx.now,
  };
  if (b.cpu) {
    ep.cpu = b.cpu.map((c) => ({
      id: c.id,
      vcpuCount: c.vcpuCount,
      memory: Math.round(c.vcpuCount * (ctx.state.cpuTypes.get(c.id)?.ramGbPerVcpu ?? 2)),
    }));
  }
  if (template) ep.templateId = template.id;
  ep.releases.push({ id: ctx.ids.shortId(), version: 1, createdAt: ctx.now, diff: [] });
  ctx.state.endpoints.set(ep.id, ep);
  return json(endpointView(ep), 201);
}

function findEndpoint(ctx: Ctx): EndpointRecord | Response {
  const ep = ctx.state.endpoints.get(ctx.params.id ?? "");
  return ep ?? problem(404, `endpoint '${ctx.params.id}' not found`);
}

function updateEndpoint(ctx: Ctx): Response {
  const ep = findEndpoint(ctx);
  if (ep instanceof Response) return ep;
  if (ctx.bodyInvalid) return problem(400, "request body must be valid JSON");
  const raw = ctx.body as Record<string, unknown> | undefined;
  const errors = [...validate(updateSchema, ctx.body ?? null), ...scalingErrors(raw?.scaling)];
  const gpuRaw = raw?.gpu as Record<string, unknown> | undefined;
  if (gpuRaw && gpuRaw.excludedTypes !== undefined && gpuRaw.pools === undefined) {
    errors.push("$.gpu: property 'excludedTypes' requires property 'pools'");
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const b = ctx.body as EndpointBody;
  if (b.gpu && !ep.gpu) return problem(400, "gpu cannot be set on a CPU endpoint");
  if (b.cpu && ep.gpu) return problem(400, "cpu cannot be set on a GPU endpoint");
  const scaling = b.scaling ?? ep.scaling;
  if (ep.type === "LOAD_BALANCER" && scaling.type !== "REQUEST_COUNT") {
    return problem(422, "Request validation failed.", [
      "$.scaling.type: value must be one of 'REQUEST_COUNT'",
    ]);
  }
  const conflict = idleTimeoutConflict(ep.type, scaling, b.workers?.idleTimeout);
  if (conflict) return conflict;
  const template = b.templateId ? ctx.state.templates.get(b.templateId) : undefined;
  if (b.templateId && !template) return problem(404, `template '${b.templateId}' not found`);
  const refError = checkRefs(ctx, b, ep);
  if (refError) return refError;

  ctx.settle();
  const before = endpointView(ep);
  if (template) {
    ep.templateId = template.id;
    ep.image = template.image;
    ep.args = template.args;
    ep.env = { ...ep.env, ...template.env };
  }
  if (b.name !== undefined) ep.name = b.name;
  patchContainer(ep, b);
  if (b.gpu && ep.gpu) {
    // Pools and exclusions are one selection: new pools without exclusions clear them (spec).
    if (b.gpu.pools) {
      ep.gpu.pools = [...b.gpu.pools];
      if (b.gpu.excludedTypes) ep.gpu.excludedTypes = [...b.gpu.excludedTypes];
      else delete ep.gpu.excludedTypes;
    }
    if (b.gpu.count !== undefined) ep.gpu.count = b.gpu.count;
    if (b.gpu.allowedCudaVersions) ep.gpu.allowedCudaVersions = [...b.gpu.allowedCudaVersions];
    if (b.gpu.minCudaVersion !== undefined) {
      ep.gpu.minCudaVersion = b.gpu.minCudaVersion === "" ? null : b.gpu.minCudaVersion;
    }
  }
  if (b.cpu) {
    ep.cpu = b.cpu.map((c) => ({
      id: c.id,
      vcpuCount: c.vcpuCount,
      memory: Math.round(c.vcpuCount * (ctx.state.cpuTypes.get(c.id)?.ramGbPerVcpu ?? 2)),
    }));
  }
  if (b.workers) {
    ep.workers = { ...ep.workers, ...b.workers };
    if (ep.type === "QUEUE" && scaling.type === "REQUEST_COUNT") delete ep.workers.idleTimeout;
  }
  if (b.scaling) {
    ep.scaling = { ...b.scaling };
    if (ep.type === "QUEUE" && ep.scaling.type === "REQUEST_COUNT") delete ep.workers.idleTimeout;
    else if (ep.workers.idleTimeout === undefined) ep.workers.idleTimeout = 10;
  }
  if (b.dataCenterIds) ep.dataCenterIds = [...b.dataCenterIds];
  if (b.networkVolumes) ep.networkVolumes = [...b.networkVolumes];
  if (b.timeout !== undefined) ep.timeout = b.timeout;
  if (b.flashboot !== undefined) ep.flashboot = b.flashboot;
  const after = endpointView(ep);
  const diff = changedFields(before, after);
  if (diff.length > 0) {
    ep.version++;
    ep.releases.push({ id: ctx.ids.shortId(), version: ep.version, createdAt: ctx.now, diff });
  }
  return json(after);
}

type Diff = { field: string; old: unknown; new: unknown }[];

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Changed leaves as dotted paths (`workers.max`), as RunPod's release diffs name them. */
function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  prefix = "",
) {
  const diff: Diff = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [a, b] = [before[key], after[key]];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (isPlainObject(a) && isPlainObject(b)) diff.push(...changedFields(a, b, `${prefix}${key}.`));
    else diff.push({ field: `${prefix}${key}`, old: a ?? null, new: b ?? null });
  }
  return diff;
}

function deleteEndpoint(ctx: Ctx): Response {
  const ep = findEndpoint(ctx);
  if (ep instanceof Response) return ep;
  ctx.settle();
  ctx.state.endpoints.delete(ep.id);
  for (const [id, job] of ctx.state.jobs) if (job.endpointId === ep.id) ctx.state.jobs.delete(id);
  return noContent();
}

function busyJobs(state: SimulatorState, ep: EndpointRecord): JobRecord[] {
  return [...state.jobs.values()].filter((j) =>
    j.endpointId === ep.id && j.status === "IN_PROGRESS"
  );
}

function listWorkers(ctx: Ctx): Response {
  const ep = findEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const busy = busyJobs(ctx.state, ep).length;
  const total = Math.min(ep.workers.max, Math.max(ep.workers.min, busy));
  const gpuType = ep.gpu
    ? [...ctx.state.gpuTypes.values()].find((g) =>
      g.pool !== null && ep.gpu!.pools.includes(g.pool) &&
      !(ep.gpu!.excludedTypes ?? []).includes(g.id)
    )
    : undefined;
  const dc = ep.dataCenterIds[0] ??
    (gpuType ? Object.keys(gpuType.stock).find((d) => gpuType.stock[d] !== "NONE") : undefined) ??
    "US-KS-2";
  const workers = Array.from({ length: total }, (_, i) => ({
    id: workerId(ep, i),
    status: i < busy ? "RUNNING" : "IDLE",
    isStale: false,
    version: ep.version,
    gpuCount: ep.gpu?.count ?? 0,
    image: ep.image,
    uptimeSeconds: Math.floor((ctx.now - ep.createdAt) / 1000),
    gpuTypeId: gpuType?.id ?? null,
    dataCenterId: dc,
    startedAt: iso(ep.createdAt),
  }));
  return json({
    workers,
    summary: {
      running: Math.min(busy, total),
      idle: total - Math.min(busy, total),
      initializing: 0,
      throttled: 0,
      unhealthy: 0,
      total,
    },
    endpointVersion: ep.version,
  });
}

function listReleases(ctx: Ctx): Response {
  const ep = findEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const workers = Math.min(
    ep.workers.max,
    Math.max(ep.workers.min, busyJobs(ctx.state, ep).length),
  );
  return json({
    endpointVersion: ep.version,
    rollout: {
      inProgress: false,
      workersOnLatest: workers,
      workersTotal: workers,
      percentOnLatest: 100,
    },
    releases: [...ep.releases].reverse().map((r) => ({
      id: r.id,
      version: r.version,
      source: "MANUAL",
      buildId: null,
      createdByUserId: ctx.state.user.id,
      workerCount: r.version === ep.version ? workers : 0,
      createdAt: iso(r.createdAt),
      diff: structuredClone(r.diff),
    })),
  });
}

/** Routes for `/v2/serverless*`. */
export const serverlessRoutes: readonly Route[] = [
  {
    method: "GET",
    path: "/v2/serverless",
    handler: (ctx) => json({ endpoints: [...ctx.state.endpoints.values()].map(endpointView) }),
  },
  { method: "POST", path: "/v2/serverless", handler: createEndpoint },
  {
    method: "GET",
    path: "/v2/serverless/:id",
    handler: (ctx) => {
      const ep = findEndpoint(ctx);
      return ep instanceof Response ? ep : json(endpointView(ep));
    },
  },
  { method: "PATCH", path: "/v2/serverless/:id", handler: updateEndpoint },
  { method: "DELETE", path: "/v2/serverless/:id", handler: deleteEndpoint },
  { method: "GET", path: "/v2/serverless/:id/workers", handler: listWorkers },
  { method: "GET", path: "/v2/serverless/:id/releases", handler: listReleases },
  { method: "GET", path: "/v2/serverless/:id/workers/:workerId/logs", handler: workerLogs },
];
