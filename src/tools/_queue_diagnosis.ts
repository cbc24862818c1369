/**
 * Why jobs wait in an endpoint's queue, read from facts already fetched (health, settings,
 * worker counts and, when no worker is up, the serverless GPU stock). Pure: no I/O, so every
 * case is a unit test.
 *
 * @module
 */

import type { Endpoint, EndpointHealth, GpuType, WorkerSummary } from "../runpod/mod.ts";
import { redactSecrets } from "../secrets.ts";

/** What is known about an endpoint when its queue is diagnosed; any part may be missing. */
export interface QueueFacts {
  health?: EndpointHealth | undefined;
  endpoint?: Pick<Endpoint, "workers" | "gpu" | "dataCenterIds"> | undefined;
  workers?: WorkerSummary | undefined;
  /** The serverless GPU catalog with availability; read only when {@linkcode needsStock}. */
  gpus?: readonly GpuType[] | undefined;
}

const LEVELS = ["NONE", "LOW", "MEDIUM", "HIGH"];

function best(levels: readonly (string | undefined)[]): string {
  let top = "NONE";
  for (const level of levels) {
    if (level && LEVELS.indexOf(level) > LEVELS.indexOf(top)) top = level;
  }
  return top;
}

/** Worker counts from the workers list, else from /health. */
function counts(facts: QueueFacts) {
  const { workers, health } = facts;
  const w = health?.workers;
  return {
    up: workers ? workers.running + workers.idle : w ? (w.running ?? 0) + (w.idle ?? 0) : undefined,
    throttled: workers?.throttled ?? w?.throttled ?? 0,
    initializing: workers?.initializing ?? w?.initializing ?? 0,
    unhealthy: workers?.unhealthy ?? w?.unhealthy ?? 0,
  };
}

/** True when the GPU stock of the endpoint's pools would explain the wait (no worker is up). */
export function needsStock(facts: QueueFacts): boolean {
  const ep = facts.endpoint;
  return ep !== undefined && ep.workers.max > 0 && counts(facts).up === 0 &&
    (ep.gpu?.pools.length ?? 0) > 0;
}

/** Best serverless availability of the endpoint's eligible GPUs, in its data centers if set. */
function stockLevel(ep: NonNullable<QueueFacts["endpoint"]>, gpus: readonly GpuType[]): string {
  const gpu = ep.gpu!;
  const excluded = new Set((gpu.excludedTypes ?? []).map((t) => t.trim()));
  const dcs = ep.dataCenterIds ?? [];
  const eligible = gpus.filter((g) =>
    g.pool !== null && gpu.pools.includes(g.pool) && !excluded.has(g.id)
  );
  return best(
    eligible.map((g) =>
      dcs.length === 0
        ? g.availability
        : best((g.dataCenters ?? []).filter((d) => dcs.includes(d.id)).map((d) => d.availability))
    ),
  );
}

function queueLine(health: EndpointHealth): string {
  const j = health.jobs;
  const w = health.workers;
  return `Queue: ${j.inQueue ?? 0} waiting, ${j.inProgress ?? 0} running. Workers: ${
    w.running ?? 0
  } running, ${w.idle ?? 0} idle, ${w.initializing ?? 0} initializing, ${
    w.throttled ?? 0
  } throttled, ${w.unhealthy ?? 0} unhealthy.`;
}

