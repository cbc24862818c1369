import assert from "node:assert/strict";
import {
  createEndpointTool,
  deleteEndpointTool,
  getEndpointTool,
  listEndpointsTool,
  updateEndpointTool,
} from "../src/tools/serverless.ts";
import { listEndpointWorkersTool } from "../src/tools/endpoint_workers.ts";
import {
  dataOf,
  type Harness,
  routes,
  simRequest,
  startHarness,
  textOf,
  writes,
} from "./_harness.ts";
import { requireContract } from "./_openapi.ts";

const TOOLS = [
  listEndpointsTool,
  getEndpointTool,
  createEndpointTool,
  updateEndpointTool,
  deleteEndpointTool,
  listEndpointWorkersTool,
];
const IMAGE = "runpod/worker-v1-vllm:v2.7.0";
const HF_TOKEN = "hf_abcdefghijklmnopqrstuvwx";

interface Detail {
  id: string;
  name: string;
  type: string;
  gpu_pools: string[];
  gpu_count: number | null;
  cpu_flavor: string | null;
  vcpu_count: number | null;
  workers_min: number;
  workers_max: number;
  always_on_cost_per_hour: number | null;
  created_at: string;
  request_urls: Record<string, string>;
  excluded_gpu_types: string[];
  scaling_type: string;
  scaling_value: number | null;
  idle_timeout_s: number | null;
  execution_timeout_s: number;
  flashboot: string;
  network_volume_ids: string[];
  data_center_ids: string[];
  env: Record<string, string>;
  workers?: Record<string, number>;
}

function start() {
  return startHarness({ server: { tools: TOOLS } });
}

/** Serverless USD/hour per GPU of every catalog type in `pools` (not excluded). */
async function poolPrices(h: Harness, pools: string[], excluded: string[] = []) {
  const { json } = await simRequest(h, "GET", "/v2/catalog/gpus");
  return (json.gpus as { id: string; pool: string | null; price: { serverless?: number } }[])
    .filter((g) => g.pool !== null && pools.includes(g.pool) && !excluded.includes(g.id))
    .map((g) => g.price.serverless!)
    .filter((p) => p !== undefined);
}

async function create(h: Harness, args: Record<string, unknown>): Promise<Detail> {
  const data = dataOf<{ endpoint: Detail }>(await h.call("create_endpoint", args));
  return data.endpoint;
}

