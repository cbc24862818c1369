/**
 * Cross-tool rules (issue 10): the advisor's pick passes the guard, every identifier the catalog
 * tools hand out is one estimate_cost accepts, storage shows the same figure everywhere, and a
 * capacity error names what is in stock instead.
 */

import assert from "node:assert/strict";
import type { PolicyOptions } from "../src/policy/guard.ts";
import { storageCost } from "../src/policy/estimate.ts";
import { NO_CAPACITY } from "../src/sandbox/pods.ts";
import {
  dataOf,
  errorText,
  type Harness,
  routes,
  seedPod,
  simRequest,
  startHarness,
  textOf,
  writes,
} from "./_harness.ts";
import { IMAGE, RTX4090 } from "./_write_tools.ts";

interface Option {
  gpu_type: string;
  name: string;
  gpu_count: number;
  usd_per_hour: number;
  availability: string;
  pool?: string;
  data_center_ids?: string[];
}
interface Excluded {
  gpu_type: string;
  gpu_count: number;
  usd_per_hour: number;
  reason: string;
}
interface Advice {
  options: Option[];
  excluded: Excluded[];
}
interface Row {
  id: string;
  name: string;
  pool: string | null;
  vram_gb: number;
  secure_price: number | null;
  availability?: string;
}

function withPolicy(policy: Partial<PolicyOptions>): Promise<Harness> {
  return startHarness({ server: { policy: { readOnly: false, confirm: "never", ...policy } } });
}

const SEVEN_B = { model_params_b: 7, precision: "bf16", workload: "inference" };

async function advise(h: Harness, args: Record<string, unknown> = SEVEN_B): Promise<Advice> {
  return dataOf<Advice>(await h.call("recommend_gpu", args));
}

/** create_pod with an advisor option, counting what reached RunPod. */
async function createWith(h: Harness, o: Option | Excluded & { data_center_ids?: string[] }) {
  h.sim.clearRequests();
  const result = await h.call("create_pod", {
    name: "from-advice",
    image: IMAGE,
    gpu_type: o.gpu_type,
    gpu_count: o.gpu_count,
    ...("data_center_ids" in o && o.data_center_ids ? { data_center_ids: o.data_center_ids } : {}),
  });
  return { result, writes: writes(h) };
}

