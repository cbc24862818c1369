/**
 * Flat create/update_endpoint arguments → RunPod's nested v2 bodies: GPU names become serverless
 * pools, exclusions are checked against those pools (and carried over when the pools change),
 * scaling and worker bounds are judged the way RunPod would, before anything is sent.
 *
 * @module
 */

import { withMarker } from "../policy/protect.ts";
import { z } from "zod";
import {
  type CreateEndpointBody,
  type Endpoint,
  FLASHBOOT_MODES,
  SCALING_TYPES,
  type ScalingBody,
  type UpdateEndpointBody,
} from "../runpod/endpoints.ts";
import type { GpuType } from "../runpod/mod.ts";
import {
  DATA_CENTER_ID,
  envArg,
  type EnvCheckContext,
  idString,
  imageArg,
  portsArg,
  resolveEnvWrite,
} from "./_args.ts";
import { ToolInputError } from "./_define.ts";
import { resolveGpuType } from "./_gpu.ts";

const POOL_LIKE = /^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$/;
const isPowerOfTwo = (n: number) => n >= 1 && (n & (n - 1)) === 0;

/** Arguments shared by create_endpoint and update_endpoint (all optional here). */
export const configArgs = {
  image: imageArg().optional().describe(
    "Image, e.g. runpod/worker-v1-vllm:v2.7.0",
  ),
  template_id: idString("template id")
    .max(64).optional().describe(
      "Template id, e.g. 30zmvf89kd",
    ),
  registry_id: idString("registry id")
    .max(64).optional().describe(
      "Registry auth id, e.g. cm0ab12cd",
    ),
  gpu_types: z.array(z.string().trim().min(2).max(100)).min(1).max(20).optional().describe(
    'GPUs or pools, best first, e.g. ["RTX 4090","AMPERE_48"]',
  ),
  excluded_gpu_types: z.array(z.string().trim().min(2).max(100)).max(40).optional().describe(
    'GPUs to skip, e.g. ["NVIDIA L4"]',
  ),
  gpu_count: z.number().int().min(1).max(16).optional().describe(
    "GPUs per worker, e.g. 1",
  ),
  cpu_flavor: z.string().trim().regex(/^cpu\d[a-z]$/, "use a flavor id like cpu5c").optional()
    .describe("CPU flavor, e.g. cpu5c"),
  vcpu_count: z.number().int().min(2).max(128).optional().describe(
    "vCPUs, power of 2, e.g. 4",
  ),
  workers_min: z.number().int().min(0).max(100).optional().describe(
    "Always-on, billed idle, e.g. 0",
  ),
  workers_max: z.number().int().min(0).max(100).optional().describe(
    "Max workers, e.g. 3",
  ),
  idle_timeout_s: z.number().int().min(1).max(3600).optional().describe(
    "Idle s before scale-down, e.g. 5",
  ),
  scaling_type: z.enum(SCALING_TYPES).optional().describe(
    "Scaling rule, e.g. QUEUE_DELAY",
  ),
  scaling_value: z.number().positive().max(3600).optional().describe(
    "Delay s or requests/worker, e.g. 4",
  ),
  flashboot: z.enum(FLASHBOOT_MODES).optional().describe(
    "Faster cold starts, e.g. FLASHBOOT",
  ),
  execution_timeout_s: z.number().int().min(1).max(604_800).optional().describe(
    "Job time limit s, e.g. 600",
  ),
  network_volume_ids: z.array(idString("network volume id")).max(10).optional()
    .describe('Volume ids, e.g. ["agv6w2qcg7"]'),
  data_center_ids: z.array(z.string().regex(DATA_CENTER_ID)).max(30).optional().describe(
    'Data centers, e.g. ["US-KS-2"]',
  ),
  env: envArg.optional().describe(
    'Env vars; "[masked]" keeps a stored secret, e.g. {"MODEL_NAME":"Qwen/Qwen3-8B"}',
  ),
  container_disk_gb: z.number().int().min(1).max(2000).optional().describe(
    "Disk GB, e.g. 20",
  ),
  ports: portsArg.optional().describe(
    'Ports (LOAD_BALANCER), e.g. ["8000/http"]',
  ),
};

/** The config arguments as a handler receives them. */
export type ConfigArgs = z.output<z.ZodObject<typeof configArgs>>;

