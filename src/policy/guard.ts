/**
 * The guard every state-changing RunPod request passes through before it is sent: read-only
 * mode, spend caps, confirmation (an elicitation form, or a signed token when the client has no
 * forms) and dry runs. It sees the exact request the tool is about to send, so no tool needs
 * guard code of its own.
 *
 * @module
 */

import {
  getEndpoint,
  getNetworkVolume,
  getPod,
  type GpuType,
  type PlannedRequest,
  type RunpodClient,
} from "../runpod/mod.ts";
import { accountBurn, processSpendLedger, type SpendLedger } from "./burn.ts";
import { describeWrite, type MatchedWrite } from "./writes.ts";
import {
  endpointHourlyCosts,
  type EndpointPricing,
  HOURS_PER_MONTH,
  networkVolumeMonthlyCost,
  podHourlyPrice,
  type PriceCatalog,
  round4,
} from "./estimate.ts";
import { settingName } from "../settings.ts";

/** Refusals name a cap's flag and env var inside parentheses. */
const IN_PARENS = { inParentheses: true } as const;

/** When to ask the user before acting. */
export const CONFIRM_MODES = ["never", "destructive", "billable-and-destructive"] as const;

/** One of {@linkcode CONFIRM_MODES}. */
export type ConfirmMode = typeof CONFIRM_MODES[number];

/** Server-enforced limits and modes, from flags and env. */
export interface PolicyOptions {
  readOnly: boolean;
  confirm: ConfirmMode;
  /** Largest USD/hour one resource may cost (for endpoints: with every worker busy). */
  maxHourlyCost?: number;
  /**
   * Largest USD/hour the account may burn: its burn (pods starting, always-on workers, storage),
   * plus creates in flight, plus the new resource.
   */
  maxTotalHourlyCost?: number;
  /** Most GPUs per pod or per serverless worker. */
  maxGpuCount?: number;
  /** GPU type ids or names a pod or endpoint may use. */
  allowedGpuTypes?: readonly string[];
  /** Data centers resources may be placed in. */
  allowedDataCenters?: readonly string[];
  /** Most workers (workers_max) per serverless endpoint. */
  maxWorkers?: number;
  /**
   * Refuse destructive or billable changes to resources runpod-mcp did not create (no creation
   * marker), so an agent cannot touch what the user made by hand.
   */
  protectExisting?: boolean;
}

/** The default policy: everything allowed, confirmation for billable and destructive calls. */
export const DEFAULT_POLICY: PolicyOptions = {
  readOnly: false,
  confirm: "billable-and-destructive",
};

/** How a request affects money and data. */
export type RequestKind = "billable" | "destructive" | "plain";

/** What a request will do, in words, and what it costs. */
export interface RequestAssessment {
  kind: RequestKind;
  /** E.g. `create a pod with 1× NVIDIA GeForce RTX 4090 on SECURE cloud`. */
  action: string;
  /** USD/hour it adds for sure (a pod's rate, an endpoint's always-on workers, storage). */
  hourly?: number;
  /** USD/hour at worst (an endpoint with every worker busy); defaults to `hourly`. */
  worstHourly?: number;
  /** USD/month, for storage. */
  monthly?: number;
  /** Facts the caps check. */
  gpuTypeIds?: string[];
  gpuCount?: number;
  /** Data centers the resource may land in; `undefined` = anywhere (the scheduler chooses). */
  dataCenters?: string[];
  workersMax?: number;
}

/** Why a guarded call stopped before anything was sent. */
export type GuardStopKind =
  | "read-only"
  | "refused"
  | "dry-run"
  | "confirm"
  | "ask"
  | "declined"
  | "unknown-write";

/**
 * What a dry run or a confirmation request tells the model and the client, as data: nothing was
 * sent, what the call would do, what it costs and, for a confirmation, the token, its expiry and
 * the arguments it approves. Flat and small: it is part of every write tool's output schema.
 */
export interface GuardOutcome {
  status: "dry_run" | "confirmation_required";
  action: string;
  kind: RequestKind;
  cost: string;
  usd_per_hour?: number;
  /** With every serverless worker busy. */
  usd_per_hour_max?: number;
  usd_per_month?: number;
  /** Dry run: what the guard would do with the call. */
  verdict?: string;
  /** Dry run: the exact request (method, path, query, body), secrets masked. */
  request?: Record<string, unknown>;
  token?: string;
  /** ISO 8601. */
  expires_at?: string;
  /** The arguments the token approves, secrets masked; any change needs a new token. */
  approves?: Record<string, unknown>;
  /** Why the token sent with this call was not accepted. */
  previous_token?: "malformed" | "expired" | "used" | "mismatch";
  next_step: string;
}

