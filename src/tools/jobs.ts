/**
 * Serverless job tools: run a job (async or sync), read, wait for and stream it, cancel and retry
 * it, read an endpoint's health and purge its queue. Output shaping lives in `_job_output.ts`,
 * waiting in `_job_wait.ts`, the queue diagnosis in `_queue_diagnosis.ts`.
 *
 * @module
 */

import { z } from "zod";
import {
  cancelJob,
  getEndpointHealth,
  getJobStatus,
  isTerminalJobStatus,
  type JobStatusBody,
  purgeQueue,
  RETRYABLE_JOB_STATUSES,
  retryJob,
  runJob,
  runJobSync,
  streamJob,
} from "../runpod/jobs.ts";
import { RunpodApiError } from "../runpod/mod.ts";
import { LIMITS } from "./_args.ts";
import {
  CREATES,
  defineTool,
  DESTRUCTIVE,
  type FullAnnotations,
  READ_ONLY,
  type ToolContext,
  ToolInputError,
} from "./_define.ts";
import { checkId } from "./_id_check.ts";
import { endpointIdArg, jobBody, jobIdArg, submitArgs, waitArg } from "./_job_body.ts";
import { explained, explainJobError } from "./_job_errors.ts";
import {
  cappedError,
  capValue,
  fenced,
  jsonBytes,
  MAX_OUTPUT_BYTES,
  streamedOutput,
} from "./_job_output.ts";
import { waitedResult, waitedShape, waitForJob } from "./_job_wait.ts";
import { poll } from "./_poll.ts";
import { healthReading } from "./_queue_diagnosis.ts";
import { untrusted, UNTRUSTED_NOTE } from "./_untrusted.ts";

export { MAX_OUTPUT_BYTES };

const FIRST_STREAM_POLL_MS = 1_000;
const MAX_STREAM_POLL_MS = 5_000;
/** The longest RunPod holds one empty /stream poll when we ask it to. */
const STREAM_HOLD_MS = 10_000;
const PROGRESS_EVERY_MS = 5_000;

/** `run_job`: queues a job and returns at once. */
export const runJobTool = defineTool({
  name: "run_job",
  title: "Run job",
  description:
    "Queues a job (POST /run), returns its id; worker time bills per second (USD). Sent once. Then get_job with wait_s, or stream_job.",
  sandboxNote:
    "Sandbox worker input keys: duration_ms (run time, default 2000), fail (a string: the job FAILs with it), stream (an array of chunks emitted during the run), output (the result; default {echo: input}).",
  toolset: "serverless",
  annotations: CREATES,
  input: submitArgs,
  output: {
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
      data: { job_id: job.id, status: job.status, next },
    };
  },
});

/** Sends /runsync, telling the client every few seconds that the call is alive. */
async function runSyncWithProgress(
  ctx: ToolContext,
  endpointId: string,
  body: ReturnType<typeof jobBody>,
  waitS: number,
): Promise<JobStatusBody> {
  const realStart = performance.now();
  // RunPod holds /runsync open; a timer keeps the client informed (and its timeout reset).
  const timer = setInterval(() => {
    const elapsed = Math.round((performance.now() - realStart) / 1000);
    ctx.progress(elapsed, waitS, `Waiting for the job: ${elapsed} of ${waitS} s`).catch(() => {});
  }, PROGRESS_EVERY_MS);
  try {
    return await explained(
      runJobSync(ctx.runpod, endpointId, body, { waitMs: waitS * 1000, signal: ctx.signal }),
      endpointId,
    );
  } finally {
    clearInterval(timer);
  }
}

/** `run_job_sync`: runs a job and waits for its result. */
export const runJobSyncTool = defineTool({
  name: "run_job_sync",
  title: "Run job and wait",
  description:
    `Runs a job (POST /runsync), waiting up to wait_s for output; bills per second (USD). Not done: get_job. ${UNTRUSTED_NOTE}`,
  toolset: "serverless",
  annotations: CREATES,
  input: {
    ...submitArgs,
    wait_s: z.number().int().min(1).max(300).default(60).describe(
      "Seconds to wait, e.g. 60",
    ),
  },
  output: waitedShape,
  async run(args, ctx) {
    const action = `run a job on endpoint ${args.endpoint_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    const body = jobBody(args, LIMITS.RUNSYNC_BODY_BYTES, action);
    const started = ctx.clock.now();
    const first = await runSyncWithProgress(ctx, args.endpoint_id, body, args.wait_s);
    const waited = await waitForJob(ctx, args.endpoint_id, first.id, args.wait_s, started, first);
    return await waitedResult(ctx, args.endpoint_id, waited, args.wait_s);
  },
});

/** `get_job`: reads a job, optionally waiting until it ends. */
export const getJobTool = defineTool({
  name: "get_job",
  title: "Get job",
  description:
    `A job's status and output (≤16 KB) or error; wait_s > 0 polls until it ends, a queued job gets a diagnosis. ${UNTRUSTED_NOTE}`,
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
    const started = ctx.clock.now();
    const waited = await waitForJob(ctx, args.endpoint_id, args.job_id, args.wait_s, started);
    return await waitedResult(ctx, args.endpoint_id, waited, args.wait_s);
  },
});

