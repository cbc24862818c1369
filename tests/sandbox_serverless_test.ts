// Response bodies are untyped JSON; the assertions check their shape.
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { RunpodSimulator } from "../src/sandbox/mod.ts";

const KEY = "rpa_TESTKEY0123456789";
const BASE = "https://sandbox.invalid";

function client(sim: RunpodSimulator, auth = `Bearer ${KEY}`) {
  return async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: auth };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await sim.fetch(`${BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) as any };
  };
}

const queueEndpoint = (extra: Record<string, unknown> = {}) => ({
  name: "worker",
  type: "QUEUE",
  image: "runpod/worker-v1-vllm:v2.7.0",
  scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
  gpu: { pools: ["ADA_24"], count: 1 },
  ...extra,
});

// --- endpoints ---

Deno.test("POST /v2/serverless creates an endpoint with timeout 0 when omitted", async () => {
  const sim = new RunpodSimulator({ seed: 1 });
  const call = client(sim);
  const r = await call("POST", "/v2/serverless", queueEndpoint());
  assert.equal(r.status, 201);
  assert.equal(r.body.timeout, 0);
  assert.equal(r.body.flashboot, "OFF");
  assert.deepEqual(r.body.workers, { min: 0, max: 3, idleTimeout: 10 });
  assert.deepEqual(r.body.gpu, {
    pools: ["ADA_24"],
    count: 1,
    allowedCudaVersions: [],
    minCudaVersion: null,
  });
  assert.equal(r.body.requestUrls.run, `https://api.runpod.ai/v2/${r.body.id}/run`);
  assert.equal(r.body.templateId, undefined);
  const list = await call("GET", "/v2/serverless");
  assert.equal(list.body.endpoints.length, 1);
  const lb = await call(
    "POST",
    "/v2/serverless",
    queueEndpoint({ type: "LOAD_BALANCER", scaling: { type: "REQUEST_COUNT", requestCount: 2 } }),
  );
  assert.equal(lb.status, 201);
  assert.deepEqual(Object.keys(lb.body.requestUrls), ["base", "health"]);
  assert.equal(lb.body.requestUrls.health, `https://${lb.body.id}.api.runpod.ai/ping`);
});

Deno.test("endpoint create and update reproduce RunPod's validation quirks", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const idle = await call(
    "POST",
    "/v2/serverless",
    queueEndpoint({
      scaling: { type: "REQUEST_COUNT", requestCount: 3 },
      workers: { min: 0, max: 2, idleTimeout: 5 },
    }),
  );
  assert.equal(idle.status, 422);
  assert.deepEqual(idle.body.errors, [
    "idleTimeout does not apply to queue-based endpoints scaling on requestCount",
  ]);
  assert.equal(
    (await call("POST", "/v2/serverless", queueEndpoint({ gpu: undefined }))).status,
    400,
  );
  assert.equal(
    (await call("POST", "/v2/serverless", queueEndpoint({ scaling: { type: "QUEUE_DELAY" } })))
      .status,
    422,
  );
  assert.equal(
    (await call(
      "POST",
      "/v2/serverless",
      queueEndpoint({ type: "LOAD_BALANCER", scaling: { type: "QUEUE_DELAY", queueDelay: 4 } }),
    )).status,
    422,
  );
  assert.equal(
    (await call("POST", "/v2/serverless", queueEndpoint({ gpu: { pools: ["NOPE_99"] } }))).status,
    400,
  );
  assert.equal(
    (await call("POST", "/v2/serverless", queueEndpoint({ templateId: "runpod-torch-v280" })))
      .status,
    422,
    "a pod template cannot back an endpoint",
  );
  const { body: ep } = await call("POST", "/v2/serverless", queueEndpoint());
  const withType = await call("PATCH", `/v2/serverless/${ep.id}`, { type: "QUEUE" });
  assert.equal(withType.status, 422);
  assert.deepEqual(withType.body.errors, ["$: additional properties 'type' not allowed"]);
  assert.equal(
    (await call("PATCH", `/v2/serverless/${ep.id}`, { cpu: [{ id: "cpu3c", vcpuCount: 2 }] }))
      .status,
    400,
  );
  assert.equal(
    (await call("PATCH", `/v2/serverless/${ep.id}`, { gpu: { excludedTypes: ["NVIDIA L4"] } }))
      .status,
    422,
  );
  const patched = await call("PATCH", `/v2/serverless/${ep.id}`, {
    workers: { max: 5 },
    gpu: { count: 2 },
  });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.workers.max, 5);
  assert.equal(patched.body.gpu.count, 2);
  assert.deepEqual(patched.body.gpu.pools, ["ADA_24"]);
  const releases = await call("GET", `/v2/serverless/${ep.id}/releases`);
  assert.equal(releases.body.endpointVersion, 2);
  // Diffs name the changed leaf, as in RunPod's example (`workers.max`).
  assert.ok(releases.body.releases[0].diff.some((d: any) => d.field === "workers.max"));
  assert.equal((await call("DELETE", `/v2/serverless/${ep.id}`)).status, 204);
  assert.equal((await call("GET", `/v2/serverless/${ep.id}`)).status, 404);
});

