import assert from "node:assert/strict";
import type { CallToolResult } from "../src/deps.ts";
import type { TemplateRecord } from "../src/sandbox/state.ts";
import {
  createEcrDelegationTool,
  createRegistryTool,
  deleteRegistryTool,
  listEcrDelegationsTool,
  listRegistriesTool,
  revokeEcrDelegationTool,
  updateRegistryTool,
} from "../src/tools/registries.ts";
import {
  createTemplateTool,
  deleteTemplateTool,
  getTemplateTool,
  listTemplatesTool,
  updateTemplateTool,
} from "../src/tools/templates.ts";
import {
  createNetworkVolumeTool,
  deleteNetworkVolumeTool,
  getNetworkVolumeTool,
  listNetworkVolumesTool,
  updateNetworkVolumeTool,
} from "../src/tools/volumes.ts";
import { networkVolumeMonthlyCost } from "../src/policy/estimate.ts";
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
import { requireContract } from "./_openapi.ts";

const STORAGE_TOOLS = [
  listTemplatesTool,
  getTemplateTool,
  createTemplateTool,
  updateTemplateTool,
  deleteTemplateTool,
  listNetworkVolumesTool,
  getNetworkVolumeTool,
  createNetworkVolumeTool,
  updateNetworkVolumeTool,
  deleteNetworkVolumeTool,
  listRegistriesTool,
  createRegistryTool,
  updateRegistryTool,
  deleteRegistryTool,
  listEcrDelegationsTool,
  createEcrDelegationTool,
  revokeEcrDelegationTool,
];

const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
const RTX4090 = "NVIDIA GeForce RTX 4090";
// Deliberately not shaped like a token, so the logger's generic redaction cannot hide a leak.
const PASSWORD = "Correct-Horse-Battery-Staple-42";

function harness(): Promise<Harness> {
  return startHarness({ server: { tools: STORAGE_TOOLS } });
}

interface TemplateDetail {
  id: string;
  name: string;
  serverless: boolean;
  env: Record<string, string>;
  volume_gb: number | null;
  volume_mount_path: string | null;
  registry_id: string | null;
  container_disk_gb: number;
  ports: string[];
}

/** The id of a template create_template made, as `{ id }`. */
function createdTemplate(result: CallToolResult): { id: string } {
  return { id: dataOf<{ template_id: string }>(result).template_id };
}

// --- templates ---

Deno.test("list_templates shows own templates by default and catalog slices on request", async () => {
  await using h = await harness();
  const mine = dataOf<{ templates: unknown[]; truncated: boolean }>(
    await h.call("list_templates"),
  );
  assert.deepEqual(mine, { templates: [], truncated: false });

  const official = await h.call("list_templates", { source: "official" });
  const data = dataOf<{ templates: Record<string, unknown>[]; count: number }>(official);
  assert.deepEqual(data.templates.find((t) => t.id === "runpod-torch-v280"), {
    id: "runpod-torch-v280",
    name: "Runpod Pytorch 2.8.0",
    image: "runpod/pytorch:1.0.2-cu1281-torch280-ubuntu2404",
    category: "NVIDIA",
    serverless: false,
    container_disk_gb: 50,
    ports: ["8888/http", "22/tcp"],
  });
  assert.ok(data.templates.some((t) => t.serverless === true));

  const filtered = dataOf<{ templates: { id: string }[] }>(
    await h.call("list_templates", { source: "official", name_contains: "VLLM" }),
  );
  assert.deepEqual(filtered.templates.map((t) => t.id), ["runpod-worker-vllm"]);

  assert.deepEqual(routes(h), [
    "GET /v2/templates",
    "GET /v2/catalog/templates",
    "GET /v2/catalog/templates",
  ]);
  assert.deepEqual(h.sim.requests[1]?.query, { source: "official" });
});

Deno.test("list_templates says when the catalog hit RunPod's 100-template cap", async () => {
  await using h = await harness();
  const base = [...h.sim.state.templates.values()].find((t) => t.source === "community")!;
  for (let i = 0; i < 120; i++) {
    const copy: TemplateRecord = { ...structuredClone(base), id: `community-${i}`, name: `C ${i}` };
    h.sim.state.templates.set(copy.id, copy);
  }
  const result = await h.call("list_templates", { source: "community" });
  const data = dataOf<{ templates: unknown[]; truncated: boolean }>(result);
  assert.equal(data.templates.length, 100);
  assert.equal(data.truncated, true);
  assert.match(textOf(result), /only its first 100 community templates/);

  const verified = dataOf<{ truncated: boolean }>(
    await h.call("list_templates", { source: "verified" }),
  );
  assert.equal(verified.truncated, false);
});

