/**
 * How a job's result reaches the model: redacted, capped at 16 KB with a marker that says how to
 * get the rest, and, in the text, fenced as untrusted data (a worker's output and error are
 * written by whoever controls the worker or its input).
 *
 * @module
 */

import { z } from "zod";
import type { JobStatusBody } from "../runpod/jobs.ts";
import { maskBody } from "../secrets.ts";
import { untrusted } from "./_untrusted.ts";

/** Largest job output, stream or error shown, in bytes of JSON. */
export const MAX_OUTPUT_BYTES = 16 * 1024;

/** How long RunPod keeps a result, for notes and errors. */
export const RETENTION =
  "RunPod keeps a /run job's result 30 min after it ends (a /runsync job's only 1-5 min)";

const UTF8 = new TextEncoder();

/** UTF-8 size of `value`'s JSON; 0 when it cannot be serialized. */
export function jsonBytes(value: unknown): number {
  try {
    return UTF8.encode(JSON.stringify(value) ?? "").length;
  } catch {
    return 0;
  }
}

/** A value after redaction and the cap. */
export interface Capped {
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
export function capValue(value: unknown, what: string, budget = MAX_OUTPUT_BYTES): Capped {
  const bytes = jsonBytes(value);
  // One masking module for every output: secret-named fields and credential-shaped strings.
  const clean = maskBody(value);
  if (bytes <= budget) return { value: clean, bytes, truncated: false };
  const text = asText(clean);
  const marker = truncationMarker(bytes, what);
  const preview = sliceBytes(text, budget - UTF8.encode(marker).length);
  return { value: `${preview}${marker}`, bytes, truncated: true };
}

/** A job's `error` as capped text, or null. */
export function cappedError(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  const text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  return String(capValue(text, "error").value);
}

/** A value as the text a model reads: strings as they are, anything else as JSON. */
function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
}

/**
 * The output of the chunks one stream_job call received, shaped like get_job's output: a single
 * chunk (a non-streaming handler's whole result) as it is, text chunks joined, else the list.
 */
export function streamedOutput(chunks: readonly unknown[]): unknown {
  if (chunks.length === 1) return chunks[0];
  if (chunks.length > 0 && chunks.every((c) => typeof c === "string")) return chunks.join("");
  return [...chunks];
}

/** Output fields of a job (the endpoint id is the caller's own argument, so not repeated). */
export const jobShape = {
  job_id: z.string(),
  status: z.string().describe(
    "IN_QUEUE, IN_PROGRESS, then COMPLETED, FAILED, CANCELLED or TIMED_OUT",
  ),
  delay_ms: z.number().nullable(),
  execution_ms: z.number().nullable(),
  worker_id: z.string().nullable(),
  retries: z.number(),
  output: z.unknown().optional().describe(
    "The handler's result (COMPLETED only), secrets redacted; a marked string when over 16 KB",
  ),
  output_bytes: z.number().nullable(),
  output_truncated: z.boolean(),
  error: z.string().nullable(),
};

/** A job as the tools return it, with its endpoint for the text. */
export type JobRow = z.output<z.ZodObject<typeof jobShape>> & { endpoint_id: string };

/** The job row of a job-API status body. */
export function jobRow(endpointId: string, job: JobStatusBody): JobRow {
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
    error: cappedError(job.error),
  };
  if (job.output !== undefined) {
    const capped = capValue(job.output, "output");
    row.output = capped.value;
    row.output_bytes = capped.bytes;
    row.output_truncated = capped.truncated;
  }
  return row;
}

/** What to do next for a job in `status`. */
export function nextStep(status: string): string {
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

/**
 * A job as text: one line of facts plus `extra`, then its output and error, each fenced as
 * untrusted data. It holds every field of the row, so the result needs no JSON copy.
 */
export function jobText(row: JobRow, extra = ""): string {
  const timing = row.execution_ms !== null
    ? ` (queued ${row.delay_ms ?? 0} ms, ran ${row.execution_ms} ms${
      row.worker_id ? ` on worker ${row.worker_id}` : ""
    })`
    : "";
  const retries = row.retries > 0 ? ` Retried ${row.retries} time(s).` : "";
  const size = row.output_bytes === null
    ? ""
    : ` Output: ${row.output_bytes} bytes of JSON${
      row.output_truncated ? `, cut to the ${MAX_OUTPUT_BYTES}-byte cap` : ""
    }.`;
  const parts = [
    `Job ${row.job_id} on endpoint ${row.endpoint_id} is ${row.status}${timing}.${retries}${size}${extra}`,
  ];
  if (row.output !== undefined) parts.push(fenced(row, "output", row.output));
  if (row.error !== null) parts.push(fenced(row, "error", row.error));
  return parts.join("\n");
}

/** `value` fenced as untrusted data from job `row`'s `what` (output, error, stream). */
export function fenced(row: Pick<JobRow, "job_id">, what: string, value: unknown): string {
  return untrusted(`job ${row.job_id} ${what}`, asText(value));
}
