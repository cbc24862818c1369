import assert from "node:assert/strict";
import { listCpuTypesTool, listDataCentersTool } from "../src/tools/catalog_more.ts";
import { dataOf, type Harness, startHarness, textOf } from "./_harness.ts";

const LEVELS = ["NONE", "LOW", "MEDIUM", "HIGH"];
const RTX_4090 = "NVIDIA GeForce RTX 4090";

interface DcRow {
  id: string;
  name: string;
  region: string;
  network_volumes: string[];
  global_network: boolean;
  compliance: string[];
  gpu_stock?: string;
  gpus_available?: number;
}
interface DcListing {
  data_centers: DcRow[];
  count: number;
}

/** Ids of the DCs where the asked gpu_type has stock now. */
const inStock = (data: DcListing) =>
  data.data_centers.filter((r) => r.gpu_stock !== "NONE").map((r) => r.id);

interface CpuRow {
  id: string;
  name: string;
  vcpu_min: number;
  vcpu_max: number;
  ram_gb_per_vcpu: number;
  price_per_vcpu_hour: number;
  price_per_hour?: number;
  availability?: string;
}
interface CpuListing {
  cpus: CpuRow[];
  count: number;
}

function harness(): Promise<Harness> {
  return startHarness({ server: { tools: [listDataCentersTool, listCpuTypesTool] } });
}

function queries(h: Harness): Record<string, string>[] {
  return h.sim.requests.map((r) => r.query);
}

function assertCheapestFirst(rows: CpuRow[]) {
  for (let i = 1; i < rows.length; i++) {
    assert.ok(
      rows[i - 1]!.price_per_vcpu_hour <= rows[i]!.price_per_vcpu_hour,
      `row ${i} is out of price order`,
    );
  }
}

Deno.test("list_data_centers and list_cpu_types are read-only catalog tools with output schemas", async () => {
  await using h = await harness();
  const { tools } = await h.client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ["list_data_centers", "list_cpu_types"]);
  for (const tool of tools) {
    assert.deepEqual(
      {
        read: tool.annotations?.readOnlyHint,
        destructive: tool.annotations?.destructiveHint,
        idempotent: tool.annotations?.idempotentHint,
        openWorld: tool.annotations?.openWorldHint,
      },
      // destructiveHint and idempotentHint mean nothing on a read-only tool; the list omits them.
      { read: true, destructive: undefined, idempotent: undefined, openWorld: true },
    );
    assert.ok(tool.outputSchema, `${tool.name} has an output schema`);
    assert.ok((tool.description ?? "").length < 600, `${tool.name} description is short`);
    for (const [name, prop] of Object.entries(tool.inputSchema.properties ?? {})) {
      const description = (prop as { description?: string }).description ?? "";
      assert.match(description, /e\.g\./, `${tool.name}.${name} has an example`);
    }
  }
});

Deno.test("list_data_centers with no arguments reads the catalog once without a query and returns compact rows", async () => {
  await using h = await harness();
  const result = await h.call("list_data_centers");
  const data = dataOf<DcListing>(result);

  assert.deepEqual(h.sim.requests.map((r) => `${r.method} ${r.path}`), [
    "GET /v2/catalog/datacenters",
  ]);
  assert.deepEqual(queries(h), [{}]);
  assert.equal(data.count, h.sim.state.dataCenters.size);
  assert.equal(data.count, data.data_centers.length);
  assert.ok(data.data_centers.every((r) => r.gpu_stock === undefined));
  for (const row of data.data_centers) {
    assert.deepEqual(Object.keys(row).sort(), [
      "compliance",
      "global_network",
      "id",
      "name",
      "network_volumes",
      "region",
    ]);
    const seed = h.sim.state.dataCenters.get(row.id);
    assert.ok(seed, `${row.id} is a simulator data center`);
    assert.deepEqual(row.network_volumes, seed.networkVolumeTypes);
    assert.equal(row.global_network, seed.globalNetwork);
  }
  assert.match(textOf(result), new RegExp(`^${data.count} data centers\\.`));
});

