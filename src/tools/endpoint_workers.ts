/**
 * What runs behind a serverless endpoint: its active workers, its release history with the
 * rollout of the latest one, and one worker's recent log lines.
 *
 * @module
 */

import { z } from "zod";
import {
  listEndpointReleases,
  listEndpointWorkers,
  type Release,
  type Worker,
} from "../runpod/endpoints.ts";
import { readWorkerLogs } from "../runpod/mod.ts";
import { maskBody } from "../secrets.ts";
import { defineTool, READ_ONLY } from "./_define.ts";
import { checkId } from "./_id_check.ts";
import { logTail, MAX_LOG_TAIL } from "./_log_tail.ts";
import { untrusted, UNTRUSTED_NOTE } from "./_untrusted.ts";
import { checkEndpointId, endpointIdArg } from "./serverless.ts";

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
  title: "List endpoint workers",
  description:
    "A serverless endpoint's active workers: status, GPU, data center, uptime (s), stale config. Then get_worker_logs.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: { endpoint_id: endpointIdArg },
  output: {
    workers: z.array(z.object(workerRowShape)),
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
        endpoint_version: result.endpointVersion ?? null,
      },
    };
  },
});

const MAX_CHANGE_CHARS = 200;

/** One value of a release diff in words, secrets masked (by the field's own name), long values cut. */
function diffValue(field: string, value: unknown): string {
  const key = field.split(".").at(-1) ?? field;
  const text = JSON.stringify(maskBody({ [key]: value }) as Record<string, unknown>)
    .slice(key.length + 4, -1) || "null";
  return text.length > MAX_CHANGE_CHARS ? `${text.slice(0, MAX_CHANGE_CHARS)}…` : text;
}

function releaseRow(release: Release) {
  return {
    id: release.id,
    version: release.version ?? null,
    source: release.source,
    created_at: release.createdAt,
    worker_count: release.workerCount,
    changes: release.diff.map((d) =>
      `${d.field}: ${diffValue(d.field, d.old)} → ${diffValue(d.field, d.new)}`
    ),
  };
}

/** `list_endpoint_releases`: an endpoint's configuration versions and the rollout. */
export const listEndpointReleasesTool = defineTool({
  name: "list_endpoint_releases",
  title: "List endpoint releases",
  description:
    "An endpoint's config versions, newest first, with changes and the rollout: after update_endpoint, see it reach workers.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: {
    endpoint_id: endpointIdArg,
    limit: z.number().int().min(1).max(100).default(10).describe(
      "Most releases, e.g. 10",
    ),
  },
  output: {
    endpoint_version: z.number().nullable(),
    rolling_out: z.boolean(),
    workers_on_latest: z.number(),
    workers_total: z.number(),
    releases: z.array(z.object({
      id: z.string(),
      version: z.number().nullable(),
      source: z.string(),
      created_at: z.string(),
      worker_count: z.number(),
      changes: z.array(z.string()).describe("'field: old → new', secrets masked"),
    })),
    total: z.number(),
  },
  async run(args, ctx) {
    checkEndpointId(args.endpoint_id, "list releases of");
    const result = await listEndpointReleases(ctx.runpod, args.endpoint_id, ctx.signal);
    const releases = result.releases.slice(0, args.limit).map(releaseRow);
    const r = result.rollout;
    const more = result.releases.length > releases.length
      ? ` Showing the newest ${releases.length} of ${result.releases.length}; raise limit for more.`
      : "";
    const state = r.inProgress
      ? `rolling out: ${r.workersOnLatest} of ${r.workersTotal} worker(s) (${r.percentOnLatest}%) on the latest`
      : `${r.workersTotal} worker(s), all on the latest`;
    return {
      summary: `Endpoint ${args.endpoint_id} is at version ${
        result.endpointVersion ?? "unknown"
      }, ${state}; ${result.releases.length} release(s).${more}`,
      data: {
        endpoint_version: result.endpointVersion ?? null,
        rolling_out: r.inProgress,
        workers_on_latest: r.workersOnLatest,
        workers_total: r.workersTotal,
        releases,
        total: result.releases.length,
      },
    };
  },
});

/** `get_worker_logs`: recent log lines of one serverless worker. */
export const getWorkerLogsTool = defineTool({
  name: "get_worker_logs",
  title: "Get worker logs",
  description:
    `A serverless worker's latest log lines (secrets redacted), for an unhealthy worker or failed job. ${UNTRUSTED_NOTE}`,
  toolset: "serverless",
  annotations: READ_ONLY,
  input: {
    endpoint_id: endpointIdArg,
    worker_id: z.string().trim().min(1).max(64).describe(
      "From list_endpoint_workers, e.g. 7yl8ixqrjcw000",
    ),
    tail: z.number().int().min(1).max(MAX_LOG_TAIL).default(100).describe(
      "Latest lines to return, e.g. 200",
    ),
    source: z.enum(["container", "system", "all"]).default("all").describe(
      "Which log, e.g. container",
    ),
  },
  output: {
    lines: z.array(z.string()),
    count: z.number(),
    truncated: z.boolean(),
    note: z.string(),
  },
  async run(args, ctx) {
    const action = `read logs of worker ${args.worker_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.worker_id, "worker", action);
    const source = args.source === "all" ? undefined : args.source;
    const read = await readWorkerLogs(ctx.runpod, args.endpoint_id, args.worker_id, {
      tail: args.tail,
      ...(source ? { source } : {}),
      signal: ctx.signal,
    });
    const { lines, truncated, note, span } = logTail(
      read,
      args.tail,
      `No ${
        source ?? "container or system"
      } log lines yet: a worker that is still starting has printed nothing; check list_endpoint_workers.`,
    );
    const head = `Worker ${args.worker_id} of endpoint ${args.endpoint_id}`;
    return {
      summary: lines.length > 0
        ? `${head}: ${lines.length} log line(s) ${span}. ${note}\n${
          untrusted(`worker ${args.worker_id} logs`, lines.join("\n"))
        }`
        : `${head}: ${note}`,
      data: {
        lines,
        count: lines.length,
        truncated,
        note,
      },
      // The text lists every line (inside the fence) and the note; JSON would repeat them unfenced.
      summaryHasData: true,
    };
  },
});
