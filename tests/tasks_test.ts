import assert from "node:assert/strict";
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  inputRequired,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from "../src/deps.ts";
import { z } from "zod";
import { createLogger } from "../src/log.ts";
import { createTaskHost } from "../src/tasks/host.ts";
import {
  AckResultSchema,
  CreateTaskResultSchema,
  type GetTaskResult,
  GetTaskResultSchema,
  TASKS_EXTENSION_ID,
} from "../src/tasks/schemas.ts";
import {
  dataOf,
  type Harness,
  type HarnessOptions,
  seedPod,
  simRequest,
  startHarness,
  textOf,
  writes,
} from "./_harness.ts";

const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
const POD = { name: "p", image: IMAGE, gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 } };
const TASKS = { extensions: { [TASKS_EXTENSION_ID]: {} } };
const MCP_URL = "http://runpod-mcp.test/mcp";

function quiet() {
  return createLogger({ write: () => {} });
}

type Answer = { result?: Record<string, unknown>; error?: { code: number; message: string } };

/** A 2026-era request as a client sends it, envelope included, answered by `fetchMcp`. */
async function post(
  fetchMcp: (request: Request) => Promise<Response>,
  method: string,
  params: Record<string, unknown>,
  capabilities: Record<string, unknown> = TASKS,
): Promise<Answer> {
  const name = typeof params.name === "string" ? params.name : String(params.taskId ?? "");
  const response = await fetchMcp(
    new Request(MCP_URL, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": method,
        ...(name ? { "mcp-name": name } : {}),
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: crypto.randomUUID(),
        method,
        params: {
          ...params,
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
            [CLIENT_CAPABILITIES_META_KEY]: capabilities,
          },
        },
      }),
    }),
  );
  const text = await response.text();
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    const data = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
    return JSON.parse(data.at(-1) ?? "{}");
  }
  return JSON.parse(text);
}

/** Calls a tool the way a task-aware client does; returns the created task, checked exactly. */
/** Fails fast, rather than parking in a tool's sleep, when the server does not serve tasks. */
function assertServesTasks(h: Harness) {
  assert.ok(
    h.client.getServerCapabilities()?.extensions?.[TASKS_EXTENSION_ID],
    "the server does not declare the tasks extension",
  );
}

async function startTask(h: Harness, name: string, args: Record<string, unknown>) {
  assertServesTasks(h);
  const answer = await post(h.mcpFetch!, "tools/call", { name, arguments: args });
  assert.ok(answer.result?.resultType === "task", JSON.stringify(answer));
  const { _meta, ...task } = answer.result;
  // Exactly the extension's CreateTaskResult (plus the server's _meta): no marks left over.
  return CreateTaskResultSchema.strict().parse(task);
}

function getTask(h: Harness, taskId: string): Promise<GetTaskResult> {
  return h.client.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema);
}

/** Polls tasks/get until the task ends; the tools' waits take no real time in the harness. */
async function settled(h: Harness, taskId: string): Promise<GetTaskResult> {
  for (let i = 0; i < 1_000; i++) {
    const task = await getTask(h, taskId);
    if (task.status !== "working") return task;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`Task ${taskId} did not end`);
}

/** A harness whose tool sleeps park until aborted; `parked` resolves at the first sleep. */
function parkingHarness(options: HarnessOptions = {}) {
  let park: () => void = () => {};
  const parked = new Promise<void>((resolve) => (park = resolve));
  const harness = startHarness({
    era: "modern",
    clientCapabilities: TASKS,
    ...options,
    toolSleep: (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        park();
      }),
  });
  return { harness, parked };
}