/**
 * Thrown by the gate to stop a call before anything is sent. A dry run and a confirmation request
 * carry a {@linkcode GuardOutcome} and become normal results; the other kinds are refusals.
 */
export class GuardStop extends Error {
  override name = "GuardStop";
  constructor(
    readonly kind: GuardStopKind,
    message: string,
    readonly outcome?: GuardOutcome,
  ) {
    super(message);
  }
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? value as Record<string, unknown> : {};
}

function money(usd: number | undefined): string {
  return usd === undefined ? "unknown" : `$${usd.toFixed(2)}`;
}

/**
 * The kind a matched write has before any pricing: `billable-if-raised` rows count as billable
 * until pricing shows they add nothing, so no cap or confirmation is skipped on a guess.
 */
export function provisionalKind(matched: MatchedWrite): RequestKind {
  const kind = matched.rule.kind;
  return kind === "billable-if-raised" ? "billable" : kind;
}

/** True when any cap is set, so every billable request must be priced. */
export function hasCaps(policy: PolicyOptions): boolean {
  return policy.maxHourlyCost !== undefined || policy.maxTotalHourlyCost !== undefined ||
    policy.maxGpuCount !== undefined || policy.allowedGpuTypes !== undefined ||
    policy.allowedDataCenters !== undefined || policy.maxWorkers !== undefined;
}

/**
 * Describes and prices one write, by its row's price rule. Reads RunPod (catalog, the resource)
 * as needed.
 */
export async function assessRequest(
  matched: MatchedWrite,
  request: PlannedRequest,
  runpod: RunpodClient,
  catalog: PriceCatalog,
  signal?: AbortSignal,
): Promise<RequestAssessment> {
  const { rule, params } = matched;
  const body = obj(request.body);
  switch (rule.price) {
    case "pod-create":
      return await assessPodCreate(body, catalog);
    case "pod-start":
      return await assessPodStart(params.id!, runpod, catalog, signal);
    case "endpoint":
      return await assessEndpoint(matched, body, runpod, catalog, signal);
    case "network-volume":
      return await assessNetworkVolume(matched, body, runpod, signal);
    case "cluster":
      return await assessClusterCreate(body, catalog);
    case "unpriced":
      return { kind: "billable", action: describeWrite(matched) };
    case "none":
      return { kind: provisionalKind(matched), action: describeWrite(matched) };
  }
}

async function assessPodCreate(
  body: Record<string, unknown>,
  catalog: PriceCatalog,
): Promise<RequestAssessment> {
  const gpu = obj(body.gpu);
  const cpu = obj(body.cpu);
  const pricing = body.gpu
    ? {
      gpu: { id: String(gpu.id), count: Number(gpu.count ?? 1) },
      cloud: String(body.cloud ?? "SECURE"),
    }
    : { cpu: { id: String(cpu.id), vcpuCount: Number(cpu.vcpuCount ?? 1) }, cloud: "SECURE" };
  const hourly = await podHourlyPrice(pricing, catalog) ?? undefined;
  const hw = pricing.gpu
    ? `${pricing.gpu.count}× ${pricing.gpu.id}`
    : `${pricing.cpu?.vcpuCount} vCPU ${pricing.cpu?.id}`;
  const dcs = Array.isArray(body.dataCenterIds) && body.dataCenterIds.length > 0
    ? body.dataCenterIds.map(String)
    : undefined;
  return {
    kind: "billable",
    action: `create pod "${body.name}" with ${hw} on ${pricing.cloud} cloud`,
    ...(hourly !== undefined ? { hourly } : {}),
    ...(pricing.gpu ? { gpuTypeIds: [pricing.gpu.id], gpuCount: pricing.gpu.count } : {}),
    ...(dcs ? { dataCenters: dcs } : {}),
  };
}

/**
 * A cluster is `podCount` identical pods on SECURE cloud, so it costs podCount × the price of one
 * pod, and the GPU-count cap applies per pod, as for create_pod.
 */
