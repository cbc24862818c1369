import assert from "node:assert/strict";
import { dataOf, startHarness, textOf } from "./_harness.ts";

interface Row {
  id: string;
  name: string;
  vram_gb: number;
  pool: string | null;
  secure_price: number | null;
  community_price: number | null;
  serverless_price: number | null;
  max_gpus: number | null;
  availability?: string;
}
interface Listing {
  gpus: Row[];
  count: number;
  out_of_stock_hidden: number;
}

function assertSortedBy(rows: Row[], price: (r: Row) => number | null) {
  for (let i = 1; i < rows.length; i++) {
    const prev = price(rows[i - 1]!) ?? Infinity;
    const next = price(rows[i]!) ?? Infinity;
    assert.ok(prev <= next, `row ${i} is out of price order`);
  }
}

Deno.test("list_gpu_types with no arguments lists what is in stock now, cheapest first, in one read", async () => {
  await using h = await startHarness();
  const result = await h.call("list_gpu_types");
  const data = dataOf<Listing>(result);

  assert.equal(h.sim.requests.length, 1);
  const [request] = h.sim.requests;
  assert.equal(request?.method, "GET");
  assert.equal(request?.path, "/v2/catalog/gpus");
  assert.deepEqual(request?.query, {
    include: "AVAILABILITY",
    product: "POD",
    count: "1",
    cloud: "SECURE",
  });
  assert.equal(request?.headers.authorization, "Bearer [REDACTED]");

  assert.ok(data.count >= 10);
  assert.equal(data.count, data.gpus.length);
  assert.match(textOf(result), /\(secure prices, per GPU-hour\)/);
  assert.ok(data.gpus.every((g) => g.secure_price !== null && g.availability !== undefined));
  assert.ok(data.gpus.every((g) => g.availability !== "NONE"), "out-of-stock rows are left out");
  assertSortedBy(data.gpus, (r) => r.secure_price);
  assert.deepEqual(
    Object.keys(data.gpus[0]!).sort(),
    [
      "availability",
      "community_price",
      "id",
      "max_gpus",
      "name",
      "pool",
      "secure_price",
      "serverless_price",
      "vram_gb",
    ],
  );
  const rtx4090 = data.gpus.find((g) => g.id === "NVIDIA GeForce RTX 4090");
  assert.ok(rtx4090, "the catalog has an RTX 4090");
  assert.equal(rtx4090.vram_gb, 24);
  assert.equal(rtx4090.pool, "ADA_24");
  assert.match(textOf(result), /GPU types \(secure prices, per GPU-hour\)\. Cheapest: /);
});

Deno.test("list_gpu_types asks RunPod for stock only when asked, for the count and cloud given", async () => {
  await using h = await startHarness();
  const data = dataOf<Listing>(
    await h.call("list_gpu_types", { available_only: true, gpu_count: 2, cloud: "COMMUNITY" }),
  );
  assert.deepEqual(h.sim.requests.map((r) => r.query), [{
    include: "AVAILABILITY",
    product: "POD",
    count: "2",
    cloud: "COMMUNITY",
  }]);
  assert.ok(data.gpus.length > 0);
  for (const gpu of data.gpus) {
    assert.notEqual(gpu.availability, "NONE");
    assert.ok(gpu.availability !== undefined);
    assert.ok(gpu.community_price !== null, `${gpu.id} is not on community cloud`);
    assert.ok(gpu.max_gpus === null || gpu.max_gpus >= 2);
  }
  assertSortedBy(data.gpus, (r) => r.community_price);
});

Deno.test("list_gpu_types drops a GPU type once RunPod reports it out of stock", async () => {
  await using h = await startHarness();
  const before = dataOf<Listing>(await h.call("list_gpu_types", { available_only: true }));
  const cheapest = before.gpus[0]!;
  h.sim.setGpuStock(cheapest.id, "NONE");
  const after = dataOf<Listing>(await h.call("list_gpu_types", { available_only: true }));
  assert.ok(!after.gpus.some((g) => g.id === cheapest.id));
  const all = dataOf<Listing>(await h.call("list_gpu_types", { available_only: false }));
  assert.equal(all.gpus.find((g) => g.id === cheapest.id)?.availability, "NONE");
});

