/**
 * Serverless endpoint tools: list, inspect, create, update and delete endpoints, and list their
 * workers. Flat arguments are mapped to RunPod's nested v2 bodies (GPU names → serverless pools).
 *
 * @module
 */

import { z } from "zod";
import {
  createEndpoint,
  type CreateEndpointBody,
  deleteEndpoint,
  type Endpoint,
  ENDPOINT_TYPES,
  FLASHBOOT_MODES,
  getEndpoint,
  listEndpoints,
  listEndpointWorkers,
  SCALING_TYPES,
  type ScalingBody,
  updateEndpoint,
  type UpdateEndpointBody,
  type Worker,
} from "../runpod/endpoints.ts";
import { type GpuType, recoveryNote } from "../runpod/mod.ts";
import { maskEnv } from "../secrets.ts";
import {
  checkNewEnv,
  checkPorts,
  DATA_CENTER_ID,
  envArg,
  imageArg,
  keptNote,
  nameArg,
  portsArg,
  resolveEnvWrite,
} from "./_args.ts";
import { endpointWorkerPrice, type PriceCatalog, priceCatalog } from "../policy/estimate.ts";
import {
  CREATES,
  defineTool,
  DESTRUCTIVE,
  READ_ONLY,
  type ToolContext,
  ToolInputError,
} from "./_define.ts";
import { resolveGpuType } from "./_gpu.ts";

const ID = /^[A-Za-z0-9_-]+$/;
const POOL_LIKE = /^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$/;

/** RunPod stores 0 when `timeout` is omitted, so a default is always sent (API-NOTES §3.8). */
const DEFAULT_EXECUTION_TIMEOUT_S = 600;
const DEFAULT_SCALING_VALUE = 4;

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
const isPowerOfTwo = (n: number) => n >= 1 && (n & (n - 1)) === 0;

const endpointIdArg = z.string().trim().min(1).max(64).describe(
  "Endpoint id from list_endpoints, e.g. 7yl8ixqrjcbrq2",
);

/** Arguments shared by create_endpoint and update_endpoint (all optional here). */
const configArgs = {
  image: imageArg().optional().describe(
    "Worker container image, e.g. runpod/worker-v1-vllm:v2.7.0",
  ),
  template_id: z.string().trim().regex(ID, "a template id has letters, digits, - and _").max(64)
    .optional().describe("Serverless template id for the container settings, e.g. 30zmvf89kd"),
  registry_id: z.string().trim().regex(ID, "a registry id has letters, digits, - and _").max(64)
    .optional().describe("Container-registry credential id for a private image, e.g. cm0ab12cd"),
  gpu_types: z.array(z.string().trim().min(2).max(100)).min(1).max(20).optional().describe(
    'GPU types (ids or names) or serverless pool ids, in order of preference, e.g. ["RTX 4090", "AMPERE_48"]',
  ),
  excluded_gpu_types: z.array(z.string().trim().min(2).max(100)).max(40).optional().describe(
    'GPU types to leave out of the chosen pools, e.g. ["NVIDIA L4"]',
  ),
  gpu_count: z.number().int().min(1).max(16).optional().describe(
    "GPUs per worker (default 1), e.g. 1",
  ),
  cpu_flavor: z.string().trim().regex(/^cpu\d[a-z]$/, "use a flavor id like cpu5c").optional()
    .describe("CPU flavor for a CPU endpoint, e.g. cpu5c (see list_cpu_types)"),
  vcpu_count: z.number().int().min(2).max(128).optional().describe(
    "vCPUs per CPU worker, a power of 2, e.g. 4",
  ),
  workers_min: z.number().int().min(0).max(100).optional().describe(
    "Always-on workers, billed even with no jobs, e.g. 0",
  ),
  workers_max: z.number().int().min(0).max(100).optional().describe(
    "Most workers at once, e.g. 3",
  ),
  idle_timeout_s: z.number().int().min(1).max(3600).optional().describe(
    "Seconds an idle worker stays up before scaling down, e.g. 5",
  ),
  scaling_type: z.enum(SCALING_TYPES).optional().describe(
    "QUEUE_DELAY (queue wait) or REQUEST_COUNT (requests per worker), e.g. QUEUE_DELAY",
  ),
  scaling_value: z.number().positive().max(3600).optional().describe(
    "Seconds of queue delay (≥0.5) or requests per worker (integer ≥1), e.g. 4",
  ),
  flashboot: z.enum(FLASHBOOT_MODES).optional().describe(
    "Cold-start acceleration: OFF, FLASHBOOT or PRIORITY_FLASHBOOT, e.g. FLASHBOOT",
  ),
  execution_timeout_s: z.number().int().min(1).max(604_800).optional().describe(
    "Longest a job may run in seconds, e.g. 600",
  ),
  network_volume_ids: z.array(z.string().trim().regex(ID).max(64)).max(10).optional().describe(
    'Network volumes to attach, e.g. ["agv6w2qcg7"]',
  ),
  data_center_ids: z.array(z.string().regex(DATA_CENTER_ID)).max(30).optional().describe(
    'Data centers to place workers in, e.g. ["US-KS-2"]',
  ),
  env: envArg.optional().describe(
    'Env vars; on update "[masked]" keeps a secret\'s stored value, e.g. {"MODEL_NAME": "meta-llama/Llama-3.1-8B-Instruct"}',
  ),
  container_disk_gb: z.number().int().min(1).max(2000).optional().describe(
    "Container disk per worker in GB, e.g. 20",
  ),
  ports: portsArg.optional().describe(
    'Ports to expose (load balancer workers), e.g. ["8000/http"]',
  ),
};