async function rejectsWith(promise: Promise<unknown>, code: number, message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("the server declares the tasks extension to 2026-era clients", async () => {
  await using h = await startHarness({ era: "modern", clientCapabilities: TASKS });
  assert.deepEqual(h.client.getServerCapabilities()?.extensions?.[TASKS_EXTENSION_ID], {});
});

Deno.test("wait_for_pod as a task is answered at once, and tasks/get gives what a plain call gives", async () => {
  await using plain = await startHarness({ era: "modern", simulator: { seed: 7 } });
  await using h = await startHarness({
    era: "modern",
    clientCapabilities: TASKS,
    simulator: { seed: 7 },
  });
  const args = { pod_id: (await seedPod(plain, POD)).id, until: "RUNNING" };
  assert.equal((await seedPod(h, POD)).id, args.pod_id, "same seed, same pod");
  const expected = await plain.call("wait_for_pod", args);
  assert.equal(dataOf<{ outcome: string }>(expected).outcome, "ready");

  const task = await startTask(h, "wait_for_pod", args);
  assert.equal(task.status, "working");
  assert.match(task.taskId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(task.createdAt, new Date(Date.UTC(2026, 10, 24, 12)).toISOString());
  assert.equal(task.ttlMs, null, "kept without limit while it runs");
  assert.equal(task.pollIntervalMs, 5_000);

  const done = await settled(h, task.taskId);
  assert.equal(done.status, "completed");
  assert.ok(done.status === "completed");
  const { resultType, ...result } = done.result;
  assert.equal(resultType, "complete", "the result as a 2026 tools/call answers it");
  const { _meta, ...expectedResult } = expected;
  assert.deepEqual(result, expectedResult);
  assert.equal(done.statusMessage, "Done");
  assert.equal(done.ttlMs, Date.parse(done.lastUpdatedAt) - Date.parse(done.createdAt) + 3_600_000);
});

Deno.test("tasks/cancel stops wait_for_pod within one poll and the task says cancelled", async () => {
  const { harness, parked } = parkingHarness();
  await using h = await harness;
  const pod = await seedPod(h, POD);
  h.sim.clearRequests();
  const task = await startTask(h, "wait_for_pod", { pod_id: pod.id });
  await parked;
  assert.equal((await getTask(h, task.taskId)).status, "working");
  assert.match((await getTask(h, task.taskId)).statusMessage ?? "", /is PROVISIONING after 0 s/);

  assert.deepEqual(
    await h.client.request(
      { method: "tasks/cancel", params: { taskId: task.taskId } },
      AckResultSchema,
    ),
    {},
  );
  const cancelled = await getTask(h, task.taskId);
  assert.equal(cancelled.status, "cancelled");
  assert.equal(cancelled.statusMessage, "Cancelled by the client");
  // Let the aborted run unwind, then check RunPod heard nothing more from it.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(h.sim.requests.map((r) => `${r.method} ${r.path}`), [`GET /v2/pods/${pod.id}`]);
  assert.equal(
    (await getTask(h, task.taskId)).status,
    "cancelled",
    "the run's end changes nothing",
  );
  // Cancelling again is acknowledged and changes nothing.
  await h.client.request(
    { method: "tasks/cancel", params: { taskId: task.taskId } },
    AckResultSchema,
  );
});

Deno.test("a 2026-era client that does not declare the extension gets the plain result and progress", async () => {
  await using h = await startHarness({ era: "modern" });
  const pod = await seedPod(h, POD);
  const progress: unknown[] = [];
  const result = await h.client.callTool(
    { name: "wait_for_pod", arguments: { pod_id: pod.id } },
    { onprogress: (p) => progress.push(p) },
  ) as CallToolResult;
  assert.equal(dataOf<{ outcome: string }>(result).outcome, "ready");
  assert.ok(progress.length > 0);
  // Without the declaration, tasks/* are refused with the capability they need.
  await rejectsWith(
    h.client.request({ method: "tasks/get", params: { taskId: "x" } }, GetTaskResultSchema),
    ProtocolErrorCode.MissingRequiredClientCapability,
    /does not declare the io\.modelcontextprotocol\/tasks extension/,
  );
});

Deno.test("a 2025-era client is unaffected, even one that lists the extension", async () => {
  await using h = await startHarness({ era: "legacy", clientCapabilities: TASKS });
  assert.equal(h.client.getServerCapabilities()?.extensions, undefined);
  const pod = await seedPod(h, POD);
  const result = await h.call("wait_for_pod", { pod_id: pod.id });
  assert.equal(dataOf<{ outcome: string }>(result).outcome, "ready");
});

Deno.test("run_job_sync as a task asks nobody, even a client that can show forms", async () => {
  await using h = await startHarness({
    era: "modern",
    clientCapabilities: { ...TASKS, elicitation: { form: {} } },
    server: { policy: { readOnly: false, confirm: "billable-and-destructive" } },
  });
  let asked = 0;
  h.client.setRequestHandler("elicitation/create", () => {
    asked++;
    return { action: "accept", content: { confirm: true } };
  });
  const { status, json: endpoint } = await simRequest(h, "POST", "/v2/serverless", {
    name: "jobs",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"], count: 1 },
    workers: { min: 0, max: 1 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
  });
  assert.equal(status, 201, JSON.stringify(endpoint));
  h.sim.clearRequests();
  const task = await startTask(h, "run_job_sync", {
    endpoint_id: endpoint.id,
    input: { output: { text: "hi" }, duration_ms: 1_500 },
    wait_s: 30,
  });
  const done = await settled(h, task.taskId);
  assert.ok(done.status === "completed", JSON.stringify(done));
  const data = done.result.structuredContent as { status: string; output: unknown };
  assert.equal(data.status, "COMPLETED");
  assert.deepEqual(data.output, { text: "hi" });
  assert.equal(asked, 0);
  // A plain job is sent without confirmation in this mode: exactly the one runsync.
  assert.deepEqual(writes(h).map((r) => `${r.method} ${r.path}`), [
    `POST /v2/${endpoint.id}/runsync`,
  ]);
});

Deno.test("a task runs with its own signal, no client state and no way to ask the user", async () => {
  const host = createTaskHost({ logger: quiet(), now: () => 0 });
  const client = new AbortController();
  const ctx = {
    mcpReq: {
      id: 1,
      method: "tools/call",
      _meta: { progressToken: "client-token" },
      envelope: {
        [CLIENT_CAPABILITIES_META_KEY]: { ...TASKS, elicitation: { form: {} }, sampling: {} },
      },
      inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
      requestState: () => "state",
      signal: client.signal,
      notify: () => Promise.reject(new Error("the client's request is over")),
      log: () => Promise.reject(new Error("the client's request is over")),
    },
  } as unknown as ServerContext;
  let seen: ServerContext | undefined;
  const answer = await host.start("wait_for_pod", ctx, (taskCtx) => {
    seen = taskCtx;
    return new Promise(() => {});
  });
  assert.equal((answer as { resultType?: string }).resultType, "task");
  assert.ok(seen);
  const envelope = seen.mcpReq.envelope as Record<string, unknown>;
  assert.deepEqual(envelope[CLIENT_CAPABILITIES_META_KEY], TASKS, "no elicitation, no sampling");
  assert.equal(seen.mcpReq.inputResponses, undefined);
  assert.equal(seen.mcpReq.requestState(), undefined);
  assert.notEqual(seen.mcpReq._meta?.progressToken, "client-token");
  client.abort();
  assert.equal(seen.mcpReq.signal.aborted, false, "the answered request ending stops nothing");
  await seen.mcpReq.notify({
    method: "notifications/progress",
    params: { progressToken: "task", progress: 1, message: "halfway" },
  });
  await seen.mcpReq.log("info", "kept out of the answered request");
  await assert.rejects(
    seen.mcpReq.elicitInput({ message: "?", requestedSchema: { type: "object", properties: {} } }),
  );
  host.close();
  assert.equal(seen.mcpReq.signal.aborted, true, "close() aborts running tasks");

  const undeclared = { mcpReq: { ...ctx.mcpReq, envelope: {} } } as unknown as ServerContext;
  assert.equal(host.start("wait_for_pod", undeclared, () => new Promise(() => {})), undefined);
  assert.equal(host.start("list_pods", ctx, () => new Promise(() => {})), undefined);
});

Deno.test("a run that would ask the user completes with a result saying to call without a task", async () => {
  const host = createTaskHost({ logger: quiet() });
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: "t", version: "1" });
    server.registerTool(
      "run_job_sync",
      { inputSchema: z.object({}), outputSchema: z.object({ ok: z.boolean() }) },
      (_args, ctx) =>
        (host.start(
          "run_job_sync",
          ctx,
          () => Promise.resolve(inputRequired({ requestState: "s" })),
        ) ??
          { content: [], structuredContent: { ok: true } }) as CallToolResult,
    );
    host.register(server, "modern");
    return server;
  }, {});
  try {
    const fetchMcp = (request: Request) => handler.fetch(request);
    const created = await post(fetchMcp, "tools/call", { name: "run_job_sync", arguments: {} });
    const { _meta, ...task } = created.result ?? {};
    const { taskId } = CreateTaskResultSchema.strict().parse(task);
    const done = GetTaskResultSchema.parse((await post(fetchMcp, "tasks/get", { taskId })).result);
    assert.ok(done.status === "completed", JSON.stringify(done));
    assert.equal(done.result.isError, true);
    assert.match(
      textOf(done.result as unknown as CallToolResult),
      /needs an answer from the user, which a task cannot ask for: call run_job_sync again without running it as a task/,
    );
  } finally {
    host.close();
    await handler.close();
  }
});