Deno.test("create_template sends every option in RunPod's shape and masks secret env", async (t) => {
  await using h = await harness();
  const result = await h.call("create_template", {
    name: "trainer",
    image: IMAGE,
    category: "NVIDIA",
    container_disk_gb: 40,
    volume_gb: 100,
    volume_mount_path: "/data",
    ports: ["8888/http", "22/tcp"],
    env: { MODEL: "llama-3-8b", HF_TOKEN: "hf_abcdefghijklmnopqrstuvwx" },
    docker_args: "python train.py",
    start_ssh: true,
    start_jupyter: false,
  });
  const data = dataOf<{ template_id: string }>(result);
  const body = writes(h)[0]?.body;
  assert.deepEqual(routes(h), ["POST /v2/templates"]);
  assert.deepEqual(body, {
    name: "trainer",
    image: IMAGE,
    serverless: false,
    category: "NVIDIA",
    disk: 40,
    mounts: { persistent: { size: 100, path: "/data" } },
    ports: ["8888/http", "22/tcp"],
    env: {
      MODEL: "llama-3-8b",
      HF_TOKEN: "hf_abcdefghijklmnopqrstuvwx",
      RUNPOD_MCP_MANAGED: "1",
    },
    args: "python train.py",
    startSsh: true,
    startJupyter: false,
  });
  assert.equal(h.sim.requests[0]?.status, 201);
  assert.ok(!textOf(result).includes("hf_abcdefghij"));
  assert.match(textOf(result), /100 GB volume at \/data; .*env MODEL, HF_TOKEN/);
  assert.match(textOf(result), new RegExp(`create_pod with template_id=${data.template_id}`));
  const stored = dataOf<TemplateDetail>(
    await h.call("get_template", { template_id: data.template_id }),
  );
  assert.equal(stored.env.HF_TOKEN, "[masked]");
  assert.equal(stored.env.MODEL, "llama-3-8b");

  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/templates", body), []);
});

Deno.test("create_template builds a minimal serverless template with a registry credential", async (t) => {
  await using h = await harness();
  const registry = {
    id: dataOf<{ registry_id: string }>(
      await h.call("create_registry", { name: "ghcr", username: "bot", password: PASSWORD }),
    ).registry_id,
  };
  h.sim.clearRequests();
  const data = dataOf<{ template_id: string }>(
    await h.call("create_template", {
      name: "worker",
      image: "ghcr.io/me/worker:1",
      serverless: true,
      category: "CPU",
      registry_id: registry.id,
    }),
  );
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, {
    name: "worker",
    image: "ghcr.io/me/worker:1",
    serverless: true,
    category: "CPU",
    registry: registry.id,
    env: { RUNPOD_MCP_MANAGED: "1" },
  });
  const stored = dataOf<TemplateDetail>(
    await h.call("get_template", { template_id: data.template_id }),
  );
  assert.equal(stored.serverless, true);
  assert.equal(stored.registry_id, registry.id);
  assert.equal(stored.volume_gb, undefined);
  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/templates", body), []);
});

Deno.test("create_template refuses bad input locally and sends nothing", async () => {
  await using h = await harness();
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { name: "s", image: IMAGE, serverless: true, volume_gb: 20 },
      /Cannot create template "s": serverless templates have no pod volume/,
    ],
    [
      { name: "p", image: IMAGE, volume_mount_path: "/data" },
      /volume_mount_path needs volume_gb/,
    ],
    [{ name: "p", image: IMAGE, ports: ["80/http", "80/http"] }, /port 80\/http is listed twice/],
    [{ name: "p", image: IMAGE, ports: ["70000/tcp"] }, /outside 1-65535/],
    [{ name: "p", image: IMAGE, registry_id: "../x" }, /registry_id|letters, digits/],
    [{ name: "p", image: IMAGE, category: "TPU" }, /category/],
  ];
  for (const [args, pattern] of cases) {
    assert.match(errorText(await h.call("create_template", args)), pattern);
  }
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("create_template explains a duplicate name and an unknown registry credential", async () => {
  await using h = await harness();
  dataOf(await h.call("create_template", { name: "dup", image: IMAGE }));
  assert.match(
    errorText(await h.call("create_template", { name: "dup", image: IMAGE })),
    /Cannot create template "dup": .*names must be unique.*already exists/,
  );
  assert.match(
    errorText(await h.call("create_template", { name: "x", image: IMAGE, registry_id: "nope" })),
    /registry credential nope does not exist; list_registries/,
  );
});