Deno.test("always-on workers are billed and show in GraphQL spend", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const { body: ep } = await call(
    "POST",
    "/v2/serverless",
    queueEndpoint({ workers: { min: 1, max: 2 } }),
  );
  sim.advance(3_600_000);
  assert.ok(Math.abs(sim.state.balance - (100 - 1.1)) < 1e-9);
  const gql = await call("POST", "/graphql", { query: "{ myself { currentSpendPerHr } }" });
  assert.equal(gql.body.data.myself.currentSpendPerHr, 1.1);
  const bill = await call("GET", `/v2/billing/serverless?serverlessId=${ep.id}`);
  assert.equal(bill.body.records.length, 1);
  assert.equal(bill.body.metadata.uniqueServerlessCount, 1);
  const workers = await call("GET", `/v2/serverless/${ep.id}/workers`);
  assert.equal(workers.body.summary.total, 1);
  assert.equal(workers.body.workers[0].status, "IDLE");
});

// --- jobs ---

Deno.test("a /run job moves IN_QUEUE → IN_PROGRESS → COMPLETED with the clock", async () => {
  const sim = new RunpodSimulator({ seed: 9 });
  const call = client(sim);
  const { body: ep } = await call("POST", "/v2/serverless", queueEndpoint());
  const run = await call("POST", `/v2/${ep.id}/run`, {
    input: { prompt: "hi", duration_ms: 5000 },
    webhook: "https://hooks.example/done",
  });
  assert.equal(run.status, 200);
  assert.match(run.body.id, /^[0-9a-f-]{36}-u1$/);
  assert.equal(run.body.status, "IN_QUEUE");
  const status = () => call("GET", `/v2/${ep.id}/status/${run.body.id}`);
  assert.deepEqual((await status()).body, { id: run.body.id, status: "IN_QUEUE" });
  sim.advance(1000);
  const busy = (await status()).body;
  assert.equal(busy.status, "IN_PROGRESS");
  assert.equal(busy.delayTime, 1000);
  const health = await call("GET", `/v2/${ep.id}/health`);
  assert.equal(health.body.jobs.inProgress, 1);
  assert.equal(health.body.workers.running, 1);
  sim.advance(5000);
  const done = (await status()).body;
  assert.equal(done.status, "COMPLETED");
  assert.equal(done.executionTime, 5000);
  assert.deepEqual(done.output, { echo: { prompt: "hi", duration_ms: 5000 } });
  assert.equal(typeof done.workerId, "string");
  assert.equal(sim.state.webhookDeliveries.length, 1);
  assert.equal(sim.state.webhookDeliveries[0]!.url, "https://hooks.example/done");
  assert.equal((sim.state.webhookDeliveries[0]!.body as any).status, "COMPLETED");
  sim.advance(30 * 60_000);
  assert.equal((await status()).status, 404, "results are kept for 30 minutes");
});

Deno.test("/runsync returns the result at once when it fits in wait", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const { body: ep } = await call("POST", "/v2/serverless", queueEndpoint());
  const r = await call("POST", `/v2/${ep.id}/runsync`, { input: { output: { text: "ok" } } });
  assert.equal(r.body.status, "COMPLETED");
  assert.match(r.body.id, /^sync-.*-u1$/);
  assert.deepEqual(r.body.output, { text: "ok" });
  const slow = await call("POST", `/v2/${ep.id}/runsync?wait=1000`, {
    input: { duration_ms: 10_000 },
  });
  assert.equal(slow.body.status, "IN_QUEUE");
  assert.equal((await call("POST", `/v2/${ep.id}/runsync?wait=10`, { input: {} })).status, 400);
});

