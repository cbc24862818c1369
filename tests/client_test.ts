import assert from "node:assert/strict";
import { z } from "zod";
import {
  clampRetryWait,
  createPod,
  exhaustedWindowWait,
  getGpuType,
  getMyself,
  getPod,
  listCpuTypes,
  listDataCenters,
  listGpuTypes,
  listPods,
  mostConstrainedWindow,
  NoContentSchema,
  parseRateLimitHeader,
  parseRetryAfter,
  pathSegment,
  PodSchema,
  recoveryNote,
  RunpodAmbiguousWriteError,
  RunpodApiError,
  RunpodClient,
  type RunpodClientOptions,
  RunpodConnectionError,
  RunpodResponseError,
  type WriteOutcome,
} from "../src/runpod/mod.ts";
import { readPodLogs } from "../src/runpod/stream.ts";
import { type Fault, RunpodSimulator } from "../src/sandbox/mod.ts";
import { explainApiError } from "../src/tools/errors.ts";
import { caught, errorText, recordingSleep, TEST_KEY, withClient } from "./_client_helpers.ts";

const GPU_ID = "NVIDIA GeForce RTX 4090";
const POD_BODY = { name: "client-test", image: "runpod/base:0.6.2", gpu: { id: GPU_ID, count: 1 } };

// --- Auth, headers, URLs ---------------------------------------------------------------------

Deno.test("rest() sends bearer auth, Accept and User-Agent on every call", async () => {
  await withClient(async ({ sim, client }) => {
    const pods = await listPods(client);
    assert.deepEqual(pods, []);
    await listGpuTypes(client);
    assert.equal(sim.requests.length, 2);
    for (const request of sim.requests) {
      assert.equal(request.headers.authorization, "Bearer [REDACTED]");
      assert.equal(request.headers.accept, "application/json");
      assert.match(request.headers["user-agent"] ?? "", /^runpod-mcp\/\d+\.\d+\.\d+/);
      assert.equal(request.headers["content-type"], undefined);
    }
  });
});

Deno.test("rest() is rejected with a 401 RunpodApiError when the key is wrong", async () => {
  await withClient(async ({ sim, makeClient }) => {
    const error = await caught(() => listPods(makeClient({ apiKey: "rpa_WRONGKEY999" })));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 401);
    assert.equal(error.api, "rest");
    assert.equal(sim.requests.length, 1, "4xx other than 429 is never retried");
    assert.ok(!errorText(error).includes("rpa_WRONGKEY999"));
  });
});

Deno.test("rest() sends a JSON body with Content-Type and returns the 201 resource", async () => {
  await withClient(async ({ sim, client }) => {
    const pod = await client.rest({
      method: "POST",
      path: "/v2/pods",
      body: POD_BODY,
      schema: PodSchema,
    });
    assert.equal(pod.name, "client-test");
    assert.equal(pod.status, "PROVISIONING");
    const [request] = sim.requests;
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(request?.body, POD_BODY);
  });
});

Deno.test("rest() handles a 204 with an empty body", async () => {
  await withClient(async ({ client }) => {
    const pod = await client.rest({
      method: "POST",
      path: "/v2/pods",
      body: POD_BODY,
      schema: PodSchema,
    });
    const result = await client.rest({
      method: "DELETE",
      path: `/v2/pods/${pathSegment(pod.id)}`,
      schema: NoContentSchema,
    });
    assert.equal(result, undefined);
    const error = await caught(() => getPod(client, pod.id));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 404);
  });
});

Deno.test("listGpuTypes() comma-joins arrays and drops undefined query values", async () => {
  await withClient(async ({ sim, client }) => {
    const gpus = await listGpuTypes(client, {
      include: "AVAILABILITY",
      product: "POD",
      cloud: "SECURE",
      cudaVersions: ["12.8", "12.6"],
    });
    assert.ok(gpus.length > 0);
    assert.ok(gpus.some((gpu) => gpu.availability !== undefined));
    assert.deepEqual(sim.requests[0]?.query, {
      include: "AVAILABILITY",
      product: "POD",
      cloud: "SECURE",
      cudaVersions: "12.8,12.6",
    });
  });
});

Deno.test("getGpuType() URL-encodes an id that contains spaces", async () => {
  await withClient(async ({ sim, client }) => {
    const gpu = await getGpuType(client, GPU_ID);
    assert.equal(gpu.id, GPU_ID);
    assert.equal(typeof gpu.price.secure, "number");
    assert.equal(sim.requests[0]?.path, "/v2/catalog/gpus/NVIDIA%20GeForce%20RTX%204090");
  });
});

Deno.test("listCpuTypes() and listDataCenters() read the catalog wrappers", async () => {
  await withClient(async ({ sim, client }) => {
    const cpus = await listCpuTypes(client);
    assert.ok(cpus.length > 0);
    assert.equal(typeof cpus[0]?.ramGbPerVcpu, "number");
    const dcs = await listDataCenters(client, {
      include: ["GPU_AVAILABILITY", "CPU_AVAILABILITY"],
    });
    assert.ok(dcs.length > 0);
    assert.ok(dcs.some((dc) => Array.isArray(dc.gpuAvailability)));
    assert.equal(sim.requests[1]?.query.include, "GPU_AVAILABILITY,CPU_AVAILABILITY");
  });
});

