/**
 * Serverless job tools: run a job (async or sync), read, wait for and stream it, cancel and retry
 * it, read an endpoint's health and purge its queue. Outputs are redacted and capped at 16 KB,
 * and a job still waiting in the queue comes with a diagnosis of why.
 *
 * @module
 */

import { z } from "zod";
import { maskBody, redactSecrets } from "../secrets.ts";
import {
  cancelJob,
  getEndpointHealth,
  getJobStatus,
  isTerminalJobStatus,
  type JobRequestBody,
  type JobStatusBody,
  purgeQueue,
  retryJob,
  runJob,
  runJobSync,
  streamJob,
} from "../runpod/jobs.ts";
import { getEndpoint, listEndpointWorkers } from "../runpod/endpoints.ts";
import { RunpodApiError } from "../runpod/mod.ts";
import { formatBytes, LIMITS, tooLong } from "./_args.ts";
import {
  CREATES,
  defineTool,
  DESTRUCTIVE,
  type FullAnnotations,
  READ_ONLY,
  type ToolContext,
  ToolInputError,
} from "./_define.ts";

/** Largest job output, stream or error shown, in bytes of JSON. */
export const MAX_OUTPUT_BYTES = 16 * 1024;
const ID = /^[A-Za-z0-9_-]+$/;
const FIRST_POLL_MS = 1_000;
const MAX_POLL_MS = 10_000;
const MAX_STREAM_POLL_MS = 5_000;
/** The longest RunPod holds one empty /stream poll when we ask it to. */
const STREAM_HOLD_MS = 10_000;
const PROGRESS_EVERY_MS = 5_000;
const WEEK_S = 7 * 86_400;

const UTF8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Arguments

const endpointIdArg = z.string().trim().min(1).max(64).describe(
  "Queue endpoint id from list_endpoints, e.g. vllm-x7k2m9q4p1",
);
const jobIdArg = z.string().trim().min(1).max(128).describe(
  "Job id from run_job, e.g. 6c1f4a52-8b1e-4f0e-9a3d-2f7c0b5e9d11-u1",
);
const waitArg = (max: number, fallback: number, example: number) =>
  z.number().int().min(0).max(max).default(fallback).describe(
    `Most seconds to wait, 0-${max} (0 = read once), e.g. ${example}`,
  );

const submitArgs = {
  endpoint_id: endpointIdArg,
  input: z.record(z.string(), z.unknown()).describe(
    'The JSON object the worker handler receives as job["input"], e.g. {"prompt": "a red fox"}',
  ),
  webhook: z.string().max(LIMITS.WEBHOOK_URL_CHARS, tooLong("webhook", LIMITS.WEBHOOK_URL_CHARS))
    .optional().describe(
      "HTTPS URL RunPod POSTs the finished job to, e.g. https://example.com/runpod-hook",
    ),
  execution_timeout_s: z.number().int().min(5).max(WEEK_S).optional().describe(
    "Seconds the job may run before it is TIMED_OUT (overrides the endpoint's), e.g. 600",
  ),
  ttl_s: z.number().int().min(10).max(WEEK_S).optional().describe(
    "Seconds the job may exist, queue plus run, before RunPod drops it (default 1 day), e.g. 3600",
  ),
  low_priority: z.boolean().optional().describe(
    "True: the job does not make the endpoint start more workers, e.g. true",
  ),
};

type SubmitArgs = {
  input: Record<string, unknown>;
  webhook?: string | undefined;
  execution_timeout_s?: number | undefined;
  ttl_s?: number | undefined;
  low_priority?: boolean | undefined;
};

function checkId(value: string, what: "endpoint" | "job", action: string): void {
  if (!ID.test(value)) {
    const source = what === "endpoint" ? "list_endpoints" : "run_job";
    throw new ToolInputError(
      `Cannot ${action}: "${
        value.slice(0, 64)
      }" is not a valid ${what} id; it has only letters, digits, - and _ (see ${source})`,
    );
  }
}

function jsonBytes(value: unknown): number {
  try {
    return UTF8.encode(JSON.stringify(value) ?? "").length;
  } catch {
    return 0;
  }
}

function checkWebhook(webhook: string, action: string): void {
  let url: URL;
  try {
    url = new URL(webhook);
  } catch {
    throw new ToolInputError(
      `Cannot ${action}: webhook is not a URL; give a full https:// URL, e.g. https://example.com/hook`,
    );
  }
  if (url.protocol !== "https:") {
    throw new ToolInputError(
      `Cannot ${action}: webhook must use https://, not ${url.protocol}//; RunPod sends the job result (which may hold secrets) to it`,
    );
  }
}

