/**
 * One tool call, from the arguments the client sent to the result the model reads: strict input
 * (an unknown argument is refused, naming the closest known one), guard arguments taken off before
 * the tool runs, the write gate, progress and cancellation, and every error mapped by `errors.ts`.
 * A dry run or a confirmation request is a normal result whose `structuredContent.guard` says, as
 * data, what would happen, what it costs and what a token approves.
 *
 * @module
 */

import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  inputRequired,
  type InputRequiredResult,
  inputResponse,
  type ProtocolEra,
  type ServerContext,
} from "../deps.ts";
import type { Logger } from "../log.ts";
import {
  type AskUser,
  createCallGate,
  type GuardArgs,
  type InlineAnswer,
} from "../policy/call_gate.ts";
import { GuardStop, type PolicyOptions } from "../policy/guard.ts";
import type { SpendLedger } from "../policy/burn.ts";
import type { TokenClaim } from "../policy/confirm.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import { maskOutcome } from "../secrets.ts";
import { z } from "zod";
import { type AnyTool, type Clock, REAL_CLOCK, type ToolContext } from "./_define.ts";
import { errorToToolResult } from "./errors.ts";

/** Arguments every tool that changes RunPod state takes, handled by the guard, not the tool. */
export const GUARD_ARG_SHAPE = {
  dry_run: z.boolean().optional().describe("Show request and cost, send nothing, e.g. true"),
  // The length bound is checked, not advertised: it means nothing to a client and would repeat on
  // every write tool in tools/list.
  confirmation_token: z.string().refine((t) => t.length <= 200, "at most 200 characters")
    .optional().describe(
      "guard.token, once the user agreed, e.g. 1764000000.Ab3…",
    ),
};

// Only what a program branches on is declared: whether it is a dry run or a confirmation, and
// the token. The rest of GuardOutcome (action, cost, expiry, the dry run's request and verdict,
// the arguments a token approves, next_step) comes along as further properties and in the text.
// It is part of every write tool's schema, so every declared field costs bytes in tools/list.
const GuardOutcomeSchema = z.looseObject({
  status: z.enum(["dry_run", "confirmation_required"]),
  token: z.string().optional(),
});

/** Loose lower-case letters and digits, so `dryRun`, `dry-run` and `DRY_RUN` compare equal. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}

/** The declared argument closest to an unknown one, if any is close enough to be a likely typo. */
export function closestArgument(unknown: string, known: readonly string[]): string | undefined {
  const wanted = squash(unknown);
  const exact = known.find((name) => squash(name) === wanted);
  if (exact) return exact;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(wanted, squash(name));
    if (!best || distance < best.distance) best = { name, distance };
  }
  const tolerance = Math.max(2, Math.floor(wanted.length / 3));
  return best && best.distance <= tolerance ? best.name : undefined;
}

function unknownArguments(tool: string, keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((key) => {
    const guess = closestArgument(key, known);
    return `unknown argument ${key}${guess ? ` (did you mean ${guess}?)` : ""}`;
  });
  return `${parts.join("; ")}. ${tool} takes ${known.join(", ")}. Nothing was sent to RunPod`;
}

/** Whether the tool can change RunPod state, and so takes the guard arguments. */
function mutates(tool: AnyTool): boolean {
  return !tool.annotations.readOnlyHint;
}

/**
 * The tool's input schema as registered: its own arguments plus, for a tool that changes state,
 * the guard's; strict, so an unknown key is refused with the closest declared one named.
 */
export function inputSchemaOf(tool: AnyTool): z.ZodObject {
  const shape = mutates(tool) ? { ...tool.input, ...GUARD_ARG_SHAPE } : tool.input;
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? unknownArguments(tool.name, issue.keys, known)
        : undefined,
  });
}

/**
 * The tool's output schema as registered. A tool that changes state may answer a dry run or a
 * confirmation request instead of its usual result: then only `guard` is present, so its other
 * fields are optional here.
 */
export function outputSchemaOf(tool: AnyTool): z.ZodObject {
  const own = z.object(tool.output);
  if (!mutates(tool)) return own;
  return own.partial().extend({
    guard: GuardOutcomeSchema.optional().describe(
      "Only when nothing was sent: a dry run, or a confirmation to ask the user for (then pass token as confirmation_token with the same arguments)",
    ),
  });
}

/** What a call needs from the server around it. */
export interface CallDeps {
  runpod: RunpodClient;
  logger: Logger;
  clock?: Clock;
  policy: PolicyOptions;
  showSecrets: boolean;
  secrets: readonly string[];
  /** Present when the connected client can answer an elicitation form. */
  askUser: () => AskUser | undefined;
  /** See {@linkcode ToolContext.secretFromEnv}. */
  secretFromEnv: (name: string) => string | undefined;
  sandbox: boolean;
  /** The protocol era of the connection or request. */
  era: ProtocolEra;
  /** Holds in-flight spend for the total cap; default this process's ledger. */
  ledger?: SpendLedger;
  /** Spends a confirmation token once across replicas; default this process's memory. */
  claimToken?: TokenClaim;
}

