import assert from "node:assert/strict";
import {
  endpointHourlyCosts,
  HOURS_PER_MONTH,
  networkVolumeMonthlyCost,
  POD_VOLUME_STOPPED_USD_PER_GB_MONTH,
  type PriceCatalog,
  round4,
} from "../src/policy/estimate.ts";
import type { CpuType, GpuType } from "../src/runpod/schemas.ts";
import {
  getBalanceTool,
  getBillingHistoryTool,
  getSpendSummaryTool,
  IDLE_GPU_UTIL_PERCENT,
  IDLE_MIN_UPTIME_S,
} from "../src/tools/billing.ts";
import {
  dataOf,
  errorText,
  type Harness,
  routes,
  seedPod,
  simRequest,
  startHarness,
  textOf,
} from "./_harness.ts";
import { requireContract } from "./_openapi.ts";
import { ALWAYS_ON_ENDPOINT, IMAGE } from "./_write_tools.ts";

const BILLING_TOOLS = [getBalanceTool, getBillingHistoryTool, getSpendSummaryTool];

const MYSELF_QUERY = "query Myself { myself { id clientBalance currentSpendPerHr spendLimit } }";
const TRAINER = {
  name: "llama-trainer",
  image: IMAGE,
  gpu: { id: "NVIDIA GeForce RTX 4090", count: 2 },
  disk: 50,
};
const HOUR = 3_600_000;

/** The fields both money tools fill from the one burn computation. */
interface BurnFields {
  burn_per_hour_usd: number;
  burn_complete: boolean;
  runway_hours: number | null;
}

interface Balance extends BurnFields {
  balance_usd: number;
  billing_mode: string | null;
  spend_per_hour_usd: number | null;
  spend_limit_usd: number | null;
  source: string;
  note: string | null;
}

interface Row {
  start: string;
  resource_id?: string;
  total_usd: number;
  [part: string]: unknown;
}

interface History {
  start: string;
  end: string;
  bucket_size: string;
  rows: Row[];
  row_count: number;
  totals: { total_usd: number; [part: string]: number };
}

interface PodRecord {
  startTime: string;
  endTime: string;
  podId: string;
  totalAmount: number;
  gpuAmount: number;
  cpuAmount: number;
  diskAmount: number;
}

interface Item {
  kind: string;
  id: string;
  name: string;
  cost_per_hour_usd: number | null;
  detail: string;
  note?: string;
}

interface Summary extends BurnFields {
  items: Item[];
  spend_per_hour_usd: number | null;
  burn_missing: string[];
  balance_usd: number;
}

/** USD/hour of the summary's items of one kind (all kinds when none is given). */
function itemsPerHour(d: Summary, kind?: string): number {
  const items = d.items.filter((i) => kind === undefined || i.kind === kind);
  return round4(items.reduce((s, i) => s + (i.cost_per_hour_usd ?? 0), 0));
}

/** Ids of the pods the summary flags idle. */
const idleOf = (d: Summary) => d.items.filter((i) => i.note?.startsWith("idle")).map((i) => i.id);