Deno.test("create_endpoint maps GPU names to serverless pools and always sends timeout", async (t) => {
  await using h = await start();
  const result = await h.call("create_endpoint", {
    name: "llm",
    image: IMAGE,
    gpu_types: ["RTX 4090"],
  });
  const data = dataOf<{ endpoint: Detail; cost_note: string; next: string }>(result);

  assert.deepEqual(routes(h), ["GET /v2/catalog/gpus", "POST /v2/serverless"]);
  const body = h.sim.requests[1]?.body;
  assert.deepEqual(body, {
    name: "llm",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"], count: 1 },
    workers: { min: 0, max: 3 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
    timeout: 600_000,
    env: { RUNPOD_MCP_MANAGED: "1" },
  });
  assert.equal(h.sim.requests[1]?.status, 201);
  const ep = data.endpoint;
  assert.equal(ep.execution_timeout_s, 600);
  assert.deepEqual(ep.gpu_pools, ["ADA_24"]);
  assert.equal(ep.always_on_cost_per_hour, 0);
  assert.equal(ep.request_urls.runSync, `https://api.runpod.ai/v2/${ep.id}/runsync`);
  assert.equal(ep.request_urls.status, `https://api.runpod.ai/v2/${ep.id}/status/{job_id}`);
  assert.match(data.cost_note, /No cost while idle/);
  assert.match(textOf(result), new RegExp(`Created QUEUE endpoint ${ep.id} "llm"`));
  assert.equal(h.sim.state.endpoints.get(ep.id)?.timeout, 600_000);

  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", body), []);
});

Deno.test("create_endpoint sends every GPU option in v2 shape and estimates always-on cost", async (t) => {
  await using h = await start();
  const volume = await simRequest(h, "POST", "/v2/network-volumes", {
    name: "models",
    size: 50,
    dataCenter: "US-KS-2",
  });
  h.sim.clearRequests();
  const result = await h.call("create_endpoint", {
    name: "big",
    image: IMAGE,
    gpu_types: ["nvidia geforce rtx 4090", "AMPERE_48", "ada_24", "L4"],
    excluded_gpu_types: ["L4", "NVIDIA A40"],
    gpu_count: 2,
    workers_min: 1,
    workers_max: 5,
    idle_timeout_s: 30,
    scaling_type: "QUEUE_DELAY",
    scaling_value: 2.5,
    flashboot: "FLASHBOOT",
    execution_timeout_s: 120,
    network_volume_ids: [volume.json.id],
    data_center_ids: ["US-KS-2"],
    env: { MODEL_NAME: "llama", HF_TOKEN },
    container_disk_gb: 30,
  });
  const data = dataOf<{ endpoint: Detail; cost_note: string }>(result);
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, {
    name: "big",
    type: "QUEUE",
    image: IMAGE,
    gpu: {
      pools: ["ADA_24", "AMPERE_48", "AMPERE_24"],
      excludedTypes: ["NVIDIA L4", "NVIDIA A40"],
      count: 2,
    },
    workers: { min: 1, max: 5, idleTimeout: 30 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 2.5 },
    timeout: 120_000,
    flashboot: "FLASHBOOT",
    networkVolumes: [volume.json.id],
    dataCenterIds: ["US-KS-2"],
    env: { MODEL_NAME: "llama", HF_TOKEN, RUNPOD_MCP_MANAGED: "1" },
    disk: 30,
  });
  // The catalog is read once, for both the mapping and the estimate.
  assert.deepEqual(routes(h), ["GET /v2/catalog/gpus", "POST /v2/serverless"]);

  const ep = data.endpoint;
  const prices = await poolPrices(h, ep.gpu_pools!, ["NVIDIA L4", "NVIDIA A40"]);
  assert.equal(ep.always_on_cost_per_hour, Math.round(Math.max(...prices) * 2 * 10000) / 10000);
  assert.ok(ep.always_on_cost_per_hour! > 0);
  assert.deepEqual(ep.excluded_gpu_types, ["NVIDIA L4", "NVIDIA A40"]);
  assert.equal(ep.idle_timeout_s, 30);
  assert.equal(ep.scaling_value, 2.5);
  assert.equal(ep.env.HF_TOKEN, "[masked]");
  assert.equal(ep.env.MODEL_NAME, "llama");
  assert.match(data.cost_note, /always-on worker\(s\) cost about \$\d+\.\d\d\/h \(estimate\)/);
  assert.match(textOf(result), /even with no jobs/);
  assert.ok(!JSON.stringify(result).includes(HF_TOKEN));

  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", body), []);
});

Deno.test("create_endpoint builds a CPU load-balancer endpoint without reading the catalog", async (t) => {
  await using h = await start();
  const ep = await create(h, {
    name: "api",
    type: "LOAD_BALANCER",
    image: "me/api:1",
    cpu_flavor: "cpu5c",
    vcpu_count: 4,
    ports: ["8000/http"],
    env: { PORT: "8000" },
  });
  assert.deepEqual(routes(h), ["POST /v2/serverless"]);
  const body = h.sim.requests[0]?.body;
  assert.deepEqual(body, {
    name: "api",
    type: "LOAD_BALANCER",
    image: "me/api:1",
    cpu: [{ id: "cpu5c", vcpuCount: 4 }],
    workers: { min: 0, max: 3 },
    scaling: { type: "REQUEST_COUNT", requestCount: 4 },
    timeout: 600_000,
    env: { PORT: "8000", RUNPOD_MCP_MANAGED: "1" },
    ports: ["8000/http"],
  });
  assert.equal(ep.cpu_flavor, "cpu5c");
  assert.equal(ep.vcpu_count, 4);
  assert.deepEqual(ep.gpu_pools, []);
  assert.equal(ep.request_urls.base, `https://${ep.id}.api.runpod.ai`);
  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", body), []);
});