/** Arguments that change the container, which rolls out as workers are replaced. */
export const CONTAINER_ARGS: readonly string[] = [
  "image",
  "template_id",
  "registry_id",
  "env",
  "container_disk_gb",
  "ports",
];

function unknownPool(input: string, known: Map<string, string>, verb: string): ToolInputError {
  return new ToolInputError(
    `Cannot ${verb} endpoint: "${
      input.slice(0, 80)
    }" is neither a GPU type nor a serverless pool; pools are ${
      [...new Set(known.values())].join(", ")
    } (list_gpu_types with product=SERVERLESS shows which GPUs each holds)`,
  );
}

/** GPU names/ids or pool ids → pool ids (deduplicated, in the given order). */
export function resolvePools(
  gpus: readonly GpuType[],
  inputs: readonly string[],
  verb: string,
): string[] {
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
          throw unknownPool(input, known, verb);
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

/** True when some GPU of `pools` is left once `excluded` type ids are taken out. */
function leavesSome(gpus: readonly GpuType[], pools: readonly string[], excluded: string[]) {
  return gpus.some((g) => g.pool !== null && pools.includes(g.pool) && !excluded.includes(g.id));
}

/** Excluded GPU names/ids → type ids, each checked to lie in `pools`, leaving some GPU over. */
export function resolveExcluded(
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
  if (!leavesSome(gpus, pools, ids)) {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: excluded_gpu_types removes every GPU of ${
        pools.join(", ")
      }; exclude fewer or add a pool`,
    );
  }
  return ids;
}

/** The current exclusions split by whether they still belong to the new `pools`. */
export interface CarriedExclusions {
  kept: string[];
  dropped: string[];
}

/**
 * Which of an endpoint's exclusions survive a change of pools: those whose GPU is in one of the
 * new pools (RunPod clears exclusions that are not restated with the pools). If keeping them all
 * would leave no GPU, none is kept.
 */
export function carryExclusions(
  gpus: readonly GpuType[],
  current: readonly string[],
  pools: readonly string[],
): CarriedExclusions {
  const poolOf = new Map(gpus.map((g) => [g.id, g.pool]));
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const id of current) {
    const pool = poolOf.get(id.trim());
    if (pool && pools.includes(pool)) kept.push(id.trim());
    else dropped.push(id);
  }
  if (kept.length > 0 && !leavesSome(gpus, pools, kept)) return { kept: [], dropped: [...current] };
  return { kept, dropped };
}

/** `EndpointScaling` from a type and value, refused where RunPod would refuse it. */
export function scalingBody(
  type: ScalingBody["type"],
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

/** Refuses an idle timeout on a QUEUE endpoint that scales on REQUEST_COUNT (RunPod's 422). */
export function checkIdleTimeout(
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

/** Refuses a vCPU count that is not a power of 2. */
export function checkVcpu(vcpu: number, verb: string): void {
  if (!isPowerOfTwo(vcpu)) {
    throw new ToolInputError(
      `Cannot ${verb} endpoint: vcpu_count must be a power of 2 (2, 4, 8, …), got ${vcpu}`,
    );
  }
}

/** The optional container and placement fields of a create body. */
export function createExtras(args: ConfigArgs, body: CreateEndpointBody): void {
  if (args.image) body.image = args.image;
  if (args.template_id) body.templateId = args.template_id;
  if (args.registry_id) body.registry = args.registry_id;
  body.env = withMarker(args.env);
  if (args.container_disk_gb !== undefined) body.disk = args.container_disk_gb;
  if (args.ports?.length) body.ports = args.ports;
  if (args.data_center_ids?.length) body.dataCenterIds = args.data_center_ids;
  if (args.network_volume_ids?.length) body.networkVolumes = args.network_volume_ids;
  if (args.flashboot) body.flashboot = args.flashboot;
}

/**
 * The `gpu` patch of an update, `undefined` when no GPU argument was given. New pools keep the
 * current exclusions that still belong to them unless `excluded_gpu_types` says otherwise;
 * `notes` say what was kept, dropped or restated.
 */
export async function gpuPatch(
  args: ConfigArgs,
  current: Endpoint,
  gpus: () => Promise<readonly GpuType[]>,
  notes: string[],
): Promise<UpdateEndpointBody["gpu"]> {
  if (!current.gpu) return undefined;
  const gpu: NonNullable<UpdateEndpointBody["gpu"]> = {};
  let pools: string[] | undefined;
  if (args.gpu_types !== undefined) {
    pools = resolvePools(await gpus(), args.gpu_types, "update");
    if (args.excluded_gpu_types === undefined) {
      const carried = carryExclusions(await gpus(), current.gpu.excludedTypes ?? [], pools);
      if (carried.kept.length > 0) gpu.excludedTypes = carried.kept;
      if (carried.kept.length > 0) {
        notes.push(`Kept excluded GPU types still in the new pools: ${carried.kept.join(", ")}.`);
      }
      if (carried.dropped.length > 0) {
        notes.push(
          `Dropped excluded GPU types outside the new pools: ${carried.dropped.join(", ")}.`,
        );
      }
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
    gpu.excludedTypes = resolveExcluded(await gpus(), args.excluded_gpu_types, pools, "update");
  }
  if (args.gpu_count !== undefined) gpu.count = args.gpu_count;
  return gpu;
}

/** The `scaling` patch of an update (undefined when unchanged) and the scaling type in force. */
export function scalingPatch(
  args: ConfigArgs,
  current: Endpoint,
): { scaling?: ScalingBody; scalingType: string } {
  if (args.scaling_type === undefined && args.scaling_value === undefined) {
    return { scalingType: current.scaling.type };
  }
  const known = (SCALING_TYPES as readonly string[]).includes(current.scaling.type)
    ? current.scaling.type as ScalingBody["type"]
    : undefined;
  const wanted = args.scaling_type ?? known;
  if (wanted === undefined) {
    throw new ToolInputError(
      `Cannot update endpoint: it scales on ${current.scaling.type}, which runpod-mcp does not know; give scaling_type too`,
    );
  }
  const value = args.scaling_value ??
    (wanted === current.scaling.type
      ? (wanted === "QUEUE_DELAY" ? current.scaling.queueDelay : current.scaling.requestCount)
      : undefined);
  if (value === undefined) {
    throw new ToolInputError(
      `Cannot update endpoint: give scaling_value with scaling_type=${wanted} (${
        wanted === "QUEUE_DELAY" ? "seconds of queue wait, e.g. 4" : "requests per worker, e.g. 4"
      })`,
    );
  }
  const scaling = scalingBody(wanted, value, current.type ?? "QUEUE", "update");
  return { scaling, scalingType: wanted };
}

/** The `cpu` patch of an update, completing a half-given config from the current one. */
export function cpuPatch(args: ConfigArgs, current: Endpoint): UpdateEndpointBody["cpu"] {
  if (args.cpu_flavor === undefined && args.vcpu_count === undefined) return undefined;
  const first = current.cpu?.[0];
  const flavor = args.cpu_flavor ?? first?.id;
  const vcpu = args.vcpu_count ?? first?.vcpuCount;
  if (flavor === undefined || vcpu === undefined) {
    throw new ToolInputError(
      "Cannot update endpoint: give both cpu_flavor and vcpu_count for the new CPU config",
    );
  }
  return [{ id: flavor, vcpuCount: vcpu }];
}

/** The `workers` patch of an update, undefined when no worker argument was given. */
export function workersPatch(args: ConfigArgs): UpdateEndpointBody["workers"] {
  if (
    args.workers_min === undefined && args.workers_max === undefined &&
    args.idle_timeout_s === undefined
  ) return undefined;
  const workers: NonNullable<UpdateEndpointBody["workers"]> = {};
  if (args.workers_min !== undefined) workers.min = args.workers_min;
  if (args.workers_max !== undefined) workers.max = args.workers_max;
  if (args.idle_timeout_s !== undefined) workers.idleTimeout = args.idle_timeout_s;
  return workers;
}

/**
 * Copies the container and placement arguments into an update body; an env placeholder keeps the
 * stored value. Returns the env keys whose stored value was kept.
 */
export async function containerPatch(
  args: ConfigArgs & { name?: string | undefined },
  current: Endpoint,
  body: UpdateEndpointBody,
  ctx: EnvCheckContext,
): Promise<string[]> {
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
      ctx,
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
  return kept;
}