/** Chunks one stream_job call collected. */
interface Collected {
  chunks: unknown[];
  bytes: number;
  /** Chunks the latest poll brought. */
  fresh: number;
}

/** Polls /stream until the job ends or the wait is over, collecting every chunk. */
async function collectStream(
  ctx: ToolContext,
  endpointId: string,
  jobId: string,
  waitS: number,
) {
  const started = ctx.clock.now();
  const deadline = started + waitS * 1000;
  const got: Collected = { chunks: [], bytes: 0, fresh: 0 };
  const result = await poll(ctx, {
    started,
    deadline,
    firstMs: FIRST_STREAM_POLL_MS,
    maxMs: MAX_STREAM_POLL_MS,
    read: async () => {
      const waitMs = Math.min(Math.max(deadline - ctx.clock.now(), 1000), STREAM_HOLD_MS);
      const body = await explained(
        streamJob(ctx.runpod, endpointId, jobId, { waitMs, signal: ctx.signal }),
        endpointId,
        jobId,
      );
      const fresh = (body.stream ?? []).map((c) => c.output);
      got.chunks.push(...fresh);
      got.bytes += fresh.reduce((sum: number, chunk) => sum + jsonBytes(chunk), 0);
      got.fresh = fresh.length;
      return body.status;
    },
    isDone: isTerminalJobStatus,
    totalS: waitS,
    progress: (status) =>
      waitS > 0 ? `${got.chunks.length} chunk(s) so far; job ${jobId} is ${status}` : undefined,
    // New chunks: ask again at once. An empty poll RunPod answered at once: back off.
    pace: (_status, readMs) =>
      got.fresh > 0 ? "reset" : readMs < FIRST_STREAM_POLL_MS ? "backoff" : "now",
  });
  return { ...got, status: result.value, polls: result.polls, waitedS: result.waitedS };
}

/** `stream_job`: collects a streaming job's chunks. */
export const streamJobTool = defineTool({
  name: "stream_job",
  title: "Stream job output",
  description:
    `A streaming job's new chunks (≤16 KB, each once) until it ends or wait_s passes. ${UNTRUSTED_NOTE}`,
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
    job_id: z.string(),
    status: z.string(),
    output: z.unknown().describe(
      "One chunk as is; several: one string when all are text, else the list",
    ),
    chunk_count: z.number(),
    truncated: z.boolean(),
    polls: z.number(),
    waited_s: z.number(),
    next: z.string(),
  },
  async run(args, ctx) {
    const action = `stream job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const got = await collectStream(ctx, args.endpoint_id, args.job_id, args.wait_s);
    const { chunks, status } = got;
    const capped = capValue(streamedOutput(chunks), "stream");
    const next = isTerminalJobStatus(status)
      ? status === "COMPLETED"
        ? "The job is done; get_job shows its final output."
        : `The job ended ${status}; get_job shows why.`
      : "The job is still running: call stream_job again for the next chunks.";
    const text =
      `Received ${chunks.length} chunk(s) (${got.bytes} bytes) from job ${args.job_id} on endpoint ${args.endpoint_id} in ${got.polls} poll(s) over ${got.waitedS} s; it is ${status}.${
        capped.truncated ? ` Output cut to the ${MAX_OUTPUT_BYTES}-byte cap.` : ""
      } ${next}`;
    return {
      summary: chunks.length > 0
        ? `${text}\n${fenced({ job_id: args.job_id }, "stream", capped.value)}`
        : text,
      data: {
        job_id: args.job_id,
        status,
        output: capped.value,
        chunk_count: chunks.length,
        truncated: capped.truncated,
        polls: got.polls,
        waited_s: got.waitedS,
        next,
      },
      // The text holds every field, and the chunks only inside their untrusted-data fence.
      summaryHasData: true,
    };
  },
});

const jobActionOutput = {
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
  title: "Cancel job",
  description:
    "Cancels a queued or running job; worker time so far stays billed (USD). An ended job is unchanged. purge_queue drops all queued jobs.",
  toolset: "serverless",
  annotations: CANCEL,
  input: { endpoint_id: endpointIdArg, job_id: jobIdArg },
  output: jobActionOutput,
  async run(args, ctx) {
    const action = `cancel job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const opts = { signal: ctx.signal };
    // /cancel answers only the new status; read the old one first so the model knows what stopped.
    const before = await explained(
      getJobStatus(ctx.runpod, args.endpoint_id, args.job_id, opts),
      args.endpoint_id,
      args.job_id,
    );
    const job = await explained(
      cancelJob(ctx.runpod, args.endpoint_id, args.job_id, opts),
      args.endpoint_id,
      args.job_id,
    );
    const note = job.status === "CANCELLED" && !isTerminalJobStatus(before.status)
      ? "The job is cancelled; run_job runs it again."
      : `The job had already ended ${job.status}; nothing was cancelled. get_job shows its result.`;
    return {
      summary:
        `Job ${job.id} on endpoint ${args.endpoint_id} was ${before.status}, now ${job.status}. ${note}`,
      data: {
        job_id: job.id,
        status: job.status,
        previous_status: before.status,
        note,
      },
    };
  },
});

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