// ---------------------------------------------------------------------------------------------
// Output shapes

const cpuShape = { flavor: z.string(), vcpu_count: z.number() };

/** Compact endpoint row, as list_endpoints shows it. */
const endpointRowShape = {
  id: z.string(),
  name: z.string(),
  type: z.string().describe("QUEUE (job queue) or LOAD_BALANCER (direct HTTP)"),
  gpu_pools: z.array(z.string()).nullable().describe("Serverless GPU pools; null for CPU"),
  gpu_count: z.number().nullable().describe("GPUs per worker; null for CPU"),
  cpu: z.array(z.object(cpuShape)).nullable().describe("CPU configs; null for GPU endpoints"),
  workers_min: z.number(),
  workers_max: z.number(),
  always_on_cost_per_hour: z.number().nullable().describe(
    "Estimate, USD/hour billed even with no jobs: workers_min × GPUs × the priciest eligible pool's serverless price; null when the catalog has no price",
  ),
  created_at: z.string(),
};

type EndpointRow = z.output<z.ZodObject<typeof endpointRowShape>>;

/** One endpoint in detail. */
const endpointDetailShape = {
  ...endpointRowShape,
  request_urls: z.record(z.string(), z.string()).describe(
    "Job URLs (run, runSync, status, …) for QUEUE; base and health for LOAD_BALANCER",
  ),
  image: z.string().nullable(),
  registry_id: z.string().nullable(),
  excluded_gpu_types: z.array(z.string()),
  scaling_type: z.string(),
  scaling_value: z.number().nullable().describe(
    "Queue delay in seconds (QUEUE_DELAY) or requests per worker (REQUEST_COUNT)",
  ),
  idle_timeout_s: z.number().nullable().describe("null when it does not apply"),
  execution_timeout_s: z.number().describe("Longest a job may run; 0 means RunPod has none set"),
  flashboot: z.string(),
  data_center_ids: z.array(z.string()),
  network_volume_ids: z.array(z.string()),
  container_disk_gb: z.number().nullable(),
  ports: z.array(z.string()),
  env: z.record(z.string(), z.string()).describe("Env vars; secret-looking values are masked"),
};

type EndpointDetail = z.output<z.ZodObject<typeof endpointDetailShape>>;

const summaryShape = {
  running: z.number(),
  idle: z.number(),
  initializing: z.number(),
  throttled: z.number(),
  unhealthy: z.number(),
  total: z.number(),
};

// ---------------------------------------------------------------------------------------------
// Catalog, cost and rows

type Catalog = PriceCatalog;

function catalogOf(ctx: ToolContext): Catalog {
  return priceCatalog(ctx.runpod, ctx.signal);
}

/** What always-on (`workers.min`) workers cost per hour; 0 when none are always on. */
export async function alwaysOnCost(ep: Endpoint, catalog: Catalog): Promise<number | null> {
  if (ep.workers.min <= 0) return 0;
  const price = await endpointWorkerPrice(ep, catalog);
  return price === null ? null : round4(price * ep.workers.min);
}

/** The compact endpoint row list_endpoints shows. */
export function endpointRow(ep: Endpoint, cost: number | null): EndpointRow {
  return {
    id: ep.id,
    name: ep.name,
    type: ep.type ?? "QUEUE",
    gpu_pools: ep.gpu ? [...ep.gpu.pools] : null,
    gpu_count: ep.gpu ? ep.gpu.count ?? 1 : null,
    cpu: ep.gpu || !ep.cpu ? null : ep.cpu.map((c) => ({ flavor: c.id, vcpu_count: c.vcpuCount })),
    workers_min: ep.workers.min,
    workers_max: ep.workers.max,
    always_on_cost_per_hour: cost,
    created_at: ep.createdAt,
  };
}