Deno.test("create_endpoint refuses bad input before anything is created", async () => {
  await using h = await start();
  const base = { name: "x", image: IMAGE };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base }, /give gpu_types .* or cpu_flavor \+ vcpu_count/],
    [{ ...base, gpu_types: ["RTX 4090"], cpu_flavor: "cpu5c", vcpu_count: 4 }, /not both/],
    [{ name: "x", gpu_types: ["RTX 4090"] }, /give image or template_id/],
    [{ ...base, gpu_types: ["RTX 4090"], workers_min: 4, workers_max: 2 }, /workers_min \(4\)/],
    [
      { ...base, gpu_types: ["RTX 4090"], scaling_type: "REQUEST_COUNT", idle_timeout_s: 5 },
      /idle_timeout_s does not apply to a QUEUE endpoint scaling on REQUEST_COUNT/,
    ],
    [
      { ...base, gpu_types: ["RTX 4090"], type: "LOAD_BALANCER", scaling_type: "QUEUE_DELAY" },
      /LOAD_BALANCER endpoint scales only on REQUEST_COUNT/,
    ],
    [{ ...base, gpu_types: ["RTX 4090"], scaling_value: 0.2 }, /at least 0\.5/],
    [
      { ...base, gpu_types: ["RTX 4090"], scaling_type: "REQUEST_COUNT", scaling_value: 2.5 },
      /whole number/,
    ],
    [{ ...base, cpu_flavor: "cpu5c", vcpu_count: 6 }, /power of 2/],
    [{ ...base, cpu_flavor: "cpu5c" }, /both cpu_flavor and vcpu_count/],
    [{ ...base, cpu_flavor: "cpu5c", vcpu_count: 4, gpu_count: 2 }, /GPU endpoints only/],
    [{ ...base, gpu_types: ["RTX 3080"] }, /RTX 3080 .* is in no serverless GPU pool/],
    [
      { ...base, gpu_types: ["ADA_99"] },
      /neither a GPU type nor a serverless pool; pools are .*ADA_24/,
    ],
    [{ ...base, gpu_types: ["RTX 9999"] }, /Cannot find GPU type "RTX 9999"/],
    [
      { ...base, gpu_types: ["RTX 4090"], excluded_gpu_types: ["A40"] },
      /excluded GPU A40 is not in the chosen pools \(ADA_24\); its pool is AMPERE_48/,
    ],
    [
      { ...base, gpu_types: ["RTX 4090"], excluded_gpu_types: ["RTX 4090"] },
      /removes every GPU of ADA_24/,
    ],
    [
      { ...base, gpu_types: ["RTX 4090"], ports: ["8000/http", "8000/http"] },
      /port 8000\/http is listed twice/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await h.call("create_endpoint", args);
    assert.equal(result.isError, true, JSON.stringify(args));
    assert.match(textOf(result), message);
    assert.match(textOf(result), /^Cannot /);
  }
  assert.deepEqual(writes(h), []);
  assert.equal(h.sim.state.endpoints.size, 0);
});

