/**
 * End to end over HTTP: the real `serveMcpHttp` (front door + the SDK's handler) on 127.0.0.1:0,
 * real SDK clients in both protocol eras, and the RunPod simulator as the only fake. Each test
 * asserts what the client got back and what RunPod received. Refusals are raw `fetch` calls, so
 * the status and the body are exactly what any HTTP client would see.
 */
import assert from "node:assert/strict";
import type { CallToolResult, ProtocolEra } from "../src/deps.ts";
import type { Client } from "../src/deps_client.ts";
import { setTokenSecret } from "../src/policy/confirm.ts";
import type { PolicyOptions } from "../src/policy/guard.ts";
import { openState } from "../src/state/mod.ts";
import { dataOf, routes, seedPod, textOf, writes } from "./_harness.ts";
import {
  HTTP_TOKEN,
  type HttpServer,
  simView,
  startHttpServer,
  startSimulator,
} from "./_http_server.ts";
import { refusalMessage } from "./_http_helpers.ts";
import { NEEDS_REDIS, startRedis } from "./_redis.ts";
import { IMAGE, RTX4090 } from "./_write_tools.ts";

const ERAS: readonly ProtocolEra[] = ["legacy", "modern"];
const CONFIRMING: PolicyOptions = { readOnly: false, confirm: "billable-and-destructive" };
const POD_ARGS = { name: "guarded", image: IMAGE, gpu_type: "RTX 4090" };
const SEED_POD = {
  name: "seeded",
  image: IMAGE,
  gpu: { id: RTX4090, count: 1 },
  ports: ["22/tcp"],
};
/** Signs confirmation tokens on every replica; at least 32 bytes. */
const TOKEN_SECRET = "replicas-share-this-signing-secret-0123456789";

function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
}

/** The confirmation token of a guard answer; the answer must not be an error. */
function tokenOf(result: CallToolResult): string {
  assert.notEqual(result.isError, true, textOf(result));
  const guard = (result.structuredContent as { guard?: { token?: string } } | undefined)?.guard;
  assert.ok(guard?.token, `no confirmation token in: ${textOf(result)}`);
  return guard.token;
}

function writesTo(server: HttpServer) {
  return writes(simView(server));
}

Deno.test("tools/list and list_pods work over HTTP in both eras; RunPod sees one GET per call", async () => {
  await using server = await startHttpServer();
  const podId = (await seedPod(simView(server), SEED_POD)).id;
  for (const era of ERAS) {
    server.sim.clearRequests();
    const client = await server.connect(era);
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    for (const name of ["list_pods", "create_pod", "wait_for_pod"]) {
      assert.ok(names.includes(name), `${era}: ${name} is listed`);
    }
    assert.deepEqual(routes(simView(server)), [], `${era}: listing tools asks RunPod nothing`);

    const data = dataOf<{ count: number; pods: { id: string }[] }>(
      await call(client, "list_pods"),
    );
    assert.equal(data.count, 1, era);
    assert.equal(data.pods[0]?.id, podId, era);
    assert.deepEqual(routes(simView(server)), ["GET /v2/pods"], era);
    assert.equal(server.sim.requests[0]?.headers.authorization, "Bearer [REDACTED]", era);
  }
});

Deno.test("wait_for_pod sends progress notifications over HTTP in both eras", async () => {
  await using server = await startHttpServer();
  for (const era of ERAS) {
    const client = await server.connect(era);
    const podId = (await seedPod(simView(server), SEED_POD)).id;
    server.sim.clearRequests();
    const progress: { progress: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: "wait_for_pod", arguments: { pod_id: podId } },
      { onprogress: (p) => progress.push(p) },
    ) as CallToolResult;
    const data = dataOf<{ outcome: string; status: string }>(result);
    assert.equal(data.outcome, "ready", era);
    assert.equal(data.status, "RUNNING", era);
    const polls = Number(/\((\d+) polls\)/.exec(textOf(result))?.[1]);
    assert.ok(polls >= 2, `${era}: polls ${polls}`);
    assert.deepEqual(
      routes(simView(server)),
      Array(polls).fill(`GET /v2/pods/${podId}`),
      era,
    );
    assert.equal(progress.length, polls, era);
    assert.match(progress[0]?.message ?? "", /is PROVISIONING/, era);
    assert.match(progress.at(-1)?.message ?? "", /is RUNNING/, era);
  }
});