Deno.test("tasks/get, tasks/update and tasks/cancel of an unknown task say how to go on", async () => {
  await using h = await startHarness({ era: "modern", clientCapabilities: TASKS });
  const taskId = crypto.randomUUID();
  const notFound = /Cannot find task ".*": no such task is kept for you .* call the tool again/;
  await rejectsWith(getTask(h, taskId), ProtocolErrorCode.InvalidParams, notFound);
  await rejectsWith(
    h.client.request({ method: "tasks/cancel", params: { taskId } }, AckResultSchema),
    ProtocolErrorCode.InvalidParams,
    notFound,
  );
  await rejectsWith(
    h.client.request(
      { method: "tasks/update", params: { taskId, inputResponses: {} } },
      AckResultSchema,
    ),
    ProtocolErrorCode.InvalidParams,
    notFound,
  );
});

Deno.test("tasks/update with input responses is refused: these tasks never ask for input", async () => {
  await using h = await startHarness({ era: "modern", clientCapabilities: TASKS });
  const pod = await seedPod(h, POD);
  const task = await startTask(h, "wait_for_pod", { pod_id: pod.id });
  await rejectsWith(
    h.client.request({
      method: "tasks/update",
      params: { taskId: task.taskId, inputResponses: { confirm: { action: "accept" } } },
    }, AckResultSchema),
    ProtocolErrorCode.InvalidParams,
    /Cannot update task .*never asks for input.*tasks\/get.*tasks\/cancel/,
  );
});

