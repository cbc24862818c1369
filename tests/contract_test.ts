/**
 * Contract tests: every request body our client sends and every response the simulator returns,
 * for the operations the server uses, checked against RunPod's own OpenAPI document.
 */
import assert from "node:assert/strict";
import {
  createCluster,
  deleteCluster,
  getCluster,
  getGpuType,
  getPod,
  listClusterBilling,
  listClusterPods,
  listClusters,
  listCpuTypes,
  listDataCenters,
  listGpuTypes,
  listPods,
  PodSchema,
  RunpodClient,
  updateCluster,
} from "../src/runpod/mod.ts";
import {
  createDelegation,
  getSshKeys,
  listDelegations,
  putSshKeys,
  revokeDelegation,
} from "../src/runpod/mod.ts";
import {
  EndpointSchema,
  listEndpointReleases,
  readWorkerLogs,
  runJob,
  updateEndpoint,
} from "../src/runpod/mod.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { type ContractIssue, requireContract } from "./_openapi.ts";
import { TEST_KEY } from "./_harness.ts";

interface Exchange {
  method: string;
  path: string;
  requestBody: unknown;
  status: number;
  contentType: string;
  responseBody: unknown;
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A client whose fetch records every exchange, so the test sees exactly what went over HTTP. */
async function recordingClient() {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY });
  const { url, close } = await sim.listen();
  const exchanges: Exchange[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const requestText = request.body ? await request.clone().text() : "";
    const response = await fetch(request);
    const contentType = response.headers.get("content-type") ?? "";
    const responseText = contentType.includes("event-stream") ? "" : await response.clone().text();
    const target = new URL(request.url);
    exchanges.push({
      method: request.method,
      path: target.pathname,
      requestBody: parse(requestText),
      status: response.status,
      contentType,
      responseBody: parse(responseText),
    });
    return response;
  };
  const client = new RunpodClient({
    apiKey: TEST_KEY,
    restBaseUrl: url,
    serverlessBaseUrl: `${url}/v2`,
    graphqlUrl: `${url}/graphql`,
    fetch: recordingFetch,
    maxAttempts: 1,
  });
  return { sim, client, exchanges, close };
}

function check(
  exchanges: Exchange[],
  contract: NonNullable<Awaited<ReturnType<typeof requireContract>>>,
  { requests = true } = {},
) {
  const issues: ContractIssue[] = [];
  for (const x of exchanges) {
    if (!x.path.startsWith("/v2/") || x.path === "/graphql") continue;
    if (requests && x.requestBody !== undefined) {
      issues.push(...contract.checkRequest(x.method, x.path, x.requestBody));
    }
    const mediaType = x.contentType.split(";")[0]?.trim() || undefined;
    issues.push(...contract.checkResponse(x.method, x.path, x.status, x.responseBody, mediaType));
  }
  return issues;
}

Deno.test("catalog and pod responses from the simulator match RunPod's OpenAPI document", async (t) => {
  const contract = await requireContract(t);
  if (!contract) return;
  const { sim, client, exchanges, close } = await recordingClient();
  try {
    const gpus = await listGpuTypes(client);
    await listGpuTypes(client, {
      include: "AVAILABILITY",
      product: "POD",
      count: 2,
      cloud: "SECURE",
    });
    await listGpuTypes(client, { include: "AVAILABILITY", product: "SERVERLESS" });
    await getGpuType(client, gpus[0]!.id);
    await listCpuTypes(client);
    await listDataCenters(client);
    await listDataCenters(client, { include: ["GPU_AVAILABILITY"] });

    const pod = await client.rest({
      method: "POST",
      path: "/v2/pods",
      body: {
        name: "contract-pod",
        image: "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
        gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
        ports: ["8888/http", "22/tcp"],
        env: { MODEL: "x" },
        disk: 20,
        mounts: { persistent: { size: 20, path: "/workspace" } },
      },
      schema: PodSchema,
    });
    await listPods(client);
    await getPod(client, pod.id);
    sim.advance(10 * 60_000);
    await getPod(client, pod.id);
    await listPods(client);

    const operations = new Set(
      exchanges.map((x) => contract.findOperation(x.method, x.path)?.operationId),
    );
    for (
      const id of [
        "listGpuTypes",
        "getGpuType",
        "listCpuTypes",
        "listDataCenters",
        "createPod",
        "listPods",
        "getPod",
      ]
    ) {
      assert.ok(operations.has(id), `not exercised: ${id}`);
    }
    assert.deepEqual(check(exchanges, contract), []);
  } finally {
    await close();
  }
});