Deno.test("without elicitation, a create over HTTP sends nothing until repeated with its token", async () => {
  await using server = await startHttpServer({ server: { policy: CONFIRMING } });
  for (const era of ERAS) {
    server.sim.clearRequests();
    const client = await server.connect(era);
    const first = await call(client, "create_pod", POD_ARGS);
    const token = tokenOf(first);
    assert.match(textOf(first), /Nothing was sent to RunPod/, era);
    assert.equal(writesTo(server).length, 0, era);

    const second = await call(client, "create_pod", { ...POD_ARGS, confirmation_token: token });
    assert.notEqual(second.isError, true, `${era}: ${textOf(second)}`);
    assert.deepEqual(writesTo(server).map((r) => `${r.method} ${r.path}`), ["POST /v2/pods"], era);
  }
});

/**
 * What a client declaring elicitation sees, per era. A 2026-era call carries the client's
 * capabilities, so the server asks (an input request the SDK client answers and retries). A
 * 2025-era client declared them only in `initialize`, which another stateless instance answered;
 * the instance serving the call cannot know them, nor receive an answer, so it falls back to a
 * token and sends nothing.
 */
const ELICITATION_CASES = [
  { era: "modern", action: "accept", asked: 1, writes: 1 },
  { era: "modern", action: "decline", asked: 1, writes: 0 },
  { era: "legacy", action: "accept", asked: 0, writes: 0 },
] as const;

Deno.test("with elicitation over HTTP, a 2026-era accept creates once and a decline never; 2025 gets a token", async () => {
  await using server = await startHttpServer({ server: { policy: CONFIRMING } });
  for (const { era, action, ...expected } of ELICITATION_CASES) {
    server.sim.clearRequests();
    const client = await server.connect(era, { capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", (request) => {
      asked.push(request.params.message);
      return action === "accept" ? { action, content: { confirm: true } } : { action };
    });
    const result = await call(client, "create_pod", POD_ARGS);
    const what = `${era} ${action}`;
    assert.equal(asked.length, expected.asked, what);
    for (const message of asked) assert.match(message, /wants to create pod "guarded"/, what);
    assert.equal(writesTo(server).length, expected.writes, `${what}: ${textOf(result)}`);
    if (expected.asked === 0) {
      tokenOf(result);
      assert.match(textOf(result), /Nothing was sent to RunPod/, what);
    } else if (expected.writes === 0) {
      assert.equal(result.isError, true, what);
      assert.match(textOf(result), /Nothing was sent to RunPod/, what);
    } else {
      assert.notEqual(result.isError, true, `${what}: ${textOf(result)}`);
    }
  }
});

Deno.test("resources and prompts are served over HTTP in both eras", async () => {
  await using server = await startHttpServer();
  const podId = (await seedPod(simView(server), SEED_POD)).id;
  for (const era of ERAS) {
    server.sim.clearRequests();
    const client = await server.connect(era);
    const read = await client.readResource({ uri: "runpod://pods" });
    const content = read.contents[0];
    assert.ok(content && "text" in content, era);
    const pods = JSON.parse(content.text) as { count: number; pods: { id: string }[] };
    assert.equal(pods.count, 1, era);
    assert.equal(pods.pods[0]?.id, podId, era);
    assert.deepEqual(routes(simView(server)), ["GET /v2/pods"], era);

    const prompt = await client.getPrompt({
      name: "select_gpu",
      arguments: { workload: "inference" },
    });
    const message = prompt.messages[0]?.content;
    assert.equal(message?.type, "text", era);
    assert.match(message?.type === "text" ? message.text : "", /list_gpu_types|recommend_gpu/, era);
  }
});

