/**
 * Waiting for a job: status polls with backoff until it ends or time runs out, and, for a job
 * still queued, the facts that explain why (read here, judged by `_queue_diagnosis.ts`).
 *
 * @module
 */

import { listGpuTypes } from "../runpod/mod.ts";
import { z } from "zod";
import { getEndpoint, listEndpointWorkers } from "../runpod/endpoints.ts";
import {
  getEndpointHealth,
  getJobStatus,
  isTerminalJobStatus,
  type JobStatusBody,
} from "../runpod/jobs.ts";
import type { ToolContext } from "./_define.ts";
import { explained } from "./_job_errors.ts";
import { jobRow, jobShape, jobText, nextStep } from "./_job_output.ts";
import { poll } from "./_poll.ts";
import { diagnoseQueue, needsStock, type QueueFacts } from "./_queue_diagnosis.ts";

const FIRST_POLL_MS = 1_000;
const MAX_POLL_MS = 10_000;

/** Where a wait for a job ended. */
export interface Waited {
  job: JobStatusBody;
  polls: number;
  waitedS: number;
}

/**
 * Polls `/status` with backoff until the job ends or `waitS` (from `started`) runs out. `first`
 * is a status already in hand (from /runsync); otherwise the first poll happens at once.
 */
export async function waitForJob(
  ctx: ToolContext,
  endpointId: string,
  jobId: string,
  waitS: number,
  started: number,
  first?: JobStatusBody,
): Promise<Waited> {
  const result = await poll(ctx, {
    started,
    deadline: started + waitS * 1000,
    firstMs: FIRST_POLL_MS,
    maxMs: MAX_POLL_MS,
    ...(first ? { initial: first } : {}),
    read: () =>
      explained(
        getJobStatus(ctx.runpod, endpointId, jobId, { signal: ctx.signal }),
        endpointId,
        jobId,
      ),
    isDone: (job) => isTerminalJobStatus(job.status),
    totalS: waitS,
    progress: (job, waited) =>
      waitS > 0 ? `Job ${jobId} is ${job.status} after ${waited} s` : undefined,
  });
  return { job: result.value, polls: result.polls, waitedS: result.waitedS };
}

async function quietly<T>(ctx: ToolContext, step: string, work: () => Promise<T>) {
  try {
    return await work();
  } catch (error) {
    ctx.logger.debug("queue diagnosis step failed", {
      step,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/** Reads what {@linkcode diagnoseQueue} needs; a read that fails is left out. Never throws. */
export async function readQueueFacts(ctx: ToolContext, endpointId: string): Promise<QueueFacts> {
  const facts: QueueFacts = {
    health: await quietly(
      ctx,
      "health",
      () => getEndpointHealth(ctx.runpod, endpointId, { signal: ctx.signal }),
    ),
    endpoint: await quietly(ctx, "endpoint", () => getEndpoint(ctx.runpod, endpointId, ctx.signal)),
    workers: await quietly(
      ctx,
      "workers",
      async () => (await listEndpointWorkers(ctx.runpod, endpointId, ctx.signal)).summary,
    ),
  };
  if (needsStock(facts)) {
    const count = facts.endpoint?.gpu?.count ?? 1;
    facts.gpus = await quietly(ctx, "catalog", () =>
      listGpuTypes(ctx.runpod, {
        include: "AVAILABILITY",
        product: "SERVERLESS",
        ...(count > 1 ? { count } : {}),
      }, ctx.signal));
  }
  return facts;
}

/** Output of get_job and run_job_sync. */
export const waitedShape = {
  ...jobShape,
  waited_s: z.number(),
  polls: z.number(),
  diagnosis: z.array(z.string()).describe("Why the job is still queued, when it is"),
  next: z.string(),
};

function withoutEndpoint<T extends { endpoint_id: string }>(row: T): Omit<T, "endpoint_id"> {
  const { endpoint_id: _known, ...rest } = row;
  return rest;
}

/** The tool result of a wait: the job, a diagnosis when it is still queued, and what to do. */
export async function waitedResult(
  ctx: ToolContext,
  endpointId: string,
  waited: Waited,
  waitS: number,
) {
  const row = jobRow(endpointId, waited.job);
  const diagnosis = row.status === "IN_QUEUE" && waitS > 0
    ? diagnoseQueue(await readQueueFacts(ctx, endpointId))
    : [];
  const next = nextStep(row.status);
  const checked = waitS > 0 ? ` Checked after ${waited.waitedS} s (${waited.polls} poll(s)).` : "";
  // The finding comes first; the counts it rests on follow.
  const why = diagnosis.length > 0 ? ` Diagnosis: ${[...diagnosis].reverse().join(" ")}` : "";
  return {
    summary: jobText(row, `${checked} ${next}${why}`),
    data: {
      ...withoutEndpoint(row),
      waited_s: waited.waitedS,
      polls: waited.polls,
      diagnosis,
      next,
    },
    // The text holds every field, and the output only inside its untrusted-data fence.
    summaryHasData: true,
  };
}