Deno.test("getPod() and jobs() reject an empty id locally without sending anything", async () => {
  await withClient(async ({ sim, client }) => {
    await assert.rejects(() => getPod(client, ""), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^Cannot build RunPod request path: pod id is empty$/);
      return true;
    });
    await assert.rejects(() => getGpuType(client, "  "), TypeError);
    await assert.rejects(
      () => client.jobs("", { method: "GET", path: "/health", schema: z.unknown() }),
      TypeError,
    );
    await assert.rejects(
      () => client.rest({ method: "DELETE", path: "/v2/pods/", schema: NoContentSchema }),
      /Cannot call RunPod: path \/v2\/pods\/ has an empty segment/,
    );
    assert.equal(sim.requests.length, 0);
  });
});

Deno.test("RunpodClient tolerates trailing slashes on every base URL", async () => {
  await withClient(async ({ sim, url, makeClient }) => {
    const client = makeClient({
      restBaseUrl: `${url}//`,
      serverlessBaseUrl: `${url}/v2/`,
      graphqlUrl: `${url}/graphql/`,
    });
    await listPods(client);
    await getMyself(client);
    await client.jobs("ep123", { method: "GET", path: "/health", schema: z.unknown() }).catch(
      () => {},
    );
    assert.deepEqual(sim.requests.map((r) => r.path), [
      "/v2/pods",
      "/graphql",
      "/v2/ep123/health",
    ]);
  });
});

Deno.test("RunpodClient works over the simulator's in-process fetch", async () => {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY });
  const client = new RunpodClient({ apiKey: TEST_KEY, fetch: sim.fetch });
  const pods = await listPods(client);
  assert.deepEqual(pods, []);
  assert.equal(sim.requests[0]?.path, "/v2/pods");
});

Deno.test("RunpodClient applies its deadline to the simulator's in-process fetch", async () => {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY });
  sim.injectFault({ kind: "delay", ms: 5000 });
  const client = new RunpodClient({
    apiKey: TEST_KEY,
    fetch: sim.fetch,
    timeoutMs: 20,
    maxAttempts: 1,
  });
  const error = await caught(() => listPods(client));
  assert.ok(error instanceof RunpodConnectionError);
  assert.equal(error.timedOut, true);
});

// --- Errors ------------------------------------------------------------------------------------

Deno.test("rest() turns problem+json into RunpodApiError with every field", async () => {
  await withClient(async ({ client }) => {
    const error = await caught(() => getPod(client, "nope"));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.name, "RunpodApiError");
    assert.equal(error.status, 404);
    assert.equal(error.method, "GET");
    assert.equal(error.path, "/v2/pods/nope");
    assert.equal(error.title, "Not Found");
    assert.equal(typeof error.detail, "string");
    assert.deepEqual(error.errors, []);
    assert.equal(error.api, "rest");
    assert.equal(
      error.message,
      `RunPod API error 404 Not Found on GET /v2/pods/nope: ${error.detail}`,
    );
  });
});

Deno.test("rest() keeps a 422's errors[] and leaves the query string out of the path", async () => {
  await withClient(async ({ sim, client }) => {
    const error = await caught(() =>
      client.rest({
        method: "POST",
        path: "/v2/pods",
        query: { dryRun: true },
        body: { ...POD_BODY, bogus: 1 },
        schema: PodSchema,
      })
    );
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 422);
    assert.equal(error.path, "/v2/pods");
    assert.ok(error.errors.some((e) => e.includes("bogus")), error.errors.join("; "));
    assert.ok(error.message.includes("bogus"));
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("rest() reads an HTML error body without putting markup in the message", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({
      kind: "status",
      status: 403,
      body: "<html><body><h1>403 Forbidden</h1></body></html>",
      match: { path: "/v2/pods" },
    });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 403);
    assert.equal(error.title, "Forbidden");
    assert.equal(error.detail, undefined);
    assert.ok(!error.message.includes("<"));
  });
});

Deno.test("rest() reads a plain JSON {error} body as the detail", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({
      kind: "status",
      status: 400,
      body: { error: "create pod: There are no instances currently available", status: 400 },
    });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.detail, "create pod: There are no instances currently available");
  });
});

Deno.test("rest() throws RunpodResponseError for malformed JSON and does not retry it", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "malformed-json", match: { path: "/v2/pods" } });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodResponseError);
    assert.equal(error.status, 200);
    assert.equal(error.method, "GET");
    assert.equal(error.path, "/v2/pods");
    assert.match(
      error.message,
      /^Cannot read RunPod response for GET \/v2\/pods: body is not valid JSON/,
    );
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("rest() names the failing field when the body does not match the schema", async () => {
  await withClient(async ({ client }) => {
    const error = await caught(() =>
      client.rest({
        method: "GET",
        path: "/v2/catalog/gpus",
        schema: z.object({ gpus: z.array(z.object({ memory: z.string() })) }),
      })
    );
    assert.ok(error instanceof RunpodResponseError);
    assert.match(
      error.message,
      /^Cannot read RunPod response for GET \/v2\/catalog\/gpus: gpus\[0\]\.memory: expected string/,
    );
    assert.ok(error.issues.length > 1);
  });
});

