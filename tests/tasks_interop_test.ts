/**
 * The official Tasks requester (`@modelcontextprotocol/ext-tasks` 0.2.2) against this server in
 * the 2026 era: a long wait run as a task settles with the tool's result, and a cancel stops it.
 */

import assert from "node:assert/strict";
import {
  createTaskSessionFromClient,
  type JsonRpcResponse,
  type RawClientDispatch,
  resultFromTaskOutcome,
} from "@modelcontextprotocol/ext-tasks/client";
import { createTaskHost } from "../src/tasks/host.ts";
import { createLogger } from "../src/log.ts";
import { type Harness, seedPod, startHarness } from "./_harness.ts";
import { IMAGE, RTX4090 } from "./_write_tools.ts";

const TASKS = { extensions: { "io.modelcontextprotocol/tasks": {} } };
const POD = { name: "waited", image: IMAGE, gpu: { id: RTX4090, count: 1 } };
const FRAMING = {
  protocolVersion: "2026-07-28",
  clientInfo: { name: "ext-tasks-interop", version: "1.0.0" },
  clientCapabilities: TASKS,
};

/** The requester's raw request path: one JSON-RPC request to the handler, its answer back. */
function dispatchTo(h: Harness): RawClientDispatch {
  let id = 0;
  return async (request) => {
    const { method, params } = request as { method: string; params?: Record<string, unknown> };
    const name = typeof params?.name === "string" ? params.name : params?.taskId;
    const response = await h.mcpFetch!(
      new Request("http://runpod-mcp.test/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": FRAMING.protocolVersion,
          "mcp-method": method,
          ...(typeof name === "string" ? { "mcp-name": name } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, ...(request as object) }),
      }),
    );
    const text = await response.text();
    const body = response.headers.get("content-type")?.includes("text/event-stream")
      ? text.split("\n").filter((line) => line.startsWith("data: ")).at(-1)?.slice(6) ?? "{}"
      : text;
    const json = JSON.parse(body);
    return (json.error
      ? { kind: "error", error: json.error }
      : { kind: "result", result: json.result }) as JsonRpcResponse;
  };
}

/** The official requester's session on the harness's client, through its raw request path. */
function sessionFor(h: Harness) {
  return createTaskSessionFromClient(h.client, {
    endpointId: "runpod-mcp",
    rawDispatch: dispatchTo(h),
    v2RequestFraming: FRAMING,
  });
}

/** A task host that asks the requester to poll every 10 ms (it polls in real time). */
function quickTasks() {
  return createTaskHost({ logger: createLogger({ write: () => {} }), pollIntervalMs: 10 });
}

Deno.test("the ext-tasks requester runs wait_for_pod as a task and settles with its result", async () => {
  await using h = await startHarness({
    era: "modern",
    clientCapabilities: TASKS,
    server: { tasks: quickTasks() },
  });
  const pod = await seedPod(h, POD);
  const session = sessionFor(h);
  try {
    const execution = await session.callTool("wait_for_pod", { pod_id: pod.id });
    const { outcome } = await execution.settle();
    const result = resultFromTaskOutcome(outcome) as { structuredContent?: { outcome?: string } };
    assert.equal(result.structuredContent?.outcome, "ready");
  } finally {
    await session.close();
  }
});

Deno.test("the ext-tasks requester cancels a running task, and RunPod gets no further polls", async () => {
  let parkedNow = () => {};
  const parked = new Promise<void>((resolve) => (parkedNow = resolve));
  await using h = await startHarness({
    era: "modern",
    clientCapabilities: TASKS,
    server: { tasks: quickTasks() },
    toolSleep: (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        parkedNow();
      }),
  });
  const pod = await seedPod(h, POD);
  h.sim.clearRequests();
  const session = sessionFor(h);
  try {
    const execution = await session.callTool("wait_for_pod", { pod_id: pod.id });
    await parked;
    await execution.cancel();
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, "cancelled");
    assert.deepEqual(
      h.sim.requests.map((r) => `${r.method} ${r.path}`),
      [`GET /v2/pods/${pod.id}`],
      "one poll before the cancel, none after",
    );
  } finally {
    await session.close();
  }
});