/**
 * Builds the `/run` and `/runsync` body from flat arguments; times go to RunPod in ms. The whole
 * serialized body is held to `maxBytes` (RunPod's own cap), before anything is sent.
 */
function jobBody(args: SubmitArgs, maxBytes: number, action: string): JobRequestBody {
  if (args.webhook !== undefined) checkWebhook(args.webhook, action);
  const body: JobRequestBody = { input: args.input };
  if (args.webhook !== undefined) body.webhook = args.webhook;
  const policy: NonNullable<JobRequestBody["policy"]> = {};
  if (args.execution_timeout_s !== undefined) {
    policy.executionTimeout = args.execution_timeout_s * 1000;
  }
  if (args.ttl_s !== undefined) policy.ttl = args.ttl_s * 1000;
  if (args.low_priority !== undefined) policy.lowPriority = args.low_priority;
  if (Object.keys(policy).length > 0) body.policy = policy;
  const size = jsonBytes(body);
  if (size > maxBytes) {
    throw new ToolInputError(
      `Cannot ${action}: input makes the request body ${size} bytes of JSON, over RunPod's limit of ${maxBytes} bytes (${
        formatBytes(maxBytes)
      }); upload large data to S3 or a network volume and pass its URL or path in the input`,
    );
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Outputs: redaction and the 16 KB cap

interface Capped {
  value: unknown;
  /** JSON size of the whole value, before the cap. */
  bytes: number;
  truncated: boolean;
}

function truncationMarker(bytes: number, what: string): string {
  return `… [truncated: the full ${what} is ${bytes} bytes, over the ${MAX_OUTPUT_BYTES}-byte cap. Read it directly from RunPod's /status/{job_id} within its retention time, or have the worker write large results to S3 or a network volume and return their location]`;
}

/** The first `budget` bytes of `text`, cut on a character boundary. */
function sliceBytes(text: string, budget: number): string {
  const bytes = UTF8.encode(text);
  if (bytes.length <= budget) return text;
  return new TextDecoder().decode(bytes.slice(0, Math.max(0, budget))).replace(/\uFFFD+$/, "");
}

/** Redacts `value` and, when its JSON is over `budget` bytes, replaces it with a marked preview. */
function capValue(value: unknown, what: string, budget = MAX_OUTPUT_BYTES): Capped {
  const bytes = jsonBytes(value);
  // One masking module for every output: secret-named fields and credential-shaped strings.
  const clean = maskBody(value);
  if (bytes <= budget) return { value: clean, bytes, truncated: false };
  const text = typeof clean === "string" ? clean : JSON.stringify(clean) ?? "";
  const marker = truncationMarker(bytes, what);
  const preview = sliceBytes(text, budget - UTF8.encode(marker).length);
  return { value: `${preview}${marker}`, bytes, truncated: true };
}

function errorText(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  const text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  const capped = capValue(text, "error");
  return String(capped.value);
}

const jobShape = {
  endpoint_id: z.string(),
  job_id: z.string(),
  status: z.string().describe(
    "IN_QUEUE, IN_PROGRESS, then COMPLETED, FAILED, CANCELLED or TIMED_OUT",
  ),
  delay_ms: z.number().nullable().describe("Milliseconds the job waited in the queue"),
  execution_ms: z.number().nullable().describe("Milliseconds a worker spent on it"),
  worker_id: z.string().nullable(),
  retries: z.number(),
  output: z.unknown().optional().describe(
    "The handler's result (COMPLETED only), secrets redacted; a marked string when over 16 KB",
  ),
  output_bytes: z.number().nullable().describe("Full JSON size of the output in bytes"),
  output_truncated: z.boolean(),
  error: z.string().nullable().describe("Why the job failed, redacted and capped"),
};

type JobRow = z.output<z.ZodObject<typeof jobShape>>;

function jobRow(endpointId: string, job: JobStatusBody): JobRow {
  const row: JobRow = {
    endpoint_id: endpointId,
    job_id: job.id,
    status: job.status,
    delay_ms: job.delayTime ?? null,
    execution_ms: job.executionTime ?? null,
    worker_id: job.workerId ?? null,
    retries: job.retries ?? 0,
    output_bytes: null,
    output_truncated: false,
    error: errorText(job.error),
  };
  if (job.output !== undefined) {
    const capped = capValue(job.output, "output");
    row.output = capped.value;
    row.output_bytes = capped.bytes;
    row.output_truncated = capped.truncated;
  }
  return row;
}

const RETENTION =
  "RunPod keeps a /run job's result 30 min after it ends (a /runsync job's only 1-5 min)";

function nextStep(status: string): string {
  switch (status) {
    case "COMPLETED":
      return `Done. ${RETENTION}; save what you need.`;
    case "FAILED":
      return "The handler failed: read error, fix the worker image or the input, then retry_job (same input) or run_job.";
    case "TIMED_OUT":
      return "The job ran past its execution timeout: run it again with a larger execution_timeout_s, or retry_job.";
    case "CANCELLED":
      return "The job was cancelled; run_job runs it again.";
    default:
      return `Still ${status}: call get_job with wait_s (up to 300) to keep waiting, stream_job for partial output, or cancel_job.`;
  }
}

function jobSummary(row: JobRow, extra = ""): string {
  const timing = row.execution_ms !== null
    ? ` (queued ${row.delay_ms ?? 0} ms, ran ${row.execution_ms} ms)`
    : "";
  const error = row.error ? `: ${row.error.slice(0, 300)}` : "";
  return `Job ${row.job_id} on endpoint ${row.endpoint_id} is ${row.status}${timing}${error}.${extra}`;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Turns job-API errors that need the job's context into an explanation; others pass through. */
function explainJobError(error: unknown, endpointId: string, jobId?: string): unknown {
  if (!(error instanceof RunpodApiError) || error.api !== "jobs") return error;
  const detail = error.detail ?? error.title ?? "";
  if (error.status === 404) {
    const what = jobId ? `job ${jobId} on endpoint ${endpointId}` : `endpoint ${endpointId}`;
    const why = jobId
      ? `the endpoint id or job id is wrong, or the job is past its TTL or result retention (${RETENTION}); run it again with run_job`
      : "check the id with list_endpoints";
    return new ToolInputError(`Cannot find ${what}: RunPod answered 404 (${detail}): ${why}`);
  }
  if (error.status === 400 && /QB API/i.test(detail)) {
    return new ToolInputError(
      `Cannot use the job API on endpoint ${endpointId}: it is a LOAD_BALANCER endpoint; send HTTP requests to its own URL (https://${endpointId}.api.runpod.ai/…) instead`,
    );
  }
  return error;
}

async function explained<T>(
  work: Promise<T>,
  endpointId: string,
  jobId?: string,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw explainJobError(error, endpointId, jobId);
  }
}

// ---------------------------------------------------------------------------------------------
// Queue diagnosis

async function quietly<T>(ctx: ToolContext, what: string, work: () => Promise<T>) {
  try {
    return await work();
  } catch (error) {
    ctx.logger.debug("queue diagnosis step failed", {
      step: what,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

const LEVELS = ["NONE", "LOW", "MEDIUM", "HIGH"];

function best(levels: readonly (string | undefined)[]): string {
  let top = "NONE";
  for (const level of levels) {
    if (level && LEVELS.indexOf(level) > LEVELS.indexOf(top)) top = level;
  }
  return top;
}

/**
 * Explains why jobs of an endpoint wait in the queue, from its health, settings, workers and
 * (when no worker is up) the serverless GPU stock of its pools. Never throws.
 */
export async function diagnoseQueue(ctx: ToolContext, endpointId: string): Promise<string[]> {
  try {
    const opts = { signal: ctx.signal };
    const notes: string[] = [];
    const health = await quietly(
      ctx,
      "health",
      () => getEndpointHealth(ctx.runpod, endpointId, opts),
    );
    const endpoint = await quietly(
      ctx,
      "endpoint",
      () => getEndpoint(ctx.runpod, endpointId, ctx.signal),
    );
    const workers = await quietly(
      ctx,
      "workers",
      async () => (await listEndpointWorkers(ctx.runpod, endpointId, ctx.signal)).summary,
    );
    if (health) {
      const j = health.jobs;
      const w = health.workers;
      notes.push(
        `Queue: ${j.inQueue ?? 0} waiting, ${j.inProgress ?? 0} running. Workers: ${
          w.running ?? 0
        } running, ${w.idle ?? 0} idle, ${w.initializing ?? 0} initializing, ${
          w.throttled ?? 0
        } throttled, ${w.unhealthy ?? 0} unhealthy.`,
      );
    }
    const up = workers
      ? workers.running + workers.idle
      : health
      ? (health.workers.running ?? 0) + (health.workers.idle ?? 0)
      : undefined;
    const throttled = workers?.throttled ?? health?.workers.throttled ?? 0;
    const initializing = workers?.initializing ?? health?.workers.initializing ?? 0;
    const unhealthy = workers?.unhealthy ?? health?.workers.unhealthy ?? 0;
    if (endpoint) {
      const { min, max } = endpoint.workers;
      if (max === 0) {
        notes.push(
          "workers_max is 0: the endpoint may not start any worker, so jobs wait until it is raised (update_endpoint) or they expire.",
        );
      } else if (up === 0) {
        let stockProblem = false;
        if (endpoint.gpu && endpoint.gpu.pools.length > 0) {
          const gpu = endpoint.gpu;
          const gpus = await quietly(ctx, "catalog", () =>
            ctx.runpod.listGpuTypes({
              include: "AVAILABILITY",
              product: "SERVERLESS",
              ...((gpu.count ?? 1) > 1 ? { count: gpu.count } : {}),
            }, ctx.signal));
          if (gpus) {
            const excluded = new Set((gpu.excludedTypes ?? []).map((t) => t.trim()));
            const dcs = endpoint.dataCenterIds ?? [];
            const eligible = gpus.filter((g) =>
              g.pool !== null && gpu.pools.includes(g.pool) && !excluded.has(g.id)
            );
            const level = best(
              eligible.map((g) =>
                dcs.length === 0 ? g.availability : best(
                  (g.dataCenters ?? []).filter((d) => dcs.includes(d.id)).map((d) =>
                    d.availability
                  ),
                )
              ),
            );
            if (level === "NONE") {
              stockProblem = true;
              const where = dcs.length > 0 ? ` in data centers ${dcs.join(", ")}` : "";
              notes.push(
                `${
                  throttled > 0 ? "All workers throttled: no" : "No"
                } serverless GPU stock in pools ${
                  gpu.pools.join(", ")
                }${where}, so no worker can start. Add pools (update_endpoint) or wait for capacity.`,
              );
            }
          }
        }
        if (!stockProblem && throttled > 0) {
          notes.push(
            `${throttled} worker(s) throttled, waiting for GPU capacity: add GPU pools or data centers with update_endpoint.`,
          );
        }
        if (unhealthy > 0) {
          notes.push(
            `${unhealthy} worker(s) unhealthy: they fail RunPod's health checks; check the worker image and its logs.`,
          );
        }
        if (initializing > 0) {
          notes.push(
            min === 0
              ? "workers_min is 0 and workers are still initializing (cold start): the first job waits for a worker to pull the image and load; set workers_min to 1 to keep one warm (billed while idle)."
              : `${initializing} worker(s) still initializing (pulling the image or loading the model).`,
          );
        } else if (!stockProblem && throttled === 0 && unhealthy === 0) {
          notes.push(
            min === 0
              ? "No worker is up yet: with workers_min 0 RunPod starts one on demand (a cold start takes seconds to minutes); jobs sent with low_priority never start one."
              : "No worker is up although workers_min > 0: they may be restarting; check the endpoint's workers.",
          );
        }
      } else if (up !== undefined && workers && workers.running >= max) {
        notes.push(
          `All ${max} allowed worker(s) are busy: jobs wait for a free one; raise workers_max for more throughput.`,
        );
      }
    }
    if (notes.length === 0) {
      notes.push("Cannot diagnose the queue: RunPod did not answer the health and endpoint reads.");
    }
    return notes.map((note) => redactSecrets(note));
  } catch (error) {
    ctx.logger.debug("queue diagnosis failed", {
      error: error instanceof Error ? error.message : String(error),
    });
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting

interface Waited {
  job: JobStatusBody;
  polls: number;
  waitedS: number;
}

/**
 * Polls `/status` with backoff until the job ends or `waitS` (from `started`) runs out. `first`
 * is a status already in hand (from /runsync); otherwise the first poll happens at once.
 */
async function waitForJob(
  ctx: ToolContext,
  endpointId: string,
  jobId: string,
  waitS: number,
  started: number,
  first?: JobStatusBody,
): Promise<Waited> {
  const deadline = started + waitS * 1000;
  let interval = FIRST_POLL_MS;
  let polls = 0;
  let job = first;
  for (;;) {
    if (!job) {
      job = await explained(
        getJobStatus(ctx.runpod, endpointId, jobId, { signal: ctx.signal }),
        endpointId,
        jobId,
      );
      polls++;
      if (waitS > 0) {
        const waited = Math.round((ctx.clock.now() - started) / 1000);
        await ctx.progress(waited, waitS, `Job ${jobId} is ${job.status} after ${waited} s`);
      }
    }
    const waitedS = Math.round((ctx.clock.now() - started) / 1000);
    const remaining = deadline - ctx.clock.now();
    if (isTerminalJobStatus(job.status) || remaining <= 0) return { job, polls, waitedS };
    await ctx.clock.sleep(Math.min(interval, remaining), ctx.signal);
    interval = Math.min(Math.round(interval * 1.5), MAX_POLL_MS);
    job = undefined;
  }
}

const waitedShape = {
  ...jobShape,
  waited_s: z.number(),
  polls: z.number().describe("Status reads made while waiting"),
  diagnosis: z.array(z.string()).describe("Why the job is still queued, when it is"),
  next: z.string(),
};

async function waitedResult(
  ctx: ToolContext,
  endpointId: string,
  waited: Waited,
  waitS: number,
) {
  const row = jobRow(endpointId, waited.job);
  const diagnosis = row.status === "IN_QUEUE" && waitS > 0
    ? await diagnoseQueue(ctx, endpointId)
    : [];
  const next = nextStep(row.status);
  const after = waitS > 0 ? ` after ${waited.waitedS} s` : "";
  const why = diagnosis.length > 0 ? ` Diagnosis: ${diagnosis[diagnosis.length - 1]}` : "";
  return {
    summary: jobSummary(row, `${after ? ` Checked${after}.` : ""} ${next}${why}`),
    data: { ...row, waited_s: waited.waitedS, polls: waited.polls, diagnosis, next },
  };
}

// ---------------------------------------------------------------------------------------------
// Tools

/** `run_job`: queues a job and returns at once. */
export const runJobTool = defineTool({
  name: "run_job",
  title: "Run a serverless job",
  description:
    "Queues a job on a QUEUE serverless endpoint (POST /run) and returns its id at once; the endpoint bills per second of worker time (USD). Use for anything longer than a few seconds; then call get_job with wait_s to wait for the output, or stream_job for streaming handlers. Sent exactly once, never retried. For a quick answer in one call use run_job_sync.",
  toolset: "serverless",
  annotations: CREATES,
  input: submitArgs,
  output: {
    endpoint_id: z.string(),
    job_id: z.string(),
    status: z.string(),
    next: z.string(),
  },
  async run(args, ctx) {
    const action = `run a job on endpoint ${args.endpoint_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    const body = jobBody(args, LIMITS.RUN_BODY_BYTES, action);
    const job = await explained(
      runJob(ctx.runpod, args.endpoint_id, body, { signal: ctx.signal }),
      args.endpoint_id,
    );
    const next =
      `Call get_job with endpoint_id=${args.endpoint_id}, job_id=${job.id} and wait_s=60 to wait for the result${
        body.webhook ? ", or wait for the webhook" : ""
      }.`;
    return {
      summary: `Queued job ${job.id} on endpoint ${args.endpoint_id} (${job.status}). ${next}`,
      data: { endpoint_id: args.endpoint_id, job_id: job.id, status: job.status, next },
    };
  },
});

/** `run_job_sync`: runs a job and waits for its result. */
export const runJobSyncTool = defineTool({
  name: "run_job_sync",
  title: "Run a serverless job and wait",
  description:
    "Runs a job on a QUEUE serverless endpoint and waits up to wait_s seconds (max 300) for its output (POST /runsync); billed per second of worker time (USD). If it is not done in time you get the job id and status, not an error: continue with get_job. The result is kept only 1-5 min, so prefer run_job for long jobs. Sent once, never retried.",
  toolset: "serverless",
  annotations: CREATES,
  input: {
    ...submitArgs,
    wait_s: z.number().int().min(1).max(300).default(60).describe(
      "Most seconds to wait for the result, 1-300, e.g. 60",
    ),
  },
  output: waitedShape,
  async run(args, ctx) {
    const action = `run a job on endpoint ${args.endpoint_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    const body = jobBody(args, LIMITS.RUNSYNC_BODY_BYTES, action);
    const started = ctx.clock.now();
    const realStart = performance.now();
    // RunPod holds /runsync open; a timer keeps the client informed (and its timeout reset).
    const timer = setInterval(() => {
      const elapsed = Math.round((performance.now() - realStart) / 1000);
      ctx.progress(elapsed, args.wait_s, `Waiting for the job: ${elapsed} of ${args.wait_s} s`)
        .catch(() => {});
    }, PROGRESS_EVERY_MS);
    let first: JobStatusBody;
    try {
      first = await explained(
        runJobSync(ctx.runpod, args.endpoint_id, body, {
          waitMs: args.wait_s * 1000,
          signal: ctx.signal,
        }),
        args.endpoint_id,
      );
    } finally {
      clearInterval(timer);
    }
    const waited = await waitForJob(ctx, args.endpoint_id, first.id, args.wait_s, started, first);
    return await waitedResult(ctx, args.endpoint_id, waited, args.wait_s);
  },
});

/** `get_job`: reads a job, optionally waiting until it ends. */
export const getJobTool = defineTool({
  name: "get_job",
  title: "Get a serverless job",
  description:
    "Reads a serverless job's status and, once COMPLETED, its output (capped at 16 KB, secrets redacted); FAILED jobs show their error. With wait_s > 0 it polls until the job ends or wait_s (max 300) passes, reporting progress; a job still queued then comes with a diagnosis. Results are kept 30 min after a run_job job ends (1-5 min for run_job_sync).",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: {
    endpoint_id: endpointIdArg,
    job_id: jobIdArg,
    wait_s: waitArg(300, 0, 60),
  },
  output: waitedShape,
  async run(args, ctx) {
    const action = `get job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const waited = await waitForJob(
      ctx,
      args.endpoint_id,
      args.job_id,
      args.wait_s,
      ctx.clock.now(),
    );
    return await waitedResult(ctx, args.endpoint_id, waited, args.wait_s);
  },
});

/** `stream_job`: collects a streaming job's chunks. */
export const streamJobTool = defineTool({
  name: "stream_job",
  title: "Stream a serverless job's output",
  description:
    "Collects the partial output of a job whose handler yields chunks (GET /stream), until the job ends or wait_s (max 300) passes. Each call returns only chunks not returned before: RunPod hands every chunk out once. Output is capped at 16 KB. Call again while the status is IN_QUEUE or IN_PROGRESS; get_job gives the final status.",
  toolset: "serverless",
  annotations: {
    // Reading drains RunPod's chunk buffer, so a second call does not return the same chunks.
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  input: {
    endpoint_id: endpointIdArg,
    job_id: jobIdArg,
    wait_s: waitArg(300, 30, 30),
  },
  output: {
    endpoint_id: z.string(),
    job_id: z.string(),
    status: z.string(),
    output: z.unknown().describe(
      "The chunks received: one string when every chunk is text, else the list of chunks",
    ),
    chunk_count: z.number().describe("Chunks received in this call"),
    total_bytes: z.number().describe("JSON size of every chunk received, before the cap"),
    truncated: z.boolean().describe("True when chunks were cut or left out by the 16 KB cap"),
    polls: z.number(),
    waited_s: z.number(),
    next: z.string(),
  },
  async run(args, ctx) {
    const action = `stream job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const started = ctx.clock.now();
    const deadline = started + args.wait_s * 1000;
    const chunks: unknown[] = [];
    let totalBytes = 0;
    let status = "IN_QUEUE";
    let polls = 0;
    let interval = FIRST_POLL_MS;
    for (;;) {
      const pollStart = ctx.clock.now();
      const waitMs = Math.min(Math.max(deadline - pollStart, 1000), STREAM_HOLD_MS);
      const body = await explained(
        streamJob(ctx.runpod, args.endpoint_id, args.job_id, { waitMs, signal: ctx.signal }),
        args.endpoint_id,
        args.job_id,
      );
      polls++;
      status = body.status;
      const fresh = (body.stream ?? []).map((c) => c.output);
      for (const chunk of fresh) {
        chunks.push(chunk);
        totalBytes += jsonBytes(chunk);
      }
      const waited = Math.round((ctx.clock.now() - started) / 1000);
      if (args.wait_s > 0) {
        await ctx.progress(
          waited,
          args.wait_s,
          `${chunks.length} chunk(s) so far; job ${args.job_id} is ${status}`,
        );
      }
      const remaining = deadline - ctx.clock.now();
      if (isTerminalJobStatus(status) || remaining <= 0) break;
      if (fresh.length > 0) {
        interval = FIRST_POLL_MS;
      } else if (ctx.clock.now() - pollStart < FIRST_POLL_MS) {
        // RunPod answered an empty poll at once instead of holding it: back off.
        await ctx.clock.sleep(Math.min(interval, remaining), ctx.signal);
        interval = Math.min(Math.round(interval * 1.5), MAX_STREAM_POLL_MS);
      }
    }
    const allText = chunks.length > 0 && chunks.every((c) => typeof c === "string");
    const joined: unknown = allText ? chunks.join("") : chunks;
    const capped = capValue(joined, "stream");
    const waitedS = Math.round((ctx.clock.now() - started) / 1000);
    const next = isTerminalJobStatus(status)
      ? status === "COMPLETED"
        ? "The job is done; get_job shows its final output."
        : `The job ended ${status}; get_job shows why.`
      : "The job is still running: call stream_job again for the next chunks.";
    return {
      summary:
        `Received ${chunks.length} chunk(s) (${totalBytes} bytes) from job ${args.job_id} in ${polls} poll(s); it is ${status}.${
          capped.truncated ? " Output truncated to 16 KB." : ""
        } ${next}`,
      data: {
        endpoint_id: args.endpoint_id,
        job_id: args.job_id,
        status,
        output: capped.value,
        chunk_count: chunks.length,
        total_bytes: totalBytes,
        truncated: capped.truncated,
        polls,
        waited_s: waitedS,
        next,
      },
    };
  },
});

const jobActionOutput = {
  endpoint_id: z.string(),
  job_id: z.string(),
  status: z.string(),
  previous_status: z.string().nullable(),
  note: z.string(),
};

const CANCEL: FullAnnotations = {
  readOnlyHint: false,
  // Stops work in progress, but loses nothing stored: the job can be run again.
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};

/** `cancel_job`: cancels a queued or running job. */
export const cancelJobTool = defineTool({
  name: "cancel_job",
  title: "Cancel a serverless job",
  description:
    "Cancels a queued or running serverless job (POST /cancel); a running job stops and its worker time so far is still billed (USD). A job that already ended keeps its status. To drop every queued job of an endpoint at once use purge_queue.",
  toolset: "serverless",
  annotations: CANCEL,
  input: { endpoint_id: endpointIdArg, job_id: jobIdArg },
  output: jobActionOutput,
  async run(args, ctx) {
    const action = `cancel job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const job = await explained(
      cancelJob(ctx.runpod, args.endpoint_id, args.job_id, { signal: ctx.signal }),
      args.endpoint_id,
      args.job_id,
    );
    const note = job.status === "CANCELLED"
      ? "The job is cancelled; run_job runs it again."
      : `The job had already ended ${job.status}; nothing was cancelled. get_job shows its result.`;
    return {
      summary: `Job ${job.id} on endpoint ${args.endpoint_id} is ${job.status}. ${note}`,
      data: {
        endpoint_id: args.endpoint_id,
        job_id: job.id,
        status: job.status,
        previous_status: null,
        note,
      },
    };
  },
});

const RETRYABLE = new Set(["FAILED", "TIMED_OUT"]);

function notRetryable(jobId: string, status: string): ToolInputError {
  const advice = status === "COMPLETED"
    ? "it succeeded; get_job shows its output, and run_job runs it again"
    : status === "CANCELLED"
    ? "run_job runs it again"
    : "it has not ended yet; wait with get_job wait_s=60";
  return new ToolInputError(
    `Cannot retry job ${jobId}: it is ${status}, and RunPod retries only FAILED or TIMED_OUT jobs; ${advice}`,
  );
}

/** `retry_job`: re-runs a failed or timed-out job. */
export const retryJobTool = defineTool({
  name: "retry_job",
  title: "Retry a failed serverless job",
  description:
    "Re-queues a FAILED or TIMED_OUT serverless job with the same id and input (POST /retry); its old output and error are cleared and the new run is billed (USD). Only within the result retention (30 min after a run_job job ended). Then wait with get_job. Other states are refused with the reason.",
  toolset: "serverless",
  annotations: CREATES,
  input: { endpoint_id: endpointIdArg, job_id: jobIdArg },
  output: jobActionOutput,
  async run(args, ctx) {
    const action = `retry job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const opts = { signal: ctx.signal };
    const before = await explained(
      getJobStatus(ctx.runpod, args.endpoint_id, args.job_id, opts),
      args.endpoint_id,
      args.job_id,
    );
    if (!RETRYABLE.has(before.status)) throw notRetryable(before.id, before.status);
    let job: JobStatusBody;
    try {
      job = await retryJob(ctx.runpod, args.endpoint_id, args.job_id, opts);
    } catch (error) {
      // The job may have changed between the check and the retry; explain with its new state.
      if (error instanceof RunpodApiError && error.status === 400) {
        const now = await explained(
          getJobStatus(ctx.runpod, args.endpoint_id, args.job_id, opts),
          args.endpoint_id,
          args.job_id,
        );
        if (!RETRYABLE.has(now.status)) throw notRetryable(now.id, now.status);
      }
      throw explainJobError(error, args.endpoint_id, args.job_id);
    }
    const previousError = errorText(before.error);
    const note =
      `Re-queued; wait for it with get_job endpoint_id=${args.endpoint_id} job_id=${job.id} wait_s=60.`;
    return {
      summary: `Retrying job ${job.id} (was ${before.status}${
        previousError ? `: ${previousError.slice(0, 200)}` : ""
      }), now ${job.status}. ${note}`,
      data: {
        endpoint_id: args.endpoint_id,
        job_id: job.id,
        status: job.status,
        previous_status: before.status,
        note,
      },
    };
  },
});

function healthReading(
  jobs: Record<string, number>,
  workers: Record<string, number>,
): string {
  const up = (workers.running ?? 0) + Math.max(workers.idle ?? 0, workers.ready ?? 0);
  const parts: string[] = [];
  const queued = jobs.inQueue ?? 0;
  const running = jobs.inProgress ?? 0;
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

/** `get_endpoint_health`: job and worker counts of one endpoint. */
export const getEndpointHealthTool = defineTool({
  name: "get_endpoint_health",
  title: "Get serverless endpoint health",
  description:
    "Shows a QUEUE serverless endpoint's job counts (queued, running, completed, failed, retried) and worker counts (running, idle, initializing, throttled, unhealthy) with a one-line reading. Use it when jobs seem stuck or slow; then get_job with wait_s for a given job, purge_queue to drop a backlog, or update_endpoint to change workers.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: { endpoint_id: endpointIdArg },
  output: {
    endpoint_id: z.string(),
    jobs: z.object({
      in_queue: z.number(),
      in_progress: z.number(),
      completed: z.number(),
      failed: z.number(),
      retried: z.number(),
    }),
    workers: z.object({
      running: z.number(),
      idle: z.number(),
      ready: z.number(),
      initializing: z.number(),
      throttled: z.number(),
      unhealthy: z.number(),
    }),
    reading: z.string().describe("What the counts mean and what to do"),
  },
  async run(args, ctx) {
    checkId(args.endpoint_id, "endpoint", `read the health of endpoint ${args.endpoint_id}`);
    const health = await explained(
      getEndpointHealth(ctx.runpod, args.endpoint_id, { signal: ctx.signal }),
      args.endpoint_id,
    );
    const j = health.jobs;
    const w = health.workers;
    const jobs = {
      in_queue: j.inQueue ?? 0,
      in_progress: j.inProgress ?? 0,
      completed: j.completed ?? 0,
      failed: j.failed ?? 0,
      retried: j.retried ?? 0,
    };
    const workers = {
      running: w.running ?? 0,
      idle: w.idle ?? 0,
      ready: w.ready ?? 0,
      initializing: w.initializing ?? 0,
      throttled: w.throttled ?? 0,
      unhealthy: w.unhealthy ?? 0,
    };
    const reading = healthReading(
      { inQueue: jobs.in_queue, inProgress: jobs.in_progress },
      workers,
    );
    return {
      summary:
        `Endpoint ${args.endpoint_id}: ${jobs.in_queue} queued, ${jobs.in_progress} running, ${jobs.completed} completed, ${jobs.failed} failed; workers ${workers.running} running, ${workers.idle} idle. ${reading}`,
      data: { endpoint_id: args.endpoint_id, jobs, workers, reading },
    };
  },
});

/** `purge_queue`: removes every queued job of an endpoint. */
export const purgeQueueTool = defineTool({
  name: "purge_queue",
  title: "Purge a serverless endpoint's queue",
  description:
    "Removes every job still waiting (IN_QUEUE) on a serverless endpoint (POST /purge-queue). Jobs already running are not affected: stop them with cancel_job. Removed jobs are gone, with no result; confirm with the user first. RunPod allows about 2 purges per 10 s. get_endpoint_health shows the queue.",
  toolset: "serverless",
  annotations: DESTRUCTIVE,
  input: { endpoint_id: endpointIdArg },
  output: {
    endpoint_id: z.string(),
    removed: z.number().describe("Queued jobs removed"),
    note: z.string(),
  },
  async run(args, ctx) {
    checkId(args.endpoint_id, "endpoint", `purge the queue of endpoint ${args.endpoint_id}`);
    const result = await explained(
      purgeQueue(ctx.runpod, args.endpoint_id, { signal: ctx.signal }),
      args.endpoint_id,
    );
    const note =
      "Only queued (IN_QUEUE) jobs were removed; jobs already running continue (cancel_job stops one).";
    return {
      summary: `Removed ${result.removed} queued job(s) from endpoint ${args.endpoint_id}. ${note}`,
      data: { endpoint_id: args.endpoint_id, removed: result.removed, note },
    };
  },
});