function harness(options: { balance?: number; apiKey?: string } = {}): Promise<Harness> {
  return startHarness({
    server: { tools: BILLING_TOOLS },
    simulator: { balance: options.balance ?? 100 },
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
}

/** The simulator's own answer to GraphQL `myself`, as a second client would read it. */
async function myself(h: Harness) {
  const { json } = await simRequest(h, "POST", "/graphql", { query: MYSELF_QUERY });
  return json.data.myself as {
    clientBalance: number;
    currentSpendPerHr: number;
    spendLimit: number;
  };
}

/** What reading the balance and then the burn asks RunPod, in order. */
const ACCOUNT_SPEND_ROUTES = [
  "GET /v2/billing/balance",
  "POST /graphql",
  "GET /v2/network-volumes",
  "GET /v2/pods",
  "GET /v2/serverless",
];

/** Balance routes in order, then the burn's parallel reads sorted. */
function spendRoutes(h: Harness): string[] {
  const all = routes(h);
  return [...all.slice(0, 2), ...all.slice(2).sort()];
}

const NO_BURN = {
  burn_per_hour_usd: 0,
  burn_complete: true,
  runway_hours: null,
};

async function runningPod(h: Harness, body: Record<string, unknown> = TRAINER) {
  const pod = await seedPod(h, body);
  h.sim.advance(60_000); // past PROVISIONING (20 s) and STARTING (30 s)
  return pod;
}

// ---------------------------------------------------------------------------------------------
// get_balance

Deno.test("get_balance tries the v2 balance route, falls back to GraphQL myself and says so", async () => {
  await using h = await harness();
  const data = dataOf<Balance>(await h.call("get_balance"));

  assert.deepEqual(spendRoutes(h), ACCOUNT_SPEND_ROUTES);
  assert.equal(h.sim.requests[0]?.status, 404);
  assert.deepEqual(h.sim.requests[1]?.body, { query: MYSELF_QUERY });
  assert.equal(
    h.sim.requests.filter((r) => r.path === "/graphql").length,
    1,
    "RunPod's figure is read once, with the balance",
  );
  assert.deepEqual(data, {
    balance_usd: 100,
    billing_mode: null,
    spend_per_hour_usd: 0,
    spend_limit_usd: 80,
    source: "graphql",
    note: null,
    ...NO_BURN,
  });
  const text = textOf(await h.call("get_balance"));
  assert.match(text, /Balance \$100\.00, no burn, spend limit \$80\.00\. Nothing is burning/);
  assert.match(text, /Source: graphql/);
});

Deno.test("get_balance falls back to GraphQL when the key lacks the v2 billing scope (403)", async () => {
  await using h = await harness();
  h.sim.injectFault({ kind: "status", status: 403, match: { path: "/v2/billing/balance" } });
  const data = dataOf<Balance>(await h.call("get_balance"));
  assert.deepEqual(spendRoutes(h), ACCOUNT_SPEND_ROUTES);
  assert.equal(h.sim.requests[0]?.status, 403);
  assert.equal(data.source, "graphql");
  assert.equal(data.balance_usd, 100);
});

Deno.test("get_balance works out the runway from the balance and the spend rate", async () => {
  await using h = await harness();
  await runningPod(h);
  h.sim.advance(2 * HOUR);
  const me = await myself(h);
  h.sim.clearRequests();

  const result = await h.call("get_balance");
  const data = dataOf<Balance>(result);
  assert.ok(me.currentSpendPerHr > 0);
  assert.ok(me.clientBalance < 100);
  assert.equal(data.balance_usd, me.clientBalance);
  assert.equal(data.spend_per_hour_usd, me.currentSpendPerHr);
  // One RUNNING pod: the count and RunPod's figure agree.
  assert.equal(data.burn_per_hour_usd, me.currentSpendPerHr);
  assert.equal(
    data.runway_hours,
    Math.round((me.clientBalance / me.currentSpendPerHr) * 10) / 10,
  );
  assert.match(textOf(result), /Burning ~\$1\.38\/h\. Counted: pods \$1\.38 \(RUNNING \$1\.38\)/);
  assert.deepEqual(spendRoutes(h), ACCOUNT_SPEND_ROUTES);
});

Deno.test("get_balance uses the v2 route when it answers and still reads the spend rate from GraphQL", async () => {
  await using h = await harness();
  await runningPod(h);
  const me = await myself(h);
  h.sim.clearRequests();
  h.sim.injectFault({
    kind: "status",
    status: 200,
    body: { balanceAmount: 42.18, billingMode: "PREPAID" },
    match: { method: "GET", path: "/v2/billing/balance" },
  });

  const result = await h.call("get_balance");
  const data = dataOf<Balance>(result);
  assert.deepEqual(spendRoutes(h), ACCOUNT_SPEND_ROUTES);
  assert.equal(h.sim.requests[0]?.status, 200);
  assert.deepEqual(data, {
    balance_usd: 42.18,
    billing_mode: "PREPAID",
    spend_per_hour_usd: me.currentSpendPerHr,
    spend_limit_usd: 80,
    source: "rest-v2",
    note: null,
    burn_per_hour_usd: me.currentSpendPerHr,
    burn_complete: true,
    runway_hours: Math.round((42.18 / me.currentSpendPerHr) * 10) / 10,
  });
  assert.match(textOf(result), /Balance \$42\.18 \(PREPAID\)/);
  assert.match(textOf(result), /Source: rest-v2/);
});

Deno.test("get_balance keeps the v2 balance when GraphQL fails, and burns by its own count", async () => {
  await using h = await harness();
  const pod = await seedPod(h, TRAINER); // PROVISIONING
  h.sim.injectFault({
    kind: "status",
    status: 200,
    body: { balanceAmount: 12.5, billingMode: "POSTPAID" },
    match: { path: "/v2/billing/balance" },
  });
  h.sim.injectFault({ kind: "status", status: 400, match: { path: "/graphql" } });

  const result = await h.call("get_balance");
  const data = dataOf<Balance>(result);
  assert.equal(data.balance_usd, 12.5);
  assert.equal(data.spend_per_hour_usd, null);
  assert.equal(data.burn_per_hour_usd, pod.cost);
  assert.equal(data.runway_hours, Math.round((12.5 / (pod.cost as number)) * 10) / 10);
  assert.match(data.note ?? "", /spend rate unavailable: GraphQL myself failed/);
  assert.match(textOf(result), /RunPod's own figure is unavailable; the count alone is used/);
});

Deno.test("get_balance reports a rejected key: 401 on REST, or GraphQL myself null", async () => {
  {
    await using h = await harness({ apiKey: "rpa_WRONGKEY0123456789abcdefXYZ" });
    const text = errorText(await h.call("get_balance"));
    assert.match(text, /401 .*check RUNPOD_API_KEY/);
    assert.deepEqual(routes(h), ["GET /v2/billing/balance"]);
    assert.ok(!text.includes("WRONGKEY"));
  }
  {
    await using h = await harness();
    h.sim.injectFault({
      kind: "status",
      status: 200,
      body: { data: { myself: null } },
      match: { path: "/graphql" },
    });
    const text = errorText(await h.call("get_balance"));
    assert.match(text, /401 on POST \/graphql.*check RUNPOD_API_KEY/);
    assert.deepEqual(routes(h), ["GET /v2/billing/balance", "POST /graphql"]);
  }
});

// ---------------------------------------------------------------------------------------------
// get_billing_history

Deno.test("get_billing_history reads pod spend by hour and matches what RunPod billed", async () => {
  await using h = await harness();
  const pod = await runningPod(h);
  const other = await runningPod(h, {
    ...TRAINER,
    name: "notebook",
    gpu: { ...TRAINER.gpu, count: 1 },
  });
  h.sim.advance(3 * HOUR);
  const expected = (await simRequest(h, "GET", "/v2/billing/pods?bucketSize=hour")).json;
  h.sim.clearRequests();

  const data = dataOf<History>(
    await h.call("get_billing_history", { product: "pods", bucket_size: "hour" }),
  );
  assert.deepEqual(routes(h), ["GET /v2/billing/pods"]);
  assert.deepEqual(h.sim.requests[0]?.query, { bucketSize: "hour" });

  assert.equal(data.rows.length, expected.records.length);
  assert.ok(data.rows.length >= 8, "two pods over 3+ hours span at least 4 buckets each");
  assert.deepEqual(
    data.rows,
    (expected.records as PodRecord[]).map((r) => ({
      start: r.startTime,
      resource_id: r.podId,
      total_usd: round4(r.totalAmount),
      gpu_usd: round4(r.gpuAmount),
      cpu_usd: round4(r.cpuAmount),
      disk_usd: round4(r.diskAmount),
    })),
  );
  assert.deepEqual(new Set(data.rows.map((r) => r.resource_id)), new Set([pod.id, other.id]));
  assert.equal(data.totals.total_usd, round4(expected.metadata.totals.totalAmount));
  const rowSum = data.rows.reduce((s, r) => s + r.total_usd, 0);
  assert.ok(Math.abs(rowSum - data.totals.total_usd) < 0.001);
  // What was billed is what the balance lost.
  assert.ok(Math.abs(100 - h.sim.state.balance - data.totals.total_usd) < 0.001);
  assert.equal(data.bucket_size, "hour");
  assert.equal(data.row_count, data.rows.length, "nothing cut");
});

Deno.test("get_billing_history sends each product to its own route and filter", async () => {
  await using h = await harness();
  const pod = await runningPod(h);
  const ep = await simRequest(h, "POST", "/v2/serverless", {
    ...ALWAYS_ON_ENDPOINT,
    workers: { min: 1, max: 2 },
  });
  assert.equal(ep.status, 201);
  const vol = await simRequest(h, "POST", "/v2/network-volumes", {
    name: "models",
    size: 50,
    dataCenter: "US-KS-2",
  });
  h.sim.advance(2 * HOUR);
  h.sim.clearRequests();

  const pods = dataOf<History>(
    await h.call("get_billing_history", { product: "pods", resource_id: pod.id, last_n: 3 }),
  );
  const serverless = dataOf<History>(
    await h.call("get_billing_history", { product: "serverless", resource_id: ep.json.id }),
  );
  const volumes = dataOf<History>(
    await h.call("get_billing_history", {
      product: "network_volumes",
      resource_id: vol.json.id,
      start_time: "2026-11-01",
      end_time: "2026-11-25T00:00:00+00:00",
    }),
  );
  const all = dataOf<History>(await h.call("get_billing_history", { bucket_size: "week" }));

  assert.deepEqual(
    h.sim.requests.map((r) => [r.path, r.query]),
    [
      ["/v2/billing/pods", { bucketSize: "day", lastN: "3", podId: pod.id }],
      ["/v2/billing/serverless", { bucketSize: "day", serverlessId: ep.json.id }],
      ["/v2/billing/network-volumes", {
        startTime: "2026-11-01T00:00:00Z",
        endTime: "2026-11-25T00:00:00Z",
        bucketSize: "day",
        networkVolumeId: vol.json.id,
      }],
      ["/v2/billing", { bucketSize: "week" }],
    ],
  );
  assert.ok(h.sim.requests.every((r) => r.status === 200));

  assert.ok(pods.rows.length > 0 && pods.rows.every((r) => r.resource_id === pod.id));
  assert.ok(serverless.totals.total_usd > 0);
  assert.ok(serverless.rows.every((r) => r.resource_id === ep.json.id && "fee_usd" in r));
  assert.deepEqual(volumes.rows, []); // the simulator accrues no volume spend
  assert.deepEqual(volumes.totals, { total_usd: 0, standard_usd: 0, high_performance_usd: 0 });

  // The aggregate splits by product, and the parts add up to the total.
  const t = all.totals;
  assert.equal(t.pods_usd, pods.totals.total_usd);
  assert.equal(t.serverless_usd, serverless.totals.total_usd);
  assert.equal(t.public_endpoints_usd, 0);
  assert.ok(
    Math.abs(t.total_usd - (t.pods_usd! + t.serverless_usd! + t.network_volumes_usd!)) < 0.001,
  );
  assert.equal(all.bucket_size, "week");
  assert.ok(all.rows.every((r) => r.resource_id === undefined));
});

Deno.test("get_billing_history shows the newest 200 rows and says it cut the rest", async () => {
  await using h = await harness({ balance: 10_000 });
  await runningPod(h);
  h.sim.advance(10 * 24 * HOUR);
  h.sim.clearRequests();

  const result = await h.call("get_billing_history", {
    product: "pods",
    bucket_size: "hour",
    last_n: 300,
  });
  const data = dataOf<History>(result);
  assert.ok(data.row_count > 200);
  assert.equal(data.rows.length, 200);
  const expected = (await simRequest(h, "GET", "/v2/billing/pods?bucketSize=hour&lastN=300")).json;
  assert.equal(data.row_count, expected.records.length);
  assert.equal(data.rows.at(-1)?.start, expected.records.at(-1).startTime);
  assert.equal(data.totals.total_usd, round4(expected.metadata.totals.totalAmount));
  assert.match(textOf(result), /Showing the newest 200 of \d+ rows/);
});

Deno.test("get_billing_history refuses bad time ranges and filters before sending anything", async () => {
  await using h = await harness();
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { start_time: "2026-11-20T00:00:00Z", end_time: "2026-11-10T00:00:00Z" },
      /Cannot read billing history: start_time .* is not before end_time/,
    ],
    [
      { start_time: "2026-11-10T00:00:00Z", end_time: "2026-11-10T00:00:00Z" },
      /is not before end_time/,
    ],
    [{ start_time: "2026-11-01", last_n: 3 }, /last_n cannot be combined with start_time/],
    [{ start_time: "2027-01-01T00:00:00Z" }, /is in the future/],
    [{ start_time: "last tuesday" }, /ISO 8601/],
    [{ end_time: "2026-11-10T12:00:00" }, /ISO 8601 with a time zone/],
    [{ start_time: "2026-13-45" }, /not a valid date/],
    [{ start_time: "2026-02-30T00:00:00Z" }, /2026-02-30T00:00:00Z is not a valid date/],
    [
      { resource_id: "abc123" },
      /resource_id needs product pods, serverless, network_volumes or clusters/,
    ],
    [{ product: "pods", resource_id: "../pods" }, /only letters, digits/],
    [{ bucket_size: "minute" }, /bucket_size|Invalid/],
    [{ last_n: 0 }, /last_n|Too small|>=1/],
  ];
  for (const [args, pattern] of cases) {
    const text = errorText(await h.call("get_billing_history", args));
    assert.match(text, pattern, JSON.stringify(args));
  }
  assert.deepEqual(h.sim.requests, []);
});

// ---------------------------------------------------------------------------------------------
// get_spend_summary

async function restCatalog(h: Harness): Promise<PriceCatalog> {
  const gpus = (await simRequest(h, "GET", "/v2/catalog/gpus")).json.gpus as GpuType[];
  const cpus = (await simRequest(h, "GET", "/v2/catalog/cpus")).json.cpus as CpuType[];
  return { gpus: () => Promise.resolve(gpus), cpus: () => Promise.resolve(cpus) };
}

Deno.test("get_spend_summary lists what burns money now, flags the idle pod and adds it up", async (t) => {
  await using h = await harness();
  const idle = await runningPod(h);
  const busy = await runningPod(h, { ...TRAINER, name: "busy", gpu: { ...TRAINER.gpu, count: 1 } });
  const stopped = await runningPod(h, {
    ...TRAINER,
    name: "parked",
    gpu: { ...TRAINER.gpu, count: 1 },
    mounts: { persistent: { size: 100, path: "/workspace" } },
  });
  assert.equal(
    (await simRequest(h, "POST", `/v2/pods/${stopped.id}/action`, { action: "stop" })).status,
    200,
  );
  const endpointBody = ALWAYS_ON_ENDPOINT;
  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", endpointBody), []);
  const ep = (await simRequest(h, "POST", "/v2/serverless", endpointBody)).json;
  await simRequest(h, "POST", "/v2/serverless", {
    ...endpointBody,
    name: "scale-to-zero",
    workers: { min: 0, max: 3 },
  });
  const vol = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "models",
    size: 200,
    dataCenter: "US-KS-2",
  })).json;
  h.sim.advance(30 * 60_000);

  // The simulator reports 0 % on every GPU, so the busy pod's utilisation is scripted: the
  // simulator's own pod list, answered once with one GPU at 87 %.
  const listing = (await simRequest(h, "GET", "/v2/pods")).json;
  for (const p of listing.pods) if (p.id === busy.id) p.runtime.gpus[0].util = 87;
  h.sim.injectFault({ kind: "status", status: 200, body: listing, match: { path: "/v2/pods" } });
  const catalog = await restCatalog(h);
  const me = await myself(h);
  h.sim.clearRequests();

  const result = await h.call("get_spend_summary");
  const data = dataOf<Summary>(result);

  assert.deepEqual(routes(h).sort(), [
    "GET /v2/billing/balance",
    "GET /v2/catalog/gpus",
    "GET /v2/network-volumes",
    "GET /v2/pods",
    "GET /v2/serverless",
    "POST /graphql",
  ]);

  const podCost = (id: string) => listing.pods.find((p: { id: string }) => p.id === id).cost;
  const { alwaysOn } = await endpointHourlyCosts(ep, catalog);
  const volumePerHour = round4(networkVolumeMonthlyCost(200, "STANDARD") / HOURS_PER_MONTH);
  const byId = new Map(data.items.map((i) => [i.id, i]));

  assert.equal(byId.get(idle.id)?.cost_per_hour_usd, podCost(idle.id));
  assert.equal(byId.get(idle.id)?.note, "idle: consider stop_pod");
  assert.equal(byId.get(busy.id)?.note, undefined);
  assert.match(byId.get(busy.id)?.detail ?? "", /GPU util 87%/);
  assert.deepEqual(idleOf(data), [idle.id]);

  assert.equal(byId.get(ep.id)?.kind, "endpoint");
  assert.equal(byId.get(ep.id)?.cost_per_hour_usd, alwaysOn);
  assert.ok(alwaysOn !== null && alwaysOn > 0);
  assert.ok(!data.items.some((i) => i.name === "scale-to-zero"));

  assert.equal(byId.get(vol.id)?.cost_per_hour_usd, volumePerHour);
  assert.equal(byId.get(stopped.id)?.kind, "stopped_pod");
  const parkedPerHour = round4(100 * POD_VOLUME_STOPPED_USD_PER_GB_MONTH / HOURS_PER_MONTH);
  assert.equal(byId.get(stopped.id)?.cost_per_hour_usd, parkedPerHour);
  assert.match(
    byId.get(stopped.id)?.detail ?? "",
    /EXITED, 100 GB pod volume \(pod stopped\): \$20\.00\/month \(\$0\.0274\/h\)/,
  );
  assert.match(byId.get(stopped.id)?.note ?? "", /storage keeps billing/);
  assert.ok(data.items.every((i) => i.cost_per_hour_usd !== null), "every item is priced");
  assert.deepEqual(data.burn_missing, []);
  assert.equal(data.items.length, 5);

  // Per kind, the items add up to what each group costs.
  assert.equal(itemsPerHour(data, "pod"), round4(podCost(idle.id) + podCost(busy.id)));
  assert.equal(itemsPerHour(data, "endpoint"), alwaysOn);
  assert.equal(itemsPerHour(data, "network_volume"), volumePerHour);
  assert.equal(itemsPerHour(data, "stopped_pod"), parkedPerHour);
  assert.match(
    textOf(result),
    new RegExp(`pods \\$${itemsPerHour(data, "pod").toFixed(2)} \\(RUNNING `),
  );

  // Dearest first; the summary names the biggest item.
  const costs = data.items.map((i) => i.cost_per_hour_usd ?? -1);
  assert.deepEqual(costs, [...costs].sort((a, b) => b - a));
  assert.equal(data.items[0]?.id, idle.id);
  assert.match(textOf(result), new RegExp(`Biggest: pod ${idle.id} "llama-trainer"`));
  assert.match(
    textOf(result),
    new RegExp(`Idle \\(GPU ≤ 5% for ≥ 10 min\\): ${idle.id}: consider stop_pod`),
  );

  // Balance and runway come from the same logic as get_balance.
  assert.equal(data.balance_usd, me.clientBalance);
  assert.equal(data.spend_per_hour_usd, me.currentSpendPerHr);
  const burn = Math.max(itemsPerHour(data), me.currentSpendPerHr);
  assert.equal(data.burn_per_hour_usd, burn);
  assert.equal(data.burn_complete, true);
  assert.equal(data.runway_hours, Math.round((me.clientBalance / burn) * 10) / 10);
});