/** One endpoint in detail, env masked unless `showSecrets`. */
export function endpointDetail(
  ep: Endpoint,
  cost: number | null,
  showSecrets: boolean,
): EndpointDetail {
  const scalingValue = ep.scaling.type === "REQUEST_COUNT"
    ? ep.scaling.requestCount
    : ep.scaling.queueDelay;
  return {
    ...endpointRow(ep, cost),
    request_urls: { ...ep.requestUrls },
    image: ep.image || null,
    registry_id: ep.registry ?? null,
    excluded_gpu_types: [...(ep.gpu?.excludedTypes ?? [])],
    scaling_type: ep.scaling.type,
    scaling_value: scalingValue ?? null,
    idle_timeout_s: ep.workers.idleTimeout ?? null,
    execution_timeout_s: ep.timeout / 1000,
    flashboot: ep.flashboot,
    data_center_ids: [...ep.dataCenterIds],
    network_volume_ids: [...ep.networkVolumes],
    container_disk_gb: ep.disk ?? null,
    ports: [...(ep.ports ?? [])],
    env: maskEnv(ep.env, showSecrets),
  };
}

function hardware(row: EndpointRow): string {
  if (row.gpu_pools) return `${row.gpu_count}× GPU from ${row.gpu_pools.join(", ")}`;
  if (row.cpu) return `CPU ${row.cpu.map((c) => `${c.flavor}/${c.vcpu_count} vCPU`).join(", ")}`;
  return "no compute";
}

function costText(cost: number | null, min: number): string {
  if (min === 0) return "scales to zero, so no cost while idle";
  if (cost === null) {
    return `${min} always-on worker(s) billed even with no jobs (no catalog price to estimate)`;
  }
  return `${min} always-on worker(s) cost about $${cost.toFixed(2)}/h (estimate) even with no jobs`;
}

function describeRow(row: EndpointRow): string {
  return `${row.id} "${row.name}" ${row.type}, ${
    hardware(row)
  }, workers ${row.workers_min}–${row.workers_max}, ${
    costText(row.always_on_cost_per_hour, row.workers_min)
  }`;
}

function checkEndpointId(id: string, verb: string): void {
  if (!ID.test(id)) {
    throw new ToolInputError(
      `Cannot ${verb} endpoint "${
        id.slice(0, 64)
      }": an endpoint id has only letters, digits, - and _ (see list_endpoints)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping arguments to RunPod's body

/** GPU names/ids or pool ids → pool ids (deduplicated, in the given order). */
function resolvePools(gpus: readonly GpuType[], inputs: readonly string[], verb: string): string[] {
  const known = new Map<string, string>();
  for (const gpu of gpus) if (gpu.pool !== null) known.set(gpu.pool.toUpperCase(), gpu.pool);
  const pools: string[] = [];
  for (const input of inputs) {
    let pool = known.get(input.toUpperCase());
    if (pool === undefined) {
      let gpu: GpuType;
      try {
        gpu = resolveGpuType(gpus, input);
      } catch (error) {
        if (error instanceof ToolInputError && POOL_LIKE.test(input)) {
          throw new ToolInputError(
            `Cannot ${verb} endpoint: "${
              input.slice(0, 80)
            }" is neither a GPU type nor a serverless pool; pools are ${
              [...new Set(known.values())].join(", ")
            } (list_gpu_types with product=SERVERLESS shows which GPUs each holds)`,
          );
        }
        throw error;
      }
      if (gpu.pool === null) {
        throw new ToolInputError(
          `Cannot ${verb} endpoint: ${gpu.name} (${gpu.id}) is in no serverless GPU pool; pick another GPU (list_gpu_types with product=SERVERLESS)`,
        );
      }
      pool = gpu.pool;
    }
    if (!pools.includes(pool)) pools.push(pool);
  }
  return pools;
}

/** Excluded GPU names/ids → type ids, each checked to lie in `pools`, leaving some GPU over. */
function resolveExcluded(
  gpus: readonly GpuType[],
  inputs: readonly string[],
  pools: readonly string[],
  verb: string,
): string[] {
  const ids: string[] = [];
  for (const input of inputs) {
    const gpu = resolveGpuType(gpus, input);
    if (gpu.pool === null || !pools.includes(gpu.pool)) {
      throw new ToolInputError(
        `Cannot ${verb} endpoint: excluded GPU ${gpu.name} is not in the chosen pools (${
          pools.join(", ")
        }); its pool is ${gpu.pool ?? "none"}. Exclude only GPUs from those pools`,
      );
    }
    if (!ids.includes(gpu.id)) ids.push(gpu.id);
  }
  const left = gpus.filter((g) => g.pool !== null && pools.includes(g.pool) && !ids.includes(g.id));
  if (left.length === 0) {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: excluded_gpu_types removes every GPU of ${
        pools.join(", ")
      }; exclude fewer or add a pool`,
    );
  }
  return ids;
}

