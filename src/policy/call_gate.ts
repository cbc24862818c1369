/**
 * The write gate for one tool call: what happens between a tool deciding on a RunPod request and
 * the request leaving. In order: the write table (a write with no row is refused), read-only
 * refusal, assessment (what it does, what it costs), cap check, dry run, confirmation. Anything
 * that stops the call throws {@linkcode GuardStop}, so nothing reaches RunPod.
 *
 * @module
 */

import { maskBody, redactSecrets } from "../secrets.ts";
import type { PlannedRequest, RunpodClient, WriteGate } from "../runpod/mod.ts";
import {
  issueToken,
  redeemToken,
  TOKEN_TTL_MS,
  type TokenClaim,
  type TokenVerdict,
} from "./confirm.ts";
import { processSpendLedger, type SpendLedger } from "./burn.ts";
import { priceCatalog } from "./estimate.ts";
import {
  assessRequest,
  checkCaps,
  describeCost,
  type GuardOutcome,
  GuardStop,
  hasCaps,
  needsConfirmation,
  type PolicyOptions,
  provisionalKind,
  type RequestAssessment,
  reserveTotal,
} from "./guard.ts";
import { protectRefusal, setsMarker } from "./protect.ts";
import { matchWrite } from "./writes.ts";

/** Asks the user through the client (MCP elicitation); resolves true only on an explicit yes. */
export type AskUser = (message: string, signal: AbortSignal) => Promise<"yes" | "no" | "cancel">;

/** The arguments that steer the guard, taken off the call before the tool sees it. */
export interface GuardArgs {
  dryRun: boolean;
  confirmationToken?: string;
}

/** Options for {@linkcode createCallGate}. */
export interface CallGateOptions {
  tool: string;
  /** The tool's own arguments, without the guard arguments: what a confirmation approves. */
  args: Record<string, unknown>;
  guard: GuardArgs;
  policy: PolicyOptions;
  /** The client without a gate, for the reads the assessment needs. */
  runpod: RunpodClient;
  now: () => number;
  signal: AbortSignal;
  /** Holds in-flight spend for the total cap; default this process's ledger. */
  ledger?: SpendLedger;
  /** Spends a confirmation token once across replicas; default this process's memory. */
  claim?: TokenClaim;
  /** Present when the client supports 2025-era elicitation (a request pushed to the client). */
  askUser?: AskUser;
  /**
   * Present when the client can answer a 2026-era input request: the server answers the call
   * with the question, and the client retries the call with the user's answer.
   */
  inline?: InlineAnswer;
}

/**
 * A 2026-era confirmation round: the user's answer that came with the retried call, and the
 * request state the server minted when it asked (a confirmation token bound to the tool and its
 * exact arguments, spent on use).
 */
export interface InlineAnswer {
  answer: "yes" | "no" | "cancel" | "missing";
  state?: string;
}

const WHY_NOT: Record<Exclude<TokenVerdict, "ok">, string> = {
  malformed: " The token given is not one this server issued.",
  expired: " The token given has expired.",
  used: " The token given was already used for one call; each confirmation covers one call.",
  mismatch:
    " The token given does not match these arguments (any change needs a new confirmation).",
};

/** The same request again (same row, path and body) needs no second decision within one call. */
function sameRequest(a: PlannedRequest, b: PlannedRequest): boolean {
  return a.api === b.api && a.method === b.method && a.path === b.path &&
    JSON.stringify(a.body) === JSON.stringify(b.body);
}

function plannedView(request: PlannedRequest): Record<string, unknown> {
  return {
    method: request.method,
    path: request.path,
    ...(Object.keys(request.query).length > 0 ? { query: request.query } : {}),
    ...(request.body !== undefined ? { body: maskBody(request.body) } : {}),
  };
}

function costView(assessment: RequestAssessment) {
  return {
    cost: describeCost(assessment),
    ...(assessment.hourly !== undefined ? { usd_per_hour: assessment.hourly } : {}),
    ...(assessment.worstHourly !== undefined ? { usd_per_hour_max: assessment.worstHourly } : {}),
    ...(assessment.monthly !== undefined ? { usd_per_month: assessment.monthly } : {}),
  };
}

/**
 * Builds the gate for one call. It decides on the call's first write; the same request sent
 * again within the call passes, any other write is judged on its own.
 */
