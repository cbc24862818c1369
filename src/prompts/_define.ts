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

/** What a prompt may name: the tools and prompts this server offers. */
export interface RenderContext {
  /** True when the server offers the tool or prompt `name`. */
  offers(name: string): boolean;
  /** True when `text` names a tool or prompt the server does not offer. */
  namesMissing(text: string): boolean;
  /** Notes about the arguments found before rendering (e.g. the catalog could not be read). */
  problems: readonly string[];
}

/**
 * One prompt: its listing, its arguments (built with the completers), the tools it cannot do
 * without, and its text.
 */
export interface PromptSpec {
  name: string;
  title: string;
  description: string;
  /**
   * The tools that do this prompt's job: each group needs at least one offered tool, or the
   * prompt is not registered.
   */
  requires: readonly (readonly string[])[];
  args(complete: Completers): z.ZodRawShape;
  /** The message text. Values it cannot read become notes in the text; it never throws. */
  render(args: PromptArgs, ctx: RenderContext): string;
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
  // The SDK finds completions under an outer optional, not inside one.
  return completable(
    z.string().trim().max(MAX_ARG_CHARS).describe(description),
    (value) => complete(value),
  ).optional();
}

/** An argument's value, or undefined when it was left out or blank. */
export function given(args: PromptArgs, name: string): string | undefined {
  const value = args[name]?.trim();
  return value ? value : undefined;
}

/**
 * A line of a plan: text, or text with replacements (tried in order) for when it names a tool or
 * prompt the server does not offer. A line without a usable replacement is left out.
 */
export type Line = string | { text: string; instead: string | readonly string[] };

/** The cost-confirmation rule every plan ends with. */
export const CONFIRM_COSTS: Line = {
  text:
    "Before any call that starts billing, tell the user the USD/hour cost (from `estimate_cost` or the create call's own answer) and get their agreement. The server may also answer 'Confirmation needed' with a confirmation_token: repeat the call with it only after the user agrees; dry_run=true shows the exact request first.",
  instead:
    "Before any call that starts billing, tell the user the USD/hour cost (the catalog price × GPUs × hours, or the create call's own answer) and get their agreement. The server may also answer 'Confirmation needed' with a confirmation_token: repeat the call with it only after the user agrees; dry_run=true shows the exact request first.",
};

/** What a plan is made of. */
export interface Plan {
  /** One or two sentences: what the user wants, with their values. Names no tool. */
  goal: string;
  /** Facts worked out from the arguments (sizing, defaults chosen). */
  context?: Line[];
  /** Values that could not be read: the model asks the user before relying on them. */
  problems?: string[];
  /** The tool calls, in order. */
  steps: Line[];
  /** Cost confirmation and clean-up rules. */
  safety: Line[];
}

/** The lines that name only offered tools and prompts, each replaced by its `instead` if needed. */
function offeredLines(lines: readonly Line[], ctx: RenderContext): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const text = typeof line === "string" ? line : line.text;
    if (!ctx.namesMissing(text)) {
      out.push(text);
      continue;
    }
    const alternatives = typeof line === "string" ? [] : [line.instead].flat();
    const usable = alternatives.find((alternative) => !ctx.namesMissing(alternative));
    if (usable !== undefined) out.push(usable);
  }
  return out;
}

/**
 * Lays out a plan as the prompt's text, leaving out or replacing the lines that name a tool or
 * prompt the server does not offer.
 */
export function renderPlan(plan: Plan, ctx: RenderContext): string {
  const lines = [plan.goal];
  const problems = [...ctx.problems, ...(plan.problems ?? [])];
  if (problems.length > 0) {
    lines.push("", "Unclear input (ask the user before relying on it):");
    for (const problem of problems) lines.push(`- ${problem}`);
  }
  const context = offeredLines(plan.context ?? [], ctx);
  if (context.length > 0) {
    lines.push("");
    for (const fact of context) lines.push(fact);
  }
  lines.push("", "Call the tools in this order:");
  offeredLines(plan.steps, ctx).forEach((step, i) => lines.push(`${i + 1}. ${step}`));
  lines.push("", "Cost and safety:");
  for (const rule of offeredLines(plan.safety, ctx)) lines.push(`- ${rule}`);
  return lines.join("\n");
}

/**
 * Says that the server does not offer an action, without naming its tool (which is filtered
 * out), and what the model does instead.
 *
 * @example
 * ```ts
 * notOffered("stopping pods"); // "this server does not offer stopping pods (…): ask the user …"
 * ```
 */
export function notOffered(action: string): string {
  return `this server does not offer ${action} (read-only mode or a tool selection): ask the user to do it in the RunPod console`;
}
