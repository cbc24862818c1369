import assert from "node:assert/strict";
import {
  accountBurn,
  type BurnFigure,
  type ReserveResult,
  SpendLedger,
} from "../src/policy/burn.ts";
import {
  HOURS_PER_MONTH,
  networkVolumeMonthlyCost,
  POD_VOLUME_STOPPED_USD_PER_GB_MONTH,
  type PriceCatalog,
  priceCatalog,
  round4,
} from "../src/policy/estimate.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import type { GpuType } from "../src/runpod/schemas.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { ALWAYS_ON_ENDPOINT, IMAGE } from "./_write_tools.ts";

// ---------------------------------------------------------------------------------------------
// accountBurn, against the simulator in-process

const KEY = "rpa_TESTKEY0123456789abcdefXYZ";
const RTX_4090 = "NVIDIA GeForce RTX 4090";

function setup() {
  const sim = new RunpodSimulator({ apiKey: KEY, balance: 100 });
  const runpod = new RunpodClient({
    apiKey: KEY,
    fetch: sim.fetch,
    maxAttempts: 1,
    sleep: () => Promise.resolve(),
  });
  // deno-lint-ignore no-explicit-any
  const send = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await sim.fetch(`https://rest.runpod.io${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`Cannot set up: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const pod = (name: string, extra: Record<string, unknown> = {}) =>
    send("POST", "/v2/pods", { name, image: IMAGE, gpu: { id: RTX_4090, count: 1 }, ...extra });
  return { sim, runpod, send, pod };
}

/** A catalog that counts its reads and knows only the GPU types given. */
function fakeCatalog(gpus: GpuType[]): PriceCatalog & { reads: number } {
  const catalog = {
    reads: 0,
    gpus: () => {
      catalog.reads++;
      return Promise.resolve(gpus);
    },
    cpus: () => Promise.resolve([]),
  };
  return catalog;
}

Deno.test("accountBurn counts pods PROVISIONING and STARTING, which RunPod's own figure leaves out", async () => {
  const { sim, runpod, pod } = setup();
  const a = await pod("a");
  await pod("b");
  sim.advance(25_000); // both STARTING (PROVISIONING lasts 20 s)
  await pod("c"); // PROVISIONING
  const burn = await accountBurn(runpod, priceCatalog(runpod));

  assert.equal(a.cost, 0.69);
  assert.deepEqual(burn.podsByStatus, { STARTING: 1.38, PROVISIONING: 0.69 });
  assert.equal(burn.pods, 2.07);
  assert.equal(burn.computedUsdPerHour, 2.07);
  assert.equal(burn.reportedUsdPerHour, 0, "RunPod's figure counts RUNNING pods only");
  assert.equal(burn.usdPerHour, 2.07);
  assert.equal(burn.complete, true);

  sim.advance(60_000); // all RUNNING: now RunPod's figure agrees with the count
  const running = await accountBurn(runpod, priceCatalog(runpod));
  assert.deepEqual(running.podsByStatus, { RUNNING: 2.07 });
  assert.equal(running.reportedUsdPerHour, 2.07);
  assert.equal(running.usdPerHour, 2.07);
});

Deno.test("accountBurn prices a starting pod from the catalog when RunPod shows cost 0", async () => {
  const { sim, runpod, pod, send } = setup();
  const p = await pod("starting");
  const listing = await send("GET", "/v2/pods");
  listing.pods[0].cost = 0;
  sim.injectFault({ kind: "status", status: 200, body: listing, match: { path: "/v2/pods" } });
  const gpus = (await send("GET", "/v2/catalog/gpus")).gpus as GpuType[];
  const catalog = fakeCatalog(gpus);

  const burn = await accountBurn(runpod, catalog);
  const item = burn.items[0];
  assert.equal(item?.kind, "pod");
  assert.equal(item?.kind === "pod" && item.priceSource, "list");
  assert.equal(item?.usdPerHour, gpus.find((g) => g.id === RTX_4090)?.price.secure);
  assert.deepEqual(burn.podsByStatus, { PROVISIONING: p.cost });
  assert.equal(catalog.reads, 1);
});

Deno.test("accountBurn fails closed on a pod it cannot price: incomplete, with the reason", async () => {
  const { sim, runpod, pod, send } = setup();
  const p = await pod("mystery");
  const listing = await send("GET", "/v2/pods");
  listing.pods[0].cost = 0;
  sim.injectFault({ kind: "status", status: 200, body: listing, match: { path: "/v2/pods" } });

  const burn = await accountBurn(runpod, fakeCatalog([]));
  assert.equal(burn.complete, false);
  assert.equal(burn.items[0]?.usdPerHour, null);
  assert.equal(burn.missing.length, 1);
  assert.match(burn.missing[0] ?? "", new RegExp(`pod ${p.id} \\(${RTX_4090}, PROVISIONING\\)`));
  assert.equal(burn.usdPerHour, 0);
});

Deno.test("accountBurn fails closed on always-on workers it cannot price", async () => {
  const { runpod, send } = setup();
  const ep = await send("POST", "/v2/serverless", ALWAYS_ON_ENDPOINT);
  const burn = await accountBurn(runpod, fakeCatalog([]));
  assert.equal(burn.complete, false);
  assert.match(burn.missing[0] ?? "", new RegExp(`endpoint ${ep.id}: 1 always-on worker`));
});

Deno.test("accountBurn adds always-on workers, network volumes and stopped pods' volumes", async () => {
  const { sim, runpod, send, pod } = setup();
  const parked = await pod("parked", { mounts: { persistent: { size: 100, path: "/workspace" } } });
  await pod("no-volume");
  sim.advance(60_000);
  await send("POST", `/v2/pods/${parked.id}/action`, { action: "stop" });
  const ep = await send("POST", "/v2/serverless", ALWAYS_ON_ENDPOINT);
  await send("POST", "/v2/serverless", {
    ...ALWAYS_ON_ENDPOINT,
    name: "scale-to-zero",
    workers: { min: 0, max: 2 },
  });
  await send("POST", "/v2/network-volumes", { name: "models", size: 200, dataCenter: "US-KS-2" });
  const catalog = priceCatalog(runpod);

  const burn = await accountBurn(runpod, catalog);
  const worker = Math.max(
    ...(await catalog.gpus()).filter((g) => g.pool === "ADA_24").map((g) => g.price.serverless!),
  );
  assert.equal(burn.endpoints, worker);
  assert.deepEqual(burn.items.filter((i) => i.kind === "endpoint").map((i) => i.endpoint.id), [
    ep.id,
  ]);
  assert.equal(
    burn.networkVolumes,
    round4(networkVolumeMonthlyCost(200, "STANDARD") / HOURS_PER_MONTH),
  );
  assert.equal(
    burn.stoppedPodVolumes,
    round4(100 * POD_VOLUME_STOPPED_USD_PER_GB_MONTH / HOURS_PER_MONTH),
  );
  assert.deepEqual(burn.podsByStatus, { RUNNING: 0.69 });
  assert.equal(
    burn.computedUsdPerHour,
    round4(burn.pods + burn.endpoints + burn.networkVolumes + burn.stoppedPodVolumes),
  );
  assert.equal(burn.items.length, 4, "running pod, stopped pod, one endpoint, one volume");
});

Deno.test("accountBurn uses RunPod's figure when it is the higher one, never the lower", async () => {
  const { sim, runpod, pod } = setup();
  await pod("a");
  sim.injectFault({
    kind: "status",
    status: 200,
    body: {
      data: { myself: { id: "u", clientBalance: 100, currentSpendPerHr: 9.5, spendLimit: null } },
    },
    match: { path: "/graphql" },
  });
  const burn = await accountBurn(runpod, priceCatalog(runpod));
  assert.equal(burn.computedUsdPerHour, 0.69);
  assert.equal(burn.reportedUsdPerHour, 9.5);
  assert.equal(burn.usdPerHour, 9.5);

  const given = await accountBurn(runpod, priceCatalog(runpod), undefined, { reported: 0.1 });
  assert.equal(given.usdPerHour, 0.69);
  assert.equal(sim.requests.filter((r) => r.path === "/graphql").length, 1, "reported reused");
});

Deno.test("accountBurn counts on without RunPod's figure when GraphQL fails, and says why", async () => {
  const { sim, runpod, pod } = setup();
  await pod("a");
  sim.injectFault({ kind: "status", status: 500, match: { path: "/graphql" } });
  const burn = await accountBurn(runpod, priceCatalog(runpod));
  assert.equal(burn.reportedUsdPerHour, null);
  assert.match(burn.reportedError ?? "", /500/);
  assert.equal(burn.usdPerHour, 0.69);
  assert.equal(burn.complete, true);
});

// ---------------------------------------------------------------------------------------------
// SpendLedger

function figure(usdPerHour: number, complete = true): BurnFigure {
  return { usdPerHour, complete, missing: complete ? [] : ["pod x: no price"] };
}

/** A promise and the function that resolves it, so a test decides when a burn read ends. */
function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets queued promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

Deno.test("SpendLedger lets exactly as many parallel reserves fit as the cap allows", async () => {
  const ledger = new SpendLedger();
  let reading = 0;
  let mostAtOnce = 0;
  const burnNow = async () => {
    reading++;
    mostAtOnce = Math.max(mostAtOnce, reading);
    await settle();
    reading--;
    return figure(0.2);
  };
  // 0.2 + 4 × 0.44 = 1.96 is exactly the cap; a fifth would be 2.40.
  const results = await Promise.all(
    Array.from({ length: 10 }, () => ledger.reserve(0.44, 1.96, burnNow)),
  );

  assert.equal(results.filter((r) => r.ok).length, 4);
  assert.deepEqual(results.map((r) => r.ok), [true, true, true, true, ...Array(6).fill(false)]);
  assert.equal(mostAtOnce, 1, "burn reads never overlap");
  assert.equal(ledger.reservedUsdPerHour, 1.76);
  const refusal = results[4];
  assert.ok(refusal && !refusal.ok);
  assert.deepEqual(
    {
      reason: refusal.reason,
      burn: refusal.burn.usdPerHour,
      reserved: refusal.reservedUsdPerHour,
      adding: refusal.addingUsdPerHour,
      cap: refusal.capUsdPerHour,
    },
    { reason: "over-cap", burn: 0.2, reserved: 1.76, adding: 0.44, cap: 1.96 },
  );
});

Deno.test("SpendLedger lets a write that lands exactly on the cap fit, despite float sums", async () => {
  // 0.1 + 0.2 is 0.30000000000000004 in floating point.
  const ledger = new SpendLedger();
  assert.equal((await ledger.reserve(0.2, 0.3, () => Promise.resolve(figure(0.1)))).ok, true);
  assert.equal((await ledger.reserve(0.0001, 0.3, () => Promise.resolve(figure(0.1)))).ok, false);
});

Deno.test("SpendLedger reads the next burn only after the previous write was held", async () => {
  // Two creates race; the first one's pod appears in the account before the second reads the
  // burn. Without one-at-a-time turns both reads see an empty account and both fit.
  const ledger = new SpendLedger();
  let world = 0;
  const reads: { seen: number; end: ReturnType<typeof gate<BurnFigure>> }[] = [];
  const burnNow = () => {
    const read = { seen: world, end: gate<BurnFigure>() };
    reads.push(read);
    return read.end.promise;
  };
  const create = async () => {
    const r = await ledger.reserve(0.69, 1, burnNow);
    if (r.ok) {
      world += 0.69; // RunPod created it
      r.reservation.release(); // the write settled
    }
    return r;
  };
  const first = create();
  const second = create();
  await settle();
  assert.equal(reads.length, 1, "the second read waits for the first turn");
  reads[0]!.end.open(figure(reads[0]!.seen));
  assert.equal((await first).ok, true);
  await settle();
  assert.equal(reads.length, 2);
  assert.equal(reads[1]!.seen, 0.69);
  reads[1]!.end.open(figure(reads[1]!.seen));
  const refused = await second;
  assert.equal(refused.ok, false);
  assert.equal(world, 0.69);
});

Deno.test("SpendLedger still counts a write released while a burn was being read", async () => {
  const ledger = new SpendLedger();
  const held = await ledger.reserve(0.69, 1, () => Promise.resolve(figure(0)));
  assert.ok(held.ok);
  const read = gate<BurnFigure>();
  const next = ledger.reserve(0.69, 1, () => read.promise);
  await settle();
  // The first pod is created after the listing was taken, and its write settles meanwhile.
  held.reservation.release();
  read.open(figure(0));
  const result = await next;
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.reservedUsdPerHour, 0.69);
  assert.equal(ledger.reservedUsdPerHour, 0);
});

