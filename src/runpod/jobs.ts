/**
 * Serverless job operations on a queue endpoint's job API (`https://api.runpod.ai/v2/{id}/…`):
 * submit (`/run`, `/runsync`), read (`/status`, `/stream`, `/health`) and act (`/cancel`,
 * `/retry`, `/purge-queue`), plus the two REST reads that explain why a job waits in the queue.
 *
 * Submitting is never retried after a 5xx or a timeout: RunPod may have queued the job, and a
 * second attempt would run (and bill) it twice. Nor can such a job be found afterwards (the job
 * API looks jobs up only by id), so an unknown outcome is reported as a
 * {@linkcode RunpodAmbiguousWriteError}.
 *
 * @module
 */

import { z } from "zod";
import type { RunpodClient } from "./client.ts";
import { RunpodAmbiguousWriteError } from "./errors.ts";
import { pathSegment } from "./path.ts";
import { isAmbiguousFailure } from "./reconcile.ts";
import type { OpenEnum } from "./schemas.ts";

/** Job statuses RunPod documents, in lifecycle order. */
export const JOB_STATUSES = [
  "IN_QUEUE",
  "IN_PROGRESS",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMED_OUT",
] as const;

/** A job status as read from RunPod: a documented one or a newer one. */
export type JobStatus = OpenEnum<typeof JOB_STATUSES[number]>;

/** Statuses after which a job never changes again (unless retried). */
export const TERMINAL_JOB_STATUSES: readonly string[] = [
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMED_OUT",
];

/** Statuses `/retry` accepts: the job ended without a result. */
export const RETRYABLE_JOB_STATUSES: readonly string[] = ["FAILED", "TIMED_OUT"];

/** True when `status` is final: COMPLETED, FAILED, CANCELLED or TIMED_OUT. */
export function isTerminalJobStatus(status: string): boolean {
  return TERMINAL_JOB_STATUSES.includes(status);
}

const jobStatus = z.string() as z.ZodType<JobStatus>;

/** Body of `/run` (always) and `/runsync`, `/status`, `/cancel`, `/retry` (`{id, status, …}`). */
export const JobStatusSchema = z.looseObject({
  id: z.string(),
  status: jobStatus,
  /** Milliseconds the job waited in the queue. */
  delayTime: z.number().optional(),
  /** Milliseconds the worker spent on it. */
  executionTime: z.number().optional(),
  /** The handler's return value; only on COMPLETED. */
  output: z.unknown().optional(),
  /** Why it failed; usually a string. */
  error: z.unknown().optional(),
  retries: z.number().optional(),
  workerId: z.string().optional(),
});
/** A job as the job API reports it. */
export type JobStatusBody = z.infer<typeof JobStatusSchema>;

/** Body of `GET /stream/{id}`: the chunks buffered since the previous poll. */
export const JobStreamSchema = z.looseObject({
  status: jobStatus,
  stream: z.array(z.looseObject({ output: z.unknown() })).optional(),
});
/** Body of `GET /stream/{id}`. */
export type JobStreamBody = z.infer<typeof JobStreamSchema>;

const count = z.number().optional();

/** Body of `GET /health`. The docs show only some worker fields, so every count is optional. */
export const EndpointHealthSchema = z.looseObject({
  jobs: z.looseObject({
    completed: count,
    failed: count,
    inProgress: count,
    inQueue: count,
    retried: count,
  }),
  workers: z.looseObject({
    idle: count,
    initializing: count,
    ready: count,
    running: count,
    throttled: count,
    unhealthy: count,
  }),
});
/** Body of `GET /health`. */
export type EndpointHealth = z.infer<typeof EndpointHealthSchema>;

/** Body of `POST /purge-queue`. */
export const PurgeQueueResultSchema = z.looseObject({
  removed: z.number(),
  status: z.string().optional(),
});
/** Body of `POST /purge-queue`. */
export type PurgeQueueResult = z.infer<typeof PurgeQueueResultSchema>;

/** `policy` of a job request; times in milliseconds. */
export interface JobPolicy {
  /** 5 000 ms to 7 days; overrides the endpoint's timeout for this job. */
  executionTimeout?: number;
  /** 10 000 ms to 7 days; covers queue plus execution. */
  ttl?: number;
  /** The job does not make the endpoint scale up. */
  lowPriority?: boolean;
}

/** Body of `/run` and `/runsync`. */
export interface JobRequestBody {
  input: Record<string, unknown>;
  /** HTTPS URL RunPod POSTs the finished job to. */
  webhook?: string;
  policy?: JobPolicy;
}

/** Extra per-request options shared by the operations below. */
export interface JobCallOptions {
  signal?: AbortSignal;
}

function jobPath(op: string, jobId: string): string {
  return `/${op}/${pathSegment(jobId, "job id")}`;
}

/** Why a submitted job cannot be looked up after its reply was lost. */
const NO_JOB_LOOKUP =
  "the job API finds jobs only by id, so whether it is queued cannot be checked; the endpoint's health counts (in queue, in progress) are the only hint";

/** Turns an ambiguous failure of a submit into a {@linkcode RunpodAmbiguousWriteError}. */
async function submitOnce(send: () => Promise<JobStatusBody>): Promise<JobStatusBody> {
  try {
    return await send();
  } catch (error) {
    if (!isAmbiguousFailure(error)) throw error;
    throw new RunpodAmbiguousWriteError({
      method: error.method,
      path: error.path,
      api: error.api,
      resource: "job",
      cause: error,
      lookup: "impossible",
      lookupDetail: NO_JOB_LOOKUP,
    });
  }
}

