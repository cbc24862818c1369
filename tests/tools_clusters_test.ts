/**
 * The Instant Cluster tools through a real MCP client: what RunPod (the simulator) received and
 * what the model got back, the guard's pricing and caps for a cluster create, cluster billing,
 * and cluster pods in the account's burn.
 */
import assert from "node:assert/strict";
import type { CallToolResult } from "../src/deps.ts";
import type { PolicyOptions } from "../src/policy/guard.ts";
import { dataOf, errorText, type Harness, startHarness, textOf, writes } from "./_harness.ts";
import { H100, IMAGE, seedCluster } from "./_write_tools.ts";

const H100_SECURE_PRICE = 2.69;
/** 2 pods × 8 GPUs × $2.69. */
const CLUSTER_HOURLY = 43.04;

const ARGS = {
  name: "pretrain",
  gpu_type: "H100 SXM",
  gpu_count_per_pod: 8,
  pod_count: 2,
  image: IMAGE,
};

function policy(extra: Partial<PolicyOptions>): { server: { policy: PolicyOptions } } {
  return { server: { policy: { readOnly: false, confirm: "never", ...extra } } };
}

// deno-lint-ignore no-explicit-any
type Data = any;

Deno.test("create_cluster sends RunPod's nested body once and returns the cluster and its price", async () => {
  await using h = await startHarness();
  const result = await h.call("create_cluster", {
    ...ARGS,
    type: "RAY",
    data_center_ids: ["US-KS-2"],
    volume_gb: 100,
    ports: ["22/tcp"],
    env: { NCCL_DEBUG: "INFO" },
  });
  const data = dataOf<Data>(result);
  const posts = writes(h);
  assert.equal(posts.length, 1);
  assert.equal(posts[0]!.path, "/v2/clusters");
  assert.deepEqual(posts[0]!.body, {
    name: "pretrain",
    type: "RAY",
    compute: { gpuTypeId: H100, gpuCountPerPod: 8, podCount: 2 },
    image: IMAGE,
    startSsh: true,
    dataCenterIds: ["US-KS-2"],
    mounts: { persistent: { size: 100, path: "/workspace" } },
    ports: ["22/tcp"],
    env: { NCCL_DEBUG: "INFO", RUNPOD_MCP_MANAGED: "1" },
  });
  assert.equal(data.estimated_cost_per_hour, CLUSTER_HOURLY);
  assert.equal(data.cluster_id, [...h.sim.state.clusters.keys()][0]);
  assert.equal(data.name, "pretrain");
  assert.equal(data.data_center_id, "US-KS-2");
  assert.match(textOf(result), /Created cluster \w+ "pretrain" \(2 pods × 8× .*\$43\.04\/h/);
  assert.equal(h.sim.state.clusters.size, 1);
});

Deno.test("create_cluster refuses a GPU count above the type's maximum before sending anything", async () => {
  await using h = await startHarness();
  const text = errorText(await h.call("create_cluster", { ...ARGS, gpu_count_per_pod: 9 }));
  assert.match(text, /at most 8 GPUs per pod/);
  assert.deepEqual(writes(h), []);
});

Deno.test("get_cluster shows member pods with rank and private ip; list_pods leaves them out", async () => {
  await using h = await startHarness();
  const id = await seedCluster(h, "nodes");
  h.sim.advance(10 * 60_000);
  const result = await h.call("get_cluster", { cluster_id: id });
  const data = dataOf<Data>(result);
  assert.deepEqual(data.pods.map((p: Data) => [p.rank, p.ip, p.status]), [
    [0, "10.65.0.2", "RUNNING"],
    [1, "10.65.0.3", "RUNNING"],
  ]);
  assert.equal(data.total_cost_per_hour, 2 * 8 * H100_SECURE_PRICE);
  assert.equal(data.id, id);
  assert.deepEqual(data.pods_by_status, { RUNNING: 2 });
  assert.match(textOf(result), new RegExp(`Primary node ${data.pods[0].id}`));
  const paths = h.sim.requests.map((r) => r.path);
  assert.ok(paths.includes(`/v2/clusters/${id}`) && paths.includes(`/v2/clusters/${id}/pods`));

  const listed = dataOf<Data>(await h.call("list_clusters"));
  assert.deepEqual(listed.clusters.map((c: Data) => [c.id, c.name, c.pods_by_status]), [
    [id, "nodes", { RUNNING: 2 }],
  ]);
  const pods = dataOf<Data>(await h.call("list_pods"));
  assert.equal(pods.count, 0);
});

Deno.test("get_cluster on an unknown id says where to look", async () => {
  await using h = await startHarness();
  const text = errorText(await h.call("get_cluster", { cluster_id: "nope123" }));
  assert.match(text, /404/);
  assert.match(text, /list_clusters/);
});

Deno.test("update_cluster renames with a PATCH carrying only the name", async () => {
  await using h = await startHarness();
  const id = await seedCluster(h);
  h.sim.clearRequests();
  const data = dataOf<Data>(await h.call("update_cluster", { cluster_id: id, name: "renamed" }));
  assert.deepEqual(writes(h).map((r) => [r.method, r.path, r.body]), [
    ["PATCH", `/v2/clusters/${id}`, { name: "renamed" }],
  ]);
  assert.deepEqual(data, { cluster_id: id, name: "renamed" });
  assert.equal(h.sim.state.clusters.get(id)?.name, "renamed");
});

Deno.test("delete_cluster deletes the cluster and RunPod terminates its pods", async () => {
  await using h = await startHarness();
  const id = await seedCluster(h);
  h.sim.clearRequests();
  const data = dataOf<Data>(await h.call("delete_cluster", { cluster_id: id }));
  assert.deepEqual(writes(h).map((r) => `${r.method} ${r.path}`), [`DELETE /v2/clusters/${id}`]);
  assert.deepEqual(data, { cluster_id: id, name: "cl", pods_terminated: 2 });
  assert.equal(h.sim.state.clusters.size, 0);
  assert.equal(h.sim.state.pods.size, 0);
});

async function refused(h: Harness, args: Record<string, unknown>): Promise<string> {
  const result: CallToolResult = await h.call("create_cluster", args);
  const text = errorText(result);
  assert.deepEqual(writes(h), [], `a refused create sent a write: ${text}`);
  return text;
}

Deno.test("every cap refuses a cluster create priced as pods × GPUs × the GPU's price, with no write", async () => {
  {
    // $43.04/h for the whole cluster: one pod ($21.52) would fit under $40, the cluster does not.
    await using h = await startHarness(policy({ maxHourlyCost: 40 }));
    assert.match(
      await refused(h, ARGS),
      /about \$43\.04\/h, above the per-resource cap of \$40\.00/,
    );
  }
  {
    await using h = await startHarness(policy({ maxHourlyCost: 44 }));
    dataOf(await h.call("create_cluster", ARGS));
    assert.equal(writes(h).length, 1);
  }
  {
    // The cap is per pod, as for create_pod: 8 GPUs on each pod is above 4.
    await using h = await startHarness(policy({ maxGpuCount: 4 }));
    assert.match(await refused(h, ARGS), /asks for 8 GPUs, above the cap of 4/);
  }
  {
    await using h = await startHarness(policy({ allowedGpuTypes: ["RTX 4090"] }));
    assert.match(
      await refused(h, ARGS),
      /NVIDIA H100 80GB HBM3, which is not in the allowed GPU types/,
    );
  }
  {
    await using h = await startHarness(policy({ allowedDataCenters: ["EU-RO-1"] }));
    assert.match(await refused(h, ARGS), /may only be placed in EU-RO-1/);
    assert.match(
      await refused(h, { ...ARGS, data_center_ids: ["US-KS-2"] }),
      /US-KS-2 is not among the allowed data centers/,
    );
  }
  {
    await using h = await startHarness(policy({ maxTotalHourlyCost: 43 }));
    assert.match(await refused(h, ARGS), /adds about \$43\.04\/h, above the total cap of \$43\.00/);
  }
});

Deno.test("the total cap counts running cluster pods, which GET /v2/pods leaves out by default", async () => {
  await using h = await startHarness(policy({ maxTotalHourlyCost: 10 }));
  await seedCluster(h);
  h.sim.clearRequests();
  // A $0.69/h RTX 4090 pod fits under $10/h on its own, not next to a $43.04/h cluster. The
  // cluster is still PROVISIONING, so RunPod's own spend figure (RUNNING pods) shows nothing.
  const text = errorText(
    await h.call("create_pod", { name: "p", image: IMAGE, gpu_type: "RTX 4090" }),
  );
  assert.match(text, /already burns \$43\.04\/h/);
  assert.deepEqual(writes(h), []);
  const listing = h.sim.requests.find((r) => r.method === "GET" && r.path === "/v2/pods");
  assert.equal(listing?.query.includeClusterPods, "true");
});

Deno.test("with confirmation on, create_cluster asks with its price first and a token sends exactly one POST", async () => {
  await using h = await startHarness(policy({ confirm: "billable-and-destructive" }));
  const first = await h.call("create_cluster", ARGS);
  assert.notEqual(first.isError, true, textOf(first));
  const guard = (first.structuredContent as Data).guard;
  assert.equal(guard.status, "confirmation_required");
  assert.equal(guard.usd_per_hour, CLUSTER_HOURLY);
  assert.match(textOf(first), /create Instant Cluster "pretrain" with 2 pods × 8× NVIDIA H100/);
  assert.deepEqual(writes(h), []);

  const second = await h.call("create_cluster", { ...ARGS, confirmation_token: guard.token });
  assert.notEqual(second.isError, true, textOf(second));
  assert.deepEqual(writes(h).map((r) => `${r.method} ${r.path}`), ["POST /v2/clusters"]);
  assert.equal(h.sim.state.clusters.size, 1);
  // update_cluster is a rename: no spend, so it is not asked about.
  const id = [...h.sim.state.clusters.keys()][0]!;
  dataOf(await h.call("update_cluster", { cluster_id: id, name: "n2" }));
  assert.equal(writes(h).length, 2);
});

Deno.test("get_billing_history product clusters reads /v2/billing/clusters, filtered by cluster id", async () => {
  await using h = await startHarness();
  const id = await seedCluster(h);
  h.sim.advance(50_000 + 3_600_000);
  h.sim.clearRequests();
  const data = dataOf<Data>(
    await h.call("get_billing_history", {
      product: "clusters",
      resource_id: id,
      bucket_size: "day",
    }),
  );
  const request = h.sim.requests.find((r) => r.path === "/v2/billing/clusters");
  assert.equal(request?.query.clusterId, id);
  const expected = Math.round(2 * 8 * H100_SECURE_PRICE * 10000) / 10000;
  assert.equal(data.totals.total_usd, expected);
  assert.equal(data.totals.gpu_usd, expected);
  assert.ok(data.rows.every((r: Data) => r.resource_id === id));
  const all = dataOf<Data>(await h.call("get_billing_history", { bucket_size: "day" }));
  assert.equal(all.totals.clusters_usd, expected);
  assert.equal(all.totals.pods_usd, 0);
});