/** Sends a raw request to the MCP endpoint; the bearer is {@linkcode HTTP_TOKEN} unless null. */
async function raw(
  url: string,
  init: RequestInit & { bearer?: string | null } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const { bearer = HTTP_TOKEN, ...rest } = init;
  const headers = new Headers({
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  });
  for (const [name, value] of new Headers(rest.headers)) headers.set(name, value);
  if (bearer !== null) headers.set("authorization", `Bearer ${bearer}`);
  const response = await fetch(url, { method: "POST", ...rest, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const PING = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
const ALLOWED_ORIGIN = "https://app.example.com";

Deno.test("the full stack refuses with 401, 403, 405 and 413, each saying what to do", async () => {
  await using server = await startHttpServer({
    http: { allowedOrigins: [ALLOWED_ORIGIN], maxBodyBytes: 4096 },
  });

  const anonymous = await raw(server.url, { body: PING, bearer: null });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("www-authenticate"), 'Bearer realm="runpod-mcp"');
  assert.match(
    refusalMessage(anonymous.text),
    /Cannot authorize: this server needs the header Authorization/,
  );

  const wrong = await raw(server.url, { body: PING, bearer: "not-the-token-at-all" });
  assert.equal(wrong.status, 401);
  assert.equal(
    wrong.headers.get("www-authenticate"),
    'Bearer realm="runpod-mcp", error="invalid_token"',
  );
  assert.match(refusalMessage(wrong.text), /the bearer token is wrong/);

  const evil = await raw(server.url, { body: PING, headers: { origin: "https://evil.example" } });
  assert.equal(evil.status, 403);
  assert.match(
    refusalMessage(evil.text),
    /Cannot accept requests from Origin "https:\/\/evil\.example"/,
  );
  const allowed = await raw(server.url, { body: PING, headers: { origin: ALLOWED_ORIGIN } });
  assert.equal(allowed.status, 200, allowed.text);
  assert.equal(allowed.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);

  const put = await raw(server.url, { method: "PUT", body: PING });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "GET, POST, DELETE, OPTIONS");
  assert.match(refusalMessage(put.text), /Cannot PUT \/mcp: use GET, POST or DELETE/);

  // A 2025-era client opening the standalone SSE stream: a stateless server has none to offer.
  const get = await raw(server.url, { method: "GET", headers: { accept: "text/event-stream" } });
  assert.equal(get.status, 405, get.text);
  assert.equal(refusalMessage(get.text), "Method not allowed.");

  const big = await raw(server.url, { body: PING.slice(0, -1) + `,"pad":"${"x".repeat(5000)}"}` });
  assert.equal(big.status, 413);
  assert.match(refusalMessage(big.text), /larger than 4096 bytes; send a smaller request/);

  for (const text of [anonymous, wrong, evil, put, big].map((answer) => answer.text)) {
    assert.ok(!text.includes(HTTP_TOKEN));
  }
  assert.deepEqual(server.sim.requests, [], "no refused request reached RunPod");
});

Deno.test("the full stack answers 429 with Retry-After once a caller exceeds the rate limit", async () => {
  await using server = await startHttpServer({ http: { rateLimitPerMinute: 2 } });
  for (let i = 0; i < 2; i++) {
    const answer = await raw(server.url, { body: PING });
    assert.equal(answer.status, 200, answer.text);
  }
  const limited = await raw(server.url, { body: PING });
  assert.equal(limited.status, 429);
  const retryAfter = Number(limited.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${retryAfter}`);
  assert.match(
    refusalMessage(limited.text),
    /Cannot accept more requests: the limit is 2 per 60 seconds/,
  );
});

const KEY_A = "caller-alpha-orchard-key-0042";
const KEY_B = "caller-bravo-lantern-key-0077";

Deno.test("bring-your-own-key: each caller's bearer is the RunPod key, and never shows up", async () => {
  await using simulator = await disposable(startSimulator({ apiKey: KEY_A }));
  await using server = await startHttpServer({ simulator, http: { auth: "runpod-key" } });
  const outputs: string[] = [];
  for (const era of ERAS) {
    server.sim.clearRequests();
    const alice = await server.connect(era, { bearer: KEY_A });
    const good = await call(alice, "list_pods");
    outputs.push(JSON.stringify(good));
    assert.equal(dataOf<{ count: number }>(good).count, 0, era);
    assert.deepEqual(server.sim.requests.map((r) => [r.path, r.status]), [["/v2/pods", 200]], era);

    server.sim.clearRequests();
    const bob = await server.connect(era, { bearer: KEY_B });
    const refused = await call(bob, "list_pods");
    outputs.push(JSON.stringify(refused));
    assert.equal(refused.isError, true, era);
    assert.match(textOf(refused), /RunPod rejected the API key \(401/, era);
    // The simulator accepts only key A: B's 401 proves B's bearer went to RunPod as the key.
    assert.deepEqual(server.sim.requests.map((r) => r.status), [401], era);
  }
  assert.ok(server.logLines.some((line) => line.includes("path=/v2/pods status=401")));
  for (const key of [KEY_A, KEY_B]) {
    assert.ok(!outputs.some((text) => text.includes(key)), "no result holds a key");
    assert.ok(!server.logLines.some((line) => line.includes(key)), "no log line holds a key");
  }
});

/** Runs one token round across two replicas: mint on r1, spend on r2, replay on r1. */
async function spendAcrossReplicas(era: ProtocolEra, r1: HttpServer, r2: HttpServer) {
  r1.sim.clearRequests();
  const c1 = await r1.connect(era);
  const c2 = await r2.connect(era);
  const token = tokenOf(await call(c1, "create_pod", POD_ARGS));
  const spent = await call(c2, "create_pod", { ...POD_ARGS, confirmation_token: token });
  assert.notEqual(spent.isError, true, `${era}: ${textOf(spent)}`);
  assert.equal(writesTo(r1).length, 1, era);
  const replay = await call(c1, "create_pod", { ...POD_ARGS, confirmation_token: token });
  return { replay, writes: writesTo(r1).length };
}

Deno.test(
  "two replicas on one redis-server spend a confirmation token exactly once",
  NEEDS_REDIS,
  async () => {
    setTokenSecret(TOKEN_SECRET);
    const redis = await startRedis();
    try {
      await using simulator = await disposable(startSimulator());
      await using state1 = await disposable(openState(redis.url));
      await using state2 = await disposable(openState(redis.url));
      const replica = (state: typeof state1) =>
        startHttpServer({ simulator, state, server: { policy: CONFIRMING } });
      await using r1 = await replica(state1);
      await using r2 = await replica(state2);
      assert.deepEqual([state1.kind, state2.kind], ["redis", "redis"]);
      for (const era of ERAS) {
        const { replay, writes } = await spendAcrossReplicas(era, r1, r2);
        assert.equal(writes, 1, `${era}: the replay sent nothing`);
        assert.match(textOf(replay), /already used/, era);
      }
    } finally {
      await redis.close();
    }
  },
);

Deno.test("two replicas with per-process memory state would each accept the same token", async () => {
  setTokenSecret(TOKEN_SECRET);
  await using simulator = await disposable(startSimulator());
  await using r1 = await startHttpServer({ simulator, server: { policy: CONFIRMING } });
  await using r2 = await startHttpServer({ simulator, server: { policy: CONFIRMING } });
  for (const era of ERAS) {
    const { replay, writes } = await spendAcrossReplicas(era, r1, r2);
    // Why replicas need --state-url: each one's memory has its own record of spent tokens.
    assert.notEqual(replay.isError, true, `${era}: ${textOf(replay)}`);
    assert.equal(writes, 2, era);
  }
});

/** Makes anything with `close()` disposable by `await using`. */
async function disposable<T extends { close(): Promise<void> }>(
  opening: Promise<T>,
): Promise<T & AsyncDisposable> {
  const value = await opening;
  return Object.assign(value, { [Symbol.asyncDispose]: () => value.close() });
}

Deno.test("2025 era over HTTP: no per-pod subscriptions are promised, and the chosen log level holds across requests", async () => {
  await using server = await startHttpServer();
  const podId = (await seedPod(simView(server), SEED_POD)).id;
  const client = await server.connect("legacy");
  // Each request gets a fresh server: nothing could carry a resources/updated, so none is offered.
  assert.deepEqual(client.getServerCapabilities()?.resources, { listChanged: true });
  await assert.rejects(
    () => client.subscribeResource({ uri: `runpod://pods/${podId}` }),
    /Method not found|not supported|resources\/subscribe/,
  );
  // logging/setLevel is kept per caller, so it still applies to the next request.
  const messages: string[] = [];
  client.setNotificationHandler("notifications/message", (n) => {
    messages.push(n.params.level);
  });
  await call(client, "list_pods");
  assert.ok(!messages.includes("debug"), "only warnings and errors before a level is chosen");
  await client.setLoggingLevel("debug");
  await call(client, "list_pods");
  assert.ok(messages.includes("debug"), "debug events after setLevel debug, on a later request");
});

Deno.test("finished requests leave nothing behind in the front door, in both eras", async () => {
  await using server = await startHttpServer();
  await seedPod(simView(server), SEED_POD);
  for (const era of ERAS) {
    const client = await server.connect(era);
    for (let i = 0; i < 10; i++) await call(client, "list_pods");
    // An answer streamed over SSE must end and be let go too.
    await client.callTool({ name: "list_gpu_types", arguments: {} }, { onprogress: () => {} });
    await client.close();
  }
  // Each request's signal, and through it the request's MCP server, is held only while in flight.
  assert.equal(server.handle.inFlight(), 0);
});

/** One raw 2025-era `tools/call` of list_pods (id 7), with `headers` added. */
function rawListPods(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${HTTP_TOKEN}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "list_pods", arguments: {} },
    }),
  });
}