function scalingBody(
  type: "QUEUE_DELAY" | "REQUEST_COUNT",
  value: number,
  endpointType: string,
  verb: string,
): ScalingBody {
  if (endpointType === "LOAD_BALANCER" && type !== "REQUEST_COUNT") {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: a LOAD_BALANCER endpoint scales only on REQUEST_COUNT; use scaling_type=REQUEST_COUNT`,
    );
  }
  if (type === "QUEUE_DELAY") {
    if (value < 0.5) {
      throw new ToolInputError(
        `Cannot ${verb} endpoint: scaling_value for QUEUE_DELAY is seconds of queue wait, at least 0.5; got ${value}`,
      );
    }
    return { type, queueDelay: value };
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: scaling_value for REQUEST_COUNT is requests per worker, a whole number ≥ 1; got ${value}`,
    );
  }
  return { type, requestCount: value };
}

function checkIdleTimeout(
  endpointType: string,
  scalingType: string,
  idle: number | undefined,
  verb: string,
): void {
  if (idle !== undefined && endpointType === "QUEUE" && scalingType === "REQUEST_COUNT") {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: idle_timeout_s does not apply to a QUEUE endpoint scaling on REQUEST_COUNT; drop idle_timeout_s or use scaling_type=QUEUE_DELAY`,
    );
  }
}

function checkVcpu(vcpu: number, verb: string): void {
  if (!isPowerOfTwo(vcpu)) {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: vcpu_count must be a power of 2 (2, 4, 8, …), got ${vcpu}`,
    );
  }
}

const CONTAINER_ARGS = [
  "image",
  "template_id",
  "registry_id",
  "env",
  "container_disk_gb",
  "ports",
] as const;

// ---------------------------------------------------------------------------------------------
// Tools

/** `list_endpoints`: every serverless endpoint on the account, compact. */
export const listEndpointsTool = defineTool({
  name: "list_endpoints",
  title: "List serverless endpoints",
  description:
    "Lists the account's serverless endpoints: type, GPU pools or CPU, worker range and the estimated always-on cost in USD/hour (workers_min workers are billed even with no jobs). Use get_endpoint for one endpoint's URLs, settings and live workers.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: {
    name_contains: z.string().min(1).max(200).optional().describe(
      "Only endpoints whose name contains this text (case-insensitive), e.g. vllm",
    ),
  },
  output: {
    endpoints: z.array(z.object(endpointRowShape)),
    count: z.number(),
    total_always_on_cost_per_hour: z.number().describe(
      "Sum of the listed estimates, USD/hour (unknown ones count as 0)",
    ),
  },
  async run(args, ctx) {
    let endpoints = await listEndpoints(ctx.runpod, ctx.signal);
    if (args.name_contains) {
      const needle = args.name_contains.toLowerCase();
      endpoints = endpoints.filter((ep) => ep.name.toLowerCase().includes(needle));
    }
    const catalog = catalogOf(ctx);
    const rows: EndpointRow[] = [];
    for (const ep of endpoints) rows.push(endpointRow(ep, await alwaysOnCost(ep, catalog)));
    const total = round4(rows.reduce((sum, r) => sum + (r.always_on_cost_per_hour ?? 0), 0));
    const summary = rows.length === 0
      ? "No serverless endpoints match. Create one with create_endpoint."
      : `${rows.length} endpoint(s), about $${total.toFixed(2)}/h always on in total:\n` +
        rows.map(describeRow).join("\n");
    return {
      summary,
      data: { endpoints: rows, count: rows.length, total_always_on_cost_per_hour: total },
    };
  },
});

/** `get_endpoint`: one endpoint in detail, with a summary of its live workers. */
export const getEndpointTool = defineTool({
  name: "get_endpoint",
  title: "Get serverless endpoint details",
  description:
    "Shows one serverless endpoint: request URLs, GPU pools or CPU, scaling, idle and execution timeouts (seconds), FlashBoot, network volumes, env (secrets masked), the estimated always-on cost in USD/hour, and how many workers are running, idle or starting. Use list_endpoint_workers for each worker.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: { endpoint_id: endpointIdArg },
  output: {
    ...endpointDetailShape,
    workers: z.object({
      ...summaryShape,
      stale: z.number().describe("Workers still on an older endpoint configuration"),
    }),
  },
  async run(args, ctx) {
    checkEndpointId(args.endpoint_id, "look up");
    const ep = await getEndpoint(ctx.runpod, args.endpoint_id, ctx.signal);
    const workers = await listEndpointWorkers(ctx.runpod, args.endpoint_id, ctx.signal);
    const detail = endpointDetail(ep, await alwaysOnCost(ep, catalogOf(ctx)), ctx.showSecrets);
    const s = workers.summary;
    const stale = workers.workers.filter((w) => w.isStale).length;
    const summary = `${describeRow(detail)}. Workers: ${s.running} running, ${s.idle} idle, ${
      s.initializing + s.throttled
    } starting, ${s.unhealthy} unhealthy.`;
    return {
      summary,
      data: {
        ...detail,
        workers: {
          running: s.running,
          idle: s.idle,
          initializing: s.initializing,
          throttled: s.throttled,
          unhealthy: s.unhealthy,
          total: s.total,
          stale,
        },
      },
    };
  },
});