/** The form a confirmation shows: one checkbox. */
export const CONFIRM_FORM = {
  type: "object" as const,
  properties: {
    confirm: {
      type: "boolean" as const,
      title: "Allow",
      description: "Tick to let the assistant go ahead",
    },
  },
  required: ["confirm"],
};

const CONFIRM_ANSWER = z.object({ confirm: z.boolean() });

/**
 * The user's answer to a 2026-era confirmation, when the client can show a form: what came back
 * with this (retried) call, or "missing" on the first round. Undefined when the client declared
 * no form elicitation, so the confirmation falls back to the token.
 */
function inlineAnswerOf(ctx: ServerContext): InlineAnswer | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  const elicitation = capabilities?.elicitation as Record<string, unknown> | undefined;
  // An empty elicitation capability means form mode (the spec's default).
  if (!elicitation || (Object.keys(elicitation).length > 0 && !elicitation.form)) return undefined;
  const state = ctx.mcpReq.requestState<string>();
  const view = inputResponse(ctx.mcpReq.inputResponses, "confirm");
  let answer: InlineAnswer["answer"] = "missing";
  if (view.kind === "elicit") {
    if (view.action === "accept") {
      answer = acceptedContent(ctx.mcpReq.inputResponses, "confirm", CONFIRM_ANSWER)?.confirm ===
          true
        ? "yes"
        : "no";
    } else answer = view.action === "decline" ? "no" : "cancel";
  }
  return { answer, ...(typeof state === "string" ? { state } : {}) };
}

/** Takes the guard's arguments off a call, so the tool never sees them. */
export function splitGuardArgs(
  args: Record<string, unknown>,
): { own: Record<string, unknown>; guard: GuardArgs } {
  const { dry_run, confirmation_token, ...own } = args;
  return {
    own,
    guard: {
      dryRun: dry_run === true,
      ...(typeof confirmation_token === "string" ? { confirmationToken: confirmation_token } : {}),
    },
  };
}

function progressOf(ctx: ServerContext): ToolContext["progress"] {
  const token = ctx.mcpReq._meta?.progressToken;
  return async (progress, total, message) => {
    if (token === undefined || ctx.mcpReq.signal.aborted) return;
    await ctx.mcpReq.notify({
      method: "notifications/progress",
      params: {
        progressToken: token,
        progress,
        ...(total !== undefined ? { total } : {}),
        ...(message !== undefined ? { message } : {}),
      },
    });
  };
}

/** Runs one call of `tool` and returns its MCP result; never throws. */
export async function runToolCall(
  tool: AnyTool,
  args: Record<string, unknown>,
  ctx: ServerContext,
  deps: CallDeps,
): Promise<CallToolResult | InputRequiredResult> {
  const clock = deps.clock ?? REAL_CLOCK;
  const { own, guard } = mutates(tool)
    ? splitGuardArgs(args)
    : { own: args, guard: { dryRun: false } };
  const askUser = deps.askUser();
  const inline = deps.era === "modern" ? inlineAnswerOf(ctx) : undefined;
  const signal = ctx.mcpReq.signal;
  const gate = createCallGate({
    tool: tool.name,
    args: own,
    guard,
    policy: deps.policy,
    runpod: deps.runpod,
    now: () => clock.now(),
    signal,
    ...(askUser ? { askUser } : {}),
    ...(inline ? { inline } : {}),
    ...(deps.ledger ? { ledger: deps.ledger } : {}),
    ...(deps.claimToken ? { claim: deps.claimToken } : {}),
  });
  const toolCtx: ToolContext = {
    runpod: deps.runpod.withWriteGate(gate),
    logger: deps.logger,
    signal,
    showSecrets: deps.showSecrets,
    clock,
    progress: progressOf(ctx),
    policy: deps.policy,
    secretFromEnv: deps.secretFromEnv,
    sandbox: deps.sandbox,
  };
  const started = performance.now();
  try {
    // Every tool's result passes the one masking module here, summary and data alike.
    const outcome = maskOutcome(await tool.run(own, toolCtx), deps.showSecrets);
    deps.logger.debug("tool call finished", {
      tool: tool.name,
      ms: Math.round(performance.now() - started),
    });
    return {
      content: [{
        type: "text" as const,
        text: outcome.summaryHasData
          ? outcome.summary
          : `${outcome.summary}\n\n${JSON.stringify(outcome.data)}`,
      }],
      structuredContent: outcome.data as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof GuardStop) {
      deps.logger.info("tool call stopped by the guard", { tool: tool.name, kind: error.kind });
      if (error.kind === "ask" && error.outcome?.token) {
        // The client asks the user and retries this call with the answer and this state.
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({
              message: error.message,
              requestedSchema: CONFIRM_FORM,
            }),
          },
          requestState: error.outcome.token,
        });
      }
      if (error.outcome) {
        return {
          content: [{ type: "text" as const, text: error.message }],
          structuredContent: { guard: error.outcome },
        };
      }
    } else {
      deps.logger.warn("tool call failed", {
        tool: tool.name,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
    return errorToToolResult(error, deps.secrets);
  }
}
