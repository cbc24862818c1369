/**
 * Contract tests: every request body our client sends and every response the simulator returns,
 * for the operations the server uses, checked against RunPod's own OpenAPI document.
 */
import assert from "node:assert/strict";
import { PodSchema, RunpodClient } from "../src/runpod/mod.ts";
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
    const gpus = await client.listGpuTypes();
    await client.listGpuTypes({
      include: "AVAILABILITY",
      product: "POD",
      count: 2,
      cloud: "SECURE",
    });
    await client.listGpuTypes({ include: "AVAILABILITY", product: "SERVERLESS" });
    await client.getGpuType(gpus[0]!.id);
    await client.listCpuTypes();
    await client.listDataCenters();
    await client.listDataCenters({ include: ["GPU_AVAILABILITY"] });

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
    await client.listPods();
    await client.getPod(pod.id);
    sim.advance(10 * 60_000);
    await client.getPod(pod.id);
    await client.listPods();

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
    await assert.rejects(client.getPod("missing0000000"));
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
    await assert.rejects(client.listGpuTypes({ count: 2 }));
    assert.deepEqual(exchanges.map((x) => x.status), [404, 400, 422, 400]);
    assert.ok(exchanges.every((x) => x.contentType.startsWith("application/problem+json")));
    // The bodies above are wrong on purpose; only RunPod's answers are checked here.
    assert.deepEqual(check(exchanges, contract, { requests: false }), []);
  } finally {
    await close();
  }
});