Deno.test("get_template shows detail with secrets masked, and a clear 404", async () => {
  await using h = await harness();
  const created = createdTemplate(
    await h.call("create_template", {
      name: "svc",
      image: IMAGE,
      volume_gb: 20,
      env: { API_KEY: "abc", LEVEL: "3" },
    }),
  );
  h.sim.clearRequests();
  const result = await h.call("get_template", { template_id: created.id });
  const data = dataOf<TemplateDetail & Record<string, unknown>>(result);
  assert.deepEqual(routes(h), [`GET /v2/templates/${created.id}`]);
  assert.deepEqual(data, {
    id: created.id,
    name: "svc",
    image: IMAGE,
    category: "NVIDIA",
    serverless: false,
    public: false,
    container_disk_gb: 50,
    ports: [],
    env: { API_KEY: "[masked]", LEVEL: "3", RUNPOD_MCP_MANAGED: "1" },
    volume_gb: 20,
    volume_mount_path: "/workspace",
    start_ssh: true,
    start_jupyter: true,
  });

  const publicOne = dataOf<TemplateDetail>(
    await h.call("get_template", { template_id: "runpod-worker-vllm" }),
  );
  assert.equal(publicOne.serverless, true);

  assert.match(
    errorText(await h.call("get_template", { template_id: "missing" })),
    /Cannot find template missing: .*list_templates.*\(RunPod: template 'missing' not found\)/,
  );
  h.sim.clearRequests();
  errorText(await h.call("get_template", { template_id: "a/b" }));
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("update_template sends only the changed fields and passes the contract", async (t) => {
  await using h = await harness();
  const created = createdTemplate(
    await h.call("create_template", { name: "svc", image: IMAGE, volume_gb: 20 }),
  );
  h.sim.clearRequests();
  const result = await h.call("update_template", {
    template_id: created.id,
    image: "vllm/vllm-openai:v0.11.0",
    env: { MODEL: "qwen" },
    ports: ["8000/http"],
    container_disk_gb: 80,
  });
  const data = dataOf<{ template_id: string; changed: string[] }>(result);
  // The env replacement reads the template once and keeps runpod-mcp's marker on it.
  assert.deepEqual(routes(h), [
    `GET /v2/templates/${created.id}`,
    `PATCH /v2/templates/${created.id}`,
  ]);
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, {
    image: "vllm/vllm-openai:v0.11.0",
    disk: 80,
    ports: ["8000/http"],
    env: { MODEL: "qwen", RUNPOD_MCP_MANAGED: "1" },
  });
  assert.deepEqual(data.changed, ["image", "container_disk_gb", "ports", "env"]);
  assert.equal(data.template_id, created.id);
  assert.match(
    textOf(result),
    /80 GB container disk; 20 GB volume at \/workspace; ports 8000\/http/,
  );

  // A new mount path alone: the template is read first, and the mount is sent whole.
  h.sim.clearRequests();
  const moved = await h.call("update_template", {
    template_id: created.id,
    volume_mount_path: "/models",
  });
  assert.deepEqual(routes(h), [
    `GET /v2/templates/${created.id}`,
    `PATCH /v2/templates/${created.id}`,
  ]);
  const mountBody = writes(h)[0]?.body;
  assert.deepEqual(mountBody, { mounts: { persistent: { size: 20, path: "/models" } } });
  assert.match(textOf(moved), /20 GB volume at \/models/);

  const contract = await requireContract(t);
  if (contract) {
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/templates/${created.id}`, body), []);
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/templates/${created.id}`, mountBody), []);
  }
});

Deno.test("update_template refuses an empty change, a volume on a serverless template and a public template", async () => {
  await using h = await harness();
  const serverless = createdTemplate(
    await h.call("create_template", { name: "w", image: IMAGE, serverless: true }),
  );
  h.sim.clearRequests();
  assert.match(
    errorText(await h.call("update_template", { template_id: serverless.id })),
    /give at least one field/,
  );
  assert.deepEqual(h.sim.requests, []);

  assert.match(
    errorText(await h.call("update_template", { template_id: serverless.id, volume_gb: 30 })),
    /serverless template, which has no pod volume/,
  );
  assert.deepEqual(writes(h), []);

  assert.match(
    errorText(await h.call("update_template", { template_id: "runpod-ubuntu", name: "mine" })),
    /Cannot update template runpod-ubuntu: .*public catalog templates cannot be changed/,
  );
});

