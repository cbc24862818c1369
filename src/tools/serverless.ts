/**
 * Serverless endpoint tools: list, inspect, create, update and delete endpoints. How endpoints are
 * shown lives in `_endpoint_view.ts`; how arguments become RunPod's bodies in `_endpoint_body.ts`.
 *
 * @module
 */

import { z } from "zod";
import { endpointCapacityRequest, onCapacityError } from "./_capacity.ts";
import {
  createEndpoint,
  type CreateEndpointBody,
  deleteEndpoint,
  type Endpoint,
  ENDPOINT_TYPES,
  getEndpoint,
  listEndpoints,
  listEndpointWorkers,
  updateEndpoint,
  type UpdateEndpointBody,
} from "../runpod/endpoints.ts";
import { recoveryNote } from "../runpod/mod.ts";
import { type PriceCatalog, priceCatalog, round4 } from "../policy/estimate.ts";
import { checkNewEnv, checkPorts, keptNote, nameArg } from "./_args.ts";
import {
  CREATES,
  defineTool,
  DESTRUCTIVE,
  READ_ONLY,
  type ToolContext,
  ToolInputError,
} from "./_define.ts";
import {
  checkIdleTimeout,
  checkVcpu,
  type ConfigArgs,
  configArgs,
  CONTAINER_ARGS,
  containerPatch,
  cpuPatch,
  createExtras,
  gpuPatch,
  resolveExcluded,
  resolvePools,
  scalingBody,
  scalingPatch,
  workersPatch,
} from "./_endpoint_body.ts";
import {
  alwaysOnCost,
  costText,
  describeRow,
  endpointDetail,
  endpointDetailShape,
  type EndpointRow,
  endpointRow,
  endpointRowShape,
  hardware,
  workerSummaryShape as summaryShape,
} from "./_endpoint_view.ts";
import { checkId } from "./_id_check.ts";

export { alwaysOnCost, endpointDetail, endpointRow };

/** RunPod stores 0 when `timeout` is omitted, so a default is always sent (API-NOTES §3.8). */
const DEFAULT_EXECUTION_TIMEOUT_S = 600;
const DEFAULT_SCALING_VALUE = 4;

/**
 * The endpoint create/update_endpoint return. Only what a program branches on is declared (every
 * declared field costs tools/list bytes); the full detail get_endpoint declares comes along.
 */
const endpointRef = z.looseObject({
  id: z.string(),
  name: z.string(),
  request_urls: endpointDetailShape.request_urls,
});

/** `endpoint_id` of an endpoint tool. */
export const endpointIdArg = z.string().trim().min(1).max(64).describe(
  "Endpoint id, e.g. 7yl8ixqrjcbrq2",
);

function catalogOf(ctx: ToolContext): PriceCatalog {
  return priceCatalog(ctx.runpod, ctx.signal);
}

/** Refuses a malformed endpoint id before it reaches a RunPod path. */
export function checkEndpointId(id: string, verb: string): void {
  checkId(id, "endpoint", `${verb} endpoint`);
}

/** `list_endpoints`: every serverless endpoint on the account, compact. */
export const listEndpointsTool = defineTool({
  name: "list_endpoints",
  title: "List endpoints",
  description:
    "Lists serverless endpoints: compute, workers, always-on cost (USD/hour, billed with no jobs). Then get_endpoint.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: {
    name_contains: z.string().min(1).max(200).optional().describe(
      "Name contains, e.g. vllm",
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
  title: "Get endpoint",
  description:
    "One serverless endpoint: URLs, settings, timeouts (s), env (masked), always-on cost (USD/hour), worker counts.",
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
          starting: s.initializing + s.throttled,
          unhealthy: s.unhealthy,
          total: s.total,
          stale,
        },
      },
    };
  },
});

type CreateArgs = ConfigArgs & { name: string; type: "QUEUE" | "LOAD_BALANCER" };

/** Checks create_endpoint's arguments as a whole and builds the body without compute. */
function baseCreateBody(args: CreateArgs): CreateEndpointBody {
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
  const body: CreateEndpointBody = {
    name: args.name,
    type: args.type,
    workers: { min, max },
    scaling,
    timeout: (args.execution_timeout_s ?? DEFAULT_EXECUTION_TIMEOUT_S) * 1000,
  };
  if (args.idle_timeout_s !== undefined) body.workers.idleTimeout = args.idle_timeout_s;
  createExtras(args, body);
  return body;
}

/** Adds the GPU pools or the CPU config to a create body. */
async function addCompute(args: CreateArgs, body: CreateEndpointBody, catalog: PriceCatalog) {
  if (args.gpu_types !== undefined) {
    const gpus = await catalog.gpus();
    const pools = resolvePools(gpus, args.gpu_types, "create");
    body.gpu = { pools, count: args.gpu_count ?? 1 };
    if (args.excluded_gpu_types?.length) {
      body.gpu.excludedTypes = resolveExcluded(gpus, args.excluded_gpu_types, pools, "create");
    }
    return;
  }
  if (!args.cpu_flavor || args.vcpu_count === undefined) {
    throw new ToolInputError(
      "Cannot create endpoint: CPU workers need both cpu_flavor and vcpu_count",
    );
  }
  checkVcpu(args.vcpu_count, "create");
  body.cpu = [{ id: args.cpu_flavor, vcpuCount: args.vcpu_count }];
}

