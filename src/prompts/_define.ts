/**
 * The shape of one prompt, the argument builders, and the plan layout every prompt shares.
 *
 * @module
 */

import { z } from "zod";
import { completable } from "../deps.ts";
import type { Completers } from "./_complete.ts";

/** A prompt's arguments as the callback gets them: MCP prompt arguments are strings. */
export type PromptArgs = Record<string, string | undefined>;

/** One prompt: its listing, its arguments (built with the completers) and its text. */
export interface PromptSpec {
  name: string;
  title: string;
  description: string;
  args(complete: Completers): z.ZodRawShape;
  /** The message text. Values it cannot read become notes in the text; it never throws. */
  render(args: PromptArgs): string;
}

/** The longest value any argument takes; the SDK refuses longer ones with a clear error. */
export const MAX_ARG_CHARS = 300;

/** A required free-text argument. */
export function requiredArg(description: string): z.ZodString {
  return z.string().trim().min(1).max(MAX_ARG_CHARS).describe(description);
}

/** An optional free-text argument. */
export function optionalArg(description: string): z.ZodOptional<z.ZodString> {
  return z.string().trim().max(MAX_ARG_CHARS).optional().describe(description);
}

/** A required argument completed from the account. */
export function requiredCompletedArg(
  description: string,
  complete: (prefix: string | undefined) => Promise<string[]>,
) {
  return completable(requiredArg(description), (value) => complete(value));
}

/** An optional argument completed from the account. */
export function optionalCompletedArg(
  description: string,
  complete: (prefix: string | undefined) => Promise<string[]>,
) {
  return completable(optionalArg(description), (value) => complete(value));
}

/** An argument's value, or undefined when it was left out or blank. */
export function given(args: PromptArgs, name: string): string | undefined {
  const value = args[name]?.trim();
  return value ? value : undefined;
}

/** The cost-confirmation rule every plan ends with. */
export const CONFIRM_COSTS =
  "Before any call that starts billing, tell the user the USD/hour cost (from `estimate_cost` or the create call's own answer) and get their agreement. The server may also answer 'Confirmation needed' with a confirmation_token: repeat the call with it only after the user agrees; dry_run=true shows the exact request first.";

/** What a plan is made of. */
export interface Plan {
  /** One or two sentences: what the user wants, with their values. */
  goal: string;
  /** Facts worked out from the arguments (sizing, defaults chosen). */
  context?: string[];
  /** Values that could not be read: the model asks the user before relying on them. */
  problems?: string[];
  /** The tool calls, in order. */
  steps: string[];
  /** Cost confirmation and clean-up rules. */
  safety: string[];
}

/** Lays out a plan as the prompt's text. */
export function renderPlan(plan: Plan): string {
  const lines = [plan.goal];
  if (plan.problems && plan.problems.length > 0) {
    lines.push("", "Unclear input (ask the user before relying on it):");
    for (const problem of plan.problems) lines.push(`- ${problem}`);
  }
  if (plan.context && plan.context.length > 0) {
    lines.push("");
    for (const fact of plan.context) lines.push(fact);
  }
  lines.push("", "Call the tools in this order:");
  plan.steps.forEach((step, i) => lines.push(`${i + 1}. ${step}`));
  lines.push("", "Cost and safety:");
  for (const rule of plan.safety) lines.push(`- ${rule}`);
  return lines.join("\n");
}