Deno.test("PodSchema keeps unknown fields and accepts a status RunPod adds later", async () => {
  await withClient(async ({ client }) => {
    const created = await client.rest({
      method: "POST",
      path: "/v2/pods",
      body: POD_BODY,
      schema: PodSchema,
    });
    const pod = await getPod(client, created.id);
    const future = PodSchema.parse({ ...pod, status: "HIBERNATING", newField: { x: 1 } });
    assert.equal(future.status, "HIBERNATING");
    assert.deepEqual(future.newField, { x: 1 });
    assert.equal(PodSchema.safeParse({ ...pod, cost: "0.44" }).success, false);
  });
});

// --- Retries -----------------------------------------------------------------------------------

Deno.test("rest() retries a GET after 503, 503 and succeeds on the third attempt", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({
      kind: "status",
      status: 503,
      times: 2,
      match: { method: "GET", path: "/v2/pods" },
    });
    const pods = await listPods(client);
    assert.deepEqual(pods, []);
    assert.deepEqual(sim.requests.map((r) => r.status), [503, 503, 200]);
    // random() is 0, so each wait is half the exponential ceiling: 500 ms, then 1000 ms.
    assert.deepEqual(waits, [250, 500]);
  });
});

Deno.test("rest() never retries a POST after a 503", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({ kind: "status", status: 503, match: { method: "POST", path: "/v2/pods" } });
    const error = await caught(() =>
      client.rest({ method: "POST", path: "/v2/pods", body: POD_BODY, schema: PodSchema })
    );
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 503);
    assert.equal(sim.requests.length, 1);
    assert.deepEqual(waits, []);
  });
});

Deno.test("rest() never retries a PATCH after a connection reset", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "reset", match: { method: "PATCH" } });
    const error = await caught(() =>
      client.rest({ method: "PATCH", path: "/v2/pods/abc", body: { name: "x" }, schema: PodSchema })
    );
    assert.ok(error instanceof RunpodConnectionError);
    assert.equal(error.timedOut, false);
    assert.equal(error.method, "PATCH");
    assert.equal(error.path, "/v2/pods/abc");
    assert.match(error.message, /^Cannot reach RunPod: request to PATCH \/v2\/pods\/abc failed/);
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("rest() retries a GET after a connection reset", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({ kind: "reset", match: { path: "/v2/pods" } });
    assert.deepEqual(await listPods(client), []);
    assert.equal(sim.requests.length, 2);
    assert.equal(waits.length, 1);
  });
});

Deno.test("rest() retries a POST marked idempotent after a 503", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "status", status: 503, match: { method: "POST" } });
    const pod = await client.rest({
      method: "POST",
      path: "/v2/pods",
      body: POD_BODY,
      schema: PodSchema,
      idempotent: true,
    });
    assert.equal(pod.name, "client-test");
    assert.deepEqual(sim.requests.map((r) => r.status), [503, 201]);
  });
});

Deno.test("rest() retries a POST after 429, waiting the Retry-After seconds", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({ kind: "status", status: 429, retryAfter: 7, match: { method: "POST" } });
    const pod = await client.rest({
      method: "POST",
      path: "/v2/pods",
      body: POD_BODY,
      schema: PodSchema,
    });
    assert.equal(pod.name, "client-test");
    assert.deepEqual(waits, [7000]);
    assert.deepEqual(sim.requests.map((r) => r.status), [429, 201]);
  });
});

Deno.test("rest() waits for the longest exhausted RateLimit window when it exceeds Retry-After", async () => {
  const requests: number[] = [];
  const waits: number[] = [];
  let served = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    requests.push(++served);
    if (served === 1) {
      return new Response(
        JSON.stringify({ title: "Too Many Requests", status: 429, detail: "slow down" }),
        {
          status: 429,
          headers: {
            "content-type": "application/problem+json",
            "retry-after": "2",
            ratelimit: '"minute";r=0;t=2, "hour";r=0;t=45, "day";r=100;t=9000',
          },
        },
      );
    }
    return Response.json({ pods: [] }, {
      headers: { ratelimit: '"minute";r=5;t=30, "hour";t=100;r=2' },
    });
  });
  try {
    const client = new RunpodClient({
      apiKey: TEST_KEY,
      restBaseUrl: `http://127.0.0.1:${server.addr.port}`,
      sleep: recordingSleep(waits),
      maxRetryMs: 120_000,
    });
    assert.deepEqual(await listPods(client), []);
    assert.deepEqual(waits, [45_000]);
    assert.deepEqual(client.rateLimit, { remaining: 2, resetSeconds: 100, window: "hour" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("rest() gives up with the 429 when Retry-After exceeds the retry budget", async () => {
  await withClient(async ({ sim, makeClient, waits }) => {
    sim.injectFault({ kind: "status", status: 429, retryAfter: 7 });
    const error = await caught(() => listPods(makeClient({ maxRetryMs: 5000 })));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfter, 7);
    assert.equal(error.detail, "rate limit exceeded for the minute window");
    assert.equal(sim.requests.length, 1);
    assert.deepEqual(waits, []);
  });
});

Deno.test("rest() stops after maxAttempts 429s", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({ kind: "status", status: 429, retryAfter: 1, times: 10 });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 429);
    assert.equal(sim.requests.length, 4);
    assert.deepEqual(waits, [1000, 1000, 1000]);
  });
});

