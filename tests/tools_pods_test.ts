import assert from "node:assert/strict";
import { dataOf, seedPod, startHarness, TEST_KEY, textOf } from "./_harness.ts";

interface PodRow {
  id: string;
  name: string;
  status: string;
  gpu_type: string | null;
  gpu_count: number | null;
  cost_per_hour: number;
  ports: Record<string, string | null>;
  ssh: string | null;
}

const TRAINER = {
  name: "llama-trainer",
  image: "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
  gpu: { id: "NVIDIA GeForce RTX 4090", count: 2 },
  ports: ["8888/http", "22/tcp"],
  env: {
    MODEL: "llama-3-8b",
    HF_TOKEN: "hf_abcdefghijklmnopqrstuvwx",
    WANDB_API_KEY: "0123456789",
  },
  disk: 50,
};

Deno.test("list_pods shows running pods with cost, ports and ssh; get_pod adds uptime", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, TRAINER);
  await seedPod(h, {
    ...TRAINER,
    name: "notebook",
    gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
  });
  h.sim.advance(10 * 60_000);
  h.sim.clearRequests();

  const result = await h.call("list_pods");
  const data = dataOf<{ pods: PodRow[]; count: number; total_cost_per_hour: number }>(result);
  assert.deepEqual(h.sim.requests.map((r) => `${r.method} ${r.path}`), ["GET /v2/pods"]);
  assert.equal(data.count, 2);
  const row = data.pods.find((p) => p.id === pod.id);
  assert.ok(row);
  assert.equal(row.status, "RUNNING");
  assert.equal(row.gpu_type, "NVIDIA GeForce RTX 4090");
  assert.equal(row.gpu_count, 2);
  assert.ok(row.cost_per_hour > 0);
  assert.equal(Object.keys(row.ports).length, 2);
  assert.equal(row.ports["8888/http"], `https://${pod.id}-8888.proxy.runpod.net`);
  assert.match(row.ports["22/tcp"] ?? "", /^\d+\.\d+\.\d+\.\d+:\d+$/);
  assert.match(row.ssh ?? "", /^ssh /);
  const sum = data.pods.reduce((s, p) => s + p.cost_per_hour, 0);
  assert.ok(Math.abs(data.total_cost_per_hour - sum) < 1e-6);
  // The text is the whole table in lines, not a second copy of the JSON: every field of every
  // row is in it, so a client that shows only the text loses nothing.
  const text = textOf(result);
  assert.ok(!text.includes('"pods"'), text);
  assert.match(
    text,
    new RegExp(`^2 pod\\(s\\), burning \\$${data.total_cost_per_hour}/h`),
  );
  for (const p of data.pods) {
    const line = text.split("\n").find((l) => l.startsWith(`${p.id} "${p.name}" ${p.status}, `));
    assert.ok(line, `no line for ${p.id} in:\n${text}`);
    assert.ok(
      line.includes(`${p.gpu_count}× ${p.gpu_type}, $${p.cost_per_hour.toFixed(2)}/h`),
      line,
    );
    for (const [spec, address] of Object.entries(p.ports)) {
      assert.ok(line.includes(`${spec} ${address}`), line);
    }
    assert.ok(line.endsWith(`; ssh: ${p.ssh}`), line);
  }
});

Deno.test("list_pods filters by status and name", async () => {
  await using h = await startHarness();
  const first = await seedPod(h, TRAINER);
  h.sim.advance(10 * 60_000);
  await seedPod(h, { ...TRAINER, name: "fresh-notebook" });

  const running = dataOf<{ pods: PodRow[] }>(await h.call("list_pods", { status: "RUNNING" }));
  assert.deepEqual(running.pods.map((p) => p.id), [first.id]);
  const named = dataOf<{ pods: PodRow[] }>(
    await h.call("list_pods", { name_contains: "NOTEBOOK" }),
  );
  assert.deepEqual(named.pods.map((p) => p.name), ["fresh-notebook"]);
  assert.equal(named.pods[0]?.status, "PROVISIONING");
  assert.ok(Object.values(named.pods[0]?.ports ?? {}).every((address) => address === null));
});

Deno.test("list_pods says what to do when there are no pods", async () => {
  await using h = await startHarness();
  const result = await h.call("list_pods");
  assert.equal(dataOf<{ count: number }>(result).count, 0);
  assert.match(textOf(result), /create_pod/);
});

Deno.test("get_pod shows detail with secret env values masked", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, TRAINER);
  h.sim.advance(10 * 60_000);
  h.sim.clearRequests();

  const result = await h.call("get_pod", { pod_id: pod.id });
  const data = dataOf<
    PodRow & { env: Record<string, string>; actions: string[]; image: string; uptime_s: number }
  >(result);
  assert.deepEqual(h.sim.requests.map((r) => `${r.method} ${r.path}`), [`GET /v2/pods/${pod.id}`]);
  assert.deepEqual(data.env, {
    MODEL: "llama-3-8b",
    HF_TOKEN: "[masked]",
    WANDB_API_KEY: "[masked]",
  });
  assert.deepEqual([...data.actions].sort(), ["restart", "stop", "terminate"]);
  assert.equal(data.image, TRAINER.image);
  assert.ok(data.uptime_s > 0);
  const text = textOf(result);
  assert.ok(!text.includes("hf_abcdefghijklmnop") && !text.includes("0123456789"));
  assert.match(text, /Allowed actions: /);
});

Deno.test("get_pod shows secret env values when the server runs with showSecrets", async () => {
  await using h = await startHarness({ server: { showSecrets: true } });
  const pod = await seedPod(h, TRAINER);
  const data = dataOf<{ env: Record<string, string> }>(await h.call("get_pod", { pod_id: pod.id }));
  assert.equal(data.env.HF_TOKEN, TRAINER.env.HF_TOKEN);
});

Deno.test("get_pod explains an unknown pod and rejects a malformed id locally", async () => {
  await using h = await startHarness();
  const missing = await h.call("get_pod", { pod_id: "doesnotexist00" });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /Not found \(404 on GET \/v2\/pods\/doesnotexist00\).*list_pods/);
  assert.equal(h.sim.requests.length, 1);

  const malformed = await h.call("get_pod", { pod_id: "../../v2/pods" });
  assert.equal(malformed.isError, true);
  assert.match(textOf(malformed), /^Cannot look up pod/);
  assert.equal(h.sim.requests.length, 1, "a malformed id must not reach RunPod");
  assert.ok(!JSON.stringify([missing, malformed]).includes(TEST_KEY));
});
