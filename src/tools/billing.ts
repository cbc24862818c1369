/**
 * Money tools: the balance and how long it lasts, billed history per product, and what is
 * burning money right now.
 *
 * @module
 */

import { z } from "zod";
import { accountBurn, type Burn, type BurnItem } from "../policy/burn.ts";
import { networkStorageKind, priceCatalog, round4, storageCost } from "../policy/estimate.ts";
import {
  type AccountBalance,
  BILLING_BUCKETS,
  type BillingQuery,
  getAccountBalance,
  listBilling,
  listClusterBilling,
  listNetworkVolumeBilling,
  listPodBilling,
  listServerlessBilling,
  type RunpodClient,
} from "../runpod/mod.ts";
import type { Pod } from "../runpod/schemas.ts";
import { defineTool, READ_ONLY, type ToolContext, ToolInputError } from "./_define.ts";
import { idArg } from "./_args.ts";

// ---------------------------------------------------------------------------------------------
// Balance and burn, shared by get_balance and get_spend_summary

/** Hours the balance lasts at `perHour` USD/hour; null when nothing burns or the rate is unknown. */
export function runwayHours(balance: number, perHour: number | null): number | null {
  if (perHour === null || perHour <= 0) return null;
  return Math.max(0, Math.round((balance / perHour) * 10) / 10);
}

const balanceShape = {
  balance_usd: z.number().describe("Credit balance, USD"),
  billing_mode: z.string().nullable().describe(
    "PREPAID or POSTPAID; null when only GraphQL answered",
  ),
  spend_per_hour_usd: z.number().nullable().describe(
    "RunPod's own figure (GraphQL currentSpendPerHr), USD/hour: running resources only, not pods still starting; null when unknown",
  ),
  spend_limit_usd: z.number().nullable().describe("Account spend limit, USD; null when none"),
  source: z.string().describe("Which RunPod API gave the balance: rest-v2 or graphql"),
  note: z.string().nullable().describe("Why a figure is missing, if one is"),
};

type BalanceView = z.output<z.ZodObject<typeof balanceShape>>;

/** The balance as RunPod reports it; the runway comes from the burn in {@linkcode accountView}. */
function balanceView(b: AccountBalance): BalanceView {
  return {
    balance_usd: b.balance,
    billing_mode: b.billingMode,
    spend_per_hour_usd: b.spendPerHour,
    spend_limit_usd: b.spendLimit,
    source: b.source,
    note: b.note ?? null,
  };
}

/** The balance and the burn read together: what both money tools show. */
export interface AccountSpend {
  balance: AccountBalance;
  burn: Burn;
  /** balance / burn.usdPerHour; null when nothing burns. */
  runwayHours: number | null;
}

/**
 * Reads the balance, then the burn with {@linkcode accountBurn} (reusing RunPod's spend figure
 * the balance read already fetched), and works out the runway from the burn.
 */
export async function readAccountSpend(
  runpod: RunpodClient,
  signal?: AbortSignal,
): Promise<AccountSpend> {
  const balance = await getAccountBalance(runpod, signal);
  const burn = await accountBurn(runpod, priceCatalog(runpod, signal), signal, {
    reported: balance.spendPerHour,
  });
  return { balance, burn, runwayHours: runwayHours(balance.balance, burn.usdPerHour) };
}

/**
 * Output fields both money tools (and `runpod://account`) share, filled from one
 * {@linkcode AccountSpend}. What makes up the burn is get_spend_summary's.
 */
const burnShape = {
  burn_per_hour_usd: z.number().describe(
    "What the account burns now, USD/hour: the higher of this server's count (pods RUNNING, PROVISIONING or STARTING; stopped pods' volumes; always-on endpoint workers; network volumes) and RunPod's own figure",
  ),
  burn_complete: z.boolean().describe(
    "False when something bills but has no price here; the burn is then at least burn_per_hour_usd",
  ),
  runway_hours: z.number().nullable().describe(
    "balance / burn_per_hour_usd, hours; null when nothing burns",
  ),
};

type BurnView = z.output<z.ZodObject<typeof burnShape>>;

function burnView(spend: AccountSpend): BurnView {
  return {
    burn_per_hour_usd: spend.burn.usdPerHour,
    burn_complete: spend.burn.complete,
    runway_hours: spend.runwayHours,
  };
}

/**
 * The balance, the burn and the runway from one {@linkcode readAccountSpend}: what `get_balance`
 * and the `runpod://account` resource show, so they cannot disagree.
 */
