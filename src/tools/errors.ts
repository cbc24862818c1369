/**
 * The one function that turns any error thrown by a tool into a tool result the model can act
 * on. Handlers never catch errors themselves; they let them propagate here.
 *
 * @module
 */

import type { CallToolResult } from "../deps.ts";
import { redactSecrets } from "../log.ts";
import {
  clampRetryWait,
  isPermissionRefusal,
  MAX_RETRY_WAIT_S,
  RunpodAmbiguousWriteError,
  RunpodApiError,
  RunpodConnectionError,
  type RunpodRequestInfo,
  RunpodResponseError,
} from "../runpod/mod.ts";
import { GuardStop } from "../policy/guard.ts";
import { ToolInputError } from "./_define.ts";

function detailOf(error: RunpodApiError): string {
  const parts = [error.detail ?? error.title ?? ""].filter((p) => p !== "");
  if (error.errors.length > 0) parts.push(error.errors.slice(0, 5).join("; "));
  return parts.join(": ");
}

/** The listing that shows which ids exist, for the resource a failed request named. */
const LISTINGS: readonly [RegExp, string][] = [
  [/^\/v2\/pods/, "list_pods shows the pods that exist"],
  [/^\/v2\/serverless/, "list_endpoints shows the endpoints that exist"],
  [/^\/v2\/templates|^\/v2\/catalog\/templates/, "list_templates shows the templates"],
  [/^\/v2\/network-volumes/, "list_network_volumes shows the volumes that exist"],
  [/^\/v2\/registries\/delegations/, "list_ecr_delegations shows the ECR delegations"],
  [/^\/v2\/registries/, "list_registries shows the registry credentials"],
  [/^\/v2\/account\/ssh-keys/, "list_ssh_keys shows the account's SSH keys"],
  [/^\/v2\/clusters/, "list_clusters shows the clusters that exist"],
  [/^\/v2\/catalog\/gpus/, "list_gpu_types shows the GPU type ids"],
  [/^\/v2\/catalog\/cpus/, "list_cpu_types shows the CPU flavors"],
  [/^\/v2\/catalog\/datacenters/, "list_data_centers shows the data centers"],
];

function whereToLook(error: RunpodApiError): string {
  if (error.api === "jobs") {
    return "Check the endpoint id (list_endpoints); a job id is forgotten once its TTL or result retention passes (30 min after a run, 1-5 min after a sync run).";
  }
  const listing = LISTINGS.find(([pattern]) => pattern.test(error.path));
  return listing ? `Check the id; ${listing[1]}.` : "Check the id.";
}

/**
 * Where to look when a write's outcome is unknown: the read that shows the resource's state now.
 * Ids come from the path; job-API paths are `/v2/{endpointId}/…`.
 */