Deno.test("SpendLedger release is idempotent and frees only its own share", async () => {
  const ledger = new SpendLedger();
  const burn = () => Promise.resolve(figure(0));
  const a = await ledger.reserve(0.5, 1, burn);
  const b = await ledger.reserve(0.5, 1, burn);
  assert.ok(a.ok && b.ok);
  assert.equal((await ledger.reserve(0.5, 1, burn)).ok, false);
  a.reservation.release();
  a.reservation.release();
  assert.equal(a.reservation.released, true);
  assert.equal(b.reservation.released, false);
  assert.equal(ledger.reservedUsdPerHour, 0.5);
  const c = await ledger.reserve(0.5, 1, burn);
  assert.ok(c.ok, "the freed share fits again");
  assert.equal((await ledger.reserve(0.5, 1, burn)).ok, false, "but only once");
});

Deno.test("SpendLedger refuses when the burn is not fully priced, even under the cap", async () => {
  const ledger = new SpendLedger();
  const result: ReserveResult<BurnFigure> = await ledger.reserve(
    0.1,
    100,
    () => Promise.resolve(figure(0, false)),
  );
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.reason, "incomplete");
  assert.deepEqual(!result.ok && result.burn.missing, ["pod x: no price"]);
  assert.equal(ledger.reservedUsdPerHour, 0);
});

Deno.test("SpendLedger holds nothing when the burn read fails, and the next caller still gets a turn", async () => {
  const ledger = new SpendLedger();
  const failed = ledger.reserve(0.5, 1, () => Promise.reject(new Error("listPods failed")));
  const after = ledger.reserve(0.5, 1, () => Promise.resolve(figure(0)));
  await assert.rejects(failed, /listPods failed/);
  assert.equal((await after).ok, true);
  assert.equal(ledger.reservedUsdPerHour, 0.5);
  await assert.rejects(ledger.reserve(Number.NaN, 1, () => Promise.resolve(figure(0))), RangeError);
  await assert.rejects(ledger.reserve(0.1, -1, () => Promise.resolve(figure(0))), RangeError);
});