/** `create_endpoint`: deploys a serverless endpoint. */
export const createEndpointTool = defineTool({
  name: "create_endpoint",
  title: "Create endpoint",
  description:
    "Deploys a serverless endpoint (image or template_id) on gpu_types or cpu_flavor + vcpu_count; bills per second while up. workers_min > 0 bills USD/hour with no jobs: tell the user.",
  toolset: "serverless",
  annotations: CREATES,
  input: {
    name: nameArg().describe("Name, e.g. vllm-llama-8b"),
    type: z.enum(ENDPOINT_TYPES).default("QUEUE").describe(
      "Fixed later, e.g. QUEUE",
    ),
    ...configArgs,
  },
  output: {
    endpoint: endpointRef,
    cost_note: z.string().describe("What the endpoint costs while idle and while busy"),
    next: z.string(),
  },
  async run(args, ctx) {
    const body = baseCreateBody(args);
    await checkNewEnv(args.env, "create endpoint", ctx);
    const catalog = catalogOf(ctx);
    await addCompute(args, body, catalog);
    const ep = await createEndpoint(ctx.runpod, body, ctx.signal)
      .catch(onCapacityError(ctx, endpointCapacityRequest(body)));
    const recovered = recoveryNote(ep);
    const cost = await alwaysOnCost(ep, catalog);
    const detail = endpointDetail(ep, cost, ctx.showSecrets);
    const { min, max } = body.workers;
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

type UpdateArgs = ConfigArgs & { endpoint_id: string; name?: string | undefined; type?: string };

/** Refuses an update that cannot be right whatever the endpoint is; returns what was given. */
function checkUpdate(args: UpdateArgs): string[] {
  checkEndpointId(args.endpoint_id, "update");
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
  checkPorts(args.ports, "update endpoint");
  if (args.vcpu_count !== undefined) checkVcpu(args.vcpu_count, "update");
  return changed;
}

/** Refuses GPU arguments on a CPU endpoint and the reverse: the compute family is fixed. */
function checkFamily(args: UpdateArgs, current: Endpoint): void {
  const isGpu = current.gpu !== null && current.gpu !== undefined;
  const gpuArgs = args.gpu_types !== undefined || args.excluded_gpu_types !== undefined ||
    args.gpu_count !== undefined;
  const cpuArgs = args.cpu_flavor !== undefined || args.vcpu_count !== undefined;
  if (gpuArgs && !isGpu) {
    throw new ToolInputError(
      `Cannot update endpoint ${current.id}: it runs on CPUs, and the compute family is fixed at creation; change cpu_flavor/vcpu_count, or create a GPU endpoint`,
    );
  }
  if (cpuArgs && isGpu) {
    throw new ToolInputError(
      `Cannot update endpoint ${current.id}: it runs on GPUs, and the compute family is fixed at creation; change gpu_types/gpu_count, or create a CPU endpoint`,
    );
  }
}

/** The PATCH body of an update; `notes` collect what the model should know about it. */
async function updateBody(
  args: UpdateArgs,
  current: Endpoint,
  ctx: ToolContext,
  catalog: PriceCatalog,
  notes: string[],
): Promise<{ body: UpdateEndpointBody; kept: string[] }> {
  checkFamily(args, current);
  const body: UpdateEndpointBody = {};
  const gpu = await gpuPatch(args, current, () => catalog.gpus(), notes);
  const gpuArgs = args.gpu_types !== undefined || args.excluded_gpu_types !== undefined ||
    args.gpu_count !== undefined;
  if (gpuArgs && gpu) body.gpu = gpu;
  const cpu = cpuPatch(args, current);
  if (cpu) body.cpu = cpu;
  const min = args.workers_min ?? current.workers.min;
  const max = args.workers_max ?? current.workers.max;
  if (min > max) {
    throw new ToolInputError(
      `Cannot update endpoint: workers_min would be ${min} but workers_max ${max}; change both`,
    );
  }
  const { scaling, scalingType } = scalingPatch(args, current);
  if (scaling) body.scaling = scaling;
  checkIdleTimeout(current.type ?? "QUEUE", scalingType, args.idle_timeout_s, "update");
  const workers = workersPatch(args);
  if (workers) body.workers = workers;
  const kept = await containerPatch(args, current, body, ctx);
  return { body, kept };
}

/** `update_endpoint`: changes some of an endpoint's settings. */
export const updateEndpointTool = defineTool({
  name: "update_endpoint",
  title: "Update endpoint",
  description:
    "Changes only the given settings (as create_endpoint); env REPLACES all vars. Container changes roll out as workers are replaced. workers_min > 0 bills USD/hour idle.",
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
      "Cannot change, e.g. QUEUE",
    ),
    ...configArgs,
  },
  output: {
    endpoint: endpointRef,
    changed: z.array(z.string()).describe("Arguments that were sent"),
    notes: z.array(z.string()).describe("How RunPod applies the change"),
  },
  async run(args, ctx) {
    const changed = checkUpdate(args);
    const current = await getEndpoint(ctx.runpod, args.endpoint_id, ctx.signal);
    const catalog = catalogOf(ctx);
    const notes: string[] = [];
    const { body, kept } = await updateBody(args, current, ctx, catalog, notes);
    const ep = await updateEndpoint(ctx.runpod, current.id, body, ctx.signal);
    const cost = await alwaysOnCost(ep, catalog);
    if (changed.some((key) => CONTAINER_ARGS.includes(key))) {
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
  title: "Delete endpoint",
  description:
    "Deletes a serverless endpoint and its queued and running jobs; billing ends. No undo. To only stop idle cost: update_endpoint workers_min=0.",
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