/** Notes for an endpoint that may start workers but has none up. */
function noWorkerNotes(facts: QueueFacts): string[] {
  const ep = facts.endpoint!;
  const { throttled, initializing, unhealthy } = counts(facts);
  const notes: string[] = [];
  const stockProblem = needsStock(facts) && facts.gpus !== undefined &&
    stockLevel(ep, facts.gpus) === "NONE";
  if (stockProblem) {
    const dcs = ep.dataCenterIds ?? [];
    const where = dcs.length > 0 ? ` in data centers ${dcs.join(", ")}` : "";
    notes.push(
      `${throttled > 0 ? "All workers throttled: no" : "No"} serverless GPU stock in pools ${
        ep.gpu!.pools.join(", ")
      }${where}, so no worker can start. Add pools (update_endpoint) or wait for capacity.`,
    );
  } else if (throttled > 0) {
    notes.push(
      `${throttled} worker(s) throttled, waiting for GPU capacity: add GPU pools or data centers with update_endpoint.`,
    );
  }
  if (unhealthy > 0) {
    notes.push(
      `${unhealthy} worker(s) unhealthy: they fail RunPod's health checks; check the worker image and its logs.`,
    );
  }
  const coldMin = ep.workers.min === 0;
  if (initializing > 0) {
    notes.push(
      coldMin
        ? "workers_min is 0 and workers are still initializing (cold start): the first job waits for a worker to pull the image and load; set workers_min to 1 to keep one warm (billed while idle)."
        : `${initializing} worker(s) still initializing (pulling the image or loading the model).`,
    );
  } else if (!stockProblem && throttled === 0 && unhealthy === 0) {
    notes.push(
      coldMin
        ? "No worker is up yet: with workers_min 0 RunPod starts one on demand (a cold start takes seconds to minutes); jobs sent with low_priority never start one."
        : "No worker is up although workers_min > 0: they may be restarting; check the endpoint's workers.",
    );
  }
  return notes;
}

/**
 * Explains why jobs of an endpoint wait in the queue, one note per finding, secrets redacted.
 *
 * @example
 * ```ts
 * diagnoseQueue({ endpoint: { workers: { min: 0, max: 0 }, gpu: null, dataCenterIds: [] } });
 * // ["workers_max is 0: the endpoint may not start any worker, …"]
 * ```
 */
export function diagnoseQueue(facts: QueueFacts): string[] {
  const notes: string[] = [];
  if (facts.health) notes.push(queueLine(facts.health));
  const ep = facts.endpoint;
  if (ep) {
    const { up } = counts(facts);
    if (ep.workers.max === 0) {
      notes.push(
        "workers_max is 0: the endpoint may not start any worker, so jobs wait until it is raised (update_endpoint) or they expire.",
      );
    } else if (up === 0) {
      notes.push(...noWorkerNotes(facts));
    } else if (up !== undefined && facts.workers && facts.workers.running >= ep.workers.max) {
      notes.push(
        `All ${ep.workers.max} allowed worker(s) are busy: jobs wait for a free one; raise workers_max for more throughput.`,
      );
    }
  }
  if (notes.length === 0) {
    notes.push("Cannot diagnose the queue: RunPod did not answer the health and endpoint reads.");
  }
  return notes.map((note) => redactSecrets(note));
}

/** One line on what an endpoint's /health counts mean and what to do. */
export function healthReading(
  jobs: { inQueue?: number; inProgress?: number },
  workers: Record<string, number>,
): string {
  const up = (workers.running ?? 0) + Math.max(workers.idle ?? 0, workers.ready ?? 0);
  const queued = jobs.inQueue ?? 0;
  const running = jobs.inProgress ?? 0;
  const parts: string[] = [];
  if (queued > 0 && up === 0) {
    parts.push(
      workers.throttled
        ? `${queued} job(s) waiting; ${workers.throttled} worker(s) throttled for lack of GPU capacity: add GPU pools (update_endpoint).`
        : workers.initializing
        ? `${queued} job(s) waiting while ${workers.initializing} worker(s) start (cold start).`
        : `${queued} job(s) waiting and no worker is up: check workers_max and GPU stock (get_job with wait_s explains a queued job).`,
    );
  } else if (queued > 0) {
    parts.push(
      `${queued} job(s) queued behind ${running} running: workers are busy; raise workers_max for more throughput.`,
    );
  } else if (running > 0) {
    parts.push(`${running} job(s) running, none waiting.`);
  } else {
    parts.push(`Idle: nothing queued or running; ${up} worker(s) up.`);
  }
  if (workers.unhealthy) {
    parts.push(`${workers.unhealthy} worker(s) unhealthy: check the worker image and its logs.`);
  }
  return parts.join(" ");
}
