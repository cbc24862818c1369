/**
 * The wire shapes of the tasks extension (`io.modelcontextprotocol/tasks`, protocol revision
 * 2026-07-28) that this server reads and writes, as zod schemas: the params of `tasks/get`,
 * `tasks/update` and `tasks/cancel`, and the task a `tools/call` or `tasks/get` answers with. They
 * follow the generated schemas of `@modelcontextprotocol/ext-tasks` 0.2.2 (`core/v2`).
 *
 * @module
 */

import { z } from "zod";

/** The extension's id: the key under `capabilities.extensions`, for the server and each request. */
export const TASKS_EXTENSION_ID = "io.modelcontextprotocol/tasks";

/** The longest task id accepted; this server's ids are UUIDs (36 characters). */
export const MAX_TASK_ID_LENGTH = 256;

/** Where a task stands; the last three are terminal. */
export const TaskStatusSchema = z.enum([
  "working",
  "input_required",
  "completed",
  "failed",
  "cancelled",
]);

/** Where a task stands. */
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

const TaskIdSchema = z.string().min(1).max(
  MAX_TASK_ID_LENGTH,
  `taskId is at most ${MAX_TASK_ID_LENGTH} characters`,
);

/** What every task carries, whatever its status. */
const TASK_SHAPE = {
  taskId: z.string(),
  status: TaskStatusSchema,
  statusMessage: z.string().optional(),
  /** ISO 8601. */
  createdAt: z.string(),
  /** ISO 8601. */
  lastUpdatedAt: z.string(),
  /** Retention from creation, ms; null while this server keeps it without limit. */
  ttlMs: z.int().nullable(),
  /** How often the client should poll `tasks/get`, ms. */
  pollIntervalMs: z.int().optional(),
};

/** The answer to a `tools/call` that the server runs as a task. */
export const CreateTaskResultSchema = z.object({
  ...TASK_SHAPE,
  resultType: z.literal("task"),
});

/** The answer to a `tools/call` that the server runs as a task. */
export type CreateTaskResult = z.infer<typeof CreateTaskResultSchema>;

const JsonRpcErrorSchema = z.object({
  code: z.int(),
  message: z.string(),
  data: z.unknown().optional(),
});

/**
 * The answer to `tasks/get`: the task, with the tool's result once completed (a `CallToolResult`
 * with `resultType: "complete"`, as a plain call answers) or the JSON-RPC error once failed.
 */
export const GetTaskResultSchema = z.discriminatedUnion("status", [
  z.object({ ...TASK_SHAPE, status: z.literal("working") }),
  z.object({
    ...TASK_SHAPE,
    status: z.literal("input_required"),
    inputRequests: z.record(z.string(), z.unknown()),
  }),
  z.object({
    ...TASK_SHAPE,
    status: z.literal("completed"),
    result: z.record(z.string(), z.unknown()),
  }),
  z.object({ ...TASK_SHAPE, status: z.literal("failed"), error: JsonRpcErrorSchema }),
  z.object({ ...TASK_SHAPE, status: z.literal("cancelled") }),
]);

/** The answer to `tasks/get`. */
export type GetTaskResult = z.infer<typeof GetTaskResultSchema>;

/** The params of `tasks/get` and `tasks/cancel`. */
export const TaskIdParamsSchema = z.object({ taskId: TaskIdSchema });

/**
 * The params of `tasks/update`. Its `inputResponses` (answers to the input requests a task
 * surfaced, by their keys) is required on the wire, but the SDK lifts it out of the params into
 * `ctx.mcpReq.inputResponses` before a handler sees them.
 */
export const UpdateTaskParamsSchema = z.object({
  taskId: TaskIdSchema,
  inputResponses: z.record(z.string(), z.unknown()).optional(),
});

/** The answer to `tasks/update` and `tasks/cancel`: an empty acknowledgement. */
export const AckResultSchema = z.object({});