Deno.test("jobs fail, time out, retry, cancel and purge like RunPod's", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const { body: ep } = await call("POST", "/v2/serverless", queueEndpoint({ timeout: 10_000 }));
  const fail = await call("POST", `/v2/${ep.id}/run`, { input: { fail: "CUDA out of memory" } });
  const slow = await call("POST", `/v2/${ep.id}/run`, { input: { duration_ms: 60_000 } });
  sim.advance(20_000);
  const failed = (await call("GET", `/v2/${ep.id}/status/${fail.body.id}`)).body;
  assert.equal(failed.status, "FAILED");
  assert.equal(failed.error, "CUDA out of memory");
  const timedOut = (await call("GET", `/v2/${ep.id}/status/${slow.body.id}`)).body;
  assert.equal(timedOut.status, "TIMED_OUT");
  const retried = await call("POST", `/v2/${ep.id}/retry/${fail.body.id}`);
  assert.deepEqual(retried.body, { id: fail.body.id, status: "IN_QUEUE" });
  sim.advance(5000);
  const again = (await call("GET", `/v2/${ep.id}/status/${fail.body.id}`)).body;
  assert.equal(again.retries, 1);
  const okJob = await call("POST", `/v2/${ep.id}/run`, { input: {} });
  sim.advance(5000);
  assert.equal((await call("POST", `/v2/${ep.id}/retry/${okJob.body.id}`)).status, 400);

  const a = await call("POST", `/v2/${ep.id}/run`, { input: {} });
  const b = await call("POST", `/v2/${ep.id}/run`, { input: {} });
  const c = await call("POST", `/v2/${ep.id}/run`, { input: {} });
  const cancelled = await call("POST", `/v2/${ep.id}/cancel/${a.body.id}`);
  assert.deepEqual(cancelled.body, { id: a.body.id, status: "CANCELLED" });
  const purge = await call("POST", `/v2/${ep.id}/purge-queue`);
  assert.deepEqual(purge.body, { removed: 2, status: "completed" });
  assert.equal((await call("GET", `/v2/${ep.id}/status/${b.body.id}`)).status, 404);
  assert.equal((await call("GET", `/v2/${ep.id}/status/${c.body.id}`)).status, 404);
  assert.equal((await call("GET", `/v2/nosuchendpoint/health`)).status, 404);
});

Deno.test("/stream drains chunks as the job produces them", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const { body: ep } = await call("POST", "/v2/serverless", queueEndpoint());
  const { body: job } = await call("POST", `/v2/${ep.id}/run`, {
    input: { duration_ms: 4000, stream: ["a", "b", "c"] },
  });
  sim.advance(1000 + 2000);
  const first = await call("GET", `/v2/${ep.id}/stream/${job.id}`);
  assert.deepEqual(first.body, {
    status: "IN_PROGRESS",
    stream: [{ output: "a" }, { output: "b" }],
  });
  const empty = await call("GET", `/v2/${ep.id}/stream/${job.id}`);
  assert.deepEqual(empty.body.stream, []);
  sim.advance(2000);
  const last = await call("GET", `/v2/${ep.id}/stream/${job.id}`);
  assert.deepEqual(last.body, { status: "COMPLETED", stream: [{ output: "c" }] });
});

Deno.test("the job API accepts a raw key and jobs vanish after their TTL", async () => {
  const sim = new RunpodSimulator({ apiKey: KEY });
  const { body: ep } = await client(sim)(
    "POST",
    "/v2/serverless",
    queueEndpoint({ workers: { min: 0, max: 0 } }),
  );
  const raw = client(sim, KEY);
  const r = await raw("POST", `/v2/${ep.id}/run`, { input: {}, policy: { ttl: 20_000 } });
  assert.equal(r.status, 200);
  sim.advance(19_000);
  assert.equal((await raw("GET", `/v2/${ep.id}/status/${r.body.id}`)).body.status, "IN_QUEUE");
  sim.advance(1000);
  assert.equal((await raw("GET", `/v2/${ep.id}/status/${r.body.id}`)).status, 404);
  assert.equal((await client(sim, "Bearer rpa_WRONG")("GET", `/v2/${ep.id}/health`)).status, 401);
  assert.equal((await raw("POST", `/v2/${ep.id}/run`, { prompt: "no input" })).status, 400);
});