Deno.test("list_data_centers passes region, compliance, volume tier and global network to RunPod as filters", async () => {
  await using h = await harness();
  const data = dataOf<DcListing>(
    await h.call("list_data_centers", {
      region: "EUROPE",
      compliance: "GDPR",
      network_volume_type: "STANDARD",
      global_network: true,
    }),
  );
  assert.deepEqual(queries(h), [{
    regions: "EUROPE",
    compliance: "GDPR",
    networkVolumeTypes: "STANDARD",
    globalNetwork: "true",
  }]);
  assert.ok(data.count > 0);
  const all = [...h.sim.state.dataCenters.values()];
  assert.ok(data.count < all.length, "the filters removed some data centers");
  for (const row of data.data_centers) {
    assert.equal(row.region, "EUROPE");
    assert.ok(row.compliance.includes("GDPR"));
    assert.ok(row.network_volumes.includes("STANDARD"));
    assert.equal(row.global_network, true);
  }
});

Deno.test("list_data_centers applies network_volume_support on its side, since RunPod has no such filter", async () => {
  await using h = await harness();
  const total = dataOf<DcListing>(await h.call("list_data_centers")).count;
  h.sim.clearRequests();

  const withVolumes = dataOf<DcListing>(
    await h.call("list_data_centers", { network_volume_support: true }),
  );
  const without = dataOf<DcListing>(
    await h.call("list_data_centers", { network_volume_support: false }),
  );
  assert.deepEqual(queries(h), [{}, {}]);
  assert.ok(withVolumes.count > 0 && without.count > 0);
  assert.equal(withVolumes.count + without.count, total);
  assert.ok(withVolumes.data_centers.every((row) => row.network_volumes.length > 0));
  assert.ok(without.data_centers.every((row) => row.network_volumes.length === 0));
});

Deno.test("list_data_centers with gpu_type asks for GPU availability and lists DCs with stock first", async () => {
  await using h = await harness();
  const result = await h.call("list_data_centers", { gpu_type: RTX_4090 });
  const data = dataOf<DcListing>(result);

  assert.deepEqual(queries(h), [{ include: "GPU_AVAILABILITY" }]);
  const rows = data.data_centers;
  assert.equal(rows.length, h.sim.state.dataCenters.size);
  for (const row of rows) {
    assert.ok(LEVELS.includes(row.gpu_stock ?? ""), `${row.id} has a stock level`);
    assert.equal(row.gpus_available, undefined);
  }
  for (let i = 1; i < rows.length; i++) {
    assert.ok(
      LEVELS.indexOf(rows[i - 1]!.gpu_stock!) >= LEVELS.indexOf(rows[i]!.gpu_stock!),
      `row ${i} is out of stock order`,
    );
  }

  const seeded = h.sim.state.gpuTypes.get(RTX_4090)!.stock;
  const expected = Object.entries(seeded).filter(([, level]) => level !== "NONE").map(([id]) => id);
  assert.ok(expected.length > 0);
  assert.deepEqual(inStock(data).sort(), [...expected].sort());
  assert.deepEqual(rows.slice(0, expected.length).map((r) => r.id).sort(), [...expected].sort());
  for (const row of rows) assert.equal(row.gpu_stock, seeded[row.id] ?? "NONE");

  const text = textOf(result);
  assert.match(text, new RegExp(`in stock in ${expected.length}: `));
  for (const id of expected) assert.ok(text.includes(id), `summary names ${id}`);
});

Deno.test("list_data_centers accepts a GPU's display name as gpu_type", async () => {
  await using h = await harness();
  const byId = dataOf<DcListing>(await h.call("list_data_centers", { gpu_type: RTX_4090 }));
  const byName = dataOf<DcListing>(await h.call("list_data_centers", { gpu_type: "rtx 4090" }));
  assert.deepEqual(inStock(byName), inStock(byId));
  assert.deepEqual(
    byName.data_centers.map((r) => r.gpu_stock),
    byId.data_centers.map((r) => r.gpu_stock),
  );
});