/** `create_endpoint`: deploys a serverless endpoint. */
export const createEndpointTool = defineTool({
  name: "create_endpoint",
  title: "Create a serverless endpoint",
  description:
    "Deploys a serverless endpoint from image or template_id on GPUs (gpu_types: names, ids or pools like ADA_24) or CPUs (cpu_flavor + vcpu_count). Workers scale 0→workers_max on demand and are billed per second while up; workers_min > 0 keeps workers on and billed (USD/hour) with no jobs. Tell the user that cost first. Returns the request URLs; then send a test job.",
  toolset: "serverless",
  annotations: CREATES,
  input: {
    name: nameArg().describe("Endpoint name, e.g. vllm-llama-8b"),
    type: z.enum(ENDPOINT_TYPES).default("QUEUE").describe(
      "QUEUE (jobs via /run) or LOAD_BALANCER (direct HTTP to workers); fixed once created, e.g. QUEUE",
    ),
    ...configArgs,
  },
  output: {
    endpoint: z.object(endpointDetailShape),
    cost_note: z.string().describe("What the endpoint costs while idle and while busy"),
    next: z.string(),
  },
  async run(args, ctx) {
    const verb = "create";
    const isGpu = args.gpu_types !== undefined;
    const isCpu = args.cpu_flavor !== undefined || args.vcpu_count !== undefined;
    if (isGpu === isCpu) {
      throw new ToolInputError(
        isGpu
          ? "Cannot create endpoint: give gpu_types for GPU workers or cpu_flavor + vcpu_count for CPU workers, not both"
          : 'Cannot create endpoint: give gpu_types (GPU workers, e.g. ["RTX 4090"]) or cpu_flavor + vcpu_count (CPU workers)',
      );
    }
    if (!args.image && !args.template_id) {
      throw new ToolInputError("Cannot create endpoint: give image or template_id");
    }
    if (isCpu && (args.excluded_gpu_types !== undefined || args.gpu_count !== undefined)) {
      throw new ToolInputError(
        "Cannot create endpoint: excluded_gpu_types and gpu_count apply to GPU endpoints only",
      );
    }
    const min = args.workers_min ?? 0;
    const max = args.workers_max ?? 3;
    if (min > max) {
      throw new ToolInputError(
        `Cannot create endpoint: workers_min (${min}) is above workers_max (${max})`,
      );
    }
    const scalingType = args.scaling_type ??
      (args.type === "LOAD_BALANCER" ? "REQUEST_COUNT" : "QUEUE_DELAY");
    const scaling = scalingBody(
      scalingType,
      args.scaling_value ?? DEFAULT_SCALING_VALUE,
      args.type,
      verb,
    );
    checkIdleTimeout(args.type, scalingType, args.idle_timeout_s, verb);
    checkPorts(args.ports, `${verb} endpoint`);
    checkNewEnv(args.env, `${verb} endpoint`);

    const body: CreateEndpointBody = {
      name: args.name,
      type: args.type,
      workers: { min, max },
      scaling,
      timeout: (args.execution_timeout_s ?? DEFAULT_EXECUTION_TIMEOUT_S) * 1000,
    };
    if (args.idle_timeout_s !== undefined) body.workers.idleTimeout = args.idle_timeout_s;
    const catalog = catalogOf(ctx);
    if (isGpu) {
      const gpus = await catalog.gpus();
      const pools = resolvePools(gpus, args.gpu_types!, verb);
      body.gpu = { pools, count: args.gpu_count ?? 1 };
      if (args.excluded_gpu_types?.length) {
        body.gpu.excludedTypes = resolveExcluded(gpus, args.excluded_gpu_types, pools, verb);
      }
    } else {
      if (!args.cpu_flavor || args.vcpu_count === undefined) {
        throw new ToolInputError(
          "Cannot create endpoint: CPU workers need both cpu_flavor and vcpu_count",
        );
      }
      checkVcpu(args.vcpu_count, verb);
      body.cpu = [{ id: args.cpu_flavor, vcpuCount: args.vcpu_count }];
    }
    if (args.image) body.image = args.image;
    if (args.template_id) body.templateId = args.template_id;
    if (args.registry_id) body.registry = args.registry_id;
    if (args.env && Object.keys(args.env).length > 0) body.env = args.env;
    if (args.container_disk_gb !== undefined) body.disk = args.container_disk_gb;
    if (args.ports?.length) body.ports = args.ports;
    if (args.data_center_ids?.length) body.dataCenterIds = args.data_center_ids;
    if (args.network_volume_ids?.length) body.networkVolumes = args.network_volume_ids;
    if (args.flashboot) body.flashboot = args.flashboot;

    const ep = await createEndpoint(ctx.runpod, body, ctx.signal);
    const recovered = recoveryNote(ep);
    const cost = await alwaysOnCost(ep, catalog);
    const detail = endpointDetail(ep, cost, ctx.showSecrets);
    const costNote = min > 0
      ? `${
        costText(cost, min)
      }, until workers_min is set to 0 (update_endpoint) or the endpoint is deleted; jobs beyond them start more workers, billed per second.`
      : "No cost while idle: workers start when jobs arrive and are billed per second while up (the first job waits for a cold start).";
    const next = ep.type === "LOAD_BALANCER"
      ? `Send HTTP requests to ${
        detail.request_urls.base ?? "the base URL"
      }; get_endpoint shows workers.`
      : `Send a test job to endpoint ${ep.id} (${
        detail.request_urls.runSync ?? "its runsync URL"
      }); list_endpoint_workers shows workers starting.`;
    return {
      summary: `${
        recovered ? `${recovered} ` : ""
      }Created ${detail.type} endpoint ${ep.id} "${ep.name}": ${
        hardware(detail)
      }, workers ${min}–${max}. ${costNote}`,
      data: { endpoint: detail, cost_note: costNote, next },
    };
  },
});

