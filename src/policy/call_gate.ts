/**
 * The write gate for one tool call: what happens between a tool deciding on a RunPod request and
 * the request leaving. In order: read-only refusal, assessment (what it does, what it costs), cap
 * check, dry run, confirmation. Anything that stops the call throws {@linkcode GuardStop}, so
 * nothing reaches RunPod.
 *
 * @module
 */

import type { PlannedRequest, RunpodClient, WriteGate } from "../runpod/mod.ts";
import { issueToken, spendToken, TOKEN_TTL_MS, verifyToken } from "./confirm.ts";
import { priceCatalog } from "./estimate.ts";
import {
  assessRequest,
  checkCaps,
  describeCost,
  GuardStop,
  hasCaps,
  maskBody,
  needsConfirmation,
  type PolicyOptions,
  quickKind,
} from "./guard.ts";

/** Asks the user through the client (MCP elicitation); resolves true only on an explicit yes. */
export type AskUser = (message: string, signal: AbortSignal) => Promise<"yes" | "no" | "cancel">;

/** Options for {@linkcode createCallGate}. */
export interface CallGateOptions {
  tool: string;
  args: Record<string, unknown>;
  policy: PolicyOptions;
  /** The client without a gate, for the reads the assessment needs. */
  runpod: RunpodClient;
  now: () => number;
  signal: AbortSignal;
  /** Present when the client supports elicitation. */
  askUser?: AskUser;
}

/** Builds the gate for one call. It decides on the call's first write; later writes pass. */
export function createCallGate(options: CallGateOptions): WriteGate {
  const { tool, args, policy, runpod, signal } = options;
  let approved = false;
  return async (request: PlannedRequest) => {
    if (approved) return;
    if (policy.readOnly) {
      throw new GuardStop(
        "read-only",
        `Cannot run ${tool}: the server is in read-only mode (--read-only), so nothing that changes the RunPod account is allowed. Nothing was sent to RunPod`,
      );
    }
    // Most writes need no reads at all: price only when a dry run, a cap or a confirmation can
    // use the answer.
    const quick = quickKind(request);
    const mayAsk = needsConfirmation(
      policy.confirm,
      quick === "maybe-billable" ? "billable" : quick,
    );
    const capped = hasCaps(policy) && quick !== "plain" && quick !== "destructive";
    if (args.dry_run !== true && !mayAsk && !capped) {
      approved = true;
      return;
    }
    const catalog = priceCatalog(runpod, signal);
    const assessment = await assessRequest(request, runpod, catalog, signal);
    const refusal = await checkCaps(assessment, policy, runpod, catalog, signal);
    const cost = describeCost(assessment);
    const asks = needsConfirmation(policy.confirm, assessment.kind);
    const planned = {
      method: request.method,
      path: request.path,
      ...(Object.keys(request.query).length > 0 ? { query: request.query } : {}),
      ...(request.body !== undefined ? { body: maskBody(request.body) } : {}),
    };
    const estimate = {
      kind: assessment.kind,
      action: assessment.action,
      cost,
      ...(assessment.hourly !== undefined ? { usd_per_hour: assessment.hourly } : {}),
      ...(assessment.worstHourly !== undefined ? { usd_per_hour_max: assessment.worstHourly } : {}),
      ...(assessment.monthly !== undefined ? { usd_per_month: assessment.monthly } : {}),
    };

    if (args.dry_run === true) {
      const verdict = refusal
        ? `would be refused: ${refusal}`
        : asks
        ? "would ask the user for confirmation first"
        : "would be sent without asking";
      throw new GuardStop(
        "dry-run",
        `DRY RUN: nothing was sent to RunPod. ${tool} would ${assessment.action}, ${cost}; it ${verdict}. Call again without dry_run to do it`,
        { dry_run: true, request: planned, estimate, guard: verdict },
      );
    }
    if (refusal) {
      throw new GuardStop("refused", `${refusal}. Nothing was sent to RunPod`, { estimate });
    }
    if (asks) {
      if (options.askUser) {
        const answer = await options.askUser(
          `runpod-mcp wants to ${assessment.action} (${cost}). Allow it?`,
          signal,
        );
        if (answer !== "yes") {
          throw new GuardStop(
            "declined",
            `The user ${
              answer === "no" ? "declined" : "dismissed"
            } the confirmation, so ${tool} did not ${assessment.action}. Nothing was sent to RunPod; do not retry unless the user asks`,
            { estimate },
          );
        }
      } else {
        const given = typeof args.confirmation_token === "string" ? args.confirmation_token : "";
        const verdict = given ? await verifyToken(given, tool, args, options.now()) : "missing";
        if (verdict !== "ok") {
          const token = await issueToken(tool, args, options.now());
          const why = verdict === "missing"
            ? ""
            : verdict === "malformed"
            ? " The token given is not one this server issued."
            : verdict === "expired"
            ? " The token given has expired."
            : verdict === "used"
            ? " The token given was already used for one call; each confirmation covers one call."
            : " The token given does not match these arguments (any change needs a new confirmation).";
          throw new GuardStop(
            "confirm",
            `Confirmation needed: ${tool} would ${assessment.action}, ${cost}. Nothing was sent to RunPod.${why} Tell the user exactly this and ask; if they agree, call ${tool} again with the same arguments plus confirmation_token="${token}" (valid ${
              TOKEN_TTL_MS / 60_000
            } minutes)`,
            { confirmation_token: token, estimate },
          );
        }
        spendToken(given, options.now());
      }
    }
    approved = true;
  };
}