Deno.test("list_data_centers says when the GPU has no stock, or when no listed DC offers it", async () => {
  await using h = await harness();
  h.sim.setGpuStock(RTX_4090, "NONE");
  const soldOut = await h.call("list_data_centers", { gpu_type: RTX_4090 });
  assert.deepEqual(inStock(dataOf<DcListing>(soldOut)), []);
  assert.match(textOf(soldOut), /has no stock in any of them now.*list_gpu_types/);

  // The L40 is only in a North American DC, so no European DC offers it.
  const elsewhere = await h.call("list_data_centers", { gpu_type: "NVIDIA L40", region: "EUROPE" });
  assert.ok(dataOf<DcListing>(elsewhere).data_centers.every((r) => r.gpu_stock === "NONE"));
  assert.match(textOf(elsewhere), /None of them offers 'NVIDIA L40'; check the id with/);

  const unknown = await h.call("list_data_centers", { gpu_type: "RTX 9999" });
  assert.match(textOf(unknown), /None of them offers 'RTX 9999'/);
});

Deno.test("list_data_centers counts GPU types in stock per DC when include_gpu_availability is set", async () => {
  await using h = await harness();
  const result = await h.call("list_data_centers", {
    include_gpu_availability: true,
    region: "EUROPE",
  });
  const data = dataOf<DcListing>(result);
  assert.deepEqual(queries(h), [{ include: "GPU_AVAILABILITY", regions: "EUROPE" }]);
  assert.ok(data.count > 0);
  for (const row of data.data_centers) {
    const inStock = [...h.sim.state.gpuTypes.values()].filter((g) =>
      !g.hiddenFromRest && (g.stock[row.id] ?? "NONE") !== "NONE"
    ).length;
    assert.equal(row.gpus_available, inStock, row.id);
    assert.equal(row.gpu_stock, undefined);
  }
  const most = Math.max(...data.data_centers.map((row) => row.gpus_available ?? 0));
  assert.ok(most > 0);
  assert.match(textOf(result), new RegExp(`Most GPU types in stock: [A-Z0-9-]+ \\(${most}\\)\\.`));
});

Deno.test("list_data_centers says how to widen the search when nothing matches", async () => {
  await using h = await harness();
  const result = await h.call("list_data_centers", { region: "AFRICA", gpu_type: RTX_4090 });
  const data = dataOf<DcListing>(result);
  assert.equal(data.count, 0);
  assert.match(textOf(result), /^No data center matches these filters/);
});

Deno.test("list_data_centers rejects bad arguments without calling RunPod", async () => {
  await using h = await harness();
  for (
    const args of [
      { region: "MARS" },
      { compliance: "SOC_2" },
      { network_volume_type: "FAST" },
      { include_gpu_availability: "yes" },
      { gpu_type: "" },
    ]
  ) {
    const result = await h.call("list_data_centers", args);
    assert.equal(result.isError, true, JSON.stringify(args));
    assert.match(textOf(result), /Input validation error/);
  }
  const contradiction = await h.call("list_data_centers", {
    network_volume_support: false,
    network_volume_type: "STANDARD",
  });
  assert.equal(contradiction.isError, true);
  assert.match(textOf(contradiction), /^Cannot list data centers: /);
  assert.equal(h.sim.requests.length, 0);
});

Deno.test("list_cpu_types with no arguments returns pod prices, cheapest first, from one plain read", async () => {
  await using h = await harness();
  const result = await h.call("list_cpu_types");
  const data = dataOf<CpuListing>(result);

  assert.deepEqual(h.sim.requests.map((r) => `${r.method} ${r.path}`), ["GET /v2/catalog/cpus"]);
  assert.deepEqual(queries(h), [{}]);
  assert.equal(data.count, h.sim.state.cpuTypes.size);
  assert.match(textOf(result), /\(secure pod prices, USD per vCPU-hour\)/);
  assertCheapestFirst(data.cpus);
  for (const row of data.cpus) {
    assert.deepEqual(Object.keys(row).sort(), [
      "id",
      "name",
      "price_per_vcpu_hour",
      "ram_gb_per_vcpu",
      "vcpu_max",
      "vcpu_min",
    ]);
    assert.equal(row.price_per_vcpu_hour, h.sim.state.cpuTypes.get(row.id)?.price.securePerVcpu);
  }
  const first = data.cpus[0]!;
  const cost = (first.vcpu_min * first.price_per_vcpu_hour).toFixed(2);
  assert.ok(
    textOf(result).includes(`E.g. ${first.id} with ${first.vcpu_min} vCPU (`) &&
      textOf(result).includes(`costs $${cost}/h`),
    textOf(result),
  );
});