Deno.test("rest() never retries 4xx other than 429", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "status", status: 409, times: 3 });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 409);
    assert.equal(error.title, "Conflict");
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("rest() records the RateLimit header of the latest response", async () => {
  await withClient(async ({ client }) => {
    const before: unknown = client.rateLimit;
    assert.equal(before, undefined);
    await listPods(client);
    const info = client.rateLimit;
    assert.ok(info);
    assert.equal(typeof info.remaining, "number");
    assert.equal(typeof info.resetSeconds, "number");
    assert.ok(["minute", "hour", "day"].includes(info.window ?? ""));
  });
});

// --- Deadlines and cancellation ------------------------------------------------------------------

Deno.test("rest() gives up a GET with timedOut after the deadline on every attempt", async () => {
  await withClient(async ({ sim, makeClient }) => {
    sim.injectFault({ kind: "delay", ms: 5000, times: 2, match: { path: "/v2/pods" } });
    const client = makeClient({ timeoutMs: 50, maxAttempts: 2 });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodConnectionError);
    assert.equal(error.name, "RunpodConnectionError");
    assert.equal(error.timedOut, true);
    assert.equal(
      error.message,
      "Cannot reach RunPod: request to GET /v2/pods timed out after 50 ms",
    );
    assert.equal(sim.requests.length, 2);
  });
});

Deno.test("rest() does not retry a POST that timed out", async () => {
  await withClient(async ({ sim, makeClient }) => {
    sim.injectFault({ kind: "delay", ms: 5000, match: { method: "POST" } });
    const client = makeClient({ timeoutMs: 50 });
    const error = await caught(() =>
      client.rest({ method: "POST", path: "/v2/pods", body: POD_BODY, schema: PodSchema })
    );
    assert.ok(error instanceof RunpodConnectionError);
    assert.equal(error.timedOut, true);
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("rest() rejects with the caller's abort reason while the request is in flight", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "delay", ms: 5000 });
    const controller = new AbortController();
    const reason = new DOMException("cancelled by the MCP client", "AbortError");
    const pending = caught(() => listPods(client, controller.signal));
    // Abort only once the simulator holds the request, so this tests an in-flight abort.
    while (sim.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    controller.abort(reason);
    const error = await pending;
    assert.equal(error, reason);
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("rest() sends nothing when the caller's signal is already aborted", async () => {
  await withClient(async ({ sim, client }) => {
    const error = await caught(() => listPods(client, AbortSignal.abort()));
    assert.ok(error instanceof DOMException);
    assert.equal(error.name, "AbortError");
    assert.equal(sim.requests.length, 0);
  });
});

Deno.test("rest() stops retrying when the caller aborts during the backoff", async () => {
  await withClient(async ({ sim, makeClient }) => {
    sim.injectFault({ kind: "status", status: 503, times: 3 });
    const controller = new AbortController();
    const client = makeClient({
      sleep: (_ms, signal) => {
        controller.abort();
        return Promise.reject(signal?.reason);
      },
    });
    const error = await caught(() => listPods(client, controller.signal));
    assert.ok(error instanceof DOMException);
    assert.equal(error.name, "AbortError");
    assert.equal(sim.requests.length, 1);
  });
});

// --- Jobs and GraphQL -----------------------------------------------------------------------------

Deno.test("jobs() never retries POST /run after a 503", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "status", status: 503 });
    const error = await caught(() =>
      client.jobs("ep123", {
        method: "POST",
        path: "/run",
        body: { input: {} },
        schema: z.unknown(),
      })
    );
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.api, "jobs");
    assert.equal(error.path, "/v2/ep123/run");
    assert.equal(sim.requests.length, 1);
    assert.equal(sim.requests[0]?.api, "jobs");
    assert.equal(sim.requests[0]?.headers.authorization, "Bearer [REDACTED]");
  });
});

Deno.test("getMyself() reads balance and spend through GraphQL", async () => {
  await withClient(async ({ sim, client }) => {
    sim.setBalance(42.5);
    const me = await getMyself(client);
    assert.equal(me.clientBalance, 42.5);
    assert.equal(typeof me.currentSpendPerHr, "number");
    assert.ok(me.spendLimit === null || typeof me.spendLimit === "number");
    const [request] = sim.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.api, "graphql");
    assert.equal(request?.headers["content-type"], "application/json");
  });
});

Deno.test("graphql() throws RunpodApiError with status 200 for an errors response", async () => {
  await withClient(async ({ client }) => {
    const error = await caught(() =>
      client.graphql("query { myself { noSuchField } }", undefined, z.unknown())
    );
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 200);
    assert.equal(error.title, "GraphQL error");
    assert.equal(error.api, "graphql");
    assert.equal(error.path, "/graphql");
    assert.ok(error.errors.length > 0);
    assert.ok(error.message.includes(error.errors[0] ?? "?"));
  });
});

Deno.test("getMyself() reports a rejected key as a 401 RunpodApiError", async () => {
  await withClient(async ({ sim, makeClient }) => {
    const error = await caught(() => getMyself(makeClient({ apiKey: "rpa_WRONGKEY999" })));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 401);
    assert.equal(error.api, "graphql");
    assert.ok(error.errors.length > 0);
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("graphql() retries a query after 503 but never a mutation", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "status", status: 503, match: { path: "/graphql" } });
    await getMyself(client);
    assert.equal(sim.requests.length, 2);
    sim.clearRequests();
    sim.injectFault({ kind: "status", status: 503, match: { path: "/graphql" } });
    const error = await caught(() =>
      client.graphql(
        'mutation { secretCreate(input: {name: "a", value: "b"}) { id } }',
        undefined,
        z.unknown(),
      )
    );
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 503);
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("graphql() reads an HTML 429 and retries it", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({
      kind: "status",
      status: 429,
      retryAfter: 3,
      body: "<html><body>Too many requests</body></html>",
      match: { path: "/graphql" },
    });
    const me = await getMyself(client);
    assert.equal(typeof me.clientBalance, "number");
    assert.deepEqual(waits, [3000]);
  });
});

