/**
 * GraphQL refusals (HTTP 200 with `errors`) as errors a tool can word for its own mutation. A
 * lost answer is explained by `errors.ts`, given the read to check with `withCheckHint`.
 *
 * @module
 */

import { RunpodApiError } from "../runpod/mod.ts";
import { ToolInputError } from "./_define.ts";

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