/** `update_endpoint`: changes some of an endpoint's settings. */
export const updateEndpointTool = defineTool({
  name: "update_endpoint",
  title: "Update a serverless endpoint",
  description:
    "Changes only the given settings of a serverless endpoint (same arguments as create_endpoint). Scaling, workers and timeouts apply at once; image/env/template changes roll out as workers are replaced. env REPLACES all env vars. gpu_types replaces the GPU pools and clears exclusions. Raising workers_min adds always-on cost (USD/hour). The type cannot change.",
  toolset: "serverless",
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  input: {
    endpoint_id: endpointIdArg,
    name: nameArg().optional().describe("New name, e.g. vllm-llama-70b"),
    type: z.enum(ENDPOINT_TYPES).optional().describe(
      "Cannot be changed (refused); create a new endpoint instead, e.g. QUEUE",
    ),
    ...configArgs,
  },
  output: {
    endpoint: z.object(endpointDetailShape),
    changed: z.array(z.string()).describe("Arguments that were sent"),
    notes: z.array(z.string()).describe("How RunPod applies the change"),
  },
  async run(args, ctx) {
    const verb = "update";
    checkEndpointId(args.endpoint_id, verb);
    if (args.type !== undefined) {
      throw new ToolInputError(
        `Cannot update endpoint ${args.endpoint_id}: its type is fixed at creation; create a new ${args.type} endpoint with create_endpoint instead`,
      );
    }
    const changed = Object.entries(args)
      .filter(([key, value]) => key !== "endpoint_id" && value !== undefined)
      .map(([key]) => key);
    if (changed.length === 0) {
      throw new ToolInputError(
        "Cannot update endpoint: give at least one setting to change, e.g. workers_max or image",
      );
    }
    if (
      args.workers_min !== undefined && args.workers_max !== undefined &&
      args.workers_min > args.workers_max
    ) {
      throw new ToolInputError(
        `Cannot update endpoint: workers_min (${args.workers_min}) is above workers_max (${args.workers_max})`,
      );
    }
    checkPorts(args.ports, `${verb} endpoint`);
    if (args.vcpu_count !== undefined) checkVcpu(args.vcpu_count, verb);

    const current = await getEndpoint(ctx.runpod, args.endpoint_id, ctx.signal);
    const type = current.type ?? "QUEUE";
    const isGpuEndpoint = current.gpu !== null && current.gpu !== undefined;
    const notes: string[] = [];
    const body: UpdateEndpointBody = {};
    const catalog = catalogOf(ctx);

    const gpuArgs = args.gpu_types !== undefined || args.excluded_gpu_types !== undefined ||
      args.gpu_count !== undefined;
    const cpuArgs = args.cpu_flavor !== undefined || args.vcpu_count !== undefined;
    if (gpuArgs && !isGpuEndpoint) {
      throw new ToolInputError(
        `Cannot update endpoint ${current.id}: it runs on CPUs, and the compute family is fixed at creation; change cpu_flavor/vcpu_count, or create a GPU endpoint`,
      );
    }
    if (cpuArgs && isGpuEndpoint) {
      throw new ToolInputError(
        `Cannot update endpoint ${current.id}: it runs on GPUs, and the compute family is fixed at creation; change gpu_types/gpu_count, or create a CPU endpoint`,
      );
    }
    if (gpuArgs && current.gpu) {
      const gpu: NonNullable<UpdateEndpointBody["gpu"]> = {};
      let pools: string[] | undefined;
      if (args.gpu_types !== undefined) {
        pools = resolvePools(await catalog.gpus(), args.gpu_types, verb);
        if (args.excluded_gpu_types === undefined && (current.gpu.excludedTypes ?? []).length) {
          notes.push(
            `New gpu_types clear the excluded GPU types (${
              current.gpu.excludedTypes!.join(", ")
            }); pass excluded_gpu_types to keep them.`,
          );
        }
      } else if (args.excluded_gpu_types !== undefined) {
        pools = [...current.gpu.pools];
        notes.push(
          `RunPod takes excluded types only together with pools, so the current pools (${
            pools.join(", ")
          }) were sent again.`,
        );
      }
      if (pools) gpu.pools = pools;
      if (args.excluded_gpu_types !== undefined && pools) {
        gpu.excludedTypes = resolveExcluded(
          await catalog.gpus(),
          args.excluded_gpu_types,
          pools,
          verb,
        );
      }
      if (args.gpu_count !== undefined) gpu.count = args.gpu_count;
      body.gpu = gpu;
    }
    if (cpuArgs) {
      const first = current.cpu?.[0];
      const flavor = args.cpu_flavor ?? first?.id;
      const vcpu = args.vcpu_count ?? first?.vcpuCount;
      if (flavor === undefined || vcpu === undefined) {
        throw new ToolInputError(
          "Cannot update endpoint: give both cpu_flavor and vcpu_count for the new CPU config",
        );
      }
      body.cpu = [{ id: flavor, vcpuCount: vcpu }];
    }

    const min = args.workers_min ?? current.workers.min;
    const max = args.workers_max ?? current.workers.max;
    if (min > max) {
      throw new ToolInputError(
        `Cannot update endpoint: workers_min would be ${min} but workers_max ${max}; change both`,
      );
    }
    let scalingType = current.scaling.type;
    if (args.scaling_type !== undefined || args.scaling_value !== undefined) {
      const known = (SCALING_TYPES as readonly string[]).includes(current.scaling.type)
        ? current.scaling.type as ScalingBody["type"]
        : undefined;
      const wanted = args.scaling_type ?? known;
      if (wanted === undefined) {
        throw new ToolInputError(
          `Cannot update endpoint: it scales on ${current.scaling.type}, which runpod-mcp does not know; give scaling_type too`,
        );
      }
      const same = wanted === current.scaling.type;
      const value = args.scaling_value ??
        (same
          ? (wanted === "QUEUE_DELAY" ? current.scaling.queueDelay : current.scaling.requestCount)
          : undefined);
      if (value === undefined) {
        throw new ToolInputError(
          `Cannot update endpoint: give scaling_value with scaling_type=${wanted} (${
            wanted === "QUEUE_DELAY"
              ? "seconds of queue wait, e.g. 4"
              : "requests per worker, e.g. 4"
          })`,
        );
      }
      body.scaling = scalingBody(wanted, value, type, verb);
      scalingType = wanted;
    }
    checkIdleTimeout(type, scalingType, args.idle_timeout_s, verb);
    if (
      args.workers_min !== undefined || args.workers_max !== undefined ||
      args.idle_timeout_s !== undefined
    ) {
      body.workers = {};
      if (args.workers_min !== undefined) body.workers.min = args.workers_min;
      if (args.workers_max !== undefined) body.workers.max = args.workers_max;
      if (args.idle_timeout_s !== undefined) body.workers.idleTimeout = args.idle_timeout_s;
    }
    if (args.name !== undefined) body.name = args.name;
    if (args.image !== undefined) body.image = args.image;
    if (args.template_id !== undefined) body.templateId = args.template_id;
    if (args.registry_id !== undefined) body.registry = args.registry_id;
    let kept: string[] = [];
    if (args.env !== undefined) {
      const safe = await resolveEnvWrite(
        args.env,
        `update endpoint ${current.id}`,
        () => Promise.resolve(current.env),
      );
      body.env = safe.env;
      kept = safe.kept;
    }
    if (args.container_disk_gb !== undefined) body.disk = args.container_disk_gb;
    if (args.ports !== undefined) body.ports = args.ports;
    if (args.data_center_ids !== undefined) body.dataCenterIds = args.data_center_ids;
    if (args.network_volume_ids !== undefined) body.networkVolumes = args.network_volume_ids;
    if (args.execution_timeout_s !== undefined) body.timeout = args.execution_timeout_s * 1000;
    if (args.flashboot !== undefined) body.flashboot = args.flashboot;

    const ep = await updateEndpoint(ctx.runpod, current.id, body, ctx.signal);
    const cost = await alwaysOnCost(ep, catalog);
    if (changed.some((key) => (CONTAINER_ARGS as readonly string[]).includes(key))) {
      notes.push(
        "Container changes roll out as workers are replaced; running workers keep the old version until then.",
      );
    }
    if (ep.workers.min > 0) notes.push(`${costText(cost, ep.workers.min)}.`);
    if (kept.length > 0) notes.push(keptNote(kept).trim());
    return {
      summary: `Updated endpoint ${ep.id} "${ep.name}": ${changed.join(", ")}.${
        notes.length ? " " + notes.join(" ") : ""
      }`,
      data: { endpoint: endpointDetail(ep, cost, ctx.showSecrets), changed, notes },
    };
  },
});