async function assessClusterCreate(
  body: Record<string, unknown>,
  catalog: PriceCatalog,
): Promise<RequestAssessment> {
  const compute = obj(body.compute);
  const gpu = { id: String(compute.gpuTypeId), count: Number(compute.gpuCountPerPod ?? 1) };
  const pods = Number(compute.podCount ?? 0);
  const perPod = await podHourlyPrice({ gpu, cloud: "SECURE" }, catalog);
  const dcs = Array.isArray(body.dataCenterIds) && body.dataCenterIds.length > 0
    ? body.dataCenterIds.map(String)
    : undefined;
  return {
    kind: "billable",
    action: `create Instant Cluster "${body.name}" with ${pods} pods × ${gpu.count}× ${gpu.id}`,
    ...(perPod !== null ? { hourly: round4(perPod * pods) } : {}),
    gpuTypeIds: [gpu.id],
    gpuCount: gpu.count,
    ...(dcs ? { dataCenters: dcs } : {}),
  };
}

async function assessPodStart(
  id: string,
  runpod: RunpodClient,
  catalog: PriceCatalog,
  signal?: AbortSignal,
): Promise<RequestAssessment> {
  const pod = await getPod(runpod, id, signal);
  const pricing = pod.gpu
    ? { gpu: { id: pod.gpu.id, count: pod.gpu.count ?? 1 }, cloud: pod.cloud }
    : pod.cpu
    ? { cpu: { id: pod.cpu.id, vcpuCount: pod.cpu.vcpuCount }, cloud: pod.cloud }
    : {};
  const hourly = await podHourlyPrice(pricing, catalog) ?? undefined;
  return {
    kind: "billable",
    action: `start pod ${id} ("${pod.name}")`,
    ...(hourly !== undefined ? { hourly } : {}),
    ...(pod.gpu ? { gpuTypeIds: [pod.gpu.id], gpuCount: pod.gpu.count ?? 1 } : {}),
    ...(pod.dataCenterId ? { dataCenters: [pod.dataCenterId] } : {}),
  };
}

async function assessEndpoint(
  matched: MatchedWrite,
  body: Record<string, unknown>,
  runpod: RunpodClient,
  catalog: PriceCatalog,
  signal?: AbortSignal,
): Promise<RequestAssessment> {
  const id = matched.params.id;
  let current: EndpointPricing | undefined;
  let currentDcs: string[] | undefined;
  if (id !== undefined) {
    const ep = await getEndpoint(runpod, id, signal);
    current = { gpu: ep.gpu ?? null, cpu: ep.cpu ?? null, workers: ep.workers };
    currentDcs = ep.dataCenterIds && ep.dataCenterIds.length > 0
      ? [...ep.dataCenterIds]
      : undefined;
  }
  const gpu = body.gpu
    ? { ...obj(current?.gpu), ...obj(body.gpu) } as EndpointPricing["gpu"]
    : current?.gpu;
  const workers = { ...(current?.workers ?? { min: 0, max: 3 }), ...obj(body.workers) } as {
    min: number;
    max: number;
  };
  const next: EndpointPricing = {
    gpu: gpu ?? null,
    cpu: (body.cpu as EndpointPricing["cpu"]) ?? current?.cpu ?? null,
    workers,
  };
  const costs = await endpointHourlyCosts(next, catalog);
  const before = current ? await endpointHourlyCosts(current, catalog) : undefined;
  // An unknown price after the change counts as a raise: never guess toward spending.
  const raises = !before || costs.alwaysOn === null || costs.atMax === null ||
    costs.alwaysOn > (before.alwaysOn ?? 0) || costs.atMax > (before.atMax ?? 0);
  const gpus = next.gpu ? await typesInPools(next.gpu, catalog) : undefined;
  const dcs = Array.isArray(body.dataCenterIds) && body.dataCenterIds.length > 0
    ? body.dataCenterIds.map(String)
    : currentDcs;
  return {
    kind: matched.rule.kind === "billable" || raises ? "billable" : "plain",
    action: id === undefined
      ? `create serverless endpoint "${body.name}" with ${workers.min}-${workers.max} workers`
      : `update serverless endpoint ${id} (workers ${workers.min}-${workers.max})`,
    ...(costs.alwaysOn !== null ? { hourly: costs.alwaysOn } : {}),
    ...(costs.atMax !== null ? { worstHourly: costs.atMax } : {}),
    ...(gpus ? { gpuTypeIds: gpus } : {}),
    ...(next.gpu ? { gpuCount: next.gpu.count ?? 1 } : {}),
    ...(dcs ? { dataCenters: dcs } : {}),
    workersMax: workers.max,
  };
}