Deno.test("list_gpu_types for serverless keeps only pooled GPUs, sorted by serverless price", async () => {
  await using h = await startHarness();
  const result = await h.call("list_gpu_types", {
    product: "SERVERLESS",
    include_availability: true,
  });
  const data = dataOf<Listing>(result);
  assert.deepEqual(h.sim.requests[0]?.query, {
    include: "AVAILABILITY",
    product: "SERVERLESS",
    count: "1",
  });
  assert.ok(data.gpus.length > 0);
  assert.ok(data.gpus.every((g) => g.pool !== null && g.serverless_price !== null));
  assertSortedBy(data.gpus, (r) => r.serverless_price);
  assert.match(textOf(result), /\(serverless prices, per GPU-hour\)/);
});

Deno.test("list_gpu_types applies VRAM and price limits", async () => {
  await using h = await startHarness();
  const data = dataOf<Listing>(
    await h.call("list_gpu_types", { min_vram_gb: 40, max_price_per_hour: 2.5 }),
  );
  assert.ok(data.gpus.length > 0);
  for (const gpu of data.gpus) {
    assert.ok(gpu.vram_gb >= 40, gpu.id);
    assert.ok(gpu.secure_price !== null && gpu.secure_price <= 2.5, gpu.id);
  }
  const none = await h.call("list_gpu_types", { min_vram_gb: 4000 });
  assert.equal(dataOf<Listing>(none).count, 0);
  assert.match(textOf(none), /No GPU type matches/);
});

Deno.test("list_gpu_types rejects bad arguments before anything reaches RunPod", async () => {
  await using h = await startHarness();
  for (
    const args of [
      { min_vram_gb: -1 },
      { cloud: "ALL" },
      { gpu_count: 0 },
      { max_price_per_hour: "cheap" },
    ]
  ) {
    const result = await h.call("list_gpu_types", args);
    assert.equal(result.isError, true, JSON.stringify(args));
    assert.match(textOf(result), /Input validation error/);
  }
  assert.equal(h.sim.requests.length, 0);
});

Deno.test("list_gpu_types by default never offers a GPU with no stock as the cheapest fit", async () => {
  await using h = await startHarness();
  const before = dataOf<Listing>(await h.call("list_gpu_types", { min_vram_gb: 24 }));
  const cheapest = before.gpus[0]!;
  assert.equal(before.out_of_stock_hidden, 0);
  h.sim.setGpuStock(cheapest.id, "NONE");
  h.sim.clearRequests();

  const result = await h.call("list_gpu_types", { min_vram_gb: 24 });
  const after = dataOf<Listing>(result);
  assert.equal(h.sim.requests.length, 1, "one RunPod request");
  // What a model does with the default listing: the cheapest row with enough VRAM.
  const pick = after.gpus.filter((g) => g.vram_gb >= 24)
    .sort((a, b) => a.secure_price! - b.secure_price!)[0]!;
  assert.notEqual(pick.id, cheapest.id);
  assert.notEqual(pick.availability, "NONE");
  assert.equal(after.out_of_stock_hidden, 1);
  assert.match(textOf(result), /1 more match but have no stock now \(available_only=false/);

  const all = dataOf<Listing>(
    await h.call("list_gpu_types", { min_vram_gb: 24, available_only: false }),
  );
  assert.equal(all.gpus.find((g) => g.id === cheapest.id)?.availability, "NONE");
  assert.equal(all.count, after.count + 1);
});

Deno.test("list_gpu_types without stock sends the plain catalog read", async () => {
  await using h = await startHarness();
  const data = dataOf<Listing>(
    await h.call("list_gpu_types", { include_availability: false, available_only: false }),
  );
  assert.deepEqual(h.sim.requests.map((r) => r.query), [{}]);
  assert.ok(data.gpus.every((g) => g.availability === undefined));
});