// --- Secrets ----------------------------------------------------------------------------------------

Deno.test("no error or log line ever contains the API key", async () => {
  await withClient(async ({ sim, makeClient, logLines }) => {
    const client = makeClient({ timeoutMs: 50, maxAttempts: 2 });
    const errors: unknown[] = [];
    const record = async (fn: () => Promise<unknown>) => errors.push(await caught(fn));
    sim.injectFault({ kind: "status", status: 503, times: 2 });
    await record(() => listPods(client));
    sim.injectFault({ kind: "reset", times: 2 });
    await record(() => listPods(client));
    sim.injectFault({ kind: "delay", ms: 5000, times: 2 });
    await record(() => listPods(client));
    sim.injectFault({ kind: "malformed-json" });
    await record(() => listPods(client));
    // A server that echoes the key back must not get it into the error either.
    sim.injectFault({
      kind: "status",
      status: 400,
      body: { detail: `bad key ${TEST_KEY}`, errors: [TEST_KEY] },
    });
    await record(() => listPods(client));
    await record(() => client.graphql("query { myself { nope } }", undefined, z.unknown()));
    await record(() => getPod(client, "missing"));

    assert.deepEqual(errors.map((e) => (e as Error).name), [
      "RunpodApiError",
      "RunpodConnectionError",
      "RunpodConnectionError",
      "RunpodResponseError",
      "RunpodApiError",
      "RunpodApiError",
      "RunpodApiError",
    ]);
    for (const error of errors) assert.ok(!errorText(error).includes(TEST_KEY), errorText(error));
    assert.ok(logLines.length > 0);
    for (const line of logLines) assert.ok(!line.includes(TEST_KEY), line);
  });
});

Deno.test("RunpodClient logs one debug line per attempt without the query string", async () => {
  await withClient(async ({ sim, client, logLines }) => {
    sim.injectFault({ kind: "status", status: 503 });
    await listGpuTypes(client, { include: "AVAILABILITY", product: "POD" });
    const requests = logLines.filter((line) => / DEBUG RunPod request api=/.test(line));
    assert.equal(requests.length, 2);
    assert.match(
      requests[0] ?? "",
      /method=GET path=\/v2\/catalog\/gpus status=503 ms=\d+ attempt=1/,
    );
    assert.match(requests[1] ?? "", /status=200 ms=\d+ attempt=2/);
    for (const line of logLines) assert.ok(!line.includes("AVAILABILITY"), line);
  });
});

// --- Rate-limit header parsing ----------------------------------------------------------------