Deno.test("delete_template explains a template in use, then deletes it; get afterwards is 404", async () => {
  await using h = await harness();
  const created = createdTemplate(
    await h.call("create_template", { name: "base", image: IMAGE }),
  );
  const pod = await seedPod(h, {
    name: "user",
    templateId: created.id,
    gpu: { id: RTX4090, count: 1 },
  });
  h.sim.clearRequests();
  const refused = errorText(await h.call("delete_template", { template_id: created.id }));
  assert.match(refused, /Cannot delete template \S+: a pod or serverless endpoint still uses it/);
  assert.match(refused, new RegExp(`in use by pod '${pod.id}'`));
  assert.ok(h.sim.state.templates.has(created.id));

  assert.equal((await simRequest(h, "DELETE", `/v2/pods/${pod.id}`)).status, 204);
  h.sim.clearRequests();
  const deleted = dataOf(await h.call("delete_template", { template_id: created.id }));
  assert.deepEqual(deleted, { template_id: created.id });
  assert.deepEqual(routes(h), [`DELETE /v2/templates/${created.id}`]);
  assert.equal(h.sim.requests[0]?.status, 204);
  assert.match(
    errorText(await h.call("get_template", { template_id: created.id })),
    /Cannot find template/,
  );
  assert.match(
    errorText(await h.call("delete_template", { template_id: created.id })),
    /Cannot delete template \S+: no such template in this account/,
  );
});

// --- network volumes ---

Deno.test("networkVolumeMonthlyCost() applies the list prices and the 1 TB STANDARD tier", () => {
  assert.equal(networkVolumeMonthlyCost(100, "STANDARD"), 7);
  assert.equal(networkVolumeMonthlyCost(1000, "STANDARD"), 70);
  assert.equal(networkVolumeMonthlyCost(1500, "STANDARD"), 95);
  assert.equal(networkVolumeMonthlyCost(100, "HIGH_PERFORMANCE"), 14);
  assert.equal(networkVolumeMonthlyCost(2000, "HIGH_PERFORMANCE"), 280);
});

Deno.test("create_network_volume checks the data center, sends the type and shows the monthly cost", async (t) => {
  await using h = await harness();
  const result = await h.call("create_network_volume", {
    name: "datasets",
    size_gb: 100,
    data_center_id: "US-KS-2",
    type: "HIGH_PERFORMANCE",
  });
  const data = dataOf<{ volume_id: string; monthly_cost_usd: number }>(result);
  assert.deepEqual(routes(h), ["GET /v2/catalog/datacenters", "POST /v2/network-volumes"]);
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, {
    name: "datasets",
    size: 100,
    dataCenter: "US-KS-2",
    type: "HIGH_PERFORMANCE",
  });
  assert.deepEqual(data, { volume_id: data.volume_id, monthly_cost_usd: 14 });
  assert.match(
    textOf(result),
    /100 GB HIGH_PERFORMANCE in US-KS-2, ~\$14\.00\/month until delete_network_volume/,
  );
  assert.match(textOf(result), /network_volume_id=\S+ and data_center_ids=\["US-KS-2"\]/);

  const standard = dataOf<{ monthly_cost_usd: number }>(
    await h.call("create_network_volume", {
      name: "ckpt",
      size_gb: 50,
      data_center_id: "EU-RO-1",
    }),
  );
  assert.equal(standard.monthly_cost_usd, 3.5);
  const standardBody = writes(h)[1]?.body;
  assert.deepEqual(standardBody, {
    name: "ckpt",
    size: 50,
    dataCenter: "EU-RO-1",
    type: "STANDARD",
  });

  const contract = await requireContract(t);
  if (contract) {
    assert.deepEqual(contract.checkRequest("POST", "/v2/network-volumes", body), []);
    assert.deepEqual(contract.checkRequest("POST", "/v2/network-volumes", standardBody), []);
  }
});