Deno.test("a tools/call is served by a server with that one tool; a spoofed tool header changes nothing", async () => {
  await using server = await startHttpServer();
  // The called tool is noted from the body, never from a header; this one must change nothing.
  const response = await rawListPods(server.url, { "x-runpod-mcp-called-tool": "terminate_pod" });
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.match(text, /"total_cost_per_hour":0/, "list_pods answered");
  assert.deepEqual(routes(simView(server)), ["GET /v2/pods"]);
  const client = await server.connect("legacy");
  const { tools } = await client.listTools();
  assert.ok(tools.length > 50, "tools/list still lists every tool");
});

Deno.test("2025 era over HTTP: the answer is plain JSON unless a message precedes the result, then SSE", async () => {
  await using server = await startHttpServer();
  await seedPod(simView(server), SEED_POD);
  server.sim.clearRequests();
  const plain = await rawListPods(server.url);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get("content-type"), "application/json");
  const answer = await plain.json();
  assert.equal(answer.id, 7);
  assert.equal(answer.result.structuredContent.count, 1);

  // The caller asks for debug logs: the RunPod request's debug event comes before the result, so
  // the answer turns into an event stream that carries the log event, then the result, then ends.
  const client = await server.connect("legacy");
  await client.setLoggingLevel("debug");
  const streamed = await rawListPods(server.url);
  assert.equal(streamed.status, 200);
  assert.equal(streamed.headers.get("content-type"), "text/event-stream");
  const events = (await streamed.text()).split("\n\n").filter((e) => e.trim() !== "")
    .map((e) => JSON.parse(e.split("\n").find((l) => l.startsWith("data: "))!.slice(6)));
  assert.ok(events.length >= 2, `${events.length} events`);
  assert.ok(
    events.slice(0, -1).every((e) => e.method === "notifications/message"),
    "everything before the result is a log event",
  );
  assert.ok(events.some((e) => e.params?.level === "debug"), "the debug event arrived");
  assert.equal(events.at(-1).id, 7);
  assert.equal(events.at(-1).result.structuredContent.count, 1);
  assert.deepEqual(routes(simView(server)), ["GET /v2/pods", "GET /v2/pods"]);

  // A batch is answered as the SDK always answers it (one event stream), and ends.
  const batch = await fetch(server.url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${HTTP_TOKEN}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify([
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
    ]),
  });
  assert.equal(batch.status, 200);
  const batchText = await batch.text();
  assert.match(batchText, /"id":1/);
  assert.match(batchText, /"list_pods"/);
  assert.equal(server.handle.inFlight(), 0);
});

Deno.test("over HTTP, calling a tool the server does not offer is 'tool not found' (-32602), in both eras", async () => {
  await using server = await startHttpServer();
  for (const era of ERAS) {
    const client = await server.connect(era);
    await assert.rejects(
      () => client.callTool({ name: "no_such_tool", arguments: {} }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, -32602, `${era}: ${error.message}`);
        assert.match(error.message, /no_such_tool not found/);
        return true;
      },
    );
  }
});