/** `delete_endpoint`: deletes an endpoint for good. */
export const deleteEndpointTool = defineTool({
  name: "delete_endpoint",
  title: "Delete a serverless endpoint",
  description:
    "Deletes a serverless endpoint for good: its workers stop (billing ends) and queued or running jobs are cancelled and lost; its request URLs stop working. Cannot be undone. To only stop paying for idle workers, use update_endpoint with workers_min=0 instead.",
  toolset: "serverless",
  annotations: DESTRUCTIVE,
  input: { endpoint_id: endpointIdArg },
  output: {
    deleted: z.boolean(),
    endpoint_id: z.string(),
    name: z.string(),
    note: z.string(),
  },
  async run(args, ctx) {
    checkEndpointId(args.endpoint_id, "delete");
    const ep = await getEndpoint(ctx.runpod, args.endpoint_id, ctx.signal);
    await deleteEndpoint(ctx.runpod, ep.id, ctx.signal);
    const note =
      "Workers stopped and billing ended; queued and in-progress jobs were cancelled and are lost.";
    return {
      summary: `Deleted endpoint ${ep.id} "${ep.name}". ${note}`,
      data: { deleted: true, endpoint_id: ep.id, name: ep.name, note },
    };
  },
});

const workerRowShape = {
  id: z.string(),
  status: z.string().describe("RUNNING, IDLE, INITIALIZING, THROTTLED or UNHEALTHY"),
  gpu_type: z.string().nullable().describe("GPU type id; null until placed or for CPU"),
  data_center: z.string().nullable(),
  uptime_s: z.number().nullable(),
  is_stale: z.boolean().describe("Runs an older endpoint configuration"),
};

