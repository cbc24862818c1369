import assert from "node:assert/strict";
import { dataOf, startHarness } from "./_harness.ts";
import { requireContract } from "./_openapi.ts";

Deno.test("scenario: template → endpoint on named GPUs → jobs (stream, sync, cancel) → health → clean up", async (t) => {
  await using h = await startHarness();
  const contract = await requireContract(t);

  const created_template = dataOf<{ template_id: string }>(
    await h.call("create_template", {
      name: "vllm-worker",
      image: "runpod/worker-v1-vllm:v2.4.0",
      serverless: true,
      container_disk_gb: 20,
      env: { MODEL_NAME: "meta-llama/Llama-3.1-8B-Instruct", HF_TOKEN: "hf_abcdefghijklmnopqrstu" },
    }),
  );
  const template = dataOf<{ id: string; serverless: boolean }>(
    await h.call("get_template", { template_id: created_template.template_id }),
  );
  assert.equal(template.serverless, true);

  const created = dataOf<{ endpoint: { id: string; gpu_pools: string[] } }>(
    await h.call("create_endpoint", {
      name: "llama-endpoint",
      template_id: template.id,
      gpu_types: ["RTX 4090", "L40S"],
      workers_max: 2,
    }),
  ).endpoint;
  const endpointBody = h.sim.requests.find((r) =>
    r.method === "POST" && r.path === "/v2/serverless"
  )
    ?.body as Record<string, unknown>;
  // GPU names were mapped to their catalog pools; the execution timeout was sent explicitly.
  assert.deepEqual((endpointBody.gpu as { pools: string[] }).pools, ["ADA_24", "ADA_48_PRO"]);
  assert.equal(endpointBody.templateId, template.id);
  assert.equal(typeof endpointBody.timeout, "number");
  assert.ok((endpointBody.timeout as number) > 0);
  assert.deepEqual(created.gpu_pools, ["ADA_24", "ADA_48_PRO"]);
  if (contract) {
    assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", endpointBody), []);
  }
  const id = created.id;

  const streamed = dataOf<{ job_id: string }>(
    await h.call("run_job", { endpoint_id: id, input: { stream: ["Hello", ", ", "world"] } }),
  );
  const stream = dataOf<{ status: string; output: unknown }>(
    await h.call("stream_job", { endpoint_id: id, job_id: streamed.job_id, wait_s: 60 }),
  );
  assert.equal(stream.status, "COMPLETED");
  assert.equal(stream.output, "Hello, world");

  const sync = dataOf<{ status: string; output: unknown }>(
    await h.call("run_job_sync", { endpoint_id: id, input: { prompt: "hi" }, wait_s: 30 }),
  );
  assert.equal(sync.status, "COMPLETED");
  assert.deepEqual(sync.output, { echo: { prompt: "hi" } });

  const queued = dataOf<{ job_id: string; status: string }>(
    await h.call("run_job", { endpoint_id: id, input: { duration_ms: 60_000 } }),
  );
  assert.equal(queued.status, "IN_QUEUE");
  const cancelled = dataOf<{ status: string }>(
    await h.call("cancel_job", { endpoint_id: id, job_id: queued.job_id }),
  );
  assert.equal(cancelled.status, "CANCELLED");

  const health = dataOf<{ jobs: { completed: number; in_queue: number } }>(
    await h.call("get_endpoint_health", { endpoint_id: id }),
  );
  assert.equal(health.jobs.completed, 2);
  assert.equal(health.jobs.in_queue, 0);

  // The endpoint must go before the template it uses.
  assert.equal(
    dataOf<{ deleted: boolean }>(await h.call("delete_endpoint", { endpoint_id: id })).deleted,
    true,
  );
  dataOf(await h.call("delete_template", { template_id: template.id }));

  // Final state as RunPod holds it.
  assert.equal(h.sim.state.endpoints.size, 0);
  assert.ok(![...h.sim.state.templates.values()].some((t) => t.id === template.id));
  const runPaths = h.sim.requests.filter((r) => r.api === "jobs").map((r) =>
    `${r.method} ${r.path.replace(id, "{id}").replace(/\/[^/]+-u1$/, "/{job}")}`
  );
  assert.ok(runPaths.includes("POST /v2/{id}/run"));
  assert.ok(runPaths.includes("POST /v2/{id}/runsync"));
  assert.ok(runPaths.includes("POST /v2/{id}/cancel/{job}"));
  assert.ok(runPaths.includes("GET /v2/{id}/health"));
  assert.equal(
    h.sim.requests.filter((r) => r.path === `/v2/${id}/run` && r.method === "POST").length,
    2,
  );
});