async function assessNetworkVolume(
  matched: MatchedWrite,
  body: Record<string, unknown>,
  runpod: RunpodClient,
  signal?: AbortSignal,
): Promise<RequestAssessment> {
  const id = matched.params.id;
  let currentSize = 0;
  let type = String(body.type ?? "STANDARD");
  let dc = body.dataCenter === undefined ? undefined : String(body.dataCenter);
  if (id !== undefined) {
    const volume = await getNetworkVolume(runpod, id, signal);
    currentSize = volume.size;
    type = volume.type ?? "STANDARD";
    dc = volume.dataCenter;
  }
  const size = body.size === undefined ? currentSize : Number(body.size);
  const monthly = networkVolumeMonthlyCost(size, type);
  const grows = size > currentSize;
  return {
    kind: matched.rule.kind === "billable" || grows ? "billable" : "plain",
    action: id === undefined
      ? `create a ${size} GB ${type} network volume in ${dc}`
      : grows
      ? `grow network volume ${id} from ${currentSize} GB to ${size} GB`
      : `update network volume ${id}`,
    monthly,
    hourly: round4(monthly / HOURS_PER_MONTH),
    ...(dc ? { dataCenters: [dc] } : {}),
  };
}

async function typesInPools(
  gpu: NonNullable<EndpointPricing["gpu"]>,
  catalog: PriceCatalog,
): Promise<string[]> {
  const excluded = gpu.excludedTypes ?? [];
  return (await catalog.gpus())
    .filter((g) => g.pool !== null && gpu.pools.includes(g.pool) && !excluded.includes(g.id))
    .map((g) => g.id);
}

