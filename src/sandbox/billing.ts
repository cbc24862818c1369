/**
 * `/v2/billing*`: time-bucketed spend built from the hourly entries the pod state machine
 * accrues. There is deliberately no balance route: its real path is unverified, so the client
 * must fall back to GraphQL `myself { clientBalance }`.
 *
 * @module
 */

import type { Ctx, Route } from "./context.ts";
import { iso, json, problem } from "./http.ts";
import type { BillingEntry } from "./state.ts";

type BucketSize = "hour" | "day" | "week" | "month" | "year";
const BUCKETS: readonly BucketSize[] = ["hour", "day", "week", "month", "year"];

function bucketStart(ms: number, size: BucketSize): number {
  const d = new Date(ms);
  switch (size) {
    case "hour":
      return Math.floor(ms / 3_600_000) * 3_600_000;
    case "day":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case "week": {
      // ISO weeks start on Monday.
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
    }
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case "year":
      return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

function nextBucket(start: number, size: BucketSize): number {
  const d = new Date(start);
  switch (size) {
    case "hour":
      return start + 3_600_000;
    case "day":
      return start + 86_400_000;
    case "week":
      return start + 7 * 86_400_000;
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case "year":
      return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  }
}

function prevBucket(start: number, size: BucketSize): number {
  return bucketStart(start - 1, size);
}

interface Window {
  start: number;
  end: number;
  size: BucketSize;
}

function parseWindow(ctx: Ctx): Window | Response {
  const q = ctx.query;
  const errors: string[] = [];
  const size = (q.bucketSize ?? "day") as BucketSize;
  if (!BUCKETS.includes(size)) {
    errors.push(`bucketSize: value must be one of ${BUCKETS.map((b) => `'${b}'`).join(", ")}`);
  }
  const parseTime = (name: string): number | undefined => {
    const raw = q[name];
    if (raw === undefined) return undefined;
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) errors.push(`${name}: '${raw}' is not an RFC 3339 date-time`);
    return ms;
  };
  const startRaw = parseTime("startTime");
  const endRaw = parseTime("endTime");
  let lastN: number | undefined;
  if (q.lastN !== undefined) {
    if (!/^\d+$/.test(q.lastN) || Number(q.lastN) < 1) {
      errors.push(`lastN: minimum: got ${q.lastN}, want 1`);
    } else lastN = Number(q.lastN);
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  if (lastN !== undefined && (startRaw !== undefined || endRaw !== undefined)) {
    return problem(400, "lastN is mutually exclusive with startTime and endTime");
  }
  const now = ctx.now;
  if (lastN !== undefined) {
    const end = nextBucket(bucketStart(now, size), size);
    let start = bucketStart(now, size);
    for (let i = 1; i < lastN; i++) start = prevBucket(start, size);
    return { start, end, size };
  }
  const start = bucketStart(startRaw ?? now - 30 * 86_400_000, size);
  const endAt = endRaw ?? now;
  const endBucket = bucketStart(endAt, size);
  const end = endBucket === endAt ? endAt : nextBucket(endBucket, size);
  if (end <= start) return problem(400, "endTime must be after startTime");
  return { start, end, size };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function bucketsOf(entries: BillingEntry[], w: Window) {
  const out = new Map<
    string,
    { start: number; id: string; gpu: number; cpu: number; disk: number }
  >();
  for (const e of entries) {
    if (e.hourStart < w.start || e.hourStart >= w.end) continue;
    const start = bucketStart(e.hourStart, w.size);
    const key = `${start}|${e.resourceId}`;
    const b = out.get(key) ?? { start, id: e.resourceId, gpu: 0, cpu: 0, disk: 0 };
    b.gpu += e.gpuAmount;
    b.cpu += e.cpuAmount;
    b.disk += e.diskAmount;
    out.set(key, b);
  }
  return [...out.values()].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

/** Per-resource billing (pods or serverless endpoints) from the hourly entries. */
function perResourceBilling(kind: "pod" | "serverless", idParam: string, uniqueKey: string) {
  return (ctx: Ctx): Response => {
    const w = parseWindow(ctx);
    if (w instanceof Response) return w;
    const id = ctx.query[idParam];
    const entries = [...ctx.state.billing.values()].filter((e) =>
      e.kind === kind && (id === undefined || e.resourceId === id)
    );
    const totals: Record<string, number> = {
      totalAmount: 0,
      gpuAmount: 0,
      cpuAmount: 0,
      diskAmount: 0,
    };
    if (kind === "serverless") totals.feeAmount = 0;
    const records = bucketsOf(entries, w).map((b) => {
      const total = b.gpu + b.cpu + b.disk;
      totals.totalAmount! += total;
      totals.gpuAmount! += b.gpu;
      totals.cpuAmount! += b.cpu;
      totals.diskAmount! += b.disk;
      const rec: Record<string, unknown> = {
        startTime: iso(b.start),
        endTime: iso(nextBucket(b.start, w.size)),
        [kind === "pod" ? "podId" : "serverlessId"]: b.id,
        totalAmount: round(total),
        gpuAmount: round(b.gpu),
        cpuAmount: round(b.cpu),
        diskAmount: round(b.disk),
      };
      if (kind === "serverless") rec.feeAmount = 0;
      return rec;
    });
    for (const k of Object.keys(totals)) totals[k] = round(totals[k]!);
    return json({
      records,
      metadata: {
        query: {
          startTime: iso(w.start),
          endTime: iso(w.end),
          bucketSize: w.size,
          [idParam]: id ?? null,
        },
        recordCount: records.length,
        [uniqueKey]: new Set(records.map((r) => r[kind === "pod" ? "podId" : "serverlessId"])).size,
        totals,
      },
    });
  };
}

const AGGREGATE_KEYS = [
  "totalAmount",
  "podGpuAmount",
  "podCpuAmount",
  "podDiskAmount",
  "serverlessGpuAmount",
  "serverlessCpuAmount",
  "serverlessDiskAmount",
  "serverlessFeeAmount",
  "storageStandardAmount",
  "storageHighPerformanceAmount",
  "endpointAmount",
  "clusterGpuAmount",
  "clusterDiskAmount",
  "clusterNetworkingAmount",
] as const;

function zeroAggregate(): Record<(typeof AGGREGATE_KEYS)[number], number> {
  return Object.fromEntries(AGGREGATE_KEYS.map((k) => [k, 0])) as Record<
    (typeof AGGREGATE_KEYS)[number],
    number
  >;
}

function listBilling(ctx: Ctx): Response {
  const w = parseWindow(ctx);
  if (w instanceof Response) return w;
  const byBucket = new Map<number, ReturnType<typeof zeroAggregate>>();
  for (const e of ctx.state.billing.values()) {
    if (e.hourStart < w.start || e.hourStart >= w.end) continue;
    const start = bucketStart(e.hourStart, w.size);
    const a = byBucket.get(start) ?? zeroAggregate();
    const total = e.gpuAmount + e.cpuAmount + e.diskAmount;
    a.totalAmount += total;
    if (e.kind === "pod") {
      a.podGpuAmount += e.gpuAmount;
      a.podCpuAmount += e.cpuAmount;
      a.podDiskAmount += e.diskAmount;
    } else if (e.kind === "cluster") {
      a.clusterGpuAmount += e.gpuAmount;
      a.clusterDiskAmount += e.diskAmount;
    } else if (e.kind === "serverless") {
      a.serverlessGpuAmount += e.gpuAmount;
      a.serverlessCpuAmount += e.cpuAmount;
      a.serverlessDiskAmount += e.diskAmount;
    } else {
      a.storageStandardAmount += total;
    }
    byBucket.set(start, a);
  }
  const totals = zeroAggregate();
  const records = [...byBucket.entries()].sort((a, b) => a[0] - b[0]).map(([start, a]) => {
    const rec: Record<string, unknown> = {
      startTime: iso(start),
      endTime: iso(nextBucket(start, w.size)),
    };
    for (const k of AGGREGATE_KEYS) {
      totals[k] += a[k];
      rec[k] = round(a[k]);
    }
    return rec;
  });
  for (const k of AGGREGATE_KEYS) totals[k] = round(totals[k]);
  return json({
    records,
    metadata: {
      query: { startTime: iso(w.start), endTime: iso(w.end), bucketSize: w.size },
      recordCount: records.length,
      totals,
    },
  });
}

/** `GET /v2/billing/clusters`: GPU, disk and networking per cluster (clusters have no CPU part). */
function clusterBilling(ctx: Ctx): Response {
  const w = parseWindow(ctx);
  if (w instanceof Response) return w;
  const id = ctx.query.clusterId;
  const entries = [...ctx.state.billing.values()].filter((e) =>
    e.kind === "cluster" && (id === undefined || e.resourceId === id)
  );
  const totals = { totalAmount: 0, gpuAmount: 0, diskAmount: 0, networkingAmount: 0 };
  const records = bucketsOf(entries, w).map((b) => {
    totals.totalAmount += b.gpu + b.disk;
    totals.gpuAmount += b.gpu;
    totals.diskAmount += b.disk;
    return {
      startTime: iso(b.start),
      endTime: iso(nextBucket(b.start, w.size)),
      clusterId: b.id,
      totalAmount: round(b.gpu + b.disk),
      gpuAmount: round(b.gpu),
      diskAmount: round(b.disk),
      networkingAmount: 0,
    };
  });
  return json({
    records,
    metadata: {
      query: {
        startTime: iso(w.start),
        endTime: iso(w.end),
        bucketSize: w.size,
        clusterId: id ?? null,
      },
      recordCount: records.length,
      uniqueClusterCount: new Set(records.map((r) => r.clusterId)).size,
      totals: {
        totalAmount: round(totals.totalAmount),
        gpuAmount: round(totals.gpuAmount),
        diskAmount: round(totals.diskAmount),
        networkingAmount: 0,
      },
    },
  });
}

/** Billing routes for product families that accrue nothing yet: valid, empty answers. */
function emptyBilling(
  idParam: string | undefined,
  uniqueKey: string | undefined,
  totalKeys: readonly string[],
) {
  return (ctx: Ctx): Response => {
    const w = parseWindow(ctx);
    if (w instanceof Response) return w;
    const query: Record<string, unknown> = {
      startTime: iso(w.start),
      endTime: iso(w.end),
      bucketSize: w.size,
    };
    if (idParam) query[idParam] = ctx.query[idParam] ?? null;
    const metadata: Record<string, unknown> = {
      query,
      recordCount: 0,
      totals: Object.fromEntries(totalKeys.map((k) => [k, 0])),
    };
    if (uniqueKey) metadata[uniqueKey] = 0;
    return json({ records: [], metadata });
  };
}

/** Routes for `/v2/billing*`. */
export const billingRoutes: readonly Route[] = [
  { method: "GET", path: "/v2/billing", handler: listBilling },
  {
    method: "GET",
    path: "/v2/billing/pods",
    handler: perResourceBilling("pod", "podId", "uniquePodCount"),
  },
  {
    method: "GET",
    path: "/v2/billing/serverless",
    handler: perResourceBilling("serverless", "serverlessId", "uniqueServerlessCount"),
  },
  {
    method: "GET",
    path: "/v2/billing/endpoints",
    handler: emptyBilling(undefined, undefined, ["totalAmount"]),
  },
  {
    method: "GET",
    path: "/v2/billing/network-volumes",
    handler: emptyBilling("networkVolumeId", "uniqueNetworkVolumeCount", [
      "totalAmount",
      "standardAmount",
      "highPerformanceAmount",
    ]),
  },
  {
    method: "GET",
    path: "/v2/billing/clusters",
    handler: clusterBilling,
  },
];