Deno.test("parseRetryAfter() reads delta-seconds and HTTP-dates", () => {
  const now = Date.parse("Tue, 24 Nov 2026 12:00:00 GMT");
  assert.equal(parseRetryAfter("7"), 7);
  assert.equal(parseRetryAfter(" 0 "), 0);
  assert.equal(parseRetryAfter("Tue, 24 Nov 2026 12:00:30 GMT", now), 30);
  assert.equal(parseRetryAfter("Tue, 24 Nov 2026 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

Deno.test("parseRateLimitHeader() tolerates reordered params, missing t and bare names", () => {
  assert.deepEqual(parseRateLimitHeader('"minute";r=0;t=12, "hour";r=2800;t=1812'), [
    { name: "minute", remaining: 0, resetSeconds: 12 },
    { name: "hour", remaining: 2800, resetSeconds: 1812 },
  ]);
  assert.deepEqual(parseRateLimitHeader('minute;t=5;r=1, "day";r=0'), [
    { name: "minute", remaining: 1, resetSeconds: 5 },
    { name: "day", remaining: 0 },
  ]);
  assert.deepEqual(parseRateLimitHeader("limit=100, remaining=0, reset=12"), [
    { remaining: 0, resetSeconds: 12 },
  ]);
  assert.deepEqual(parseRateLimitHeader(""), []);
  assert.deepEqual(parseRateLimitHeader("garbage;;=,"), [{ name: "garbage" }]);
});

Deno.test("exhaustedWindowWait() picks the longest exhausted window", () => {
  const windows = parseRateLimitHeader('"minute";r=0;t=12, "hour";r=0;t=1812, "day";r=5;t=40000');
  assert.equal(exhaustedWindowWait(windows), 1812);
  assert.equal(exhaustedWindowWait(parseRateLimitHeader('"minute";r=3;t=12')), undefined);
  assert.deepEqual(mostConstrainedWindow(windows), {
    remaining: 0,
    resetSeconds: 1812,
    window: "hour",
  });
});

Deno.test("a request refused by Deno's permissions is not retried", async () => {
  let calls = 0;
  const waits: number[] = [];
  const client = new RunpodClient({
    apiKey: TEST_KEY,
    restBaseUrl: "https://elsewhere.example.com",
    fetch: () => {
      calls++;
      return Promise.reject(
        new Deno.errors.NotCapable('Requires net access to "elsewhere.example.com:443"'),
      );
    },
    sleep: recordingSleep(waits),
  });
  const error = await caught(() => listPods(client));
  assert.ok(error instanceof RunpodConnectionError);
  assert.match(error.message, /Requires net access/);
  assert.equal(calls, 1);
  assert.deepEqual(waits, []);
});

// --- Event streams (pod logs) ------------------------------------------------------------------

async function seedRunningPod(sim: RunpodSimulator, client: RunpodClient): Promise<string> {
  const pod = await client.rest({
    method: "POST",
    path: "/v2/pods",
    body: POD_BODY,
    schema: PodSchema,
  });
  sim.advance(10 * 60_000);
  sim.clearRequests();
  return pod.id;
}

Deno.test("openEventStream() asks for text/event-stream and hands back the body unread", async () => {
  await withClient(async ({ sim, client }) => {
    const id = await seedRunningPod(sim, client);
    const response = await client.openEventStream({
      path: `/v2/pods/${id}/logs`,
      query: { tail: 1, source: undefined },
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.bodyUsed, false);
    await response.body?.cancel();
    const [request] = sim.requests;
    assert.equal(request?.headers.accept, "text/event-stream");
    assert.equal(request?.headers.authorization, "Bearer [REDACTED]");
    assert.deepEqual(request?.query, { tail: "1" });
  });
});

Deno.test("openEventStream() retries a 503 and a connection reset before the headers", async () => {
  await withClient(async ({ sim, makeClient, waits }) => {
    // In-process fetch rejects on a reset, as a real fetch does when no response arrives.
    const client = makeClient({ fetch: sim.fetch });
    const id = await seedRunningPod(sim, client);
    const path = `/v2/pods/${id}/logs`;
    sim.injectFault({ kind: "status", status: 503, match: { path } });
    sim.injectFault({ kind: "reset", match: { path } });
    const read = await readPodLogs(client, id, { tail: 2, idleMs: 50 });
    assert.equal(sim.requests.length, 3);
    assert.equal(sim.requests[0]?.status, 503);
    assert.equal(sim.requests[2]?.status, 200);
    assert.deepEqual(waits, [250, 500]);
    assert.equal(read.lines.length, 2);
    assert.equal(read.stoppedBy, "idle");
  });
});

Deno.test("readPodLogs() reopens once when the stream breaks before its first byte", async () => {
  await withClient(async ({ sim, client }) => {
    const id = await seedRunningPod(sim, client);
    const path = `/v2/pods/${id}/logs`;
    // Over a socket a reset comes after the 200 headers: the body errors before any byte.
    sim.injectFault({ kind: "reset", match: { path } });
    const read = await readPodLogs(client, id, { tail: 2, idleMs: 50 });
    assert.equal(sim.requests.length, 2);
    assert.equal(read.lines.length, 2);

    sim.clearRequests();
    sim.injectFault({ kind: "reset", times: 2, match: { path } });
    const error = await caught(() => readPodLogs(client, id, { tail: 2, idleMs: 50 }));
    assert.ok(error instanceof RunpodConnectionError);
    assert.match(
      error.message,
      /^Cannot reach RunPod: request to GET \/v2\/pods\/\w+\/logs failed/,
    );
    assert.equal(sim.requests.length, 2);
  });
});

Deno.test("openEventStream() maps a 401 to RunpodApiError without retrying", async () => {
  await withClient(async ({ sim, client, makeClient }) => {
    const id = await seedRunningPod(sim, client);
    const error = await caught(() =>
      makeClient({ apiKey: "rpa_WRONGKEY999" }).openEventStream({ path: `/v2/pods/${id}/logs` })
    );
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.status, 401);
    assert.equal(error.path, `/v2/pods/${id}/logs`);
    assert.equal(sim.requests.length, 1);
  });
});

Deno.test("readPodLogs() rejects with the caller's reason and closes the stream on abort", async () => {
  await withClient(async ({ sim, client }) => {
    const id = await seedRunningPod(sim, client);
    const controller = new AbortController();
    const reason = new DOMException("cancelled by the MCP client", "AbortError");
    const pending = caught(() =>
      readPodLogs(client, id, { idleMs: 10_000, maxWaitMs: 10_000, signal: controller.signal })
    );
    while (sim.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(reason);
    assert.equal(await pending, reason);
  });
});

Deno.test("readPodLogs() stops at maxWaitMs while the stream stays open and silent", async () => {
  await withClient(async ({ sim, client }) => {
    const id = await seedRunningPod(sim, client);
    const read = await readPodLogs(client, id, { tail: 0, idleMs: 10_000, maxWaitMs: 60 });
    assert.deepEqual(read, { lines: [], truncated: false, stoppedBy: "max-wait" });
  });
});

Deno.test("readPodLogs() stops at maxBytes and marks the read truncated", async () => {
  await withClient(async ({ sim, client }) => {
    const id = await seedRunningPod(sim, client);
    const read = await readPodLogs(client, id, { maxBytes: 300, idleMs: 2_000 });
    assert.equal(read.stoppedBy, "max-bytes");
    assert.equal(read.truncated, true);
    assert.ok(read.lines.length >= 1 && read.lines.length < 4);
    assert.match(read.lines[0]?.ts ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });
});

Deno.test("readPodLogs() ends with the stream when RunPod closes it (pod terminated)", async () => {
  await withClient(async ({ sim, client }) => {
    const id = await seedRunningPod(sim, client);
    const pending = readPodLogs(client, id, { tail: 0, idleMs: 10_000, maxWaitMs: 10_000 });
    while (sim.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await client.rest({ method: "DELETE", path: `/v2/pods/${id}`, schema: NoContentSchema });
    const read = await pending;
    assert.equal(read.stoppedBy, "end");
    assert.deepEqual(read.lines.map((l) => `${l.source}: ${l.line}`), ["system: Pod terminated"]);
  });
});

Deno.test("readPodLogs() skips malformed frames and reads events split across chunks", async () => {
  const frames = [
    ": keep-alive comment\n\n",
    'id: 1\ndata: {"source":"container","line":"first","ts":"2026-11-24T12:00:00.000000001Z"}\n\n',
    "id: 2\ndata: not json\n\n",
    'id: 3\ndata: {"source":"system"}\n\n',
    'id: 2026-11-24T12:00:01.000000000Z\ndata: {"source":"system",',
    '"line":"no ts field"}\n\n',
  ];
  const encoder = new TextEncoder();
  const client = new RunpodClient({
    apiKey: TEST_KEY,
    restBaseUrl: "http://runpod.invalid",
    fetch: () =>
      Promise.resolve(
        new Response(
          new ReadableStream({
            start(controller) {
              for (const frame of frames) controller.enqueue(encoder.encode(frame));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
      ),
  });
  const read = await readPodLogs(client, "pod1");
  assert.deepEqual(read, {
    lines: [
      { ts: "2026-11-24T12:00:00.000000001Z", source: "container", line: "first" },
      { ts: "2026-11-24T12:00:01.000000000Z", source: "system", line: "no ts field" },
    ],
    truncated: false,
    stoppedBy: "end",
  });
});

// --- Retry-After clamp -----------------------------------------------------------------------

Deno.test("rest() clamps Retry-After to 1-60 s: 0 and negative wait 1 s, a huge value 60 s", async () => {
  const cases: [number, number][] = [[0, 1000], [-5, 1000], [0.2, 1000], [1e20, 60_000], [7, 7000]];
  for (const [retryAfter, expected] of cases) {
    await withClient(async ({ sim, client, waits }) => {
      sim.injectFault({ kind: "status", status: 429, retryAfter });
      assert.deepEqual(await listPods(client), []);
      assert.deepEqual(waits, [expected], `Retry-After ${retryAfter}`);
      assert.deepEqual(sim.requests.map((r) => r.status), [429, 200]);
    });
  }
});

Deno.test("rest() no longer spins on Retry-After: 0: four 429s wait 1 s between attempts", async () => {
  await withClient(async ({ sim, client, waits }) => {
    sim.injectFault({ kind: "status", status: 429, retryAfter: 0, times: 10 });
    const error = await caught(() => listPods(client));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(sim.requests.length, 4);
    assert.deepEqual(waits, [1000, 1000, 1000]);
  });
});

Deno.test("a huge Retry-After is reported as a sane wait, never the raw number", async () => {
  await withClient(async ({ sim, makeClient }) => {
    sim.injectFault({ kind: "status", status: 429, retryAfter: 1e20 });
    const error = await caught(() => listPods(makeClient({ maxRetryMs: 5000 })));
    assert.ok(error instanceof RunpodApiError);
    assert.equal(error.retryAfter, 60);
    const text = explainApiError(error);
    assert.match(text, /Wait at least 60 s, then retry\.$/);
    assert.doesNotMatch(text, /1000000|e\+20/);
  });
});

Deno.test("clampRetryWait() keeps waits within 1-60 s, including NaN and infinities", () => {
  assert.equal(clampRetryWait(0), 1);
  assert.equal(clampRetryWait(-3), 1);
  assert.equal(clampRetryWait(Number.NaN), 1);
  assert.equal(clampRetryWait(Number.POSITIVE_INFINITY), 60);
  assert.equal(clampRetryWait(30), 30);
  assert.equal(parseRetryAfter("-5"), 0, "a negative delta means now, not a date in year -5");
});

// --- Post-write hook -------------------------------------------------------------------------

interface HookCase {
  name: string;
  /** Faults for the simulator before the call. */
  faults?: Fault[];
  /** Overrides for the client (e.g. an unreachable base URL, a short deadline). */
  client?: (url: string) => Partial<RunpodClientOptions>;
  method?: "POST" | "DELETE";
  expected: WriteOutcome;
}

const HOOK_CASES: HookCase[] = [
  { name: "a 201", expected: "sent" },
  { name: "a 400", faults: [{ kind: "status", status: 400 }], expected: "failed" },
  {
    name: "a 429 then a 201",
    faults: [{ kind: "status", status: 429, retryAfter: 1 }],
    expected: "sent",
  },
  { name: "four 429s", faults: [{ kind: "status", status: 429, times: 4 }], expected: "failed" },
  { name: "a 503 on a POST", faults: [{ kind: "status", status: 503 }], expected: "unknown" },
  { name: "a 501 on a POST", faults: [{ kind: "status", status: 501 }], expected: "failed" },
  {
    name: "a 2xx whose body cannot be read",
    faults: [{ kind: "malformed-json", when: "after" }],
    expected: "sent",
  },
  {
    name: "a connection that dies mid-answer",
    faults: [{ kind: "reset", when: "after" }],
    expected: "unknown",
  },
  {
    name: "a timeout",
    faults: [{ kind: "delay", ms: 10_000 }],
    client: () => ({ timeoutMs: 50 }),
    expected: "unknown",
  },
  {
    name: "a refused connection (nothing was sent)",
    client: () => ({ restBaseUrl: closedPortUrl() }),
    expected: "failed",
  },
  {
    name: "a DELETE whose 503 is followed by a 400",
    method: "DELETE",
    faults: [{ kind: "status", status: 503 }, { kind: "status", status: 400 }],
    expected: "unknown",
  },
  {
    name: "a DELETE whose 503 is followed by a 204",
    method: "DELETE",
    faults: [{ kind: "status", status: 503 }],
    expected: "sent",
  },
];

function closedPortUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

for (const c of HOOK_CASES) {
  Deno.test(`the write gate's hook hears "${c.expected}" exactly once after ${c.name}`, async () => {
    await withClient(async ({ sim, url, makeClient }) => {
      const outcomes: WriteOutcome[] = [];
      const gated: string[] = [];
      let podId = "";
      if (c.method === "DELETE") {
        podId = (await createPod(makeClient(), { ...POD_BODY, name: "hook" })).id;
      }
      for (const fault of c.faults ?? []) sim.injectFault(fault);
      const client = makeClient({
        ...c.client?.(url),
        writeGate: (request) => {
          gated.push(`${request.method} ${request.path}`);
          return Promise.resolve((outcome: WriteOutcome) => outcomes.push(outcome));
        },
      });
      await client.rest({
        method: c.method ?? "POST",
        path: c.method === "DELETE" ? `/v2/pods/${podId}` : "/v2/pods",
        ...(c.method === "DELETE" ? {} : { body: POD_BODY }),
        schema: z.unknown(),
      }).catch(() => {});
      assert.deepEqual(outcomes, [c.expected]);
      assert.equal(gated.length, 1, "the gate runs once per request, not per attempt");
    });
  });
}

Deno.test("the write gate's hook is optional, is never asked about reads, and cannot break a call", async () => {
  await withClient(async ({ makeClient, logLines }) => {
    const outcomes: WriteOutcome[] = [];
    const quiet = makeClient({ writeGate: () => Promise.resolve() });
    assert.equal(
      (await quiet.rest({ method: "POST", path: "/v2/pods", body: POD_BODY, schema: PodSchema }))
        .name,
      "client-test",
    );
    const listening = makeClient({
      writeGate: () => Promise.resolve((outcome: WriteOutcome) => outcomes.push(outcome)),
    });
    await listPods(listening);
    assert.deepEqual(outcomes, []);
    const throwing = makeClient({
      writeGate: () =>
        Promise.resolve(() => {
          throw new Error("reservation store is down");
        }),
    });
    const pod = await throwing.rest({
      method: "POST",
      path: "/v2/pods",
      body: POD_BODY,
      schema: PodSchema,
    });
    assert.equal(pod.name, "client-test");
    assert.ok(logLines.some((line) => line.includes("reservation store is down")));
  });
});

// --- Lost replies on creates -----------------------------------------------------------------

Deno.test("createPod() over the in-process simulator finds the pod by listing when the reply is lost", async () => {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY });
  const client = new RunpodClient({
    apiKey: TEST_KEY,
    restBaseUrl: "http://sim.invalid",
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  sim.injectFault({ kind: "reset", when: "after", match: { method: "POST", path: "/v2/pods" } });
  const pod = await createPod(client, { ...POD_BODY, name: "lost-reply" });
  assert.deepEqual([...sim.state.pods.keys()], [pod.id]);
  assert.match(recoveryNote(pod) ?? "", /the connection dropped\); pod \w+ was found by listing/);
  assert.deepEqual(sim.requests.map((r) => `${r.method} ${r.path}`), [
    "POST /v2/pods",
    "GET /v2/pods",
  ]);
});

Deno.test("createPod() reports an unknown outcome, not a retry, when the reply is lost and nothing is listed", async () => {
  await withClient(async ({ sim, client }) => {
    sim.injectFault({ kind: "reset", match: { method: "POST", path: "/v2/pods" } });
    const error = await caught(() => createPod(client, { ...POD_BODY, name: "ghost" }));
    assert.ok(error instanceof RunpodAmbiguousWriteError);
    assert.equal(error.lookup, "none-found");
    assert.match(
      error.message,
      /^Cannot tell whether RunPod created the pod "ghost": .*GET \/v2\/pods/,
    );
    assert.equal(sim.requests.filter((r) => r.method === "POST").length, 1);
  });
});

Deno.test("a refused connection is marked notSent: the request never left", async () => {
  await withClient(async ({ makeClient }) => {
    const error = await caught(() =>
      makeClient({ restBaseUrl: closedPortUrl() }).rest({
        method: "POST",
        path: "/v2/pods",
        body: POD_BODY,
        schema: PodSchema,
      })
    );
    assert.ok(error instanceof RunpodConnectionError);
    assert.equal(error.notSent, true);
    assert.equal(error.idempotent, false);
  });
});