Deno.test("the simulator's error responses match RunPod's OpenAPI document", async (t) => {
  const contract = await requireContract(t);
  if (!contract) return;
  const { client, exchanges, close } = await recordingClient();
  try {
    await assert.rejects(getPod(client, "missing0000000"));
    await assert.rejects(client.rest({
      method: "POST",
      path: "/v2/pods",
      body: { name: "x", image: "img", gpu: { id: "NVIDIA GeForce RTX 4090" } },
      schema: PodSchema,
    }));
    await assert.rejects(client.rest({
      method: "POST",
      path: "/v2/pods",
      body: {
        name: "x",
        image: "img",
        gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
        dataCenterId: "US-KS-2",
      },
      schema: PodSchema,
    }));
    await assert.rejects(listGpuTypes(client, { count: 2 }));
    assert.deepEqual(exchanges.map((x) => x.status), [404, 400, 422, 400]);
    assert.ok(exchanges.every((x) => x.contentType.startsWith("application/problem+json")));
    // The bodies above are wrong on purpose; only RunPod's answers are checked here.
    assert.deepEqual(check(exchanges, contract, { requests: false }), []);
  } finally {
    await close();
  }
});

Deno.test("cluster requests and the simulator's cluster responses match RunPod's OpenAPI document", async (t) => {
  const contract = await requireContract(t);
  if (!contract) return;
  const { sim, client, exchanges, close } = await recordingClient();
  try {
    const created = await createCluster(client, {
      name: "contract-cluster",
      type: "SLURM",
      image: "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
      compute: { gpuTypeId: "NVIDIA H100 80GB HBM3", gpuCountPerPod: 8, podCount: 2 },
      ports: ["22/tcp"],
      env: { NCCL_DEBUG: "INFO" },
      disk: 50,
      mounts: { persistent: { size: 100, path: "/workspace" } },
      dataCenterIds: ["US-KS-2"],
      startSsh: true,
    });
    await listClusters(client);
    await listClusterPods(client, created.id);
    sim.advance(2 * 3_600_000);
    await getCluster(client, created.id);
    await listPods(client, undefined, { includeClusterPods: true });
    await listClusterBilling(client, { bucketSize: "hour", clusterId: created.id });
    await updateCluster(client, created.id, { name: "renamed" });
    await deleteCluster(client, created.id);
    await assert.rejects(getCluster(client, created.id));
    await assert.rejects(client.rest({
      method: "POST",
      path: "/v2/clusters",
      body: { name: "x", type: "TRAINING", compute: { gpuTypeId: "x", podCount: 1 } },
      schema: PodSchema,
    }));

    const operations = new Set(
      exchanges.map((x) => contract.findOperation(x.method, x.path)?.operationId),
    );
    for (
      const id of [
        "createCluster",
        "listClusters",
        "getCluster",
        "listClusterPods",
        "updateCluster",
        "deleteCluster",
        "listClusterBilling",
      ]
    ) {
      assert.ok(operations.has(id), `not exercised: ${id}`);
    }
    const billing = exchanges.find((x) => x.path === "/v2/billing/clusters");
    assert.ok((billing?.responseBody as { records: unknown[] }).records.length > 0);
    assert.deepEqual(exchanges.slice(-2).map((x) => x.status), [404, 422]);
    // The last body is wrong on purpose; every other request and every answer is checked.
    assert.deepEqual(check(exchanges.slice(0, -1), contract), []);
    assert.deepEqual(check(exchanges.slice(-1), contract, { requests: false }), []);
  } finally {
    await close();
  }
});