Deno.test("create_network_volume refuses a data center without the tier, lists those with it, and sends no POST", async () => {
  await using h = await harness();
  const supporting = (type: "STANDARD" | "HIGH_PERFORMANCE") =>
    [...h.sim.state.dataCenters.values()]
      .filter((dc) => dc.networkVolumeTypes.includes(type))
      .map((dc) => dc.id);

  const hp = errorText(
    await h.call("create_network_volume", {
      name: "fast",
      size_gb: 100,
      data_center_id: "US-TX-3",
      type: "HIGH_PERFORMANCE",
    }),
  );
  assert.match(hp, /^Cannot create network volume: US-TX-3 does not offer HIGH_PERFORMANCE/);
  assert.ok(supporting("HIGH_PERFORMANCE").length > 0);
  for (const id of supporting("HIGH_PERFORMANCE")) assert.ok(hp.includes(id), `${id} in ${hp}`);
  assert.ok(!hp.includes("EU-RO-1"), "lists only the data centers that offer the tier");

  const none = errorText(
    await h.call("create_network_volume", { name: "v", size_gb: 10, data_center_id: "US-GA-1" }),
  );
  assert.match(none, /US-GA-1 does not offer STANDARD network volumes; data centers that do/);
  for (const id of supporting("STANDARD")) assert.ok(none.includes(id));

  assert.match(
    errorText(
      await h.call("create_network_volume", { name: "v", size_gb: 10, data_center_id: "XX-NO-9" }),
    ),
    /RunPod has no data center XX-NO-9/,
  );
  assert.deepEqual(writes(h), []);

  h.sim.clearRequests();
  for (
    const args of [
      { name: "v", size_gb: 5, data_center_id: "US-KS-2" },
      { name: "v", size_gb: 5000, data_center_id: "US-KS-2" },
      { name: "v", size_gb: 10, data_center_id: "kansas" },
    ]
  ) {
    errorText(await h.call("create_network_volume", args));
  }
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("list_network_volumes and get_network_volume show size, place and monthly cost", async () => {
  await using h = await harness();
  assert.deepEqual(dataOf(await h.call("list_network_volumes")), {
    volumes: [],
    total_monthly_cost_usd: 0,
  });
  const a = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "a",
    size: 1500,
    dataCenter: "US-KS-2",
    type: "STANDARD",
  })).json;
  await simRequest(h, "POST", "/v2/network-volumes", {
    name: "b",
    size: 10,
    dataCenter: "EU-SE-1",
    type: "HIGH_PERFORMANCE",
  });
  h.sim.clearRequests();
  const list = await h.call("list_network_volumes");
  const data = dataOf<{ volumes: { name: string; monthly_cost_usd: number }[] }>(list);
  assert.deepEqual(data.volumes.map((v) => [v.name, v.monthly_cost_usd]), [["a", 95], [
    "b",
    1.4,
  ]]);
  assert.equal(
    (data as unknown as { total_monthly_cost_usd: number }).total_monthly_cost_usd,
    96.4,
  );
  assert.match(textOf(list), /~\$96\.40\/month in total/);

  const one = dataOf(await h.call("get_network_volume", { volume_id: a.id }));
  assert.deepEqual(one, {
    id: a.id,
    name: "a",
    size_gb: 1500,
    data_center: "US-KS-2",
    type: "STANDARD",
    monthly_cost_usd: 95,
  });
  assert.deepEqual(routes(h), ["GET /v2/network-volumes", `GET /v2/network-volumes/${a.id}`]);
  assert.match(
    errorText(await h.call("get_network_volume", { volume_id: "nope" })),
    /Cannot find network volume nope: it does not exist; list_network_volumes/,
  );
});