const CHECKS: Readonly<Record<"rest" | "jobs", readonly [RegExp, string][]>> = {
  rest: [
    [/^\/v2\/pods\/([^/]+)/, "get_pod with pod_id=$1"],
    [/^\/v2\/pods$/, "list_pods"],
    [/^\/v2\/serverless\/([^/]+)/, "get_endpoint with endpoint_id=$1"],
    [/^\/v2\/serverless$/, "list_endpoints"],
    [/^\/v2\/templates\/([^/]+)/, "get_template with template_id=$1"],
    [/^\/v2\/templates$/, "list_templates"],
    [/^\/v2\/network-volumes\/([^/]+)/, "get_network_volume with volume_id=$1"],
    [/^\/v2\/network-volumes$/, "list_network_volumes"],
    [/^\/v2\/registries\/delegations/, "list_ecr_delegations"],
    [/^\/v2\/registries/, "list_registries"],
    [/^\/v2\/account\/ssh-keys/, "list_ssh_keys"],
    [/^\/v2\/clusters\/([^/]+)/, "get_cluster with cluster_id=$1"],
    [/^\/v2\/clusters$/, "list_clusters"],
  ],
  jobs: [
    [
      /^\/v2\/([^/]+)\/(?:cancel|retry|status)\/([^/]+)/,
      "get_job with endpoint_id=$1 and job_id=$2",
    ],
    [/^\/v2\/([^/]+)\//, "get_endpoint_health with endpoint_id=$1 (jobs in queue and in progress)"],
  ],
};

/** Checks a tool named for a failed write whose path alone does not say which read to use. */
const CHECK_HINTS = new WeakMap<object, string>();

/**
 * Names the read that shows whether a failed write took effect, e.g. `list_secrets` for a GraphQL
 * mutation, where the request's path (`/graphql`) cannot tell; the mapping below then explains
 * `error` as usual with that check. Returns `error` itself, for `throw withCheckHint(e, …)`.
 */
export function withCheckHint<E>(error: E, check: string): E {
  if (error && typeof error === "object") CHECK_HINTS.set(error, check);
  return error;
}

function checkHint(info: RunpodRequestInfo): string {
  const named = CHECK_HINTS.get(info);
  if (named) return named;
  const table = info.api === "graphql" ? [] : CHECKS[info.api];
  for (const [pattern, hint] of table) {
    const match = pattern.exec(info.path);
    if (match) return hint.replace(/\$(\d)/g, (_, i: string) => match[Number(i)] ?? "");
  }
  return "the RunPod console";
}

/**
 * What sending the request again would risk: nothing (`read`), at worst repeating a change that
 * is the same either way (`repeatable`), or doing it twice (`once`).
 */
function repeatRisk(info: RunpodRequestInfo): "read" | "repeatable" | "once" {
  if (info.api === "graphql") return info.idempotent === false ? "once" : "read";
  if (info.method === "GET") return "read";
  const idempotent = info.idempotent ?? !(info.method === "POST" || info.method === "PATCH");
  return idempotent ? "repeatable" : "once";
}

/** The next step after a write that RunPod may or may not have carried out. */
function unknownOutcomeStep(info: RunpodRequestInfo): string {
  const check = checkHint(info);
  return repeatRisk(info) === "once"
    ? `RunPod may have acted on it anyway: check ${check} before trying again; do not simply retry, or it may happen twice.`
    : `The change may or may not have happened: check ${check}, and repeat it only if it did not.`;
}

/** Explains a RunPod API error and the next step, by status. */
export function explainApiError(error: RunpodApiError): string {
  const where = `${error.method} ${error.path}`;
  const detail = detailOf(error);
  switch (error.status) {
    case 400:
      return `RunPod refused the request (400 on ${where}): ${detail}. Change the arguments; for capacity errors try another GPU type, cloud or data center (list_gpu_types with available_only=true).`;
    case 401:
      return `RunPod rejected the API key (401 on ${where}): check RUNPOD_API_KEY; create a key in the RunPod console under Settings → API Keys.`;
    case 402:
      return `RunPod refused for lack of funds (402 on ${where}): ${detail}. Add credit in the RunPod console before retrying.`;
    case 403:
      return `The API key is not allowed to do this (403 on ${where}): ${detail}. Use a key with the needed scope (read/write), or check access to this GPU pool.`;
    case 404:
      return `Not found (404 on ${where}): ${detail}. ${whereToLook(error)}`;
    case 409:
      return `RunPod refused because of the resource's current state (409 on ${where}): ${detail}.`;
    case 422:
      return `RunPod rejected the request body (422 on ${where}): ${detail}. This is likely a bug in runpod-mcp; please report it.`;
    case 429: {
      const seconds = error.retryAfter === undefined
        ? undefined
        : Math.ceil(clampRetryWait(error.retryAfter));
      const wait = seconds === undefined
        ? ""
        : ` Wait ${seconds >= MAX_RETRY_WAIT_S ? "at least " : ""}${seconds} s, then retry.`;
      return `RunPod rate limit reached (429 on ${where}): ${detail}.${wait}`;
    }
    case 200:
      return `RunPod GraphQL answered with an error on ${where}: ${detail}.`;
    default:
      if (error.status >= 500) {
        const head = `RunPod had a server error (${error.status} on ${where}): ${detail}.`;
        return repeatRisk(error) === "read"
          ? `${head} It is usually temporary: retry in a minute.`
          : `${head} ${unknownOutcomeStep(error)}`;
      }
      return `RunPod answered ${error.status} on ${where}: ${detail}.`;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException &&
    (error.name === "AbortError" || error.name === "TimeoutError");
}

function explainConnectionError(error: RunpodConnectionError): string {
  const network = "Check the network and the RunPod base URLs (RUNPOD_API_BASE_URL)";
  if (repeatRisk(error) === "read") {
    return `${error.message}. ${network}; the call was not completed.`;
  }
  if (error.notSent) {
    return `${error.message}. The request never reached RunPod, so nothing changed. ${network}.`;
  }
  return `${error.message}. ${unknownOutcomeStep(error)} ${network}.`;
}

function explainAmbiguousWrite(error: RunpodAmbiguousWriteError): string {
  const check = checkHint(error);
  if (error.resource === "job") {
    return `Unknown outcome: ${error.message}. RunPod may have queued the job: check ${check} before submitting it again; do not simply retry, or it may run (and be billed) twice.`;
  }
  return `Unknown outcome: ${error.message}. RunPod may have created the ${error.resource}: check ${check} before trying again; do not simply retry, or it may be created (and billed) twice.`;
}

/** Maps any thrown value to an `isError` tool result. The text never contains a secret. */
export function errorToToolResult(error: unknown, secrets: readonly string[] = []): CallToolResult {
  let text: string;
  if (error instanceof ToolInputError || error instanceof GuardStop) {
    text = error.message;
  } else if (error instanceof RunpodApiError) {
    text = explainApiError(error);
  } else if (error instanceof RunpodConnectionError && isPermissionRefusal(error.cause)) {
    text =
      `${error.message}. This build may only reach RunPod's own hosts (api.runpod.io, api.runpod.ai); to use another RUNPOD_API_BASE_URL, run with deno run and a matching --allow-net.`;
  } else if (error instanceof RunpodAmbiguousWriteError) {
    text = explainAmbiguousWrite(error);
  } else if (error instanceof RunpodConnectionError) {
    text = explainConnectionError(error);
  } else if (error instanceof RunpodResponseError) {
    text = repeatRisk(error) !== "read" && error.status >= 200 && error.status < 300
      ? `${error.message}. RunPod accepted the request (${error.status}), so the change most likely happened: check ${
        checkHint(error)
      } instead of sending it again. RunPod may have changed its API; please report this to runpod-mcp.`
      : `${error.message}. RunPod may have changed its API; please report this to runpod-mcp.`;
  } else if (isAbort(error)) {
    text = "The call was cancelled before it finished.";
  } else {
    const message = error instanceof Error ? error.message : String(error);
    text = `Internal error in runpod-mcp: ${message}`;
  }
  return { isError: true, content: [{ type: "text", text: redactSecrets(text, secrets) }] };
}
