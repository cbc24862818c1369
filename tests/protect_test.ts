/**
 * `--protect-existing`: what runpod-mcp creates carries a marker, and destructive or billable
 * changes to anything without it are refused before a byte reaches RunPod.
 */
import assert from "node:assert/strict";
import type { PolicyOptions } from "../src/policy/guard.ts";
import { MANAGED_ENV } from "../src/policy/protect.ts";
import { dataOf, errorText, seedPod, simRequest, startHarness, writes } from "./_harness.ts";
import { IMAGE, RTX4090, seedEndpoint } from "./_write_tools.ts";

const PROTECT: PolicyOptions = { readOnly: false, confirm: "never", protectExisting: true };
const REFUSED = /protects resources it did not create \(--protect-existing.*Nothing was sent/;

Deno.test("a pod made outside runpod-mcp cannot be stopped, updated or terminated; its own can", async () => {
  await using h = await startHarness({ server: { policy: PROTECT } });
  const foreign = await seedPod(h, {
    name: "hand-made",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
  });
  h.sim.advance(10 * 60_000);
  h.sim.clearRequests();
  for (
    const [tool, args] of [
      ["stop_pod", { pod_id: foreign.id }],
      ["terminate_pod", { pod_id: foreign.id }],
      ["update_pod", { pod_id: foreign.id, name: "renamed" }],
    ] as const
  ) {
    const text = errorText(await h.call(tool, args));
    assert.match(text, REFUSED, tool);
    assert.match(text, new RegExp(`pod ${foreign.id} has no env ${MANAGED_ENV}=1`), tool);
  }
  assert.deepEqual(writes(h), []);

  const own = dataOf<{ pod: { id: string } }>(
    await h.call("create_pod", { name: "mine", image: IMAGE, gpu_type: "RTX 4090" }),
  ).pod;
  const create = writes(h)[0]!;
  assert.equal((create.body as { env: Record<string, string> }).env[MANAGED_ENV], "1");
  h.sim.advance(10 * 60_000);
  dataOf(await h.call("stop_pod", { pod_id: own.id }));
  dataOf(await h.call("terminate_pod", { pod_id: own.id }));
  assert.equal(writes(h).length, 3);
});

Deno.test("endpoints, templates and volumes: foreign ones are protected, plain changes still pass", async () => {
  await using h = await startHarness({ server: { policy: PROTECT } });
  const endpoint = await seedEndpoint(h);
  h.sim.clearRequests();
  assert.match(
    errorText(await h.call("update_endpoint", { endpoint_id: endpoint, workers_min: 1 })),
    REFUSED,
  );
  assert.match(errorText(await h.call("purge_queue", { endpoint_id: endpoint })), REFUSED);
  assert.match(errorText(await h.call("delete_endpoint", { endpoint_id: endpoint })), REFUSED);
  // A rename adds no spend and destroys nothing: not the flag's business.
  dataOf(await h.call("update_endpoint", { endpoint_id: endpoint, name: "renamed" }));
  assert.equal(writes(h).length, 1);

  const volume = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "v",
    size: 20,
    dataCenter: "US-KS-2",
  })).json.id as string;
  h.sim.clearRequests();
  const text = errorText(await h.call("delete_network_volume", { volume_id: volume }));
  assert.match(text, /only the ones this server process created can be changed/);
  const mine = dataOf<{ volume_id: string }>(
    await h.call("create_network_volume", { name: "mine", size_gb: 20, data_center_id: "US-KS-2" }),
  ).volume_id;
  dataOf(await h.call("update_network_volume", { volume_id: mine, size_gb: 40 }));
  dataOf(await h.call("delete_network_volume", { volume_id: mine }));
  assert.equal(writes(h).length, 3);

  const template = dataOf<{ template_id: string }>(
    await h.call("create_template", { name: "t", image: IMAGE }),
  ).template_id;
  dataOf(await h.call("delete_template", { template_id: template }));
});

Deno.test("a dry run says the flag would refuse; without the flag the marker is set and nothing is refused", async () => {
  await using h = await startHarness({ server: { policy: PROTECT } });
  const foreign = await seedPod(h, {
    name: "hand-made",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
  });
  const dry = await h.call("terminate_pod", { pod_id: foreign.id, dry_run: true });
  const guard = (dry.structuredContent as { guard: { verdict: string } }).guard;
  assert.match(guard.verdict, /would be refused: .*--protect-existing/);

  await using open = await startHarness();
  const pod = await seedPod(open, {
    name: "hand-made",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
  });
  dataOf(await open.call("terminate_pod", { pod_id: pod.id }));
  dataOf(await open.call("create_template", { name: "t", image: IMAGE }));
  const env = (writes(open).at(-1)!.body as { env?: Record<string, string> }).env;
  assert.equal(env?.[MANAGED_ENV], "1", "the marker is set whether or not the flag is on");
});