Deno.test("list_endpoints and get_endpoint show compact rows, URLs, masked env and workers", async () => {
  await using h = await start();
  const gpu = await create(h, {
    name: "always-on",
    image: IMAGE,
    gpu_types: ["RTX 4090"],
    workers_min: 2,
    env: { HF_TOKEN, MODEL: "m" },
  });
  const cpu = await create(h, { name: "cpu", image: IMAGE, cpu_flavor: "cpu5c", vcpu_count: 2 });
  h.sim.clearRequests();

  const list = await h.call("list_endpoints");
  const listed = dataOf<
    { endpoints: Detail[]; count: number; total_always_on_cost_per_hour: number }
  >(list);
  assert.equal(listed.count, 2);
  const [price] = await poolPrices(h, ["ADA_24"]);
  const expected = Math.round(price! * 2 * 10000) / 10000;
  assert.deepEqual(listed.endpoints.find((e) => e.id === gpu.id), {
    id: gpu.id,
    name: "always-on",
    type: "QUEUE",
    gpu_pools: ["ADA_24"],
    gpu_count: 1,
    cpu_flavor: null,
    vcpu_count: null,
    workers_min: 2,
    workers_max: 3,
    always_on_cost_per_hour: expected,
    created_at: listed.endpoints.find((e) => e.id === gpu.id)!.created_at,
  });
  assert.equal(listed.endpoints.find((e) => e.id === cpu.id)?.always_on_cost_per_hour, 0);
  assert.equal(listed.total_always_on_cost_per_hour, expected);
  assert.match(textOf(list), /always-on worker\(s\) cost about/);
  assert.ok(!JSON.stringify(list).includes(HF_TOKEN), "list never shows env");

  h.sim.clearRequests();
  const got = await h.call("get_endpoint", { endpoint_id: gpu.id });
  const detail = dataOf<Detail>(got);
  assert.deepEqual(routes(h), [
    `GET /v2/serverless/${gpu.id}`,
    `GET /v2/serverless/${gpu.id}/workers`,
    "GET /v2/catalog/gpus",
  ]);
  assert.equal(detail.env.HF_TOKEN, "[masked]");
  assert.equal(detail.env.MODEL, "m");
  assert.equal(detail.idle_timeout_s, 10);
  assert.equal(detail.execution_timeout_s, 600);
  assert.equal(detail.scaling_type, "QUEUE_DELAY");
  assert.equal(detail.request_urls.run, `https://api.runpod.ai/v2/${gpu.id}/run`);
  assert.deepEqual(detail.workers, {
    running: 0,
    idle: 2,
    starting: 0,
    unhealthy: 0,
    total: 2,
    stale: 0,
  });
  assert.match(textOf(got), /Workers: 0 running, 2 idle/);
  assert.ok(!JSON.stringify(got).includes(HF_TOKEN));
});

Deno.test("get_endpoint reports RunPod's 0 timeout for an endpoint created elsewhere", async () => {
  await using h = await start();
  const raw = await simRequest(h, "POST", "/v2/serverless", {
    name: "raw",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"] },
    scaling: { type: "REQUEST_COUNT", requestCount: 2 },
  });
  assert.equal(raw.status, 201);
  const detail = dataOf<Detail>(await h.call("get_endpoint", { endpoint_id: raw.json.id }));
  assert.equal(detail.execution_timeout_s, 0);
  assert.equal(detail.idle_timeout_s, null);
  assert.equal(detail.scaling_value, 2);
});