/** Each cap, the 7B (or 34B) model to size, and the flag its refusals name. */
const CAP_CASES: {
  cap: string;
  policy: Partial<PolicyOptions>;
  args?: Record<string, unknown>;
  flag: RegExp;
  setup?: (h: Harness) => Promise<void>;
}[] = [
  { cap: "max hourly cost", policy: { maxHourlyCost: 0.26 }, flag: /--max-hourly-cost/ },
  {
    cap: "allowed GPU types",
    policy: { allowedGpuTypes: ["RTX A5000", "NVIDIA L4"] },
    flag: /--allowed-gpu-types/,
  },
  {
    cap: "allowed data centers",
    policy: { allowedDataCenters: ["EU-SE-1"] },
    flag: /--allowed-data-centers/,
  },
  {
    cap: "max GPU count",
    policy: { maxGpuCount: 1 },
    args: { model_params_b: 34, precision: "bf16", workload: "inference" },
    flag: /--max-gpu-count/,
  },
  {
    cap: "max total hourly cost",
    policy: { maxTotalHourlyCost: 1 },
    flag: /--max-total-hourly-cost/,
    setup: async (h) => {
      await seedPod(h, { name: "busy", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
    },
  },
];

for (const c of CAP_CASES) {
  Deno.test(`recommend_gpu's pick under the ${c.cap} cap is one the guard lets through`, async () => {
    await using h = await withPolicy(c.policy);
    await c.setup?.(h);
    h.sim.clearRequests();
    const advice = await advise(h, c.args);
    const burnRead = routes(h).includes("GET /v2/pods");
    assert.equal(burnRead, c.policy.maxTotalHourlyCost !== undefined, "burn read only for it");

    const refused = advice.excluded.filter((e) => /refused by the server's policy/.test(e.reason));
    assert.ok(refused.length > 0, "something is excluded by the cap");
    for (const e of refused) assert.match(e.reason, c.flag);
    const pick = advice.options[0]!;
    assert.ok(pick, "there is a pick");
    if (c.policy.allowedDataCenters) {
      assert.ok(pick.data_center_ids?.length);
      assert.ok(pick.data_center_ids.every((dc) => c.policy.allowedDataCenters!.includes(dc)));
    }
    const accepted = await createWith(h, pick);
    dataOf(accepted.result);
    assert.equal(accepted.writes.length, 1);
    assert.equal(accepted.writes[0]?.status, 201);

    // The control: what the advisor excluded, the guard refuses, sending nothing.
    const denied = await createWith(h, refused[0]!);
    assert.match(errorText(denied.result), c.flag);
    assert.equal(denied.writes.length, 0);
  });
}

Deno.test("recommend_gpu with no caps reads neither the burn nor anything but the catalog", async () => {
  await using h = await withPolicy({});
  const advice = await advise(h);
  assert.deepEqual(routes(h), ["GET /v2/catalog/gpus"]);
  assert.ok(!advice.excluded.some((e) => /policy/.test(e.reason)));
});

Deno.test("recommend_gpu never proposes an AMD GPU, even when it is the cheapest fit", async () => {
  await using h = await withPolicy({});
  const advice = await advise(h, { model_params_b: 70, precision: "bf16", workload: "inference" });
  // One 192 GB MI300X at $2.49/h would hold it; the pick is dearer NVIDIA.
  assert.ok(advice.options[0]!.usd_per_hour > 2.49);
  assert.ok(!advice.options.some((o) => /MI300X/.test(o.gpu_type)));
  const amd = advice.excluded.find((e) => /MI300X/.test(e.gpu_type));
  assert.match(amd?.reason ?? "", /AMD GPU: CUDA builds of PyTorch\/vLLM do not run on it/);
});

Deno.test("create_pod warns when a CUDA image goes on an AMD GPU, and not for ROCm", async () => {
  await using h = await withPolicy({});
  const cuda = await h.call("create_pod", { name: "amd", image: IMAGE, gpu_type: "MI300X" });
  assert.match(textOf(cuda), /Warning: MI300X is an AMD GPU and .* looks like a CUDA image/);
  const rocm = await h.call("create_pod", {
    name: "amd",
    image: "rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_release_2.3.0",
    gpu_type: "MI300X",
  });
  assert.doesNotMatch(textOf(rocm), /Warning/);
  const nvidia = await h.call("create_pod", { name: "nv", image: IMAGE, gpu_type: "RTX 4090" });
  assert.doesNotMatch(textOf(nvidia), /Warning/);
});

Deno.test("estimate_cost accepts every id, name and pool list_gpu_types and recommend_gpu return", async () => {
  await using h = await withPolicy({});
  const pods = dataOf<{ gpus: Row[] }>(await h.call("list_gpu_types", { available_only: false }));
  const pools = dataOf<{ gpus: Row[] }>(
    await h.call("list_gpu_types", { product: "SERVERLESS", available_only: false }),
  );
  const pod = await advise(h);
  const serverless = await advise(h, { ...SEVEN_B, product: "SERVERLESS" });
  const asPod = [
    ...pods.gpus.flatMap((g) => [g.id, g.name]),
    ...pod.options.map((o) => o.gpu_type),
    "AMPERE_24",
  ];
  const asEndpoint = [
    ...pools.gpus.flatMap((g) => [g.id, g.name, g.pool!]),
    ...serverless.options.map((o) => o.gpu_type),
  ];
  assert.ok(asPod.length > 40 && asEndpoint.length > 40);
  for (const gpu_type of new Set(asPod)) {
    const result = await h.call("estimate_cost", { kind: "pod", gpu_type });
    assert.ok(dataOf<{ usd_per_hour: number }>(result).usd_per_hour > 0, gpu_type);
  }
  for (const gpu_type of new Set(asEndpoint)) {
    const result = await h.call("estimate_cost", { kind: "endpoint", gpu_type, workers_min: 1 });
    assert.ok(dataOf<{ usd_per_hour: number }>(result).usd_per_hour > 0, gpu_type);
  }
  // The same price whichever way the row is named; a pool prices its dearest GPU.
  const a5000 = pods.gpus.find((g) => g.name === "RTX A5000")!;
  const priceOf = async (gpu_type: string) =>
    dataOf<{ usd_per_hour: number }>(await h.call("estimate_cost", { kind: "pod", gpu_type }))
      .usd_per_hour;
  assert.equal(await priceOf(a5000.id), a5000.secure_price);
  assert.equal(await priceOf(a5000.name), a5000.secure_price);
  const ampere24 = pods.gpus.filter((g) => g.pool === "AMPERE_24").map((g) => g.secure_price!);
  assert.equal(await priceOf("AMPERE_24"), Math.max(...ampere24));
  assert.equal(await priceOf("ampere_24"), Math.max(...ampere24));
});

Deno.test("storage shows the same figure in create_pod, estimate_cost and get_spend_summary", async () => {
  await using h = await withPolicy({});
  const created = await h.call("create_pod", {
    name: "parked",
    image: IMAGE,
    gpu_type: "RTX 4090",
    container_disk_gb: 50,
    volume_gb: 100,
  });
  const id = dataOf<{ pod: { id: string } }>(created).pod.id;
  const estimate = dataOf<{ breakdown: string[] }>(
    await h.call("estimate_cost", {
      kind: "pod",
      gpu_type: "RTX 4090",
      container_disk_gb: 50,
      volume_gb: 100,
    }),
  );
  const lines = [
    storageCost("container_disk", 50).text,
    storageCost("pod_volume", 100).text,
    storageCost("pod_volume_stopped", 100).text,
  ];
  assert.deepEqual(lines, [
    "50 GB container disk: $5.00/month ($0.0068/h)",
    "100 GB pod volume (pod running): $10.00/month ($0.0137/h)",
    "100 GB pod volume (pod stopped): $20.00/month ($0.0274/h)",
  ]);
  for (const line of lines) {
    assert.ok(textOf(created).includes(line), `create_pod: ${line}`);
    assert.ok(estimate.breakdown.includes(line), `estimate_cost: ${line}`);
  }
  h.sim.advance(60_000);
  await simRequest(h, "POST", `/v2/pods/${id}/action`, { action: "stop" });
  const spend = dataOf<{ items: { id: string; detail: string; cost_per_hour_usd: number }[] }>(
    await h.call("get_spend_summary"),
  );
  const parked = spend.items.find((i) => i.id === id)!;
  assert.ok(parked.detail.includes(lines[2]!), parked.detail);
  assert.equal(parked.cost_per_hour_usd, storageCost("pod_volume_stopped", 100).usdPerHour);
});

Deno.test("a network volume costs the same in list_network_volumes, estimate_cost and get_spend_summary", async () => {
  await using h = await withPolicy({});
  const vol = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "models",
    size: 1500,
    dataCenter: "US-KS-2",
  })).json;
  const cost = storageCost("network_standard", 1500);
  assert.equal(cost.text, "1500 GB STANDARD network volume: $95.00/month ($0.1301/h)");
  const listed = await h.call("list_network_volumes");
  assert.ok(textOf(listed).includes(cost.text));
  assert.equal(
    dataOf<{ volumes: { monthly_cost_usd: number }[] }>(listed).volumes[0]?.monthly_cost_usd,
    95,
  );
  const estimate = dataOf<{ breakdown: string[]; usd_per_hour: number }>(
    await h.call("estimate_cost", { kind: "network_volume", volume_gb: 1500 }),
  );
  assert.deepEqual(estimate.breakdown, [cost.text]);
  assert.equal(estimate.usd_per_hour, cost.usdPerHour);
  const spend = dataOf<{ items: { id: string; detail: string; cost_per_hour_usd: number }[] }>(
    await h.call("get_spend_summary"),
  );
  const item = spend.items.find((i) => i.id === vol.id)!;
  assert.ok(item.detail.includes(cost.text), item.detail);
  assert.equal(item.cost_per_hour_usd, cost.usdPerHour);
});

