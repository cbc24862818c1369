/**
 * The shape of one tool, and how the registry turns it into an MCP tool. Tool modules only
 * describe tools; nothing but `mod.ts` registers them.
 *
 * @module
 */

import type { z } from "zod";
import type { Logger } from "../log.ts";
import type { PolicyOptions } from "../policy/guard.ts";
import type { RunpodClient } from "../runpod/mod.ts";

/** Toolsets group tools for `--toolsets` filtering. */
export const TOOLSETS = [
  "catalog",
  "pods",
  "clusters",
  "serverless",
  "storage",
  "account",
  "billing",
] as const;

/** One of {@linkcode TOOLSETS}. */
export type Toolset = typeof TOOLSETS[number];

/** All four MCP tool annotations, always stated explicitly. */
export interface FullAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** Annotations for a tool that only reads RunPod state. */
export const READ_ONLY: FullAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};

/** Time, injectable so tests drive waits with the simulator's clock instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Wall-clock time. */
export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Annotations for a tool that creates something new each call (and may start billing). */
export const CREATES: FullAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};

/** Annotations for a tool that deletes or overwrites data for good; repeating it changes nothing more. */
export const DESTRUCTIVE: FullAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: true,
};

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  runpod: RunpodClient;
  logger: Logger;
  /** Aborted when the client cancels the call; pass it to every RunPod request. */
  signal: AbortSignal;
  /** Sends a progress notification when the client asked for progress; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Show secret env values unmasked (`--show-secrets`). */
  showSecrets: boolean;
  /** Time for polls and deadlines. */
  clock: Clock;
  /** The guardrails in force, for tools that advise within them (recommend_gpu). */
  policy: PolicyOptions;
  /**
   * The value of env var `RUNPOD_MCP_SECRET_<name>` (upper-cased), read by the server so a secret
   * never passes through the model; undefined when unset.
   */
  secretFromEnv(name: string): string | undefined;
  /** Talking to the built-in simulator, not RunPod. */
  sandbox: boolean;
}

/** A tool's result before it becomes MCP content: a short text summary plus typed data. */
export interface ToolOutcome<T> {
  summary: string;
  data: T;
  /**
   * The summary already shows everything in `data` in readable form (log lines, say), so the
   * text content leaves out the JSON copy; `structuredContent` still carries the data.
   */
  summaryHasData?: boolean;
}

/** The description of one tool, typed end to end by its input and output shapes. */
export interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  name: string;
  title: string;
  /** Written for a model: when to use it, units, what to call next. Under about 600 chars. */
  description: string;
  toolset: Toolset;
  annotations: FullAnnotations;
  /** Appended to the description in sandbox mode (what the simulator understands). */
  sandboxNote?: string;
  input: I;
  output: O;
  run(
    args: z.output<z.ZodObject<I>>,
    ctx: ToolContext,
  ): Promise<ToolOutcome<z.output<z.ZodObject<O>>>>;
}

/** A tool with its types erased, so the registry can hold a list of them. */
export interface AnyTool {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  annotations: FullAnnotations;
  sandboxNote?: string;
  input: z.ZodRawShape;
  output: z.ZodRawShape;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome<unknown>>;
}

/** Declares a tool. The handler is type-checked against its own input and output shapes here. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  spec: ToolSpec<I, O>,
): AnyTool {
  return spec as unknown as AnyTool;
}

/** An error in the model's arguments that RunPod never saw; its message goes to the model as is. */
export class ToolInputError extends Error {
  override name = "ToolInputError";
}