Deno.test("get_endpoint and list_endpoint_workers explain a missing endpoint and refuse bad ids", async () => {
  await using h = await start();
  for (const tool of ["get_endpoint", "list_endpoint_workers", "delete_endpoint"]) {
    const missing = await h.call(tool, { endpoint_id: "nosuchendpoint" });
    assert.equal(missing.isError, true);
    assert.match(textOf(missing), /Not found \(404 on GET \/v2\/serverless\/nosuchendpoint/);
  }
  h.sim.clearRequests();
  for (const tool of ["get_endpoint", "list_endpoint_workers", "delete_endpoint"]) {
    const bad = await h.call(tool, { endpoint_id: "../pods" });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /an endpoint id has only letters, digits, - and _/);
  }
  const badUpdate = await h.call("update_endpoint", { endpoint_id: "a/b", name: "x" });
  assert.match(textOf(badUpdate), /an endpoint id has only letters/);
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("update_endpoint sends only the given fields and passes the contract", async (t) => {
  await using h = await start();
  const contract = await requireContract(t);
  const ep = await create(h, { name: "svc", image: IMAGE, gpu_types: ["RTX 4090"] });
  h.sim.clearRequests();

  const first = await h.call("update_endpoint", {
    endpoint_id: ep.id,
    workers_max: 6,
    scaling_value: 1.5,
    execution_timeout_s: 900,
    flashboot: "PRIORITY_FLASHBOOT",
  });
  const data = dataOf<{ endpoint: Detail; changed: string[]; notes: string[] }>(first);
  assert.deepEqual(routes(h), [`GET /v2/serverless/${ep.id}`, `PATCH /v2/serverless/${ep.id}`]);
  const body1 = h.sim.requests[1]?.body;
  assert.deepEqual(body1, {
    workers: { max: 6 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 1.5 },
    timeout: 900_000,
    flashboot: "PRIORITY_FLASHBOOT",
  });
  assert.deepEqual([...data.changed].sort(), [
    "execution_timeout_s",
    "flashboot",
    "scaling_value",
    "workers_max",
  ]);
  assert.equal(data.endpoint.workers_max, 6);
  assert.equal(data.endpoint.execution_timeout_s, 900);
  assert.match(textOf(first), new RegExp(`Updated endpoint ${ep.id} "svc"`));
  if (contract) {
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/serverless/${ep.id}`, body1), []);
  }

  h.sim.clearRequests();
  const second = dataOf<{ endpoint: Detail; notes: string[] }>(
    await h.call("update_endpoint", {
      endpoint_id: ep.id,
      gpu_types: ["RTX 4090", "A40"],
      gpu_count: 2,
      env: { HF_TOKEN },
      image: `${IMAGE}-2`,
      workers_min: 1,
    }),
  );
  const body2 = writes(h)[0]?.body;
  assert.deepEqual(body2, {
    gpu: { pools: ["ADA_24", "AMPERE_48"], count: 2 },
    workers: { min: 1 },
    image: `${IMAGE}-2`,
    // The endpoint was made by create_endpoint: the replacement keeps runpod-mcp's marker.
    env: { HF_TOKEN, RUNPOD_MCP_MANAGED: "1" },
  });
  assert.equal(second.endpoint.env.HF_TOKEN, "[masked]");
  assert.ok(second.endpoint.always_on_cost_per_hour! > 0);
  assert.ok(second.notes.some((n) => /roll out as workers are replaced/.test(n)));
  assert.ok(second.notes.some((n) => /billed even|cost about/.test(n)));
  if (contract) {
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/serverless/${ep.id}`, body2), []);
  }

  // Excluded types alone: RunPod needs pools beside them, so the current pools are restated.
  h.sim.clearRequests();
  const third = dataOf<{ endpoint: Detail; notes: string[] }>(
    await h.call("update_endpoint", { endpoint_id: ep.id, excluded_gpu_types: ["A40"] }),
  );
  const body3 = writes(h)[0]?.body;
  assert.deepEqual(body3, {
    gpu: { pools: ["ADA_24", "AMPERE_48"], excludedTypes: ["NVIDIA A40"] },
  });
  assert.match(third.notes.join(" "), /current pools \(ADA_24, AMPERE_48\) were sent again/);
  assert.deepEqual(third.endpoint.excluded_gpu_types, ["NVIDIA A40"]);
  if (contract) {
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/serverless/${ep.id}`, body3), []);
  }

  // New pools keep the exclusions that still belong to them (A40 is in AMPERE_48).
  h.sim.clearRequests();
  const fourth = dataOf<{ notes: string[] }>(
    await h.call("update_endpoint", { endpoint_id: ep.id, gpu_types: ["AMPERE_48"] }),
  );
  assert.deepEqual(writes(h)[0]?.body, {
    gpu: { pools: ["AMPERE_48"], excludedTypes: ["NVIDIA A40"] },
  });
  assert.match(
    fourth.notes.join(" "),
    /Kept excluded GPU types still in the new pools: NVIDIA A40/,
  );

  // Switching to REQUEST_COUNT scaling.
  h.sim.clearRequests();
  const fifth = dataOf<{ endpoint: Detail }>(
    await h.call("update_endpoint", {
      endpoint_id: ep.id,
      scaling_type: "REQUEST_COUNT",
      scaling_value: 3,
    }),
  );
  assert.deepEqual(writes(h)[0]?.body, { scaling: { type: "REQUEST_COUNT", requestCount: 3 } });
  assert.equal(fifth.endpoint.scaling_type, "REQUEST_COUNT");
  assert.equal(fifth.endpoint.idle_timeout_s, null);
});

Deno.test("update_endpoint refuses what RunPod would reject, without sending a PATCH", async () => {
  await using h = await start();
  const gpu = await create(h, { name: "g", image: IMAGE, gpu_types: ["RTX 4090"], workers_max: 2 });
  const cpu = await create(h, { name: "c", image: IMAGE, cpu_flavor: "cpu5c", vcpu_count: 2 });
  const lb = await create(h, {
    name: "lb",
    type: "LOAD_BALANCER",
    image: IMAGE,
    gpu_types: ["RTX 4090"],
  });
  const rc = await create(h, {
    name: "rc",
    image: IMAGE,
    gpu_types: ["RTX 4090"],
    scaling_type: "REQUEST_COUNT",
  });
  h.sim.clearRequests();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ endpoint_id: gpu.id }, /give at least one setting/],
    [{ endpoint_id: gpu.id, type: "LOAD_BALANCER" }, /type is fixed at creation/],
    [{ endpoint_id: gpu.id, workers_min: 3 }, /workers_min would be 3 but workers_max 2/],
    [{ endpoint_id: gpu.id, workers_min: 5, workers_max: 1 }, /workers_min \(5\) is above/],
    [{ endpoint_id: gpu.id, cpu_flavor: "cpu5c", vcpu_count: 4 }, /it runs on GPUs/],
    [{ endpoint_id: cpu.id, gpu_types: ["RTX 4090"] }, /it runs on CPUs/],
    [{ endpoint_id: cpu.id, vcpu_count: 3 }, /power of 2/],
    [
      { endpoint_id: lb.id, scaling_type: "QUEUE_DELAY", scaling_value: 2 },
      /only on REQUEST_COUNT/,
    ],
    [{ endpoint_id: rc.id, idle_timeout_s: 20 }, /idle_timeout_s does not apply/],
    [{ endpoint_id: gpu.id, scaling_type: "REQUEST_COUNT" }, /give scaling_value with/],
    [{ endpoint_id: gpu.id, excluded_gpu_types: ["A40"] }, /not in the chosen pools \(ADA_24\)/],
  ];
  for (const [args, message] of cases) {
    const result = await h.call("update_endpoint", args);
    assert.equal(result.isError, true, JSON.stringify(args));
    assert.match(textOf(result), message);
  }
  assert.deepEqual(writes(h), []);

  // A CPU endpoint keeps its flavor when only vcpu_count changes.
  dataOf(await h.call("update_endpoint", { endpoint_id: cpu.id, vcpu_count: 8 }));
  assert.deepEqual(writes(h)[0]?.body, { cpu: [{ id: "cpu5c", vcpuCount: 8 }] });

  const missing = await h.call("update_endpoint", { endpoint_id: "nosuch", name: "x" });
  assert.match(textOf(missing), /Not found \(404 on GET \/v2\/serverless\/nosuch/);
});

Deno.test("delete_endpoint deletes for good: get then answers 404", async () => {
  await using h = await start();
  const ep = await create(h, { name: "bye", image: IMAGE, gpu_types: ["RTX 4090"] });
  h.sim.clearRequests();
  const result = await h.call("delete_endpoint", { endpoint_id: ep.id });
  const data = dataOf<{ deleted: boolean; name: string; note: string }>(result);
  assert.deepEqual(routes(h), [`GET /v2/serverless/${ep.id}`, `DELETE /v2/serverless/${ep.id}`]);
  assert.equal(h.sim.requests[1]?.status, 204);
  assert.equal(data.deleted, true);
  assert.equal(data.name, "bye");
  assert.match(textOf(result), /queued and in-progress jobs were cancelled and are lost/);
  assert.equal(h.sim.state.endpoints.size, 0);

  const after = await h.call("get_endpoint", { endpoint_id: ep.id });
  assert.equal(after.isError, true);
  assert.match(textOf(after), /404/);
});

Deno.test("list_endpoint_workers shows compact worker rows, counts in the text", async () => {
  await using h = await start();
  const idle = await create(h, { name: "idle", image: IMAGE, gpu_types: ["RTX 4090"] });
  const none = dataOf<{ workers: unknown[] }>(
    await h.call("list_endpoint_workers", { endpoint_id: idle.id }),
  );
  assert.deepEqual(none.workers, []);

  const warm = await create(h, {
    name: "warm",
    image: IMAGE,
    gpu_types: ["RTX 4090"],
    workers_min: 2,
    data_center_ids: ["US-KS-2"],
  });
  h.sim.advance(90_000);
  h.sim.clearRequests();
  const result = await h.call("list_endpoint_workers", { endpoint_id: warm.id });
  const data = dataOf<{
    workers: Record<string, unknown>[];
    endpoint_version: number | null;
  }>(result);
  assert.deepEqual(routes(h), [`GET /v2/serverless/${warm.id}/workers`]);
  assert.equal(data.workers.length, 2);
  assert.deepEqual(Object.keys(data.workers[0]!).sort(), [
    "data_center",
    "gpu_type",
    "id",
    "is_stale",
    "status",
    "uptime_s",
  ]);
  assert.equal(data.workers[0]?.status, "IDLE");
  assert.equal(data.workers[0]?.gpu_type, "NVIDIA GeForce RTX 4090");
  assert.equal(data.workers[0]?.data_center, "US-KS-2");
  assert.equal(data.workers[0]?.uptime_s, 90);
  assert.equal(data.workers[0]?.is_stale, false);
  assert.equal(data.endpoint_version, 1);
  assert.match(textOf(result), /2 worker\(s\), 0 running, 2 idle/);
});

Deno.test("serverless tools have flat described arguments and deliberate annotations", async () => {
  await using h = await start();
  const { tools } = await h.client.listTools();
  assert.deepEqual(tools.map((t) => t.name), [
    "list_endpoints",
    "get_endpoint",
    "create_endpoint",
    "update_endpoint",
    "delete_endpoint",
    "list_endpoint_workers",
  ]);
  for (const tool of tools) {
    assert.ok(tool.description!.length < 600, `${tool.name} description too long`);
    const input = tool.inputSchema as { properties?: Record<string, { description?: string }> };
    for (const [arg, schema] of Object.entries(input.properties ?? {})) {
      assert.match(String(schema.description), /e\.g\./, `${tool.name}.${arg}`);
    }
    for (const c of ["anyOf", "oneOf", "allOf"]) {
      assert.equal((tool.inputSchema as Record<string, unknown>)[c], undefined);
    }
  }
  const byName = Object.fromEntries(TOOLS.map((t) => [t.name, t]));
  for (const name of ["list_endpoints", "get_endpoint", "list_endpoint_workers"]) {
    assert.equal(byName[name]!.annotations.readOnlyHint, true);
  }
  assert.deepEqual(byName.create_endpoint!.annotations, {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  });
  assert.equal(byName.update_endpoint!.annotations.destructiveHint, false);
  assert.equal(byName.update_endpoint!.annotations.idempotentHint, true);
  assert.equal(byName.delete_endpoint!.annotations.destructiveHint, true);
  for (const tool of TOOLS) assert.equal(tool.toolset, "serverless");
});

Deno.test("create_endpoint from a serverless template sends templateId instead of image", async (t) => {
  await using h = await start();
  const template = await simRequest(h, "POST", "/v2/templates", {
    name: "worker-tpl",
    image: IMAGE,
    serverless: true,
    env: { MODEL: "tpl" },
  });
  assert.equal(template.status, 201);
  h.sim.clearRequests();
  const ep = await create(h, {
    name: "from-template",
    template_id: template.json.id,
    gpu_types: ["ADA_24"],
  });
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, {
    name: "from-template",
    type: "QUEUE",
    templateId: template.json.id,
    gpu: { pools: ["ADA_24"], count: 1 },
    workers: { min: 0, max: 3 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
    timeout: 600_000,
    env: { RUNPOD_MCP_MANAGED: "1" },
  });
  assert.equal(ep.env.MODEL, "tpl");
  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", body), []);

  const missing = await h.call("create_endpoint", {
    name: "x",
    template_id: "nosuchtemplate",
    gpu_types: ["ADA_24"],
  });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /404 on POST \/v2\/serverless/);
});

Deno.test("update_endpoint with new gpu_types keeps the exclusions still in the new pools and says what it dropped", async (t) => {
  await using h = await start();
  const contract = await requireContract(t);
  const ep = await create(h, {
    name: "pinned",
    image: IMAGE,
    gpu_types: ["AMPERE_48", "AMPERE_24"],
    excluded_gpu_types: ["A40", "L4"],
  });
  assert.deepEqual(ep.excluded_gpu_types, ["NVIDIA A40", "NVIDIA L4"]);

  // AMPERE_24 goes away: L4 (AMPERE_24) is dropped, A40 (AMPERE_48) kept.
  h.sim.clearRequests();
  const moved = await h.call("update_endpoint", {
    endpoint_id: ep.id,
    gpu_types: ["AMPERE_48", "ADA_48_PRO"],
  });
  const data = dataOf<{ endpoint: Detail; notes: string[] }>(moved);
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, {
    gpu: { pools: ["AMPERE_48", "ADA_48_PRO"], excludedTypes: ["NVIDIA A40"] },
  });
  if (contract) {
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/serverless/${ep.id}`, body), []);
  }
  assert.match(textOf(moved), /Kept excluded GPU types still in the new pools: NVIDIA A40/);
  assert.match(textOf(moved), /Dropped excluded GPU types outside the new pools: NVIDIA L4/);
  assert.deepEqual(data.endpoint.excluded_gpu_types, ["NVIDIA A40"]);

  // Explicit exclusions win: exactly those are sent, nothing carried over.
  h.sim.clearRequests();
  const explicit = dataOf<{ endpoint: Detail; notes: string[] }>(
    await h.call("update_endpoint", {
      endpoint_id: ep.id,
      gpu_types: ["AMPERE_48"],
      excluded_gpu_types: [],
    }),
  );
  assert.deepEqual(writes(h)[0]?.body, { gpu: { pools: ["AMPERE_48"], excludedTypes: [] } });
  assert.deepEqual(explicit.endpoint.excluded_gpu_types, []);
  assert.doesNotMatch(explicit.notes.join(" "), /Kept excluded/);
});

Deno.test("update_endpoint sends no exclusions with new pools when none of them fits", async () => {
  await using h = await start();
  const ep = await create(h, {
    name: "l4-out",
    image: IMAGE,
    gpu_types: ["AMPERE_24"],
    excluded_gpu_types: ["L4"],
  });
  h.sim.clearRequests();
  const result = dataOf<{ endpoint: Detail; notes: string[] }>(
    await h.call("update_endpoint", { endpoint_id: ep.id, gpu_types: ["AMPERE_48"] }),
  );
  // RunPod clears exclusions that are not restated with the pools.
  assert.deepEqual(writes(h)[0]?.body, { gpu: { pools: ["AMPERE_48"] } });
  assert.match(
    result.notes.join(" "),
    /Dropped excluded GPU types outside the new pools: NVIDIA L4/,
  );
  assert.deepEqual(result.endpoint.excluded_gpu_types, []);
});