/**
 * Queues a job (`POST /run`) and returns `{id, status: "IN_QUEUE"}`. Never retried.
 *
 * @throws {RunpodAmbiguousWriteError} RunPod may have queued the job (timeout, dropped
 * connection, 5xx, unreadable reply).
 */
export async function runJob(
  client: RunpodClient,
  endpointId: string,
  body: JobRequestBody,
  options?: JobCallOptions,
): Promise<JobStatusBody> {
  return await submitOnce(() =>
    client.jobs(endpointId, {
      method: "POST",
      path: "/run",
      body,
      schema: JobStatusSchema,
      idempotent: false,
      signal: options?.signal,
    })
  );
}

/** Options for {@linkcode runJobSync}. */
export interface RunJobSyncOptions extends JobCallOptions {
  /** How long RunPod holds the request, 1 000–300 000 ms. */
  waitMs: number;
}

/** How much longer than `wait` the client waits for RunPod's answer before giving up. */
export const RUNSYNC_MARGIN_MS = 15_000;

/**
 * Runs a job and waits for it (`POST /runsync?wait=<ms>`). Returns the finished job, or
 * `{id, status}` still IN_QUEUE/IN_PROGRESS when `waitMs` ran out. Never retried.
 *
 * @throws {RunpodAmbiguousWriteError} RunPod may have run the job (timeout, dropped connection,
 * 5xx, unreadable reply).
 */
export async function runJobSync(
  client: RunpodClient,
  endpointId: string,
  body: JobRequestBody,
  options: RunJobSyncOptions,
): Promise<JobStatusBody> {
  return await submitOnce(() =>
    client.jobs(endpointId, {
      method: "POST",
      path: "/runsync",
      query: { wait: options.waitMs },
      body,
      schema: JobStatusSchema,
      idempotent: false,
      timeoutMs: options.waitMs + RUNSYNC_MARGIN_MS,
      signal: options?.signal,
    })
  );
}

/** Reads a job's status and, once it finished, its output or error (`GET /status/{id}`). */
export async function getJobStatus(
  client: RunpodClient,
  endpointId: string,
  jobId: string,
  options?: JobCallOptions,
): Promise<JobStatusBody> {
  return await client.jobs(endpointId, {
    method: "GET",
    path: jobPath("status", jobId),
    schema: JobStatusSchema,
    signal: options?.signal,
  });
}

/** Options for {@linkcode streamJob}. */
export interface StreamJobOptions extends JobCallOptions {
  /** How long RunPod may hold an empty poll, 1 000–300 000 ms. */
  waitMs: number;
}

/**
 * Drains the stream chunks buffered since the previous poll (`GET /stream/{id}?wait=<ms>`):
 * RunPod returns each chunk once, so callers must keep what they get.
 */
export async function streamJob(
  client: RunpodClient,
  endpointId: string,
  jobId: string,
  options: StreamJobOptions,
): Promise<JobStreamBody> {
  return await client.jobs(endpointId, {
    method: "GET",
    path: jobPath("stream", jobId),
    query: { wait: options.waitMs },
    schema: JobStreamSchema,
    timeoutMs: options.waitMs + RUNSYNC_MARGIN_MS,
    signal: options?.signal,
  });
}

/** Cancels a queued or running job (`POST /cancel/{id}`); cancelling twice is harmless. */
export async function cancelJob(
  client: RunpodClient,
  endpointId: string,
  jobId: string,
  options?: JobCallOptions,
): Promise<JobStatusBody> {
  return await client.jobs(endpointId, {
    method: "POST",
    path: jobPath("cancel", jobId),
    schema: JobStatusSchema,
    idempotent: true,
    signal: options?.signal,
  });
}

/** Re-queues a FAILED or TIMED_OUT job under the same id (`POST /retry/{id}`). Never retried. */
export async function retryJob(
  client: RunpodClient,
  endpointId: string,
  jobId: string,
  options?: JobCallOptions,
): Promise<JobStatusBody> {
  return await client.jobs(endpointId, {
    method: "POST",
    path: jobPath("retry", jobId),
    schema: JobStatusSchema,
    idempotent: false,
    signal: options?.signal,
  });
}

/** Reads job and worker counts of an endpoint (`GET /health`). */
export async function getEndpointHealth(
  client: RunpodClient,
  endpointId: string,
  options?: JobCallOptions,
): Promise<EndpointHealth> {
  return await client.jobs(endpointId, {
    method: "GET",
    path: "/health",
    schema: EndpointHealthSchema,
    signal: options?.signal,
  });
}

/**
 * Removes every queued job of an endpoint (`POST /purge-queue`); running jobs are untouched.
 * Purging twice removes nothing more, so a retry is safe.
 */
export async function purgeQueue(
  client: RunpodClient,
  endpointId: string,
  options?: JobCallOptions,
): Promise<PurgeQueueResult> {
  return await client.jobs(endpointId, {
    method: "POST",
    path: "/purge-queue",
    schema: PurgeQueueResultSchema,
    idempotent: true,
    signal: options?.signal,
  });
}