Deno.test("list_cpu_types for SERVERLESS shows serverless prices and sends no product without availability", async () => {
  await using h = await harness();
  const result = await h.call("list_cpu_types", { product: "SERVERLESS" });
  const data = dataOf<CpuListing>(result);
  assert.deepEqual(queries(h), [{}]);
  assert.match(textOf(result), /\(serverless prices, USD per vCPU-hour\)/);
  assertCheapestFirst(data.cpus);
  for (const row of data.cpus) {
    assert.equal(
      row.price_per_vcpu_hour,
      h.sim.state.cpuTypes.get(row.id)?.price.serverlessPerVcpu,
    );
  }
});

Deno.test("list_cpu_types with vcpu_count keeps only flavors that allow it and adds the hourly total", async () => {
  await using h = await harness();
  const result = await h.call("list_cpu_types", { vcpu_count: 32 });
  const data = dataOf<CpuListing>(result);
  // RunPod takes vcpuCount only together with include=AVAILABILITY, so the filter is local.
  assert.deepEqual(queries(h), [{}]);
  const allowing = [...h.sim.state.cpuTypes.values()].filter((c) =>
    c.vcpu.min <= 32 && 32 <= c.vcpu.max
  );
  assert.ok(allowing.length > 0 && allowing.length < h.sim.state.cpuTypes.size);
  assert.deepEqual(data.cpus.map((r) => r.id).sort(), allowing.map((c) => c.id).sort());
  assertCheapestFirst(data.cpus);
  for (const row of data.cpus) {
    assert.ok(Math.abs(row.price_per_hour! - 32 * row.price_per_vcpu_hour) < 1e-9);
  }
  assert.match(textOf(result), new RegExp(`E\\.g\\. ${data.cpus[0]!.id} with 32 vCPU`));
});

Deno.test("list_cpu_types with include_availability sends product and vcpuCount and shows stock", async () => {
  await using h = await harness();
  const data = dataOf<CpuListing>(
    await h.call("list_cpu_types", {
      include_availability: true,
      product: "SERVERLESS",
      vcpu_count: 4,
    }),
  );
  assert.deepEqual(queries(h), [{
    include: "AVAILABILITY",
    product: "SERVERLESS",
    vcpuCount: "4",
  }]);
  assert.ok(data.count > 0);
  for (const row of data.cpus) {
    assert.ok(LEVELS.includes(row.availability ?? ""), row.id);
    assert.ok(row.vcpu_min <= 4 && 4 <= row.vcpu_max);
  }
  assert.ok(data.cpus.some((row) => row.availability !== "NONE"));

  h.sim.clearRequests();
  await h.call("list_cpu_types", { include_availability: true });
  assert.deepEqual(queries(h), [{ include: "AVAILABILITY", product: "POD" }]);
});

Deno.test("list_cpu_types says so when no flavor allows the vCPU count", async () => {
  await using h = await harness();
  const result = await h.call("list_cpu_types", { vcpu_count: 256 });
  assert.equal(dataOf<CpuListing>(result).count, 0);
  assert.match(textOf(result), /No CPU flavor allows 256 vCPUs/);
});

Deno.test("list_cpu_types rejects bad arguments without calling RunPod", async () => {
  await using h = await harness();
  for (
    const args of [
      { product: "GPU" },
      { vcpu_count: 1 },
      { vcpu_count: 2.5 },
      { include_availability: "yes" },
    ]
  ) {
    const result = await h.call("list_cpu_types", args);
    assert.equal(result.isError, true, JSON.stringify(args));
    assert.match(textOf(result), /Input validation error/);
  }
  const odd = await h.call("list_cpu_types", { vcpu_count: 6 });
  assert.equal(odd.isError, true);
  assert.match(
    textOf(odd),
    /^Cannot list CPU types for 6 vCPUs: vcpu_count must be a power of two/,
  );
  assert.equal(h.sim.requests.length, 0);
});