Deno.test("a task is invisible to any other caller: get and cancel answer as for an unknown id", async () => {
  const { harness, parked } = parkingHarness();
  await using h = await harness;
  assertServesTasks(h);
  const pod = await seedPod(h, POD);
  // Over HTTP the caller is the bearer's id, which the front door hands on as authInfo.clientId.
  const handler = createMcpHandler(h.app.factory, {});
  const as = (clientId: string) => (request: Request) =>
    handler.fetch(request, { authInfo: { token: "", clientId, scopes: [] } });
  try {
    const created = await post(as("alice"), "tools/call", {
      name: "wait_for_pod",
      arguments: { pod_id: pod.id },
    });
    const taskId = String(created.result?.taskId);
    await parked;
    for (const method of ["tasks/get", "tasks/cancel"]) {
      const answer = await post(as("bob"), method, { taskId });
      assert.equal(answer.error?.code, ProtocolErrorCode.InvalidParams, JSON.stringify(answer));
      assert.match(answer.error?.message ?? "", /Cannot find task/);
    }
    const anonymous = await post(h.mcpFetch!, "tasks/get", { taskId });
    assert.equal(anonymous.error?.code, ProtocolErrorCode.InvalidParams);
    const own = await post(as("alice"), "tasks/get", { taskId });
    assert.equal(own.result?.status, "working", "bob's cancel did not touch it");
    assert.deepEqual(
      (await post(as("alice"), "tasks/cancel", { taskId })).result?.resultType,
      "complete",
    );
  } finally {
    await handler.close();
  }
});

Deno.test("a caller may run at most the configured number of tasks; the next call says what to do", async () => {
  const { harness, parked } = parkingHarness({
    server: { tasks: createTaskHost({ logger: quiet(), maxRunningPerCaller: 1 }) },
  });
  await using h = await harness;
  const pod = await seedPod(h, POD);
  const first = await startTask(h, "wait_for_pod", { pod_id: pod.id });
  await parked;
  const second = await post(h.mcpFetch!, "tools/call", {
    name: "wait_for_pod",
    arguments: { pod_id: pod.id },
  });
  assert.equal(second.result?.resultType, "complete");
  assert.equal(second.result?.isError, true);
  assert.match(
    textOf(second.result as unknown as CallToolResult),
    /Cannot start wait_for_pod as a task: 1 of your tasks are running.*tasks\/cancel/,
  );
  await h.client.request(
    { method: "tasks/cancel", params: { taskId: first.taskId } },
    AckResultSchema,
  );
  assert.equal((await startTask(h, "wait_for_pod", { pod_id: pod.id })).status, "working");
});

Deno.test("an ended task's result is dropped an hour after it ended", async () => {
  await using h = await startHarness({ era: "modern", clientCapabilities: TASKS });
  const pod = await seedPod(h, POD);
  const task = await startTask(h, "wait_for_pod", { pod_id: pod.id });
  assert.equal((await settled(h, task.taskId)).status, "completed");
  h.sim.advance(59 * 60_000);
  assert.equal((await getTask(h, task.taskId)).status, "completed");
  h.sim.advance(2 * 60_000);
  await rejectsWith(getTask(h, task.taskId), ProtocolErrorCode.InvalidParams, /Cannot find task/);
});

Deno.test("closing the app aborts running tasks", async () => {
  const { harness, parked } = parkingHarness();
  const h = await harness;
  const pod = await seedPod(h, POD);
  h.sim.clearRequests();
  await startTask(h, "wait_for_pod", { pod_id: pod.id });
  await parked;
  await h.close();
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(h.sim.requests.length, 1, "one poll, then nothing");
});
