/**
 * Arguments are strict: an unknown key is refused with the closest declared one named, before
 * anything reaches RunPod; the guard's own arguments never reach the tool.
 */
import assert from "node:assert/strict";
import { closestArgument } from "../src/tools/_call.ts";
import { ALL_TOOLS } from "../src/tools/mod.ts";
import { dataOf, errorText, seedPod, startHarness, textOf, writes } from "./_harness.ts";
import { IMAGE, RTX4090, seedEndpoint } from "./_write_tools.ts";

const POD = { name: "strict", image: IMAGE, gpu_type: "RTX 4090" };

Deno.test("a misspelled guard argument is refused, naming the right one, and creates nothing", async () => {
  // Under --confirm never a dropped dryRun used to create a real pod.
  await using h = await startHarness({ server: { policy: { readOnly: false, confirm: "never" } } });
  const text = errorText(await h.call("create_pod", { ...POD, dryRun: true }));
  assert.match(text, /unknown argument dryRun \(did you mean dry_run\?\)/);
  assert.match(text, /Nothing was sent to RunPod/);
  assert.deepEqual(writes(h), []);
  assert.equal(h.sim.state.pods.size, 0);
});

Deno.test("a misspelled tool argument is refused, never silently dropped", async () => {
  await using h = await startHarness();
  const text = errorText(await h.call("create_pod", { ...POD, volumeGb: 500 }));
  assert.match(text, /unknown argument volumeGb \(did you mean volume_gb\?\)/);
  const two = errorText(await h.call("create_pod", { ...POD, gpu_typ: "A40", zebra: "red" }));
  assert.match(
    two,
    /unknown argument gpu_typ \(did you mean gpu_type\?\); unknown argument zebra/,
  );
  assert.doesNotMatch(two, /zebra \(did you mean/);
  assert.deepEqual(writes(h), []);
});

Deno.test("read-only tools are strict too, and guard arguments exist only on tools that write", async () => {
  await using h = await startHarness();
  const text = errorText(await h.call("list_gpu_types", { min_vram: 24 }));
  assert.match(text, /unknown argument min_vram \(did you mean min_vram_gb\?\)/);
  // A read has no dry run: offering one would suggest it could change something.
  assert.match(errorText(await h.call("list_pods", { dry_run: true })), /unknown argument dry_run/);
  assert.equal(h.sim.requests.length, 0);
});

Deno.test("tools/list declares additionalProperties false for every tool", async () => {
  await using h = await startHarness();
  const { tools } = await h.client.listTools();
  assert.equal(tools.length, ALL_TOOLS.length);
  for (const tool of tools) {
    assert.equal(tool.inputSchema.additionalProperties, false, tool.name);
  }
});

Deno.test("a confirmed call's tool never sees confirmation_token, and a dry run plans the real request", async () => {
  await using h = await startHarness({
    server: { policy: { readOnly: false, confirm: "billable-and-destructive" } },
  });
  const endpoint = await seedEndpoint(h);
  const asked = await h.call("update_endpoint", { endpoint_id: endpoint, workers_min: 1 });
  const token = (asked.structuredContent as { guard: { token: string } }).guard.token;
  h.sim.clearRequests();
  const done = await h.call("update_endpoint", {
    endpoint_id: endpoint,
    workers_min: 1,
    confirmation_token: token,
  });
  dataOf(done);
  assert.doesNotMatch(textOf(done), /confirmation_token/);
  const patch = writes(h);
  assert.equal(patch.length, 1);
  assert.deepEqual(Object.keys(patch[0]!.body as object), ["workers"]);

  const pod = await seedPod(h, { name: "p", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.clearRequests();
  // Only the guard's argument besides the id: the tool sees no change to make and says so.
  const empty = errorText(await h.call("update_pod", { pod_id: pod.id, dry_run: true }));
  assert.match(empty, /give at least one of/);
  const planned = await h.call("update_pod", { pod_id: pod.id, name: "n", dry_run: true });
  const guard = (planned.structuredContent as {
    guard: { status: string; request: { method: string; body: unknown } };
  }).guard;
  assert.equal(guard.status, "dry_run");
  assert.deepEqual(guard.request.body, { name: "n" });
  assert.deepEqual(writes(h), []);
});

Deno.test("closestArgument() matches spellings and near misses, and nothing far away", () => {
  const known = ["dry_run", "volume_gb", "gpu_type", "gpu_count", "container_disk_gb"];
  assert.equal(closestArgument("dryRun", known), "dry_run");
  assert.equal(closestArgument("DRY-RUN", known), "dry_run");
  assert.equal(closestArgument("gpu_tpye", known), "gpu_type");
  assert.equal(closestArgument("containerDiskGB", known), "container_disk_gb");
  assert.equal(closestArgument("zebra", known), undefined);
  assert.equal(closestArgument("x", known), undefined);
});
