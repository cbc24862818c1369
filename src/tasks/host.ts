/**
 * `createTaskHost(options)`: the server side of the tasks extension (`io.modelcontextprotocol/tasks`,
 * protocol revision 2026-07-28) for the long waits in {@linkcode TASK_TOOLS}.
 *
 * A 2026-era `tools/call` whose request declares the extension in its client capabilities is
 * answered at once with a created task (`resultType: "task"`); creation is the server's choice and
 * the declaration is the client's only say, so every such call of a long wait becomes a task. The
 * tool then runs in the background with a context of its own: its own abort signal, no way to ask
 * the user (a confirmation falls back to the token answer, which becomes the task's result), and
 * progress kept as the task's `statusMessage` instead of being sent. The client polls `tasks/get`
 * for the status and, once completed, the same `CallToolResult` a plain call answers (masked the
 * same way, since it is that call's result); `tasks/cancel` aborts the run, so the tool stops
 * within one poll; `tasks/update` is refused because these tasks never ask for input. Other
 * clients, the 2025 era and every other tool are untouched.
 *
 * Bounds: at most `maxRunningPerCaller` running tasks per caller (the authenticated client id over
 * HTTP; one caller over stdio), results kept `retainMs` after a task ends and at most
 * `maxRetained` ended tasks in all. A task is visible only to the caller that started it; to any
 * other caller it does not exist.
 *
 * Known limit: tasks live in this process's memory. With several HTTP replicas a task lives on the
 * replica that started it, so `tasks/*` requests must reach that replica (clients send the task id
 * in the `Mcp-Name` header, which a load balancer can route on); a restart forgets every task.
 *
 * @module
 */

import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type InputRequiredResult,
  type JSONRPCMessage,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
  type Transport,
} from "../deps.ts";
import type { Logger } from "../log.ts";
import {
  AckResultSchema,
  type CreateTaskResult,
  type GetTaskResult,
  GetTaskResultSchema,
  TaskIdParamsSchema,
  TASKS_EXTENSION_ID,
  type TaskStatus,
  UpdateTaskParamsSchema,
} from "./schemas.ts";
import { type RunCall, TASK_TOOLS, type TaskHost } from "./types.ts";

/** Options for {@linkcode createTaskHost}. */
export interface TaskHostOptions {
  logger: Logger;
  /** Epoch ms for timestamps and retention; default wall-clock. Tests pass the simulator's. */
  now?: () => number;
  /** Running tasks one caller may have at once (default 20). */
  maxRunningPerCaller?: number;
  /** How long a task's result is kept after it ends, ms (default one hour). */
  retainMs?: number;
  /** Ended tasks kept in all callers together; the oldest go first (default 1 000). */
  maxRetained?: number;
  /** The polling interval suggested to clients, ms (default 5 000). */
  pollIntervalMs?: number;
}