function workerRow(worker: Worker) {
  return {
    id: worker.id,
    status: worker.status,
    gpu_type: worker.gpuTypeId ?? null,
    data_center: worker.dataCenterId ?? null,
    uptime_s: worker.uptimeSeconds ?? null,
    is_stale: worker.isStale,
  };
}

/** `list_endpoint_workers`: an endpoint's active workers. */
export const listEndpointWorkersTool = defineTool({
  name: "list_endpoint_workers",
  title: "List serverless endpoint workers",
  description:
    "Lists a serverless endpoint's active workers: status (RUNNING, IDLE, INITIALIZING, THROTTLED, UNHEALTHY), GPU type, data center, uptime in seconds and whether it runs an older configuration. Scaled-down workers are not shown. Use it to see a cold start or a rollout progress.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: { endpoint_id: endpointIdArg },
  output: {
    workers: z.array(z.object(workerRowShape)),
    summary: z.object(summaryShape),
    endpoint_version: z.number().nullable().describe("Current configuration version"),
  },
  async run(args, ctx) {
    checkEndpointId(args.endpoint_id, "list workers of");
    const result = await listEndpointWorkers(ctx.runpod, args.endpoint_id, ctx.signal);
    const rows = result.workers.map(workerRow);
    const s = result.summary;
    const summary = rows.length === 0
      ? `Endpoint ${args.endpoint_id} has no active workers; they start when jobs arrive (or set workers_min > 0 with update_endpoint, which is billed while idle).`
      : `Endpoint ${args.endpoint_id}: ${s.total} worker(s), ${s.running} running, ${s.idle} idle, ${
        s.initializing + s.throttled
      } starting, ${s.unhealthy} unhealthy:\n` +
        rows.map((r) =>
          `${r.id} ${r.status}${r.gpu_type ? `, ${r.gpu_type}` : ""}${
            r.data_center ? ` in ${r.data_center}` : ""
          }${r.uptime_s !== null ? `, up ${r.uptime_s} s` : ""}${r.is_stale ? ", stale" : ""}`
        ).join("\n");
    return {
      summary,
      data: {
        workers: rows,
        summary: {
          running: s.running,
          idle: s.idle,
          initializing: s.initializing,
          throttled: s.throttled,
          unhealthy: s.unhealthy,
          total: s.total,
        },
        endpoint_version: result.endpointVersion ?? null,
      },
    };
  },
});
