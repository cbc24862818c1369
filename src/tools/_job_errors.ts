/**
 * Job-API errors that only make sense with the job's context: a 404 means a wrong id or a
 * result past its retention, a "QB API" 400 means a load-balancer endpoint.
 *
 * @module
 */

import { RunpodApiError } from "../runpod/mod.ts";
import { ToolInputError } from "./_define.ts";
import { RETENTION } from "./_job_output.ts";

/** Turns job-API errors that need the job's context into an explanation; others pass through. */
export function explainJobError(error: unknown, endpointId: string, jobId?: string): unknown {
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

/** Awaits `work`, explaining a job-API error with {@linkcode explainJobError}. */
export async function explained<T>(
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
