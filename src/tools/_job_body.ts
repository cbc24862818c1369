/**
 * The arguments job tools share and the `/run` / `/runsync` body they become: times in seconds
 * turn into RunPod's milliseconds, the webhook must be https, and the whole body is held to
 * RunPod's size cap before anything is sent.
 *
 * @module
 */

import { z } from "zod";
import type { JobRequestBody } from "../runpod/jobs.ts";
import { formatBytes, LIMITS, tooLong } from "./_args.ts";
import { ToolInputError } from "./_define.ts";
import { jsonBytes } from "./_job_output.ts";

const WEEK_S = 7 * 86_400;

/** `endpoint_id` of a job tool. */
export const endpointIdArg = z.string().trim().min(1).max(64).describe(
  "Endpoint id, e.g. vllm-x7k2m9q4p1",
);

/** `job_id` of a job tool. */
export const jobIdArg = z.string().trim().min(1).max(128).describe(
  "Job id, e.g. 6c1f4a52-u1",
);

/** `wait_s`: 0 to `max` seconds, `fallback` when omitted. */
export const waitArg = (max: number, fallback: number, example: number) =>
  z.number().int().min(0).max(max).default(fallback).describe(
    `Wait s (0: read once), e.g. ${example}`,
  );

/** Arguments of run_job and run_job_sync. */
export const submitArgs = {
  endpoint_id: endpointIdArg,
  input: z.record(z.string(), z.unknown()).describe(
    'job["input"] for the handler, e.g. {"prompt": "a fox"}',
  ),
  webhook: z.string().max(LIMITS.WEBHOOK_URL_CHARS, tooLong("webhook", LIMITS.WEBHOOK_URL_CHARS))
    .optional().describe(
      "Result POST URL, e.g. https://x.io/hook",
    ),
  execution_timeout_s: z.number().int().min(5).max(WEEK_S).optional().describe(
    "Run limit, s, e.g. 600",
  ),
  ttl_s: z.number().int().min(10).max(WEEK_S).optional().describe(
    "Max lifetime, s, e.g. 3600",
  ),
  low_priority: z.boolean().optional().describe(
    "Don't scale up for it, e.g. true",
  ),
};

/** The submit arguments {@linkcode jobBody} reads. */
export interface SubmitArgs {
  input: Record<string, unknown>;
  webhook?: string | undefined;
  execution_timeout_s?: number | undefined;
  ttl_s?: number | undefined;
  low_priority?: boolean | undefined;
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
export function jobBody(args: SubmitArgs, maxBytes: number, action: string): JobRequestBody {
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