export function accountView(spend: AccountSpend): BalanceView & BurnView {
  return { ...balanceView(spend.balance), ...burnView(spend) };
}

function usd(n: number): string {
  return `$${n.toFixed(2)}`;
}

function runwayText(hours: number | null, perHour: number | null): string {
  if (perHour === null) return "runway unknown (no spend rate)";
  if (hours === null) return "no burn";
  return hours >= 48 ? `runway ~${(hours / 24).toFixed(1)} days` : `runway ~${hours} h`;
}

/** What the burn counts, in words, e.g. "pods $2.07 (PROVISIONING $2.07), …". */
function countedText(burn: Burn): string {
  const byStatus = Object.entries(burn.podsByStatus).map(([s, v]) => `${s} ${usd(v)}`);
  const parts = [
    burn.pods > 0 ? `pods ${usd(burn.pods)} (${byStatus.join(", ")})` : "",
    burn.endpoints > 0 ? `always-on endpoint workers ${usd(burn.endpoints)}` : "",
    burn.networkVolumes > 0 ? `network volumes ${usd(burn.networkVolumes)}` : "",
    burn.stoppedPodVolumes > 0 ? `stopped pods' volumes ${usd(burn.stoppedPodVolumes)}` : "",
  ].filter((p) => p !== "");
  return parts.length > 0 ? parts.join(", ") : "nothing";
}

/** The burn in a few sentences: the figure, what it counts, RunPod's figure, what is unpriced. */
function burnText(burn: Burn): string {
  const lines = [
    burn.usdPerHour === 0 && burn.complete
      ? "Nothing is burning money now: no pods running or starting, always-on workers or volumes."
      : `Burning ~${usd(burn.usdPerHour)}/h. Counted: ${countedText(burn)}.`,
  ];
  if (burn.reportedUsdPerHour !== null) {
    const higher = burn.reportedUsdPerHour > burn.computedUsdPerHour;
    lines.push(
      `RunPod's own figure: ${usd(burn.reportedUsdPerHour)}/h (running resources only)${
        higher ? ", higher than the count, so it is used" : ""
      }.`,
    );
  } else {
    lines.push("RunPod's own figure is unavailable; the count alone is used.");
  }
  if (!burn.complete) {
    lines.push(`Not fully priced, so the burn is at least this: ${burn.missing.join("; ")}.`);
  }
  return lines.join(" ");
}