Deno.test("get_spend_summary on an account with nothing running says so and reads no prices", async () => {
  await using h = await harness();
  const data = dataOf<Summary>(await h.call("get_spend_summary"));
  assert.deepEqual(data.items, []);
  assert.equal(data.burn_per_hour_usd, 0);
  assert.equal(data.runway_hours, null);
  assert.ok(!routes(h).includes("GET /v2/catalog/gpus"));
  assert.match(
    textOf(await h.call("get_spend_summary")),
    /Nothing is burning money now.*\n.*no burn/,
  );
});

Deno.test("get_balance and get_spend_summary agree on one burn that counts starting pods and always-on workers", async () => {
  await using h = await harness();
  const ep = (await simRequest(h, "POST", "/v2/serverless", ALWAYS_ON_ENDPOINT)).json;
  const pods = [];
  for (const name of ["a", "b", "c"]) pods.push(await seedPod(h, { ...TRAINER, name }));
  h.sim.advance(10_000); // still PROVISIONING (20 s)
  const me = await myself(h);
  const catalog = await restCatalog(h);

  const balance = dataOf<Balance>(await h.call("get_balance"));
  const summaryResult = await h.call("get_spend_summary");
  const summary = dataOf<Summary>(summaryResult);

  // The same figure and runway from both tools.
  const shared = (d: BurnFields) => ({
    burn_per_hour_usd: d.burn_per_hour_usd,
    burn_complete: d.burn_complete,
    runway_hours: d.runway_hours,
  });
  assert.deepEqual(shared(balance), shared(summary));
  assert.equal(balance.balance_usd, summary.balance_usd);
  assert.equal(balance.spend_per_hour_usd, summary.spend_per_hour_usd);

  // It counts the three starting pods and the always-on worker...
  const podsPerHour = round4(pods.reduce((s, p) => s + (p.cost as number), 0));
  const { alwaysOn } = await endpointHourlyCosts(ep, catalog);
  assert.ok(podsPerHour > 0 && alwaysOn !== null && alwaysOn > 0);
  assert.equal(itemsPerHour(summary, "pod"), podsPerHour);
  assert.ok(
    summary.items.filter((i) => i.kind === "pod").every((i) => /PROVISIONING/.test(i.detail)),
  );
  assert.equal(balance.burn_per_hour_usd, round4(podsPerHour + alwaysOn));
  assert.equal(
    balance.runway_hours,
    Math.round((me.clientBalance / balance.burn_per_hour_usd) * 10) / 10,
  );
  assert.match(
    textOf(summaryResult),
    /Counted: pods \$\d+\.\d\d \(PROVISIONING \$\d+\.\d\d\), always-on endpoint workers/,
  );

  // ...which RunPod's own figure leaves out, so alone it would say less and last longer.
  assert.equal(me.currentSpendPerHr, balance.spend_per_hour_usd);
  assert.ok(me.currentSpendPerHr <= alwaysOn, "no starting pod is in RunPod's figure");
  assert.ok(me.currentSpendPerHr < balance.burn_per_hour_usd);
  const runpodRunway = Math.round((me.clientBalance / me.currentSpendPerHr) * 10) / 10;
  assert.ok(runpodRunway > (balance.runway_hours ?? Infinity));
});

Deno.test("get_spend_summary calls a pod idle only after 10 minutes RUNNING at ≤ 5% GPU", async () => {
  await using h = await harness();
  const pod = await seedPod(h, TRAINER);
  const idleIds = async () => idleOf(dataOf<Summary>(await h.call("get_spend_summary")));

  h.sim.advance(55_000); // RUNNING for a few seconds: still loading, never idle
  const young = dataOf<Summary>(await h.call("get_spend_summary"));
  const item = young.items.find((i) => i.id === pod.id);
  assert.match(item?.detail ?? "", /RUNNING, GPU util 0%/);
  assert.deepEqual(idleOf(young), []);
  assert.equal(item?.note, undefined);

  h.sim.advance(IDLE_MIN_UPTIME_S * 1000 - 10_000); // 5 s short of 10 minutes RUNNING
  assert.deepEqual(await idleIds(), []);
  h.sim.advance(10_000);
  assert.deepEqual(await idleIds(), [pod.id]);
  assert.equal(IDLE_MIN_UPTIME_S, 600);
  assert.equal(IDLE_GPU_UTIL_PERCENT, 5);
});