// --- capacity errors -------------------------------------------------------------------------

/** The `$x/h` figures of a capacity error's list, in order. */
function listedPrices(text: string): number[] {
  return [...text.matchAll(/\$(\d+\.\d\d)\/h, in stock in/g)].map((m) => Number(m[1]));
}

Deno.test("create_pod's capacity error names in-stock GPUs with as much VRAM, cheapest first", async () => {
  await using h = await withPolicy({});
  h.sim.setGpuStock(RTX4090, "NONE");
  h.sim.clearRequests();
  const text = errorText(
    await h.call("create_pod", { name: "x", image: IMAGE, gpu_type: "RTX 4090" }),
  );
  assert.equal(writes(h).length, 1, "the one failed create, not retried");
  assert.match(text, /^Cannot create pod: RunPod has no capacity for 1× NVIDIA GeForce RTX 4090/);
  assert.ok(text.includes(NO_CAPACITY));
  assert.match(
    text,
    /cheapest first: NVIDIA RTX A5000 \(RTX A5000, 24 GB\) \$0\.27\/h, in stock in US-KS-2, EU-SE-1, EU-CZ-1, OC-AU-1; /,
  );
  const prices = listedPrices(text);
  assert.equal(prices.length, 5);
  assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
  assert.ok(!text.includes(RTX4090 + " ("), "the GPU with no stock is not proposed");
  assert.ok(!/MI300X/.test(text), "no AMD for a CUDA request");
  // Every one named is in stock with at least 24 GB, as list_gpu_types shows.
  const rows = dataOf<{ gpus: Row[] }>(await h.call("list_gpu_types")).gpus;
  for (const [, id] of text.matchAll(/(?:: |; )(NVIDIA [^(;]+?) \(/g)) {
    const row = rows.find((r) => r.id === id);
    assert.ok(row && row.vram_gb >= 24 && row.availability !== "NONE", id);
  }
});

Deno.test("the capacity error proposes only what the server's policy allows", async () => {
  await using h = await withPolicy({ allowedGpuTypes: ["RTX 4090", "L4"] });
  h.sim.setGpuStock(RTX4090, "NONE");
  const text = errorText(
    await h.call("create_pod", { name: "x", image: IMAGE, gpu_type: "RTX 4090" }),
  );
  assert.deepEqual(listedPrices(text), [0.43]);
  assert.match(text, /NVIDIA L4 \(L4, 24 GB\) \$0\.43\/h/);
});

Deno.test("start_pod's capacity error names alternatives and says the pod cannot move", async () => {
  await using h = await withPolicy({});
  const pod = await seedPod(h, {
    name: "p",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    dataCenterIds: ["US-KS-2"],
  });
  h.sim.advance(60_000);
  await simRequest(h, "POST", `/v2/pods/${pod.id}/action`, { action: "stop" });
  h.sim.setGpuStock(RTX4090, "NONE", "US-KS-2");
  const text = errorText(await h.call("start_pod", { pod_id: pod.id }));
  assert.match(text, new RegExp(`^Cannot start pod ${pod.id}: RunPod has no capacity`));
  assert.match(text, /not enough free GPUs/);
  assert.match(text, /cheapest first: NVIDIA RTX A5000 \(RTX A5000, 24 GB\) \$0\.27\/h/);
  assert.deepEqual(listedPrices(text), [0.27, 0.4, 0.43, 0.46, 0.49]);
  assert.match(text, /a stopped pod stays on its host/);
});

Deno.test("create_endpoint's capacity error names pools in stock with as much VRAM", async () => {
  await using h = await withPolicy({});
  h.sim.injectFault({
    kind: "status",
    status: 400,
    body: { title: "Bad Request", status: 400, detail: NO_CAPACITY },
    match: { method: "POST", path: "/v2/serverless" },
  });
  const text = errorText(
    await h.call("create_endpoint", { name: "e", image: IMAGE, gpu_types: ["ADA_24"] }),
  );
  assert.match(text, /^Cannot create endpoint: RunPod has no capacity for pool ADA_24/);
  assert.match(text, /cheapest first: AMPERE_24 \([^)]*24 GB\) \$0\.68\/h/);
  assert.ok(!/AMPERE_16/.test(text), "16 GB pools are too small");
  assert.deepEqual(listedPrices(text), [...listedPrices(text)].sort((a, b) => a - b));
});