/** Sends /retry; a 400 is explained with the job's state at that moment. */
async function sendRetry(ctx: ToolContext, endpointId: string, jobId: string) {
  const opts = { signal: ctx.signal };
  try {
    return await retryJob(ctx.runpod, endpointId, jobId, opts);
  } catch (error) {
    // The job may have changed between the check and the retry; explain with its new state.
    if (error instanceof RunpodApiError && error.status === 400) {
      const now = await explained(
        getJobStatus(ctx.runpod, endpointId, jobId, opts),
        endpointId,
        jobId,
      );
      if (!RETRYABLE_JOB_STATUSES.includes(now.status)) throw notRetryable(now.id, now.status);
    }
    throw explainJobError(error, endpointId, jobId);
  }
}

/** `retry_job`: re-runs a failed or timed-out job. */
export const retryJobTool = defineTool({
  name: "retry_job",
  title: "Retry failed job",
  description:
    "Re-runs a FAILED or TIMED_OUT job (same id, input) within 30 min of its end; bills per second (USD). Then get_job with wait_s.",
  toolset: "serverless",
  annotations: CREATES,
  input: { endpoint_id: endpointIdArg, job_id: jobIdArg },
  output: jobActionOutput,
  async run(args, ctx) {
    const action = `retry job ${args.job_id}`;
    checkId(args.endpoint_id, "endpoint", action);
    checkId(args.job_id, "job", action);
    const before = await explained(
      getJobStatus(ctx.runpod, args.endpoint_id, args.job_id, { signal: ctx.signal }),
      args.endpoint_id,
      args.job_id,
    );
    if (!RETRYABLE_JOB_STATUSES.includes(before.status)) {
      throw notRetryable(before.id, before.status);
    }
    const job = await sendRetry(ctx, args.endpoint_id, args.job_id);
    const previousError = cappedError(before.error);
    const note =
      `Re-queued; wait for it with get_job endpoint_id=${args.endpoint_id} job_id=${job.id} wait_s=60.`;
    return {
      summary: `Retrying job ${job.id} (was ${before.status}), now ${job.status}. ${note}${
        previousError
          ? `\n${untrusted(`job ${job.id} previous error`, previousError.slice(0, 200))}`
          : ""
      }`,
      data: {
        job_id: job.id,
        status: job.status,
        previous_status: before.status,
        note,
      },
    };
  },
});

/** `get_endpoint_health`: job and worker counts of one endpoint. */
export const getEndpointHealthTool = defineTool({
  name: "get_endpoint_health",
  title: "Endpoint health",
  description:
    "A QUEUE endpoint's job and worker counts with a reading, for stuck or slow jobs. Then get_job, purge_queue or update_endpoint.",
  toolset: "serverless",
  annotations: READ_ONLY,
  input: { endpoint_id: endpointIdArg },
  output: {
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
      data: { jobs, workers, reading },
    };
  },
});

/** `purge_queue`: removes every queued job of an endpoint. */
export const purgeQueueTool = defineTool({
  name: "purge_queue",
  title: "Purge endpoint queue",
  description:
    "Drops every IN_QUEUE job of an endpoint, lost for good: confirm with the user first. Running jobs go on (cancel_job). About 2 per 10 s.",
  toolset: "serverless",
  annotations: DESTRUCTIVE,
  input: { endpoint_id: endpointIdArg },
  output: {
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
      data: { removed: result.removed, note },
    };
  },
});