/** `get_balance`: credit, burn and runway. */
export const getBalanceTool = defineTool({
  name: "get_balance",
  title: "Get balance",
  description:
    "Credit (USD), billing mode, spend limit, burn (USD/hour: pods running or starting, always-on workers, volumes; never below RunPod's figure) and runway (hours = balance/burn). Items: get_spend_summary.",
  toolset: "billing",
  annotations: READ_ONLY,
  input: {},
  output: { ...balanceShape, ...burnShape },
  async run(_args, ctx) {
    const spend = await readAccountSpend(ctx.runpod, ctx.signal);
    const data = accountView(spend);
    const mode = data.billing_mode ? ` (${data.billing_mode})` : "";
    const limit = data.spend_limit_usd === null ? "" : `, spend limit ${usd(data.spend_limit_usd)}`;
    return {
      summary: `Balance ${usd(data.balance_usd)}${mode}, ${
        runwayText(data.runway_hours, data.burn_per_hour_usd)
      }${limit}. ${burnText(spend.burn)} Source: ${data.source}.${
        data.note ? ` Note: ${data.note}.` : ""
      }`,
      data,
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Billing history

const PRODUCTS = ["all", "pods", "serverless", "network_volumes", "clusters"] as const;
type Product = typeof PRODUCTS[number];

/** Rows shown at most; totals still cover every record. */
export const MAX_BILLING_ROWS = 200;

const ISO_TIME = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/;

const timeArg = (example: string) =>
  z.string().trim().regex(
    ISO_TIME,
    "use ISO 8601 with a time zone, e.g. 2026-11-01T00:00:00Z, or a date, e.g. 2026-11-01",
  ).describe(example);

/**
 * What a bucket's total splits into, USD, by product: product all gives pods_usd, serverless_usd
 * (the account's own endpoints), network_volumes_usd, public_endpoints_usd (RunPod's public
 * endpoints) and clusters_usd; one product gives gpu_usd, cpu_usd, disk_usd, fee_usd (serverless
 * platform fee), standard_usd / high_performance_usd (volume tiers) or networking_usd (clusters).
 * On the wire they are the number-valued extra keys of each row and of totals.
 */
type Parts = Partial<
  Record<
    | "gpu_usd"
    | "cpu_usd"
    | "disk_usd"
    | "fee_usd"
    | "standard_usd"
    | "high_performance_usd"
    | "pods_usd"
    | "serverless_usd"
    | "network_volumes_usd"
    | "public_endpoints_usd"
    | "clusters_usd"
    | "networking_usd",
    number
  >
>;

/** One bucket; it ends where the next starts (bucket_size long). */
const billingRowShape = z.object({
  start: z.string().describe("Bucket start, RFC 3339, inclusive"),
  resource_id: z.string().optional().describe("Pod, endpoint or volume id (not for product all)"),
  total_usd: z.number(),
}).catchall(z.number());

type BillingRow = { start: string; resource_id?: string; total_usd: number } & Parts;

const money = (n: number | undefined) => round4(n ?? 0);

function aggregateParts(a: {
  podGpuAmount?: number | undefined;
  podCpuAmount?: number | undefined;
  podDiskAmount?: number | undefined;
  serverlessGpuAmount?: number | undefined;
  serverlessCpuAmount?: number | undefined;
  serverlessDiskAmount?: number | undefined;
  serverlessFeeAmount?: number | undefined;
  storageStandardAmount?: number | undefined;
  storageHighPerformanceAmount?: number | undefined;
  endpointAmount?: number | undefined;
  clusterGpuAmount?: number | undefined;
  clusterDiskAmount?: number | undefined;
  clusterNetworkingAmount?: number | undefined;
}): Parts {
  const sum = (...xs: (number | undefined)[]) =>
    round4(xs.reduce<number>((s, x) => s + (x ?? 0), 0));
  return {
    pods_usd: sum(a.podGpuAmount, a.podCpuAmount, a.podDiskAmount),
    serverless_usd: sum(
      a.serverlessGpuAmount,
      a.serverlessCpuAmount,
      a.serverlessDiskAmount,
      a.serverlessFeeAmount,
    ),
    network_volumes_usd: sum(a.storageStandardAmount, a.storageHighPerformanceAmount),
    public_endpoints_usd: money(a.endpointAmount),
    clusters_usd: sum(a.clusterGpuAmount, a.clusterDiskAmount, a.clusterNetworkingAmount),
  };
}

function computeParts(a: {
  gpuAmount?: number | undefined;
  cpuAmount?: number | undefined;
  diskAmount?: number | undefined;
}): Parts {
  return {
    gpu_usd: money(a.gpuAmount),
    cpu_usd: money(a.cpuAmount),
    disk_usd: money(a.diskAmount),
  };
}

function volumeParts(a: {
  standardAmount?: number | undefined;
  highPerformanceAmount?: number | undefined;
}): Parts {
  return {
    standard_usd: money(a.standardAmount),
    high_performance_usd: money(a.highPerformanceAmount),
  };
}

/** One product's history, already in rows: what every route reduces to. */
interface History {
  rows: BillingRow[];
  totals: { total_usd: number } & Parts;
  window: { start: string; end: string; bucket_size: string };
}

function parseTime(name: string, text: string): number {
  const ms = Date.parse(text);
  // Date.parse rolls 2026-02-30 over to March; a calendar date must exist as written.
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (Number.isNaN(ms) || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
    throw new ToolInputError(`Cannot read billing history: ${name} ${text} is not a valid date`);
  }
  return ms;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

async function fetchHistory(
  ctx: ToolContext,
  product: Product,
  query: BillingQuery,
  resourceId: string | undefined,
): Promise<History> {
  const echo = (q: { startTime: string; endTime: string; bucketSize: string }) => ({
    start: q.startTime,
    end: q.endTime,
    bucket_size: q.bucketSize,
  });
  const row = (r: { startTime: string }, total: number) => ({
    start: r.startTime,
    total_usd: round4(total),
  });
  switch (product) {
    case "all": {
      const body = await listBilling(ctx.runpod, query, ctx.signal);
      return {
        rows: body.records.map((r) => ({ ...row(r, r.totalAmount), ...aggregateParts(r) })),
        totals: {
          total_usd: money(body.metadata.totals.totalAmount),
          ...aggregateParts(body.metadata.totals),
        },
        window: echo(body.metadata.query),
      };
    }
    case "pods": {
      const body = await listPodBilling(
        ctx.runpod,
        { ...query, ...(resourceId ? { podId: resourceId } : {}) },
        ctx.signal,
      );
      return {
        rows: body.records.map((r) => ({
          ...row(r, r.totalAmount),
          resource_id: r.podId,
          ...computeParts(r),
        })),
        totals: {
          total_usd: money(body.metadata.totals.totalAmount),
          ...computeParts(body.metadata.totals),
        },
        window: echo(body.metadata.query),
      };
    }
    case "serverless": {
      const body = await listServerlessBilling(
        ctx.runpod,
        { ...query, ...(resourceId ? { serverlessId: resourceId } : {}) },
        ctx.signal,
      );
      const parts = (a: typeof body.metadata.totals) => ({
        ...computeParts(a),
        fee_usd: money(a.feeAmount),
      });
      return {
        rows: body.records.map((r) => ({
          ...row(r, r.totalAmount),
          resource_id: r.serverlessId,
          ...parts(r),
        })),
        totals: {
          total_usd: money(body.metadata.totals.totalAmount),
          ...parts(body.metadata.totals),
        },
        window: echo(body.metadata.query),
      };
    }
    case "network_volumes": {
      const body = await listNetworkVolumeBilling(
        ctx.runpod,
        { ...query, ...(resourceId ? { networkVolumeId: resourceId } : {}) },
        ctx.signal,
      );
      return {
        rows: body.records.map((r) => ({
          ...row(r, r.totalAmount),
          resource_id: r.networkVolumeId,
          ...volumeParts(r),
        })),
        totals: {
          total_usd: money(body.metadata.totals.totalAmount),
          ...volumeParts(body.metadata.totals),
        },
        window: echo(body.metadata.query),
      };
    }
    case "clusters": {
      const body = await listClusterBilling(
        ctx.runpod,
        { ...query, ...(resourceId ? { clusterId: resourceId } : {}) },
        ctx.signal,
      );
      const parts = (a: typeof body.metadata.totals): Parts => ({
        gpu_usd: money(a.gpuAmount),
        disk_usd: money(a.diskAmount),
        networking_usd: money(a.networkingAmount),
      });
      return {
        rows: body.records.map((r) => ({
          ...row(r, r.totalAmount),
          resource_id: r.clusterId,
          ...parts(r),
        })),
        totals: {
          total_usd: money(body.metadata.totals.totalAmount),
          ...parts(body.metadata.totals),
        },
        window: echo(body.metadata.query),
      };
    }
  }
}

const PRODUCT_LABEL: Record<Product, string> = {
  all: "Total",
  pods: "Pod",
  serverless: "Serverless",
  network_volumes: "Network volume",
  clusters: "Cluster",
};

/** `get_billing_history`: what RunPod billed, bucketed, per product. */
export const getBillingHistoryTool = defineTool({
  name: "get_billing_history",
  title: "Get billing history",
  description:
    "What RunPod billed (USD) per bucket (default: last 30 days by day), split by product, or for one product/resource. Newest 200 rows; totals cover the window. Burn now: get_spend_summary.",
  toolset: "billing",
  annotations: READ_ONLY,
  input: {
    product: z.enum(PRODUCTS).default("all").describe(
      "all: split by product, e.g. pods",
    ),
    start_time: timeArg(
      "Default 30 days ago, e.g. 2026-11-01T00:00:00Z",
    ).optional(),
    end_time: timeArg(
      "Default now, e.g. 2026-11-24",
    ).optional(),
    last_n: z.number().int().min(1).max(1000).optional().describe(
      "Last N buckets, e.g. 7",
    ),
    bucket_size: z.enum(BILLING_BUCKETS).default("day").describe(
      "Row length, e.g. hour",
    ),
    resource_id: idArg(
      "one resource's (not all)",
      "xedezhzb9la3ye",
    ).optional(),
  },
  output: {
    // The window RunPod used, snapped to bucket boundaries.
    start: z.string(),
    end: z.string(),
    bucket_size: z.string(),
    rows: z.array(billingRowShape),
    row_count: z.number().describe("Rows RunPod returned; more than rows.length when cut"),
    totals: z.object({ total_usd: z.number() }).catchall(z.number()).describe(
      "Over the whole window, USD, split like the rows",
    ),
  },
  async run(args, ctx) {
    const fail = (reason: string) => new ToolInputError(`Cannot read billing history: ${reason}`);
    if (args.last_n !== undefined && (args.start_time || args.end_time)) {
      throw fail("last_n cannot be combined with start_time or end_time; use one or the other");
    }
    if (args.resource_id && args.product === "all") {
      throw fail("resource_id needs product pods, serverless, network_volumes or clusters");
    }
    const query: BillingQuery = { bucketSize: args.bucket_size };
    const start = args.start_time ? parseTime("start_time", args.start_time) : undefined;
    const end = args.end_time ? parseTime("end_time", args.end_time) : undefined;
    if (start !== undefined && end !== undefined && start >= end) {
      throw fail(`start_time ${args.start_time} is not before end_time ${args.end_time}`);
    }
    if (start !== undefined && end === undefined && start >= ctx.clock.now()) {
      throw fail(`start_time ${args.start_time} is in the future; nothing is billed yet`);
    }
    if (start !== undefined) query.startTime = rfc3339(start);
    if (end !== undefined) query.endTime = rfc3339(end);
    if (args.last_n !== undefined) query.lastN = args.last_n;

    const history = await fetchHistory(ctx, args.product, query, args.resource_id);
    const rowCount = history.rows.length;
    const truncated = rowCount > MAX_BILLING_ROWS;
    const rows = truncated ? history.rows.slice(-MAX_BILLING_ROWS) : history.rows;

    const { window, totals } = history;
    const scope = args.resource_id ? ` for ${args.resource_id}` : "";
    const lines = [
      `${
        PRODUCT_LABEL[args.product]
      } spend${scope} ${window.start} → ${window.end} by ${window.bucket_size}: ${
        usd(totals.total_usd)
      } over ${rowCount} row(s).`,
    ];
    if (truncated) {
      lines.push(
        `Showing the newest ${MAX_BILLING_ROWS} of ${rowCount} rows; use a larger bucket_size or a shorter window for the rest.`,
      );
    }
    if (args.product === "all") {
      lines.push(
        `Pods ${usd(totals.pods_usd ?? 0)}, serverless ${
          usd(totals.serverless_usd ?? 0)
        }, network volumes ${usd(totals.network_volumes_usd ?? 0)}, public endpoints ${
          usd(totals.public_endpoints_usd ?? 0)
        }, clusters ${usd(totals.clusters_usd ?? 0)}.`,
      );
    }
    return {
      summary: lines.join("\n"),
      data: {
        ...window,
        // TypeScript cannot say "start is a string, every other key a number": zod's row type
        // makes every key a number, so the rows are cast; the schema itself is right.
        rows: rows as unknown as z.output<typeof billingRowShape>[],
        row_count: rowCount,
        totals,
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Spend summary

/** GPU utilisation (%) under which a RUNNING pod counts as idle. */
export const IDLE_GPU_UTIL_PERCENT = 5;

/** Seconds a pod must have run before it can count as idle: a pod still loading is not idle. */
export const IDLE_MIN_UPTIME_S = 600;

/**
 * The idle rule: RUNNING for at least {@linkcode IDLE_MIN_UPTIME_S} (RunPod's `runtime.uptime`)
 * with every GPU at or under {@linkcode IDLE_GPU_UTIL_PERCENT}. No uptime, no verdict.
 */
export function isIdle(pod: Pod): boolean {
  const gpus = pod.runtime?.gpus ?? [];
  const uptime = pod.runtime?.uptime;
  return pod.status === "RUNNING" && gpus.length > 0 && uptime !== undefined &&
    uptime >= IDLE_MIN_UPTIME_S &&
    gpus.every((g) => g.util !== undefined && g.util <= IDLE_GPU_UTIL_PERCENT);
}

const spendItemShape = {
  kind: z.string().describe("pod, endpoint, network_volume or stopped_pod"),
  id: z.string(),
  name: z.string(),
  cost_per_hour_usd: z.number().nullable().describe(
    "USD/hour it costs now; null when not priced (see note)",
  ),
  detail: z.string().describe("What it is, e.g. 1× NVIDIA GeForce RTX 4090, RUNNING"),
  note: z.string().optional().describe("A flag worth acting on, e.g. idle: consider stop_pod"),
};

type SpendItem = z.output<z.ZodObject<typeof spendItemShape>>;

function podItem(item: Extract<BurnItem, { kind: "pod" }>): SpendItem {
  const { pod } = item;
  const hw = pod.gpu
    ? `${pod.gpu.count ?? 1}× ${pod.gpu.id}`
    : pod.cpu
    ? `${pod.cpu.vcpuCount} vCPU`
    : "pod";
  const utils = (pod.runtime?.gpus ?? []).map((g) => g.util).filter((u) => u !== undefined);
  const note = isIdle(pod)
    ? "idle: consider stop_pod"
    : item.usdPerHour === null
    ? "bills but the catalog has no price for it"
    : undefined;
  return {
    kind: "pod",
    id: pod.id,
    name: pod.name,
    cost_per_hour_usd: item.usdPerHour,
    detail: `${hw}, ${pod.status}${
      utils.length > 0 ? `, GPU util ${utils.map((u) => `${u}%`).join("/")}` : ""
    }${item.priceSource === "list" ? ", list price (RunPod shows no cost yet)" : ""}`,
    ...(note ? { note } : {}),
  };
}

function stoppedPodItem(item: Extract<BurnItem, { kind: "stopped_pod" }>): SpendItem {
  const storage = storageCost("pod_volume_stopped", item.volumeGb);
  return {
    kind: "stopped_pod",
    id: item.pod.id,
    name: item.pod.name,
    cost_per_hour_usd: item.usdPerHour,
    detail: `${item.pod.status}, ${storage.text} at list price`,
    note: "storage keeps billing while stopped; terminate_pod ends it if the data is not needed",
  };
}

function spendItem(item: BurnItem): SpendItem {
  switch (item.kind) {
    case "pod":
      return podItem(item);
    case "stopped_pod":
      return stoppedPodItem(item);
    case "endpoint": {
      const ep = item.endpoint;
      return {
        kind: "endpoint",
        id: ep.id,
        name: ep.name,
        cost_per_hour_usd: item.usdPerHour,
        detail: `${ep.workers.min} always-on worker(s), ${
          ep.gpu ? `GPU pools ${ep.gpu.pools.join(",")}` : "CPU"
        }`,
        note: item.usdPerHour === null
          ? "always-on workers bill but the catalog has no price for them"
          : "always-on: update_endpoint with workers_min 0 stops the idle charge",
      };
    }
    case "network_volume": {
      const v = item.volume;
      return {
        kind: "network_volume",
        id: v.id,
        name: v.name,
        cost_per_hour_usd: item.usdPerHour,
        detail: `${storageCost(networkStorageKind(v.type), v.size).text} in ${v.dataCenter}`,
      };
    }
  }
}

/** `get_spend_summary`: what burns money now and how long the balance lasts. */
export const getSpendSummaryTool = defineTool({
  name: "get_spend_summary",
  title: "Get spend summary",
  description:
    "What burns money now, USD/hour, dearest first: pods running or starting (idle flagged), always-on workers, volumes; burn (never below RunPod's figure), balance, runway (hours). Act: stop_pod, update_endpoint.",
  toolset: "billing",
  annotations: READ_ONLY,
  input: {},
  output: {
    items: z.array(z.object(spendItemShape)).describe(
      "Dearest first; per kind sums and idle pods (note 'idle: …') are read from here",
    ),
    spend_per_hour_usd: balanceShape.spend_per_hour_usd,
    burn_missing: z.array(z.string()).describe("What could not be priced, one line each"),
    balance_usd: z.number(),
    ...burnShape,
  },
  async run(_args, ctx) {
    const spend = await readAccountSpend(ctx.runpod, ctx.signal);
    const { burn, balance } = spend;
    const items = burn.items.map(spendItem).sort((a, b) =>
      (b.cost_per_hour_usd ?? -1) - (a.cost_per_hour_usd ?? -1)
    );
    const idle = burn.items.flatMap((i) => i.kind === "pod" && isIdle(i.pod) ? [i.pod.id] : []);

    const lines = [burnText(burn)];
    const biggest = items[0];
    if (biggest && biggest.cost_per_hour_usd !== null && biggest.cost_per_hour_usd > 0) {
      lines.push(
        `Biggest: ${biggest.kind.replace("_", " ")} ${biggest.id} "${biggest.name}" at ${
          usd(biggest.cost_per_hour_usd)
        }/h.`,
      );
    }
    if (idle.length > 0) {
      lines.push(`Idle (GPU ≤ 5% for ≥ 10 min): ${idle.join(", ")}: consider stop_pod.`);
    }
    lines.push(
      `Balance ${usd(balance.balance)}, ${runwayText(spend.runwayHours, burn.usdPerHour)}.`,
    );
    return {
      summary: lines.join("\n"),
      data: {
        items,
        spend_per_hour_usd: burn.reportedUsdPerHour,
        burn_missing: burn.missing,
        balance_usd: balance.balance,
        ...burnView(spend),
      },
    };
  },
});
