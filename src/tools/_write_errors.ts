/**
 * Failed writes the central error mapping cannot explain well, because their path names no
 * resource: a lost answer on `/graphql` or `/v2/account/ssh-keys` (which read shows whether it
 * took effect?) and a GraphQL refusal (HTTP 200 with `errors`).
 *
 * @module
 */

import { RunpodApiError, RunpodConnectionError, RunpodResponseError } from "../runpod/mod.ts";
import { ToolInputError } from "./_define.ts";

/**
 * When `error` leaves it unknown whether RunPod acted on a write (a dropped connection, a
 * timeout, a 5xx, an unreadable 2xx), an error that says so and names `check`, e.g.
 * `list_secrets`; any other error unchanged, for the central mapping.
 */
export function explainLostWrite(error: unknown, check: string): unknown {
  const repeatable = (e: { api: string; idempotent?: boolean }) =>
    e.api !== "graphql" && e.idempotent === true;
  const step = (e: { api: string; idempotent?: boolean }) =>
    repeatable(e)
      ? `The change may or may not have happened: check ${check}, and repeat it only if it did not`
      : `RunPod may have acted on it anyway: check ${check} before trying again; do not simply retry, or it may happen twice`;
  if (error instanceof RunpodConnectionError && !error.notSent) {
    return new ToolInputError(`${error.message}. ${step(error)}`);
  }
  if (error instanceof RunpodApiError && error.status >= 500) {
    const said = error.detail ?? error.title ?? "";
    return new ToolInputError(
      `RunPod had a server error (${error.status} on ${error.method} ${error.path})${
        said ? `: ${said}` : ""
      }. ${step(error)}`,
    );
  }
  if (error instanceof RunpodResponseError && error.status >= 200 && error.status < 300) {
    return new ToolInputError(
      `${error.message}. RunPod accepted the request (${error.status}), so the change most likely happened: check ${check} instead of sending it again`,
    );
  }
  return error;
}

/**
 * A GraphQL refusal (HTTP 200 with `errors`) as an error that says `text` and quotes RunPod's
 * messages; any other error unchanged.
 */
export function explainGraphqlRefusal(error: unknown, text: string): unknown {
  if (!(error instanceof RunpodApiError) || error.api !== "graphql" || error.status !== 200) {
    return error;
  }
  const said = error.errors.slice(0, 3).join("; ");
  return new ToolInputError(said ? `${text} (RunPod: ${said})` : text);
}