export function createCallGate(options: CallGateOptions): WriteGate {
  const { tool, guard, policy, runpod, signal } = options;
  const ledger = options.ledger ?? processSpendLedger;
  let approved: PlannedRequest | undefined;
  return async (request: PlannedRequest) => {
    const matched = matchWrite(request);
    if (!matched) {
      throw new GuardStop(
        "unknown-write",
        `Cannot run ${tool}: runpod-mcp has no safety rule for ${request.method} ${request.path}, so it refuses to send it unchecked. Nothing was sent to RunPod. This is a bug in runpod-mcp; please report it`,
      );
    }
    if (approved && sameRequest(approved, request)) return;
    if (policy.readOnly) {
      throw new GuardStop(
        "read-only",
        `Cannot run ${tool}: the server is in read-only mode (--read-only), so nothing that changes the RunPod account is allowed. Nothing was sent to RunPod`,
      );
    }
    // Most writes need no reads at all: price only when a dry run, a cap, a confirmation or the
    // protect check can use the answer.
    const provisional = provisionalKind(matched);
    const mayAsk = needsConfirmation(policy.confirm, provisional);
    const capped = hasCaps(policy) && provisional === "billable";
    const marking = setsMarker(request);
    const guarded = policy.protectExisting === true && (provisional !== "plain" || marking);
    if (!guard.dryRun && !mayAsk && !capped && !guarded) {
      approved = request;
      return;
    }
    const catalog = priceCatalog(runpod, signal);
    const assessment = await assessRequest(matched, request, runpod, catalog, signal);
    const asks = needsConfirmation(policy.confirm, assessment.kind);
    // The total cap is decided, and held, by reserveTotal right before sending. Checking it here
    // as well helps only a dry run's verdict and a user about to be asked; otherwise it would
    // read the account's burn twice in a row.
    const { maxTotalHourlyCost: _total, ...perResource } = policy;
    const capPolicy = guard.dryRun || asks ? policy : perResource;
    const refusal = guarded && (assessment.kind !== "plain" || marking)
      ? await protectRefusal(matched, request, assessment.action, runpod, signal) ??
        await checkCaps(assessment, capPolicy, runpod, catalog, signal, ledger)
      : await checkCaps(assessment, capPolicy, runpod, catalog, signal, ledger);
    const cost = costView(assessment);
    // A pod's name is the model's text and may hold a pasted secret.
    const facts = { action: redactSecrets(assessment.action), kind: assessment.kind, ...cost };

    if (guard.dryRun) {
      const verdict = refusal
        ? `would be refused: ${refusal}`
        : asks
        ? "would ask the user for confirmation first"
        : "would be sent without asking";
      throw new GuardStop(
        "dry-run",
        `DRY RUN: nothing was sent to RunPod. ${tool} would ${facts.action}, ${cost.cost}; it ${verdict}. Call again without dry_run to do it`,
        {
          status: "dry_run",
          ...facts,
          verdict,
          request: plannedView(request),
          next_step: refusal
            ? "Change the arguments or ask the user to change the cap"
            : `Call ${tool} again without dry_run`,
        },
      );
    }
    if (refusal) throw new GuardStop("refused", `${refusal}. Nothing was sent to RunPod`);
    if (asks) await confirm(options, facts);
    // Confirmation can take minutes; the total cap is decided again, and held, right before
    // the request leaves, and released when it settles (RunPod then lists what it created).
    const total = await reserveTotal(
      assessment,
      policy,
      runpod,
      catalog,
      signal,
      ledger,
    );
    if (total.refusal) {
      throw new GuardStop("refused", `${total.refusal}. Nothing was sent to RunPod`);
    }
    approved = request;
    return total.release;
  };
}

/**
 * Redeems a token; when the shared state that spends it cannot answer (Redis down), the call is
 * refused, since a token that cannot be marked spent could confirm a second call.
 */
async function redeem(options: CallGateOptions, token: string): Promise<TokenVerdict> {
  try {
    return await redeemToken(token, options.tool, options.args, options.now(), options.claim);
  } catch (error) {
    throw new GuardStop(
      "refused",
      `Cannot accept the confirmation for ${options.tool}: the shared state that marks each confirmation used once did not answer (${
        error instanceof Error ? error.message : String(error)
      }). Nothing was sent to RunPod; try again when it answers`,
    );
  }
}

async function confirm(
  options: CallGateOptions,
  facts: Pick<GuardOutcome, "action" | "kind" | "cost">,
): Promise<void> {
  const { tool, args, guard, signal } = options;
  const question = `runpod-mcp wants to ${facts.action} (${facts.cost}). Allow it?`;
  const declined = (answer: "no" | "cancel") =>
    new GuardStop(
      "declined",
      `The user ${
        answer === "no" ? "declined" : "dismissed"
      } the confirmation, so ${tool} did not ${facts.action}. Nothing was sent to RunPod; do not retry unless the user asks`,
    );
  if (options.askUser) {
    const answer = await options.askUser(question, signal);
    if (answer === "yes") return;
    throw declined(answer);
  }
  if (options.inline) {
    const { answer, state } = options.inline;
    if (answer === "no" || answer === "cancel") throw declined(answer);
    // A yes counts only with the state this server minted for this tool and these arguments,
    // unspent: a replayed or altered retry is asked again.
    if (
      answer === "yes" && state &&
      await redeemToken(state, tool, args, options.now(), options.claim) === "ok"
    ) {
      return;
    }
    const token = await issueToken(tool, args, options.now());
    throw new GuardStop("ask", question, {
      status: "confirmation_required",
      ...facts,
      token,
      next_step: "The client asks the user and retries the call with the answer",
    });
  }
  const given = guard.confirmationToken ?? "";
  const verdict = given ? await redeem(options, given) : "missing";
  if (verdict === "ok") return;
  const now = options.now();
  const token = await issueToken(tool, args, now);
  const why = verdict === "missing" ? "" : WHY_NOT[verdict];
  throw new GuardStop(
    "confirm",
    `Confirmation needed: ${tool} would ${facts.action}, ${facts.cost}. Nothing was sent to RunPod.${why} Tell the user exactly this and ask; if they agree, call ${tool} again with the same arguments plus confirmation_token="${token}" (valid ${
      TOKEN_TTL_MS / 60_000
    } minutes)`,
    {
      status: "confirmation_required",
      ...facts,
      token,
      expires_at: new Date(Number(token.split(".")[0]) * 1000).toISOString(),
      approves: maskBody(args) as Record<string, unknown>,
      ...(verdict !== "missing" ? { previous_token: verdict } : {}),
      next_step:
        `Tell the user what it does and costs; if they agree, call ${tool} again with the same arguments plus confirmation_token`,
    },
  );
}
