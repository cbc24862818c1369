/**
 * The simulator's Instant Clusters: the `/v2/clusters*` routes, member pods booting and billing
 * like pods, the pod routes' view of members, and `/v2/billing/clusters`.
 */
import assert from "node:assert/strict";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { TEST_KEY } from "./_harness.ts";
import { H100, IMAGE } from "./_write_tools.ts";

const H100_SECURE_PRICE = 2.69;

// Tests read whatever JSON the simulator answers; typing every shape here would add nothing.
// deno-lint-ignore no-explicit-any
type Json = any;

async function call(
  sim: RunpodSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const response = await sim.handle(
    new Request(`http://sim${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

function clusterBody(extra: Record<string, unknown> = {}) {
  return {
    name: "train",
    type: "TRAINING",
    image: IMAGE,
    compute: { gpuTypeId: H100, gpuCountPerPod: 8, podCount: 3 },
    ports: ["22/tcp"],
    ...extra,
  };
}

function newSim() {
  return new RunpodSimulator({ apiKey: TEST_KEY, seed: 7 });
}

Deno.test("POST /v2/clusters makes podCount member pods with rank, role and overlay ip", async () => {
  const sim = newSim();
  const { status, json: cluster } = await call(
    sim,
    "POST",
    "/v2/clusters",
    clusterBody({ type: "SLURM" }),
  );
  assert.equal(status, 201);
  assert.equal(cluster.name, "train");
  assert.deepEqual(cluster.compute, { gpuTypeId: H100, gpuCountPerPod: 8, podCount: 3 });
  assert.deepEqual(cluster.pods, { total: 3, byStatus: { PROVISIONING: 3 } });
  assert.equal(cluster.network.cidr, "10.65.0.0/16");
  const members = (await call(sim, "GET", `/v2/clusters/${cluster.id}/pods`)).json.pods;
  assert.deepEqual(
    members.map((p: { cluster: unknown }) => p.cluster),
    [
      { id: cluster.id, rank: 0, role: "SLURM_CONTROLLER", ip: "10.65.0.2" },
      { id: cluster.id, rank: 1, role: "SLURM_COMPUTE", ip: "10.65.0.3" },
      { id: cluster.id, rank: 2, role: "SLURM_COMPUTE", ip: "10.65.0.4" },
    ],
  );
  assert.ok(
    members.every((p: { gpu: unknown }) =>
      JSON.stringify(p.gpu) === JSON.stringify({ id: H100, count: 8 })
    ),
  );
  assert.equal(cluster.primary.podId, members[0].id);
  assert.equal(members[1].env.NODE_RANK, "1");
  assert.ok(
    members.every((p: { dataCenterId: string }) => p.dataCenterId === cluster.dataCenterId),
  );
});

Deno.test("TRAINING members have no role; GET /v2/pods hides them unless includeClusterPods=true", async () => {
  const sim = newSim();
  await call(sim, "POST", "/v2/pods", {
    name: "solo",
    image: IMAGE,
    gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
  });
  const { json: cluster } = await call(sim, "POST", "/v2/clusters", clusterBody());
  const plain = (await call(sim, "GET", "/v2/pods")).json.pods;
  assert.deepEqual(plain.map((p: { name: string }) => p.name), ["solo"]);
  const all = (await call(sim, "GET", "/v2/pods?includeClusterPods=true")).json.pods;
  assert.equal(all.length, 4);
  const member = all.find((p: { cluster?: unknown }) => p.cluster);
  assert.deepEqual(Object.keys(member.cluster).sort(), ["id", "ip", "rank"]);
  assert.equal(member.cluster.id, cluster.id);
});

Deno.test("member pods boot like pods and the primary gets an ssh endpoint once RUNNING", async () => {
  const sim = newSim();
  const { json: cluster } = await call(sim, "POST", "/v2/clusters", clusterBody());
  assert.equal(cluster.primary.sshEndpoint, undefined);
  sim.advance(25_000);
  let now = (await call(sim, "GET", `/v2/clusters/${cluster.id}`)).json;
  assert.deepEqual(now.pods.byStatus, { STARTING: 3 });
  sim.advance(30_000);
  now = (await call(sim, "GET", `/v2/clusters/${cluster.id}`)).json;
  assert.deepEqual(now.pods.byStatus, { RUNNING: 3 });
  assert.equal(now.primary.status, "RUNNING");
  assert.match(now.primary.sshEndpoint, /^\d+\.\d+\.\d+\.\d+:\d+$/);
});

Deno.test("a member pod refuses PATCH with 409; the cluster PATCH only renames", async () => {
  const sim = newSim();
  const { json: cluster } = await call(sim, "POST", "/v2/clusters", clusterBody());
  const podId = cluster.primary.podId;
  const patchPod = await call(sim, "PATCH", `/v2/pods/${podId}`, { name: "x" });
  assert.equal(patchPod.status, 409);
  const renamed = await call(sim, "PATCH", `/v2/clusters/${cluster.id}`, { name: "renamed" });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.json.name, "renamed");
  assert.equal((await call(sim, "GET", `/v2/clusters/${cluster.id}`)).json.name, "renamed");
  const empty = await call(sim, "PATCH", `/v2/clusters/${cluster.id}`, {});
  assert.equal(empty.status, 422);
  const reshape = await call(sim, "PATCH", `/v2/clusters/${cluster.id}`, {
    compute: { podCount: 9 },
  });
  assert.equal(reshape.status, 422);
  assert.match(reshape.json.errors[0], /additional properties 'compute'/);
  assert.equal((await call(sim, "PATCH", "/v2/clusters/nope", { name: "x" })).status, 404);
});

Deno.test("DELETE /v2/clusters/{id} terminates every member pod; a second DELETE is 404", async () => {
  const sim = newSim();
  const { json: cluster } = await call(sim, "POST", "/v2/clusters", clusterBody());
  const { json: other } = await call(sim, "POST", "/v2/clusters", clusterBody({ name: "keep" }));
  assert.equal(sim.state.pods.size, 6);
  assert.equal((await call(sim, "DELETE", `/v2/clusters/${cluster.id}`)).status, 204);
  assert.equal(sim.state.pods.size, 3);
  assert.ok([...sim.state.pods.values()].every((p) => p.cluster?.id === other.id));
  assert.equal((await call(sim, "GET", `/v2/clusters/${cluster.id}`)).status, 404);
  assert.equal((await call(sim, "GET", `/v2/clusters/${cluster.id}/pods`)).status, 404);
  assert.equal((await call(sim, "DELETE", `/v2/clusters/${cluster.id}`)).status, 404);
  const list = (await call(sim, "GET", "/v2/clusters")).json.clusters;
  assert.deepEqual(list.map((c: { id: string }) => c.id), [other.id]);
});

Deno.test("cluster spend is billed per pod-GPU to the cluster, not to pods", async () => {
  const sim = newSim();
  const { json: cluster } = await call(sim, "POST", "/v2/clusters", clusterBody());
  sim.advance(50_000); // boot: 20 s provisioning + 30 s starting, not billed
  sim.advance(3_600_000);
  const { json: billing } = await call(
    sim,
    "GET",
    `/v2/billing/clusters?bucketSize=day&clusterId=${cluster.id}`,
  );
  const expected = Math.round(3 * 8 * H100_SECURE_PRICE * 1e6) / 1e6;
  assert.equal(billing.metadata.totals.gpuAmount, expected);
  assert.equal(billing.metadata.totals.totalAmount, expected);
  assert.equal(billing.metadata.uniqueClusterCount, 1);
  assert.equal(billing.metadata.query.clusterId, cluster.id);
  assert.ok(billing.records.every((r: { clusterId: string }) => r.clusterId === cluster.id));
  const pods = (await call(sim, "GET", "/v2/billing/pods?bucketSize=day")).json;
  assert.equal(pods.metadata.totals.totalAmount, 0);
  const all = (await call(sim, "GET", "/v2/billing?bucketSize=day")).json;
  assert.equal(all.metadata.totals.clusterGpuAmount, expected);
  assert.equal(all.metadata.totals.podGpuAmount, 0);
  const none = (await call(sim, "GET", "/v2/billing/clusters?clusterId=other")).json;
  assert.deepEqual(none.records, []);
});

Deno.test("cluster creates RunPod refuses: bad schema 422, unknown GPU 404, too many GPUs or a non-cluster GPU 400", async () => {
  const sim = newSim();
  const cases: [unknown, number, RegExp][] = [
    [clusterBody({ registry: "r" }), 422, /additional properties 'registry'/],
    [clusterBody({ compute: { gpuTypeId: H100, gpuCountPerPod: 8, podCount: 1 } }), 422, /minimum/],
    [
      clusterBody({ compute: { gpuTypeId: "NVIDIA Nope", gpuCountPerPod: 1, podCount: 2 } }),
      404,
      /not found/,
    ],
    [
      clusterBody({ compute: { gpuTypeId: H100, gpuCountPerPod: 9, podCount: 2 } }),
      400,
      /maximum of 8/,
    ],
    [
      clusterBody({
        compute: { gpuTypeId: "NVIDIA GeForce RTX 4090", gpuCountPerPod: 1, podCount: 2 },
      }),
      400,
      /no longer any instances/,
    ],
    [clusterBody({ image: undefined }), 400, /image is required/],
    [clusterBody({ dataCenterIds: ["XX-XX-9"] }), 400, /unknown data center/],
  ];
  for (const [body, status, detail] of cases) {
    const res = await call(sim, "POST", "/v2/clusters", body);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.match(JSON.stringify(res.json), detail);
  }
  assert.equal(sim.state.clusters.size, 0);
  assert.equal(sim.state.pods.size, 0);
});