Deno.test("SSH key and ECR delegation requests and answers match RunPod's OpenAPI document", async (t) => {
  const contract = await requireContract(t);
  if (!contract) return;
  const { client, exchanges, close } = await recordingClient();
  const key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILXGDN/SclOozk1xsDztpmhGiKkkrfQB9SKoO8dSIQQZ me@example.com";
  try {
    assert.deepEqual(await getSshKeys(client), []);
    assert.deepEqual(await putSshKeys(client, [key]), [key]);
    assert.deepEqual(await getSshKeys(client), [key]);
    const created = await createDelegation(client, {
      resource: "arn:aws:ecr:us-east-2:418399314813:repository/runpod/deployment",
      name: "contract",
    });
    assert.equal(created.repository, "runpod/deployment");
    assert.equal(created.awsRegion, "us-east-2");
    assert.deepEqual((await listDelegations(client)).map((d) => d.id), [created.id]);
    await revokeDelegation(client, created.id);
    assert.deepEqual(await listDelegations(client), []);
    await assert.rejects(revokeDelegation(client, created.id));

    const operations = exchanges.map((x) => contract.findOperation(x.method, x.path)?.operationId);
    assert.deepEqual(operations, [
      "getSshKeys",
      "updateSshKeys",
      "getSshKeys",
      "createDelegation",
      "listDelegations",
      "revokeDelegation",
      "listDelegations",
      "revokeDelegation",
    ]);
    assert.deepEqual(exchanges.map((x) => x.status), [200, 200, 200, 201, 200, 204, 200, 404]);
    assert.deepEqual(check(exchanges, contract), []);
  } finally {
    await close();
  }
});

Deno.test("endpoint releases and worker logs from the simulator match RunPod's OpenAPI document", async (t) => {
  const contract = await requireContract(t);
  if (!contract) return;
  const { sim, client, exchanges, close } = await recordingClient();
  try {
    const ep = await client.rest({
      method: "POST",
      path: "/v2/serverless",
      body: {
        name: "contract-ep",
        type: "QUEUE",
        image: "runpod/worker-v1-vllm:v2.7.0",
        gpu: { pools: ["ADA_24"], count: 1 },
        workers: { min: 0, max: 2 },
        scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
      },
      schema: EndpointSchema,
    });
    await updateEndpoint(client, ep.id, { workers: { max: 3 } });
    const job = await runJob(client, ep.id, { input: { duration_ms: 500 } });
    sim.advance(5_000);
    const releases = await listEndpointReleases(client, ep.id);
    assert.deepEqual(releases.releases.map((r) => r.version), [2, 1]);
    const worker = sim.state.jobs.get(job.id)?.workerId;
    assert.ok(worker);
    const read = await readWorkerLogs(client, ep.id, worker, { tail: 10 });
    assert.equal(read.lines.length, 3);
    await assert.rejects(readWorkerLogs(client, ep.id, "noworker000"));

    const rest = exchanges.filter((x) => x.path.startsWith("/v2/serverless"));
    const operations = rest.map((x) => contract.findOperation(x.method, x.path)?.operationId);
    assert.deepEqual(operations, [
      "createEndpoint",
      "updateEndpoint",
      "listEndpointReleases",
      "getWorkerLogs",
      "getWorkerLogs",
    ]);
    assert.deepEqual(rest.map((x) => x.status), [201, 200, 200, 200, 404]);
    assert.equal(rest[3]?.contentType, "text/event-stream");
    assert.deepEqual(check(rest, contract), []);
  } finally {
    await close();
  }
});