function squash(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function allowedGpu(gpu: GpuType | undefined, id: string, allowed: readonly string[]): boolean {
  const names = [id, gpu?.name ?? ""].map(squash);
  return allowed.some((entry) => names.includes(squash(entry)));
}

/**
 * Checks an assessed request against the caps. Returns the refusal text, or undefined when the
 * request is within every cap. Reads the current burn only when a total cap is set.
 */
export async function checkCaps(
  assessment: RequestAssessment,
  policy: PolicyOptions,
  runpod: RunpodClient,
  catalog: PriceCatalog,
  signal?: AbortSignal,
  ledger: SpendLedger = processSpendLedger,
): Promise<string | undefined> {
  if (assessment.kind !== "billable") return undefined;
  const what = `Cannot ${assessment.action}`;
  const worst = assessment.worstHourly ?? assessment.hourly;
  if (policy.maxHourlyCost !== undefined) {
    if (worst === undefined) {
      return `${what}: its hourly cost is unknown, so the per-resource cap of ${
        money(policy.maxHourlyCost)
      }/h (${settingName("maxHourlyCost", IN_PARENS)}) cannot be checked`;
    }
    if (worst > policy.maxHourlyCost) {
      return `${what}: it would cost about ${money(worst)}/h${
        assessment.worstHourly !== undefined ? " with every worker busy" : ""
      }, above the per-resource cap of ${money(policy.maxHourlyCost)}/h (${
        settingName("maxHourlyCost", IN_PARENS)
      }). Choose a cheaper GPU, fewer GPUs or workers, or ask the user to raise the cap`;
    }
  }
  if (policy.maxGpuCount !== undefined && (assessment.gpuCount ?? 0) > policy.maxGpuCount) {
    return `${what}: it asks for ${assessment.gpuCount} GPUs, above the cap of ${policy.maxGpuCount} (${
      settingName("maxGpuCount", IN_PARENS)
    })`;
  }
  if (policy.maxWorkers !== undefined && (assessment.workersMax ?? 0) > policy.maxWorkers) {
    return `${what}: workers_max ${assessment.workersMax} is above the cap of ${policy.maxWorkers} (${
      settingName("maxWorkers", IN_PARENS)
    })`;
  }
  if (policy.allowedGpuTypes && assessment.gpuTypeIds) {
    const gpus = await catalog.gpus();
    const banned = assessment.gpuTypeIds.filter((id) =>
      !allowedGpu(gpus.find((g) => g.id === id), id, policy.allowedGpuTypes!)
    );
    if (banned.length > 0) {
      return `${what}: it could run on ${banned.join(", ")}, which ${
        banned.length === 1 ? "is" : "are"
      } not in the allowed GPU types (${policy.allowedGpuTypes.join(", ")}; ${
        settingName("allowedGpuTypes", IN_PARENS)
      })${
        assessment.workersMax !== undefined
          ? ". Exclude them with excluded_gpu_types or pick other pools"
          : ""
      }`;
    }
  }
  if (policy.allowedDataCenters) {
    const allowed = policy.allowedDataCenters;
    const where = assessment.dataCenters;
    if (!where) {
      return `${what}: resources may only be placed in ${allowed.join(", ")} (${
        settingName("allowedDataCenters", IN_PARENS)
      }); pass data_center_ids with some of them`;
    }
    const outside = where.filter((dc) => !allowed.includes(dc));
    if (outside.length > 0) {
      return `${what}: ${outside.join(", ")} ${
        outside.length === 1 ? "is" : "are"
      } not among the allowed data centers (${allowed.join(", ")}; ${
        settingName("allowedDataCenters", IN_PARENS)
      })`;
    }
  }
  if (policy.maxTotalHourlyCost !== undefined) {
    // Checked here without holding anything, so a call the cap would refuse is never confirmed;
    // the gate holds the share for real, in one step with the check, right before sending.
    const { refusal, release } = await reserveTotal(
      assessment,
      policy,
      runpod,
      catalog,
      signal,
      ledger,
    );
    release?.();
    if (refusal) return refusal;
  }
  return undefined;
}

/**
 * Holds this write's share of the total cap (`--max-total-hourly-cost`) until the write settles:
 * the account's burn (pods starting count, see {@linkcode accountBurn}) plus what other calls
 * have in flight plus this write must fit under the cap, decided in one step, so two parallel
 * creates cannot both fit under the last dollar. Returns the refusal, or the release to call when
 * the write settles. An unknown cost or a burn that cannot be fully priced is refused.
 */
export async function reserveTotal(
  assessment: RequestAssessment,
  policy: PolicyOptions,
  runpod: RunpodClient,
  catalog: PriceCatalog,
  signal?: AbortSignal,
  ledger: SpendLedger = processSpendLedger,
): Promise<{ refusal?: string; release?: () => void }> {
  const cap = policy.maxTotalHourlyCost;
  if (cap === undefined || assessment.kind !== "billable") return {};
  const what = `Cannot ${assessment.action}`;
  const flag = settingName("maxTotalHourlyCost", IN_PARENS);
  if (assessment.hourly === undefined) {
    return {
      refusal: `${what}: its hourly cost is unknown, so the total cap of ${
        money(cap)
      }/h (${flag}) cannot be checked`,
    };
  }
  const result = await ledger.reserve(
    assessment.hourly,
    cap,
    () => accountBurn(runpod, catalog, signal),
  );
  if (result.ok) return { release: () => result.reservation.release() };
  if (result.reason === "incomplete") {
    return {
      refusal: `${what}: the account's current burn cannot be fully priced (${
        result.burn.missing.join("; ")
      }), so the total cap of ${money(cap)}/h (${flag}) cannot be checked`,
    };
  }
  if (result.reason === "state-unavailable") {
    return {
      refusal: `${what}: the total cap of ${
        money(cap)
      }/h (${flag}) cannot be checked because the shared spend ledger is unavailable (${
        result.detail ?? "no answer"
      }). Nothing was held; retry when the shared state answers (${
        settingName("stateUrl", IN_PARENS)
      })`,
    };
  }

  const inFlight = result.reservedUsdPerHour > 0
    ? `, ${money(result.reservedUsdPerHour)}/h more is being created by calls in flight`
    : "";
  return {
    refusal: `${what}: the account already burns ${
      money(result.burn.usdPerHour)
    }/h (pods still starting count)${inFlight}, and this adds about ${
      money(result.addingUsdPerHour)
    }/h, above the total cap of ${
      money(cap)
    }/h (${flag}). Stop something first (get_spend_summary) or ask the user to raise the cap`,
  };
}

/** Whether `mode` asks the user about a request of this kind. */
export function needsConfirmation(mode: ConfirmMode, kind: RequestKind): boolean {
  if (mode === "never" || kind === "plain") return false;
  return mode === "billable-and-destructive" || kind === "destructive";
}

/** Says the estimate in one line. */
export function describeCost(a: RequestAssessment): string {
  if (a.monthly !== undefined) return `about ${money(a.monthly)}/month (${money(a.hourly)}/h)`;
  if (a.worstHourly !== undefined && a.worstHourly !== a.hourly) {
    return `about ${money(a.hourly)}/h always on, up to ${
      money(a.worstHourly)
    }/h with every worker busy`;
  }
  if (a.hourly !== undefined) return `about ${money(a.hourly)}/h`;
  return a.kind === "billable" ? "cost unknown" : "no new cost";
}
