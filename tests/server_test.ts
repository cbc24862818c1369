import assert from "node:assert/strict";
import { LOG_LEVEL_META_KEY } from "../src/deps.ts";
import { dataOf, startHarness, TEST_KEY, textOf } from "./_harness.ts";

Deno.test("the server introduces itself with instructions that say costs are real", async () => {
  await using h = await startHarness();
  assert.equal(h.client.getServerVersion()?.name, "runpod-mcp");
  const instructions = h.client.getInstructions() ?? "";
  assert.match(instructions, /LIVE MODE/);
  assert.match(instructions, /real money/);
  assert.match(instructions, /list_gpu_types/);
  assert.ok(h.client.getServerCapabilities()?.logging);
});

Deno.test("sandbox instructions document the simulated worker's job inputs; live ones do not", async () => {
  const fields = ["duration_ms", "fail", "stream", "output"];
  {
    await using h = await startHarness({ server: { sandbox: true } });
    const instructions = h.client.getInstructions() ?? "";
    assert.match(instructions, /SANDBOX MODE/);
    for (const field of fields) {
      assert.match(instructions, new RegExp(`\\b${field} \\(`), `explains ${field}`);
    }
    assert.match(instructions, /job input fields/);
  }
  await using live = await startHarness();
  const instructions = live.client.getInstructions() ?? "";
  assert.match(instructions, /LIVE MODE/);
  assert.doesNotMatch(instructions, /duration_ms|job input fields/);
});

Deno.test("MCP errors reach the client as the server worded them, with their code", async () => {
  await using h = await startHarness();
  const error = await h.client.readResource({ uri: "runpod://pods/nosuchpod0000" }).then(
    () => assert.fail("an unknown pod is an error"),
    (error: Error & { code?: number }) => error,
  );
  assert.match(error.message, /^Cannot read runpod:\/\/pods\/nosuchpod0000: RunPod has no pod/);
  assert.doesNotMatch(error.message, /MCP error/);
  assert.equal(error.code, -32602);
});

Deno.test("a wrong API key gives an actionable error that never contains the key", async () => {
  const wrongKey = "rpa_WRONGKEY000000000000";
  await using h = await startHarness({ apiKey: wrongKey });
  const result = await h.call("list_pods");
  assert.equal(result.isError, true);
  assert.match(textOf(result), /401.*check RUNPOD_API_KEY/);
  const everything = JSON.stringify(result) + h.logLines.join("\n");
  assert.ok(!everything.includes(wrongKey));
  assert.ok(!everything.includes(TEST_KEY));
  assert.equal(h.sim.requests.length, 1, "a 401 is not retried");
  assert.equal(h.sim.requests[0]?.status, 401);
});

Deno.test("reads retry through RunPod 5xx errors and the model sees only the answer", async () => {
  await using h = await startHarness();
  h.sim.injectFault({ kind: "status", status: 503, times: 2, match: { path: "/v2/pods" } });
  const data = dataOf<{ count: number }>(await h.call("list_pods"));
  assert.equal(data.count, 0);
  assert.deepEqual(h.sim.requests.map((r) => r.status), [503, 503, 200]);
  assert.equal(h.sleeps.length, 2);
});

Deno.test("a persistent RunPod outage becomes a clear, retry-later error", async () => {
  await using h = await startHarness();
  h.sim.injectFault({ kind: "status", status: 502, times: 10, match: { path: "/v2/pods" } });
  const result = await h.call("list_pods");
  assert.equal(result.isError, true);
  assert.match(textOf(result), /RunPod had a server error \(502 on GET \/v2\/pods\).*retry/);
  assert.equal(h.sim.requests.length, 4, "bounded attempts");
});

Deno.test("a 429 is retried after the Retry-After the simulator sent", async () => {
  await using h = await startHarness();
  h.sim.injectFault({
    kind: "status",
    status: 429,
    retryAfter: 7,
    match: { path: "/v2/catalog/gpus" },
  });
  dataOf(await h.call("list_gpu_types"));
  assert.deepEqual(h.sim.requests.map((r) => r.status), [429, 200]);
  assert.deepEqual(h.sleeps, [7000]);
});