interface TaskRecord {
  id: string;
  /** The caller that started it; only that caller sees it. */
  owner: string;
  tool: string;
  controller: AbortController;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

const DEFAULTS = {
  maxRunningPerCaller: 20,
  retainMs: 60 * 60_000,
  maxRetained: 1_000,
  pollIntervalMs: 5_000,
};

/** Stands in for the client's progress token inside a task: progress lands in `statusMessage`. */
const TASK_PROGRESS_TOKEN = "task";

/** The error that answers `tasks/*` from a request that does not declare the extension. */
const MISSING_EXTENSION = {
  requiredCapabilities: { extensions: { [TASKS_EXTENSION_ID]: {} } },
};

/**
 * Creates the task host of one process. Pass it as `ServerOptions.tasks`; `close()` aborts every
 * running task.
 *
 * @example
 * ```ts ignore
 * const tasks = createTaskHost({ logger });
 * const app = createApp(deps, { ...options, tasks });
 * ```
 */
export function createTaskHost(options: TaskHostOptions): TaskHost {
  const settings: typeof DEFAULTS = {
    maxRunningPerCaller: options.maxRunningPerCaller ?? DEFAULTS.maxRunningPerCaller,
    retainMs: options.retainMs ?? DEFAULTS.retainMs,
    maxRetained: options.maxRetained ?? DEFAULTS.maxRetained,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
  };
  const now = options.now ?? Date.now;
  const tasks = new Map<string, TaskRecord>();
  const store = { tasks, settings, now, logger: options.logger };
  return {
    start(tool, ctx, run) {
      if (!TASK_TOOLS.has(tool) || !declaresTasks(ctx)) return undefined;
      sweep(store);
      const owner = callerOf(ctx);
      const running = [...tasks.values()].filter((t) =>
        t.owner === owner && t.status === "working"
      );
      if (running.length >= settings.maxRunningPerCaller) {
        return Promise.resolve(tooManyTasks(tool, settings.maxRunningPerCaller));
      }
      const record = newRecord(tool, owner, now());
      tasks.set(record.id, record);
      options.logger.info("task started", { tool });
      void execute(store, record, run, taskContext(ctx, record, now));
      // The SDK checks a tool's answer against its output schema unless it is an error, so the
      // created task travels marked as one; the transport wrapper of register() removes the mark.
      return Promise.resolve({ ...createAnswer(store, record), content: [], isError: true });
    },
    register(server, era) {
      if (era !== "modern") return;
      registerMethods(server, store);
      unmarkTaskAnswers(server);
    },
    close() {
      for (const record of tasks.values()) {
        if (record.status === "working") {
          record.controller.abort(new Error("The server is closing"));
        }
      }
      tasks.clear();
    },
  };
}

type Store = {
  tasks: Map<string, TaskRecord>;
  settings: typeof DEFAULTS;
  now: () => number;
  logger: Logger;
};

function newRecord(tool: string, owner: string, at: number): TaskRecord {
  return {
    // 122 random bits: the id is all a caller needs to read the task (the spec's bearer model).
    id: crypto.randomUUID(),
    owner,
    tool,
    controller: new AbortController(),
    status: "working",
    statusMessage: `${tool} is running`,
    createdAt: at,
    updatedAt: at,
  };
}

/** Whether this request's client capabilities declare the extension (2026 era only). */
function declaresTasks(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as
    | { extensions?: Record<string, unknown> }
    | undefined;
  const declared = capabilities?.extensions?.[TASKS_EXTENSION_ID];
  return typeof declared === "object" && declared !== null && !Array.isArray(declared);
}

/** The authenticated caller over HTTP (a hash of its bearer); stdio has one caller. */
function callerOf(ctx: ServerContext): string {
  const http = ctx.http as { authInfo?: { clientId?: string } } | undefined;
  return http?.authInfo?.clientId ?? "";
}

/**
 * The context a task runs in: its own signal; no progress token, input responses or request state
 * of the client's; client capabilities without elicitation or sampling, so nothing asks the user;
 * progress and log events kept here instead of sent on a request that has already been answered.
 */
function taskContext(ctx: ServerContext, record: TaskRecord, now: () => number): ServerContext {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const { elicitation: _e, sampling: _s, ...capabilities } =
    (envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? {}) as Record<string, unknown>;
  const { progressToken: _token, ...meta } = ctx.mcpReq._meta ?? {};
  const cannotAsk = () => Promise.reject(new Error("A task cannot send requests to the client"));
  return {
    ...ctx,
    mcpReq: {
      ...ctx.mcpReq,
      _meta: { ...meta, progressToken: TASK_PROGRESS_TOKEN },
      envelope: { ...envelope, [CLIENT_CAPABILITIES_META_KEY]: capabilities },
      inputResponses: undefined,
      droppedInputResponseKeys: undefined,
      requestState: () => undefined,
      signal: record.controller.signal,
      notify: (notification) => {
        const params = notification.params as { message?: unknown } | undefined;
        if (notification.method === "notifications/progress" && record.status === "working") {
          if (typeof params?.message === "string") record.statusMessage = params.message;
          record.updatedAt = now();
        }
        return Promise.resolve();
      },
      log: () => Promise.resolve(),
      send: cannotAsk as ServerContext["mcpReq"]["send"],
      elicitInput: cannotAsk,
      requestSampling: cannotAsk,
    },
  };
}

async function execute(store: Store, record: TaskRecord, run: RunCall, ctx: ServerContext) {
  let outcome: { result: CallToolResult | InputRequiredResult } | { thrown: unknown };
  try {
    outcome = { result: await run(ctx) };
  } catch (thrown) {
    outcome = { thrown };
  }
  // Cancelled or dropped meanwhile: what the run ended with no longer matters.
  if (record.status !== "working" || store.tasks.get(record.id) !== record) return;
  if ("thrown" in outcome) {
    const error = outcome.thrown;
    store.logger.warn("task failed", {
      tool: record.tool,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    end(store, record, "failed", "The tool failed unexpectedly; the server log has details");
    record.error = { code: ProtocolErrorCode.InternalError, message: "Internal error" };
    return;
  }
  record.result = { ...asCompleteResult(record.tool, outcome.result), resultType: "complete" };
  end(store, record, "completed", record.result.isError === true ? "Ended with an error" : "Done");
  store.logger.info("task completed", { tool: record.tool });
}

/** A task cannot ask the user; should a run still want to, its result says what to do instead. */
function asCompleteResult(
  tool: string,
  result: CallToolResult | InputRequiredResult,
): Record<string, unknown> {
  if (result.resultType !== "input_required") return result;
  return {
    content: [{
      type: "text",
      text:
        `${tool} needs an answer from the user, which a task cannot ask for: call ${tool} again without running it as a task`,
    }],
    isError: true,
  };
}

function end(store: Store, record: TaskRecord, status: TaskStatus, message: string) {
  const at = store.now();
  record.status = status;
  record.statusMessage = message;
  record.updatedAt = at;
  record.endedAt = at;
  const ended = [...store.tasks.values()].filter((t) => t.endedAt !== undefined);
  ended.sort((a, b) => a.endedAt! - b.endedAt!);
  for (const old of ended.slice(0, Math.max(0, ended.length - store.settings.maxRetained))) {
    store.tasks.delete(old.id);
  }
}

/** Drops ended tasks whose retention has passed. Running tasks stay until they end. */
function sweep(store: Store) {
  const at = store.now();
  for (const [id, record] of store.tasks) {
    if (record.endedAt !== undefined && record.endedAt + store.settings.retainMs <= at) {
      store.tasks.delete(id);
    }
  }
}

function taskFields(store: Store, record: TaskRecord) {
  return {
    taskId: record.id,
    status: record.status,
    ...(record.statusMessage !== undefined ? { statusMessage: record.statusMessage } : {}),
    createdAt: new Date(record.createdAt).toISOString(),
    lastUpdatedAt: new Date(record.updatedAt).toISOString(),
    // Kept without limit while running; once ended, until `retainMs` after the end.
    ttlMs: record.endedAt === undefined
      ? null
      : record.endedAt - record.createdAt + store.settings.retainMs,
    pollIntervalMs: store.settings.pollIntervalMs,
  };
}

function createAnswer(store: Store, record: TaskRecord): CreateTaskResult {
  return { ...taskFields(store, record), resultType: "task" };
}

function detailed(store: Store, record: TaskRecord): GetTaskResult {
  const fields = taskFields(store, record);
  if (record.status === "completed") {
    return { ...fields, status: "completed", result: record.result! };
  }
  if (record.status === "failed") return { ...fields, status: "failed", error: record.error! };
  if (record.status === "cancelled") return { ...fields, status: "cancelled" };
  return { ...fields, status: "working" };
}

function tooManyTasks(tool: string, limit: number): CallToolResult {
  return {
    content: [{
      type: "text",
      text:
        `Cannot start ${tool} as a task: ${limit} of your tasks are running, the most allowed; wait for one to end (tasks/get) or cancel one (tasks/cancel), then call ${tool} again`,
    }],
    isError: true,
  };
}

function registerMethods(server: McpServer, store: Store) {
  server.server.registerCapabilities({ extensions: { [TASKS_EXTENSION_ID]: {} } });
  server.server.setRequestHandler(
    "tasks/get",
    { params: TaskIdParamsSchema, result: GetTaskResultSchema },
    (params, ctx) => detailed(store, find(store, "tasks/get", params.taskId, ctx)),
  );
  server.server.setRequestHandler(
    "tasks/update",
    { params: UpdateTaskParamsSchema, result: AckResultSchema },
    (params, ctx) => {
      const record = find(store, "tasks/update", params.taskId, ctx);
      const answered = [
        ...Object.keys(params.inputResponses ?? ctx.mcpReq.inputResponses ?? {}),
        ...(ctx.mcpReq.droppedInputResponseKeys ?? []),
      ];
      if (answered.length > 0) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Cannot update task ${record.id}: its tool (${record.tool}) never asks for input, so there is nothing to answer; read it with tasks/get or stop it with tasks/cancel`,
        );
      }
      return {};
    },
  );
  server.server.setRequestHandler(
    "tasks/cancel",
    { params: TaskIdParamsSchema, result: AckResultSchema },
    (params, ctx) => {
      const record = find(store, "tasks/cancel", params.taskId, ctx);
      if (record.status === "working") {
        // The tool's sleeps and RunPod requests share this signal: it stops within one poll.
        record.controller.abort(new Error("The client cancelled the task"));
        end(store, record, "cancelled", "Cancelled by the client");
        store.logger.info("task cancelled", { tool: record.tool });
      }
      return {};
    },
  );
}

/** The caller's task with this id; otherwise the spec's invalid-params error, saying what to do. */
function find(store: Store, method: string, taskId: string, ctx: ServerContext): TaskRecord {
  if (!declaresTasks(ctx)) {
    throw new ProtocolError(
      ProtocolErrorCode.MissingRequiredClientCapability,
      `Cannot serve ${method}: the request does not declare the ${TASKS_EXTENSION_ID} extension in its client capabilities`,
      MISSING_EXTENSION,
    );
  }
  sweep(store);
  const record = store.tasks.get(taskId);
  if (record && record.owner === callerOf(ctx)) return record;
  const hours = store.settings.retainMs / 3_600_000;
  throw new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Cannot find task ${
      JSON.stringify(taskId.slice(0, 64))
    }: no such task is kept for you (a result is kept ${hours} h after its task ends, only on the server that started it); call the tool again to start a new one`,
  );
}

/** Removes the error mark of a created task (see start) from what the server sends. */
function unmarkTaskAnswers(server: McpServer) {
  const connect = server.connect.bind(server);
  server.connect = (transport: Transport) => {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => send(unmarked(message), options);
    return connect(transport);
  };
}

function unmarked(message: JSONRPCMessage): JSONRPCMessage {
  if (!("result" in message) || message.result.resultType !== "task") return message;
  const { content: _content, isError: _isError, ...task } = message.result;
  return { ...message, result: task };
}
