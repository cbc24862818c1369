/**
 * The total cap counts what is starting, what is always on and what this process has in flight,
 * through one burn computation shared with the money tools.
 */
import assert from "node:assert/strict";
import type { PolicyOptions } from "../src/policy/guard.ts";
import { dataOf, errorText, seedPod, startHarness, textOf, writes } from "./_harness.ts";
import { IMAGE } from "./_write_tools.ts";

const CAP_2: PolicyOptions = { readOnly: false, confirm: "never", maxTotalHourlyCost: 2 };
// $0.46/h in the simulator's catalog: four fit under $2/h, a fifth does not.
const POD = { image: IMAGE, gpu_type: "RTX 3090" };
const RTX3090 = "NVIDIA GeForce RTX 3090";

function podCreates(h: Awaited<ReturnType<typeof startHarness>>) {
  return writes(h).filter((r) => r.method === "POST" && r.path === "/v2/pods");
}

Deno.test("back-to-back creates count pods still PROVISIONING: four $0.46 pods fit under $2/h, not six", async () => {
  await using h = await startHarness({ server: { policy: CAP_2 } });
  const results = [];
  for (let i = 0; i < 6; i++) results.push(await h.call("create_pod", { ...POD, name: `b${i}` }));
  assert.equal(results.filter((r) => r.isError !== true).length, 4);
  assert.equal(podCreates(h).length, 4, "RunPod received exactly four creates");
  // Unconfirmed (--confirm never), each create reads the account's pods once: the check and
  // the hold are one step, not a check followed by a second read.
  const podReads = h.sim.requests.filter((r) => r.method === "GET" && r.path === "/v2/pods");
  assert.equal(podReads.length, 6);
  const statuses = [...h.sim.state.pods.values()].map((p) => p.status);
  assert.deepEqual(statuses, ["PROVISIONING", "PROVISIONING", "PROVISIONING", "PROVISIONING"]);
  assert.match(
    errorText(results[4]!),
    /already burns \$1\.84\/h \(pods still starting count\), and this adds about \$0\.46\/h, above the total cap of \$2\.00\/h/,
  );
  // RunPod's own figure counts RUNNING pods only: it would have let all six through.
  const me = dataOf<{ spend_per_hour_usd: number; burn_per_hour_usd: number }>(
    await h.call("get_balance"),
  );
  assert.equal(me.spend_per_hour_usd, 0);
  assert.equal(me.burn_per_hour_usd, 1.84);
});

Deno.test("parallel creates cannot both fit under the last dollar", async () => {
  for (let trial = 0; trial < 3; trial++) {
    await using h = await startHarness({ server: { policy: CAP_2 } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => h.call("create_pod", { ...POD, name: `p${i}` })),
    );
    const created = results.filter((r) => r.isError !== true);
    assert.equal(created.length, 4, `trial ${trial}: ${created.length} created`);
    assert.equal(podCreates(h).length, 4, `trial ${trial}`);
    for (const refused of results.filter((r) => r.isError === true)) {
      assert.match(textOf(refused), /above the total cap of \$2\.00\/h.*Nothing was sent/);
    }
  }
});

Deno.test("an endpoint's always-on worker counts against the total cap", async () => {
  await using h = await startHarness({ server: { policy: CAP_2 } });
  // One always-on RTX 4090-class worker: the pool's dearest serverless price, per hour.
  dataOf(
    await h.call("create_endpoint", {
      name: "ep",
      image: IMAGE,
      gpu_types: ["RTX 4090"],
      workers_min: 1,
      workers_max: 1,
    }),
  );
  const burn = dataOf<{ burn_per_hour_usd: number }>(await h.call("get_balance")).burn_per_hour_usd;
  assert.ok(burn > 0.5, `always-on burn ${burn}`);
  const fit = Math.floor((2 - burn) / 0.46 + 1e-9);
  for (let i = 0; i < 5; i++) await h.call("create_pod", { ...POD, name: `e${i}` });
  assert.equal(podCreates(h).length, fit);
});

Deno.test("a dry run and a confirmation check the total cap but hold nothing", async () => {
  await using h = await startHarness({
    server: { policy: { ...CAP_2, confirm: "billable-and-destructive" } },
  });
  for (let i = 0; i < 5; i++) {
    const dry = await h.call("create_pod", { ...POD, name: "d", dry_run: true });
    assert.notEqual(dry.isError, true, textOf(dry));
  }
  // Nothing was held by the dry runs or the unconfirmed calls: four still fit.
  for (let i = 0; i < 4; i++) {
    const asked = await h.call("create_pod", { ...POD, name: `c${i}` });
    const token = (asked.structuredContent as { guard: { token: string } }).guard.token;
    dataOf(await h.call("create_pod", { ...POD, name: `c${i}`, confirmation_token: token }));
  }
  const fifth = await h.call("create_pod", { ...POD, name: "c4", dry_run: true });
  assert.match(
    (fifth.structuredContent as { guard: { verdict: string } }).guard.verdict,
    /would be refused: .*above the total cap/,
  );
  assert.equal(podCreates(h).length, 4);
});

Deno.test("get_balance, get_spend_summary and runpod://account give one burn and one runway while pods start", async () => {
  await using h = await startHarness();
  for (let i = 0; i < 3; i++) {
    await seedPod(h, { name: `s${i}`, image: IMAGE, gpu: { id: RTX3090, count: 1 } });
  }
  const balance = dataOf<{ burn_per_hour_usd: number; runway_hours: number }>(
    await h.call("get_balance"),
  );
  const summary = dataOf<{ burn_per_hour_usd: number; runway_hours: number }>(
    await h.call("get_spend_summary"),
  );
  const read = await h.client.readResource({ uri: "runpod://account" });
  const first = read.contents[0];
  assert.ok(first && "text" in first);
  const account = JSON.parse(first.text) as { burn_per_hour_usd: number; runway_hours: number };
  assert.equal(balance.burn_per_hour_usd, 1.38, "three $0.46 pods still PROVISIONING");
  for (const other of [summary, account]) {
    assert.equal(other.burn_per_hour_usd, balance.burn_per_hour_usd);
    assert.equal(other.runway_hours, balance.runway_hours);
  }
});