Deno.test("a dropped connection on a read is retried", async () => {
  await using h = await startHarness();
  h.sim.injectFault({ kind: "reset", match: { path: "/v2/pods" } });
  dataOf(await h.call("list_pods"));
  assert.equal(h.sim.requests.filter((r) => r.path === "/v2/pods").length, 2);
});

Deno.test("malformed JSON from RunPod becomes a readable error, not a crash", async () => {
  await using h = await startHarness();
  h.sim.injectFault({ kind: "malformed-json", times: 10, match: { path: "/v2/pods" } });
  const result = await h.call("list_pods");
  assert.equal(result.isError, true);
  assert.match(textOf(result), /RunPod/);
  const after = await h.client.listTools();
  assert.ok(after.tools.length > 0, "the server still answers");
});

Deno.test("a request that outlives its deadline becomes a connection error", async () => {
  await using h = await startHarness({ timeoutMs: 100 });
  h.sim.injectFault({ kind: "delay", ms: 10_000, times: 10, match: { path: "/v2/pods" } });
  const result = await h.call("list_pods");
  assert.equal(result.isError, true);
  assert.match(textOf(result), /Cannot reach RunPod.*timed out/);
});

Deno.test("cancelling a tool call aborts the RunPod request in flight", async () => {
  await using h = await startHarness();
  h.sim.injectFault({ kind: "delay", ms: 10_000, match: { path: "/v2/pods" } });
  const controller = new AbortController();
  const call = h.client.callTool({ name: "list_pods", arguments: {} }, {
    signal: controller.signal,
  });
  while (h.sim.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  controller.abort("user pressed stop");
  await assert.rejects(call);
  assert.equal(h.sim.requests.length, 1, "nothing was retried after the cancel");
  // The server is still healthy after the cancellation.
  assert.equal(dataOf<{ count: number }>(await h.call("list_pods")).count, 0);
});

Deno.test("2026 era: log events reach the client at the level its request names, redacted", async () => {
  await using h = await startHarness({ era: "modern" });
  const messages: { level: string; data: unknown }[] = [];
  h.client.setNotificationHandler("notifications/message", (n) => {
    messages.push({ level: n.params.level, data: n.params.data });
  });
  const call = (level?: string) =>
    h.client.callTool({
      name: "list_pods",
      arguments: {},
      ...(level ? { _meta: { [LOG_LEVEL_META_KEY]: level } } : {}),
    });
  await call();
  assert.equal(messages.length, 0, "a request that names no level gets no log events");
  await call("debug");
  assert.ok(messages.some((m) => m.level === "debug"), "debug events arrive for a debug request");
  assert.ok(!JSON.stringify(messages).includes(TEST_KEY));
  const before = messages.length;
  await call("error");
  assert.equal(messages.length, before, "nothing below error for an error request");
});

Deno.test("2025 era: log events reach the client at the level it chose, redacted", async () => {
  await using h = await startHarness({ era: "legacy" });
  const messages: { level: string; data: unknown }[] = [];
  h.client.setNotificationHandler("notifications/message", (n) => {
    messages.push({ level: n.params.level, data: n.params.data });
  });

  await h.call("list_pods");
  assert.equal(messages.filter((m) => m.level === "debug").length, 0, "no debug before setLevel");

  await h.client.setLoggingLevel("debug");
  await h.call("list_pods");
  await h.client.setLoggingLevel("error");
  await new Promise((r) => setTimeout(r, 20));
  const debug = messages.filter((m) => m.level === "debug");
  assert.ok(debug.length > 0, "debug events arrive after setLevel debug");
  assert.ok(!JSON.stringify(messages).includes(TEST_KEY));

  const before = messages.length;
  await h.call("list_pods");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(messages.length, before, "nothing below error after setLevel error");
});

Deno.test("the server's stderr log never contains the key", async () => {
  await using h = await startHarness();
  await h.call("list_pods");
  await h.call("get_pod", { pod_id: "nope0000000000" });
  assert.ok(h.logLines.length > 0);
  assert.ok(h.logLines.every((line) => !line.includes(TEST_KEY)));
});
