/**
 * The seam between tool registration and the tasks extension (`io.modelcontextprotocol/tasks`,
 * protocol revision 2026-07-28): a long wait (wait_for_pod, run_job_sync, stream_job) that a
 * client asks to run as a task is started in the background and answered with the task, which the
 * client then gets, updates or cancels. Clients that do not declare the extension are unaffected.
 *
 * @module
 */

import type {
  CallToolResult,
  InputRequiredResult,
  McpServer,
  ProtocolEra,
  ServerContext,
} from "../deps.ts";

/** The tools that may run as tasks: the long waits. */
export const TASK_TOOLS: ReadonlySet<string> = new Set([
  "wait_for_pod",
  "run_job_sync",
  "stream_job",
]);

/**
 * Runs one tool call with the given context; a task passes a context of its own (its own abort
 * signal, no progress token, no way to ask the user).
 */
export type RunCall = (ctx: ServerContext) => Promise<CallToolResult | InputRequiredResult>;

/** What the app offers the tool registry and each server for tasks. */
export interface TaskHost {
  /**
   * When this `tools/call` asks to run as a task and the client declared the extension, starts
   * `run` in the background and returns what answers the call (the created task); otherwise
   * undefined, and the call runs as usual.
   */
  start(tool: string, ctx: ServerContext, run: RunCall): Promise<unknown> | undefined;
  /** Declares the extension and registers `tasks/get`, `tasks/update`, `tasks/cancel`. */
  register(server: McpServer, era: ProtocolEra): void;
  /** Cancels every running task and drops them all. */
  close(): void;
}