Deno.test("update_network_volume grows a volume and shows the new monthly cost", async (t) => {
  await using h = await harness();
  const v = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "a",
    size: 100,
    dataCenter: "US-KS-2",
    type: "STANDARD",
  })).json;
  h.sim.clearRequests();
  const result = await h.call("update_network_volume", {
    volume_id: v.id,
    size_gb: 200,
    name: "bigger",
  });
  const data = dataOf<{
    size_gb: number;
    monthly_cost_usd: number;
    previous_monthly_cost_usd: number;
  }>(result);
  assert.deepEqual(routes(h), [
    `GET /v2/network-volumes/${v.id}`,
    `PATCH /v2/network-volumes/${v.id}`,
  ]);
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, { name: "bigger", size: 200 });
  assert.deepEqual(data, { size_gb: 200, monthly_cost_usd: 14, previous_monthly_cost_usd: 7 });
  assert.match(textOf(result), /Updated network volume \S+ "bigger"/);
  assert.match(textOf(result), /Grew 100 → 200 GB; ~\$7\.00 → ~\$14\.00\/month/);

  const renamed = await h.call("update_network_volume", { volume_id: v.id, name: "renamed" });
  assert.match(textOf(renamed), /Updated network volume \S+ "renamed"/);
  const renameBody = writes(h)[1]?.body;
  assert.deepEqual(renameBody, { name: "renamed" });

  const contract = await requireContract(t);
  if (contract) {
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/network-volumes/${v.id}`, body), []);
    assert.deepEqual(contract.checkRequest("PATCH", `/v2/network-volumes/${v.id}`, renameBody), []);
  }
});

Deno.test("update_network_volume refuses a shrink after reading the size, and sends no PATCH", async () => {
  await using h = await harness();
  const v = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "a",
    size: 100,
    dataCenter: "US-KS-2",
  })).json;
  h.sim.clearRequests();
  const text = errorText(await h.call("update_network_volume", { volume_id: v.id, size_gb: 50 }));
  assert.match(text, /^Cannot shrink network volume \S+ from 100 GB to 50 GB: volumes only grow/);
  assert.deepEqual(routes(h), [`GET /v2/network-volumes/${v.id}`]);

  h.sim.clearRequests();
  assert.match(
    errorText(await h.call("update_network_volume", { volume_id: v.id })),
    /give name or size_gb/,
  );
  assert.match(
    errorText(await h.call("update_network_volume", { volume_id: "gone", size_gb: 200 })),
    /Cannot update network volume gone: it does not exist/,
  );
  assert.deepEqual(writes(h), []);
  assert.equal(h.sim.state.networkVolumes.get(v.id)?.size, 100);
});

Deno.test("delete_network_volume explains an attached volume, deletes it, and get is then 404", async () => {
  await using h = await harness();
  const v = (await simRequest(h, "POST", "/v2/network-volumes", {
    name: "a",
    size: 50,
    dataCenter: "US-KS-2",
  })).json;
  const pod = await seedPod(h, {
    name: "user",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    dataCenterIds: ["US-KS-2"],
    mounts: { network: [{ volumeId: v.id, path: "/workspace" }] },
  });
  h.sim.clearRequests();
  assert.match(
    errorText(await h.call("delete_network_volume", { volume_id: v.id })),
    /Cannot delete network volume \S+: a pod or serverless endpoint still has it attached.*attached to pod/,
  );
  assert.equal((await simRequest(h, "DELETE", `/v2/pods/${pod.id}`)).status, 204);
  h.sim.clearRequests();
  const result = await h.call("delete_network_volume", { volume_id: v.id });
  assert.deepEqual(dataOf(result), { volume_id: v.id });
  assert.match(textOf(result), /all its data/);
  assert.deepEqual(routes(h), [`DELETE /v2/network-volumes/${v.id}`]);
  assert.match(
    errorText(await h.call("get_network_volume", { volume_id: v.id })),
    /Cannot find network volume/,
  );
  assert.match(
    errorText(await h.call("delete_network_volume", { volume_id: v.id })),
    /Cannot delete network volume \S+: it does not exist/,
  );
});

// --- registries ---

function assertNoPassword(h: Harness, results: CallToolResult[]): void {
  for (const result of results) {
    assert.ok(!JSON.stringify(result).includes(PASSWORD), `password in ${JSON.stringify(result)}`);
  }
  for (const line of h.logLines) assert.ok(!line.includes(PASSWORD), `password in log: ${line}`);
}

Deno.test("create_registry sends the credential once and never echoes the password", async (t) => {
  await using h = await harness();
  const result = await h.call("create_registry", {
    name: "ghcr-myorg",
    username: "myorg-bot",
    password: PASSWORD,
  });
  const data = dataOf<{ registry_id: string }>(result);
  assert.deepEqual(routes(h), ["POST /v2/registries"]);
  const body = writes(h)[0]?.body;
  assert.deepEqual(body, { name: "ghcr-myorg", username: "myorg-bot", password: PASSWORD });
  assert.match(textOf(result), new RegExp(`registry_id=${data.registry_id}`));

  const list = await h.call("list_registries");
  assert.deepEqual(dataOf(list), {
    registries: [{ id: data.registry_id, name: "ghcr-myorg" }],
  });

  // A failed create (duplicate name) must not carry the password either.
  const duplicate = await h.call("create_registry", {
    name: "ghcr-myorg",
    username: "x",
    password: PASSWORD,
  });
  assert.match(errorText(duplicate), /Cannot create registry credential "ghcr-myorg": .*unique/);
  assertNoPassword(h, [result, list, duplicate]);

  const contract = await requireContract(t);
  if (contract) assert.deepEqual(contract.checkRequest("POST", "/v2/registries", body), []);
});

Deno.test("create_registry scrubs the password even when RunPod quotes it back in an error", async () => {
  await using h = await harness();
  h.sim.injectFault({
    kind: "status",
    status: 422,
    match: { method: "POST", path: "/v2/registries" },
    body: {
      title: `Bad ${PASSWORD}`,
      status: 422,
      detail: `value ${PASSWORD} is not a valid token`,
      errors: [`$.password: value ${PASSWORD} rejected`],
    },
  });
  const result = await h.call("create_registry", { name: "r", username: "u", password: PASSWORD });
  assert.match(errorText(result), /422/);
  assert.match(textOf(result), /value \[masked\] is not a valid token/);
  assertNoPassword(h, [result]);

  h.sim.injectFault({
    kind: "status",
    status: 503,
    match: { method: "POST", path: "/v2/registries" },
    body: { title: "Unavailable", status: 503, detail: `upstream said ${PASSWORD}` },
  });
  const failed = await h.call("create_registry", { name: "r", username: "u", password: PASSWORD });
  errorText(failed);
  // A POST is never retried: RunPod may have stored the credential.
  assert.equal(h.sim.requests.filter((r) => r.method === "POST").length, 2);
  assertNoPassword(h, [failed]);
});

Deno.test("delete_registry explains a credential in use, deletes it, and a second delete is 404", async () => {
  await using h = await harness();
  const registry = {
    id: dataOf<{ registry_id: string }>(
      await h.call("create_registry", { name: "hub", username: "me", password: PASSWORD }),
    ).registry_id,
  };
  const pod = await seedPod(h, {
    name: "private",
    image: "me/private:1",
    registry: registry.id,
    gpu: { id: RTX4090, count: 1 },
  });
  h.sim.clearRequests();
  assert.match(
    errorText(await h.call("delete_registry", { registry_id: registry.id })),
    /Cannot delete registry credential \S+: a pod still uses it; terminate that pod first.*in use by pod/,
  );
  assert.equal((await simRequest(h, "DELETE", `/v2/pods/${pod.id}`)).status, 204);
  h.sim.clearRequests();
  const result = await h.call("delete_registry", { registry_id: registry.id });
  assert.deepEqual(dataOf(result), { registry_id: registry.id });
  assert.deepEqual(routes(h), [`DELETE /v2/registries/${registry.id}`]);
  assert.deepEqual(dataOf(await h.call("list_registries")), { registries: [] });
  assert.equal((await simRequest(h, "GET", `/v2/registries/${registry.id}`)).status, 404);
  assert.match(
    errorText(await h.call("delete_registry", { registry_id: registry.id })),
    /Cannot delete registry credential \S+: it does not exist; list_registries/,
  );
  h.sim.clearRequests();
  errorText(await h.call("delete_registry", { registry_id: "x y" }));
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("storage tools declare their toolset and annotations deliberately", async () => {
  await using h = await harness();
  const { tools } = await h.client.listTools();
  assert.equal(tools.length, STORAGE_TOOLS.length);
  for (const tool of STORAGE_TOOLS) {
    assert.equal(tool.toolset, "storage", tool.name);
    assert.ok(tool.description.length < 600, `${tool.name}: ${tool.description.length} chars`);
    const a = tool.annotations;
    if (/^(delete|revoke)_|^update_registry$/.test(tool.name)) {
      assert.equal(a.destructiveHint, true, tool.name);
    }
    if (tool.name.startsWith("create_")) {
      assert.equal(a.readOnlyHint, false, tool.name);
      assert.equal(a.idempotentHint, false, tool.name);
    }
    if (tool.name.startsWith("list_") || tool.name.startsWith("get_")) {
      assert.equal(a.readOnlyHint, true, tool.name);
    }
  }
  for (const tool of tools) {
    const properties = (tool.inputSchema.properties ?? {}) as Record<
      string,
      { description?: string }
    >;
    for (const [arg, schema] of Object.entries(properties)) {
      assert.match(String(schema.description), /e\.g\./, `${tool.name}.${arg}`);
    }
    assert.ok(tool.outputSchema, tool.name);
  }
  const createRegistry = tools.find((t) => t.name === "create_registry");
  assert.match(String(createRegistry?.description), /To change it later, use update_registry/);
});

// --- registry credential update (GraphQL) ---

Deno.test("update_registry replaces the login in place; the password reaches RunPod and nowhere else", async () => {
  await using h = await harness();
  const reg = (await simRequest(h, "POST", "/v2/registries", {
    name: "ghcr",
    username: "old-bot",
    password: "old-password-1",
  })).json;
  h.sim.clearRequests();
  const dry = await h.call("update_registry", {
    registry_id: reg.id,
    username: "new-bot",
    password: PASSWORD,
    dry_run: true,
  });
  const request = (dry.structuredContent as {
    guard: { kind: string; request: { body: { variables: Record<string, string> } } };
  }).guard;
  assert.equal(request.kind, "destructive");
  assert.deepEqual(request.request.body.variables, {
    id: reg.id,
    username: "new-bot",
    password: "[masked]",
  });
  assert.equal(h.sim.state.registries.get(reg.id)?.password, "old-password-1");

  const result = await h.call("update_registry", {
    registry_id: reg.id,
    username: "new-bot",
    password: PASSWORD,
  });
  assert.deepEqual(dataOf(result), { registry_id: reg.id });
  const stored = h.sim.state.registries.get(reg.id);
  assert.deepEqual([stored?.username, stored?.password], ["new-bot", PASSWORD]);
  const mutations = h.sim.requests.filter((r) => r.api === "graphql");
  assert.equal(mutations.length, 1);
  assert.equal(
    (mutations[0]?.body as { variables: { password: string } }).variables.password,
    PASSWORD,
  );
  assert.ok(!(JSON.stringify([dry, result]) + h.logLines.join("\n")).includes(PASSWORD));
});

Deno.test("update_registry on an unknown id is refused before any GraphQL write, and a refusal hides the password", async () => {
  await using h = await harness();
  const text = errorText(
    await h.call("update_registry", { registry_id: "nope", username: "u", password: PASSWORD }),
  );
  assert.match(text, /Cannot update registry credential nope: it does not exist; list_registries/);
  assert.deepEqual(h.sim.requests.filter((r) => r.api === "graphql"), []);

  const reg = (await simRequest(h, "POST", "/v2/registries", {
    name: "r",
    username: "u",
    password: "p",
  })).json;
  h.sim.injectFault({
    kind: "status",
    status: 200,
    body: { errors: [{ message: `login ${PASSWORD} rejected by registry` }], data: null },
    match: { method: "POST", path: "/graphql" },
  });
  const refused = await h.call("update_registry", {
    registry_id: reg.id,
    username: "u",
    password: PASSWORD,
  });
  assert.match(errorText(refused), /RunPod refused it \(RunPod: login \[masked\] rejected/);
  assert.ok(!(JSON.stringify(refused) + h.logLines.join("\n")).includes(PASSWORD));
});

// --- AWS ECR delegations ---

const ECR_ARN = "arn:aws:ecr:us-east-2:418399314813:repository/runpod/deployment";

Deno.test("create_ecr_delegation, list_ecr_delegations and revoke_ecr_delegation round-trip", async () => {
  await using h = await harness();
  const created = dataOf<{ delegation_id: string; image: string }>(
    await h.call("create_ecr_delegation", { resource: ECR_ARN, name: "prod" }),
  );
  assert.deepEqual(writes(h).map((r) => r.body), [{ resource: ECR_ARN, name: "prod" }]);
  assert.equal(
    created.image,
    "418399314813.dkr.ecr.us-east-2.amazonaws.com/runpod/deployment:latest",
  );
  const listed = dataOf<{ delegations: { id: string; image: string; name: string }[] }>(
    await h.call("list_ecr_delegations"),
  );
  assert.deepEqual(
    listed.delegations.map((d) => [d.id, d.image, d.name]),
    [[created.delegation_id, created.image, "prod"]],
  );
  dataOf(await h.call("revoke_ecr_delegation", { delegation_id: created.delegation_id }));
  assert.equal(h.sim.state.delegations.size, 0);
  const again = errorText(
    await h.call("revoke_ecr_delegation", { delegation_id: created.delegation_id }),
  );
  assert.match(again, /it does not exist; list_ecr_delegations shows yours/);
});

Deno.test("create_ecr_delegation refuses what is not an ECR repository ARN before sending anything", async () => {
  await using h = await harness();
  for (
    const resource of [
      "418399314813.dkr.ecr.us-east-2.amazonaws.com/runpod/deployment",
      "arn:aws:s3:::my-bucket",
      "arn:aws:ecr:us-east-2:4183993:repository/runpod",
      "arn:aws:ecr:us-east-2:418399314813:repository/Runpod",
    ]
  ) {
    const text = errorText(await h.call("create_ecr_delegation", { resource }));
    assert.match(text, /resource is not an ECR repository ARN; expected arn:aws:ecr:/, resource);
  }
  assert.deepEqual(h.sim.requests, []);
});