// --- templates, volumes, registries, SSH keys ---

Deno.test("templates: create with defaults, list own, read public, delete rules", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const t = await call("POST", "/v2/templates", { name: "mine", image: "ubuntu:24.04" });
  assert.equal(t.status, 201);
  assert.deepEqual(
    [t.body.category, t.body.public, t.body.serverless, t.body.startSsh, t.body.startJupyter],
    ["NVIDIA", false, false, true, true],
  );
  assert.deepEqual(t.body.ports, []);
  assert.equal(
    (await call("POST", "/v2/templates", {
      name: "x",
      image: "y",
      mounts: { network: [{ volumeId: "v", path: "/p" }] },
    })).status,
    422,
  );
  assert.deepEqual((await call("GET", "/v2/templates")).body.templates.map((x: any) => x.id), [
    t.body.id,
  ]);
  const official = await call("GET", "/v2/catalog/templates");
  assert.ok(official.body.templates.length >= 3);
  assert.equal((await call("GET", "/v2/templates/runpod-torch-v280")).status, 200);
  assert.equal((await call("DELETE", "/v2/templates/runpod-torch-v280")).status, 404);
  const pod = await call("POST", "/v2/pods", {
    name: "p",
    templateId: t.body.id,
    env: { B: "2" },
    gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
  });
  assert.equal(pod.status, 201);
  assert.equal(pod.body.image, "ubuntu:24.04");
  assert.equal(pod.body.template, null);
  assert.equal((await call("DELETE", `/v2/templates/${t.body.id}`)).status, 400);
  await call("DELETE", `/v2/pods/${pod.body.id}`);
  assert.equal((await call("DELETE", `/v2/templates/${t.body.id}`)).status, 204);
});

Deno.test("network volumes: DC support, grow-only PATCH, attached volumes stay", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const bad = await call("POST", "/v2/network-volumes", {
    name: "v",
    size: 20,
    dataCenter: "US-GA-1",
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, /US-KS-2/);
  const v = await call("POST", "/v2/network-volumes", {
    name: "v",
    size: 20,
    dataCenter: "EU-RO-1",
  });
  assert.equal(v.status, 201);
  assert.equal(v.body.type, "STANDARD");
  assert.equal((await call("PATCH", `/v2/network-volumes/${v.body.id}`, {})).status, 422);
  assert.equal((await call("PATCH", `/v2/network-volumes/${v.body.id}`, { size: 10 })).status, 400);
  assert.equal(
    (await call("PATCH", `/v2/network-volumes/${v.body.id}`, { size: 40 })).body.size,
    40,
  );
  const pod = await call("POST", "/v2/pods", {
    name: "p",
    image: "i",
    gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
    mounts: { network: [{ volumeId: v.body.id, path: "/workspace" }] },
  });
  assert.equal(pod.body.dataCenterId, "EU-RO-1");
  assert.equal((await call("DELETE", `/v2/network-volumes/${v.body.id}`)).status, 400);
  await call("DELETE", `/v2/pods/${pod.body.id}`);
  assert.equal((await call("DELETE", `/v2/network-volumes/${v.body.id}`)).status, 204);
});

Deno.test("registries hide credentials and SSH keys feed startSsh pods", async () => {
  const sim = new RunpodSimulator();
  const call = client(sim);
  const reg = await call("POST", "/v2/registries", {
    name: "ghcr",
    username: "me",
    password: "s3cret",
  });
  assert.equal(reg.status, 201);
  assert.deepEqual(Object.keys(reg.body), ["id", "name"]);
  assert.ok(!JSON.stringify((await call("GET", "/v2/registries")).body).includes("s3cret"));
  const badKey = await call("PUT", "/v2/account/ssh-keys", { keys: ["not a key"] });
  assert.equal(badKey.status, 422);
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest me@laptop";
  assert.deepEqual((await call("PUT", "/v2/account/ssh-keys", { keys: [key] })).body, {
    keys: [key],
  });
  const pod = await call("POST", "/v2/pods", {
    name: "p",
    image: "i",
    registry: reg.body.id,
    startSsh: true,
    gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
  });
  assert.equal(pod.body.env.PUBLIC_KEY, key);
  assert.equal(pod.body.registry, reg.body.id);
  assert.equal((await call("DELETE", `/v2/registries/${reg.body.id}`)).status, 400);
});
