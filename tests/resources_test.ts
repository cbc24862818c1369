import assert from "node:assert/strict";
import { createLogger } from "../src/log.ts";
import {
  DEFAULT_POLL_INTERVAL_MS,
  MIN_POLL_INTERVAL_MS,
  RESOURCE_MIME_TYPE,
  type ResourceHandle,
} from "../src/resources/mod.ts";
import { PodWatcher } from "../src/resources/_watch.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import type { ProtocolEra } from "../src/deps.ts";
import { resourcesOf } from "../src/server.ts";
import { simRequest, startHarness, TEST_KEY } from "./_harness.ts";

const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
const RTX4090 = "NVIDIA GeForce RTX 4090";
const HF_TOKEN = "hf_abcdefghijklmnopqrstuvwxyz0123456789";

function must(handle: ResourceHandle | undefined): ResourceHandle {
  assert.ok(handle, "createServer registers the resources (2025 era)");
  return handle;
}

/** The real server with no tools (so only resources and prompts), a real client, the simulator. */
async function start(options: { showSecrets?: boolean; era?: ProtocolEra } = {}) {
  const h = await startHarness({
    server: { tools: [], ...(options.showSecrets ? { showSecrets: true } : {}) },
    ...(options.era ? { era: options.era } : {}),
  });
  const { sim, client, logLines } = h;
  // Per-pod subscriptions belong to the 2025 era's one server per connection.
  const handle: ResourceHandle | undefined = h.server ? resourcesOf(h.server) : undefined;
  const resources = {
    pollOnce: () => must(handle).pollOnce(),
    activeSubscriptions: () => must(handle).activeSubscriptions(),
  };
  const updates: string[] = [];
  client.setNotificationHandler("notifications/resources/updated", (n) => {
    updates.push(n.params.uri);
  });

  const send = (method: string, path: string, body?: unknown) => simRequest(h, method, path, body);
  const post = async (path: string, body: unknown) => {
    const { status, json } = await send("POST", path, body);
    if (status !== 201) throw new Error(`Cannot seed ${path}: ${JSON.stringify(json)}`);
    return json as { id: string } & Record<string, unknown>;
  };
  const seedPod = (name: string) =>
    post("/v2/pods", {
      name,
      image: IMAGE,
      gpu: { id: RTX4090, count: 1 },
      ports: ["8888/http"],
      env: { HF_TOKEN, PLAIN: "visible" },
    });
  const readJson = async <T = Record<string, unknown>>(uri: string) => {
    const result = await client.readResource({ uri });
    assert.equal(result.contents.length, 1);
    const content = result.contents[0]!;
    assert.equal(content.uri, uri);
    assert.equal(content.mimeType, RESOURCE_MIME_TYPE);
    assert.ok("text" in content && typeof content.text === "string");
    assert.ok(!content.text.includes(TEST_KEY));
    return JSON.parse(content.text) as T;
  };
  const routes = () => sim.requests.map((r) => `${r.method} ${r.path}`);
  /** Lets notifications sent during a poll reach the client's handler. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  const close = h.close;
  return {
    sim,
    client,
    era: h.era,
    resources,
    updates,
    logLines,
    send,
    post,
    seedPod,
    readJson,
    routes,
    settle,
    [Symbol.asyncDispose]: close,
  };
}

Deno.test("resources/list shows the fixed resources and one per pod, endpoint and own template", async () => {
  await using h = await start();
  const pod = await h.seedPod("trainer");
  const ep = await h.post("/v2/serverless", {
    name: "vllm",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"] },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
  });
  const tpl = await h.post("/v2/templates", { name: "mine", image: IMAGE });
  h.sim.clearRequests();

  const { resources } = await h.client.listResources();
  const uris = resources.map((r) => r.uri);
  assert.deepEqual(uris, [
    "runpod://gpus",
    "runpod://pods",
    "runpod://endpoints",
    "runpod://templates",
    "runpod://network-volumes",
    "runpod://account",
    `runpod://pods/${pod.id}`,
    `runpod://endpoints/${ep.id}`,
    `runpod://templates/${tpl.id}`,
  ]);
  for (const r of resources) assert.equal(r.mimeType, RESOURCE_MIME_TYPE);
  const podEntry = resources.find((r) => r.uri === `runpod://pods/${pod.id}`);
  assert.equal(podEntry?.name, "trainer");
  assert.match(
    podEntry?.description ?? "",
    /^PROVISIONING, 1× NVIDIA GeForce RTX 4090, \$\d+\.\d\d\/h$/,
  );
  assert.deepEqual(h.routes(), ["GET /v2/pods", "GET /v2/serverless", "GET /v2/templates"]);

  const { resourceTemplates } = await h.client.listResourceTemplates();
  assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), [
    "runpod://pods/{pod_id}",
    "runpod://endpoints/{endpoint_id}",
    "runpod://templates/{template_id}",
  ]);
  for (const t of resourceTemplates) assert.equal(t.mimeType, RESOURCE_MIME_TYPE);
});

Deno.test("the server declares per-pod resource subscriptions", async () => {
  await using h = await start();
  const caps = h.client.getServerCapabilities();
  // 2025 era: resources/subscribe; 2026 era: listen streams naming runpod://pods/{pod_id}.
  assert.deepEqual(caps?.resources, { subscribe: true, listChanged: true });
  assert.ok(caps?.completions);
});

Deno.test("runpod://gpus lists GPU types with VRAM, prices and SECURE stock, cheapest first", async () => {
  await using h = await start();
  const data = await h.readJson<{
    gpus: { id: string; vram_gb: number; secure_price: number | null; availability: string }[];
    count: number;
    price_unit: string;
  }>("runpod://gpus");
  assert.ok(data.count > 0);
  assert.equal(data.gpus.length, data.count);
  const rtx = data.gpus.find((g) => g.id === RTX4090);
  assert.equal(rtx?.vram_gb, 24);
  assert.ok(["NONE", "LOW", "MEDIUM", "HIGH"].includes(rtx?.availability ?? ""));
  const prices = data.gpus.map((g) => g.secure_price ?? Infinity);
  assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
  assert.equal(data.price_unit, "USD per GPU-hour");
  assert.deepEqual(h.sim.requests.map((r) => [r.path, r.query]), [[
    "/v2/catalog/gpus",
    { include: "AVAILABILITY", product: "POD", count: "1", cloud: "SECURE" },
  ]]);
});

Deno.test("runpod://pods and runpod://pods/{pod_id} give compact rows with secrets masked", async () => {
  await using h = await start();
  const pod = await h.seedPod("trainer");
  h.sim.clearRequests();

  const list = await h.readJson<{
    pods: Record<string, unknown>[];
    count: number;
    total_cost_per_hour: number;
  }>("runpod://pods");
  assert.equal(list.count, 1);
  assert.deepEqual(Object.keys(list.pods[0]!).sort(), [
    "cost_per_hour",
    "gpu_count",
    "gpu_type",
    "id",
    "name",
    "ports",
    "ssh",
    "status",
  ]);
  assert.equal(list.pods[0]!.status, "PROVISIONING");
  assert.ok(list.total_cost_per_hour > 0);

  const detail = await h.readJson<Record<string, unknown>>(`runpod://pods/${pod.id}`);
  assert.equal(detail.id, pod.id);
  assert.equal(detail.image, IMAGE);
  assert.deepEqual(detail.env, { HF_TOKEN: "[masked]", PLAIN: "visible" });
  assert.deepEqual(detail.actions, ["stop", "terminate"]);
  assert.ok(!JSON.stringify(detail).includes(HF_TOKEN));
  assert.deepEqual(h.routes(), ["GET /v2/pods", `GET /v2/pods/${pod.id}`]);
});

Deno.test("showSecrets unmasks env values in pod resources", async () => {
  await using h = await start({ showSecrets: true });
  const pod = await h.seedPod("trainer");
  const detail = await h.readJson<{ env: Record<string, string> }>(`runpod://pods/${pod.id}`);
  assert.equal(detail.env.HF_TOKEN, HF_TOKEN);
});

Deno.test("reading an unknown pod gives a clear not-found error", async () => {
  await using h = await start();
  await assert.rejects(
    () => h.client.readResource({ uri: "runpod://pods/nosuchpod" }),
    (error: Error & { code?: number }) => {
      // SDK 2.x sends resource-not-found as -32602 with the URI as data, in both eras.
      assert.equal(error.code, -32602);
      assert.match(
        error.message,
        /Cannot read runpod:\/\/pods\/nosuchpod: RunPod has no pod nosuchpod/,
      );
      return true;
    },
  );
  assert.deepEqual(h.routes(), ["GET /v2/pods/nosuchpod"]);

  await assert.rejects(
    () => h.client.readResource({ uri: "runpod://pods/bad.id" }),
    /a pod id has only letters, digits, - and _/,
  );
  assert.equal(h.sim.requests.length, 1, "a malformed id never reaches RunPod");
});

Deno.test("endpoint resources show rows, detail with masked env, and a clear 404", async () => {
  await using h = await start();
  const ep = await h.post("/v2/serverless", {
    name: "vllm",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"] },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
    workers: { min: 1, max: 3 },
    env: { API_KEY: "sk-secret-value-1234567890", MODEL: "llama" },
  });
  h.sim.clearRequests();

  const list = await h.readJson<{
    endpoints: { id: string; workers_min: number; always_on_cost_per_hour: number | null }[];
    count: number;
    total_always_on_cost_per_hour: number;
  }>("runpod://endpoints");
  assert.equal(list.count, 1);
  assert.equal(list.endpoints[0]?.id, ep.id);
  assert.equal(list.endpoints[0]?.workers_min, 1);
  assert.ok((list.endpoints[0]?.always_on_cost_per_hour ?? 0) > 0);
  assert.deepEqual(h.routes(), ["GET /v2/serverless", "GET /v2/catalog/gpus"]);

  h.sim.clearRequests();
  const detail = await h.readJson<Record<string, unknown>>(`runpod://endpoints/${ep.id}`);
  assert.deepEqual(detail.env, { API_KEY: "[masked]", MODEL: "llama" });
  assert.ok(typeof detail.request_urls === "object");
  assert.deepEqual(h.routes(), [`GET /v2/serverless/${ep.id}`, "GET /v2/catalog/gpus"]);

  await assert.rejects(
    () => h.client.readResource({ uri: "runpod://endpoints/nope" }),
    /Cannot read runpod:\/\/endpoints\/nope: RunPod has no endpoint nope/,
  );
});

Deno.test("template, network volume and account resources read compact JSON", async () => {
  await using h = await start();
  const tpl = await h.post("/v2/templates", {
    name: "mine",
    image: IMAGE,
    env: { HF_TOKEN, MODE: "train" },
  });
  await h.post("/v2/network-volumes", {
    name: "data",
    size: 100,
    dataCenter: "US-KS-2",
    type: "STANDARD",
  });
  h.sim.clearRequests();

  const templates = await h.readJson<{ templates: { id: string; name: string }[]; count: number }>(
    "runpod://templates",
  );
  assert.deepEqual(templates.templates.map((t) => [t.id, t.name]), [[tpl.id, "mine"]]);
  const detail = await h.readJson<{ env: Record<string, string> }>(`runpod://templates/${tpl.id}`);
  assert.deepEqual(detail.env, { HF_TOKEN: "[masked]", MODE: "train" });

  const volumes = await h.readJson<{
    volumes: { name: string; size_gb: number; monthly_cost_usd: number }[];
    total_monthly_cost_usd: number;
  }>("runpod://network-volumes");
  assert.deepEqual(volumes.volumes.map((v) => [v.name, v.size_gb, v.monthly_cost_usd]), [[
    "data",
    100,
    7,
  ]]);
  assert.equal(volumes.total_monthly_cost_usd, 7);
  assert.deepEqual(h.routes(), [
    "GET /v2/templates",
    `GET /v2/templates/${tpl.id}`,
    "GET /v2/network-volumes",
  ]);

  h.sim.clearRequests();
  await h.seedPod("burner");
  h.sim.advance(10 * 60_000);
  const account = await h.readJson<{
    balance_usd: number;
    spend_per_hour_usd: number | null;
    burn_per_hour_usd: number;
    runway_hours: number | null;
  }>("runpod://account");
  assert.ok(account.balance_usd > 90 && account.balance_usd < 100, "ten minutes were billed");
  assert.ok((account.spend_per_hour_usd ?? 0) > 0);
  // The burn counts what RunPod's own figure leaves out (the pods still starting), never less.
  assert.ok(account.burn_per_hour_usd >= account.spend_per_hour_usd!);
  const runway = account.balance_usd / account.burn_per_hour_usd;
  assert.ok(Math.abs((account.runway_hours ?? -1) - runway) <= 0.1, "runway = balance / burn");
  assert.ok(h.sim.requests.some((r) => r.api === "graphql"));
});

Deno.test("completion offers pod, endpoint and template ids matching the typed prefix", async () => {
  await using h = await start();
  const a = await h.seedPod("alpha");
  const b = await h.seedPod("beta");
  const ep = await h.post("/v2/serverless", {
    name: "vllm",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"] },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
  });
  const tpl = await h.post("/v2/templates", { name: "mine", image: IMAGE });

  const complete = async (uri: string, name: string, value: string) =>
    (await h.client.complete({ ref: { type: "ref/resource", uri }, argument: { name, value } }))
      .completion.values;

  assert.deepEqual(await complete("runpod://pods/{pod_id}", "pod_id", a.id.slice(0, 6)), [a.id]);
  assert.deepEqual(
    (await complete("runpod://pods/{pod_id}", "pod_id", "")).sort(),
    [a.id, b.id].sort(),
  );
  assert.deepEqual(await complete("runpod://pods/{pod_id}", "pod_id", "bet"), [b.id]);
  assert.deepEqual(
    await complete("runpod://endpoints/{endpoint_id}", "endpoint_id", ep.id.slice(0, 3)),
    [ep.id],
  );
  assert.deepEqual(
    await complete("runpod://templates/{template_id}", "template_id", tpl.id.slice(0, 3)),
    [tpl.id],
  );
  assert.deepEqual(await complete("runpod://pods/{pod_id}", "pod_id", "zzzz-none"), []);
});

Deno.test("a subscribed pod sends resources/updated when its status changes, and only then", async () => {
  await using h = await start({ era: "legacy" });
  const pod = await h.seedPod("watched");
  await h.seedPod("unwatched");
  const uri = `runpod://pods/${pod.id}`;
  h.sim.clearRequests();

  await h.client.subscribeResource({ uri });
  assert.equal(h.resources.activeSubscriptions(), 1);
  assert.deepEqual(h.routes(), [`GET /v2/pods/${pod.id}`], "subscribe reads the starting status");

  // Unchanged status: a poll asks RunPod but says nothing.
  h.sim.clearRequests();
  await h.resources.pollOnce();
  await h.settle();
  assert.deepEqual(h.updates, []);
  assert.deepEqual(h.routes(), [`GET /v2/pods/${pod.id}`], "only the subscribed pod is polled");

  // PROVISIONING → RUNNING after boot.
  h.sim.advance(10 * 60_000);
  await h.resources.pollOnce();
  await h.settle();
  assert.deepEqual(h.updates, [uri]);
  const now = await h.readJson<{ status: string }>(uri);
  assert.equal(now.status, "RUNNING");

  // RUNNING stays RUNNING: no second notification.
  await h.resources.pollOnce();
  await h.settle();
  assert.deepEqual(h.updates, [uri]);

  // Terminated elsewhere: the pod disappears (404), reported once, then no longer polled.
  const deleted = await h.send("DELETE", `/v2/pods/${pod.id}`);
  assert.equal(deleted.status, 204);
  await h.resources.pollOnce();
  await h.settle();
  assert.deepEqual(h.updates, [uri, uri]);
  h.sim.clearRequests();
  await h.resources.pollOnce();
  await h.settle();
  assert.deepEqual(h.updates, [uri, uri]);
  assert.deepEqual(h.routes(), []);
  assert.equal(h.resources.activeSubscriptions(), 1, "the client still holds its subscription");
});

Deno.test("unsubscribing stops polling: no requests and no notifications", async () => {
  await using h = await start({ era: "legacy" });
  const pod = await h.seedPod("watched");
  const uri = `runpod://pods/${pod.id}`;
  await h.client.subscribeResource({ uri });
  await h.client.subscribeResource({ uri });
  assert.equal(h.resources.activeSubscriptions(), 1, "subscribing twice is one subscription");

  await h.client.unsubscribeResource({ uri });
  assert.equal(h.resources.activeSubscriptions(), 0);
  h.sim.clearRequests();
  h.sim.advance(10 * 60_000);
  await h.resources.pollOnce();
  await h.settle();
  assert.deepEqual(h.updates, []);
  assert.deepEqual(h.routes(), []);

  // Unsubscribing from something never subscribed is harmless.
  await h.client.unsubscribeResource({ uri: "runpod://pods/other" });
});

Deno.test("only runpod://pods/{pod_id} can be subscribed to, and only for a pod that exists", async () => {
  await using h = await start({ era: "legacy" });
  for (
    const uri of ["runpod://gpus", "runpod://pods", "runpod://account", "runpod://endpoints/x"]
  ) {
    await assert.rejects(
      () => h.client.subscribeResource({ uri }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, -32602);
        assert.match(
          error.message,
          /Cannot subscribe to runpod:\/\/\S+: only runpod:\/\/pods\/\{pod_id\} resources send updates/,
        );
        return true;
      },
    );
  }
  assert.deepEqual(h.routes(), [], "refused subscriptions never reach RunPod");

  await assert.rejects(
    () => h.client.subscribeResource({ uri: "runpod://pods/ghost" }),
    /Cannot subscribe to runpod:\/\/pods\/ghost: RunPod has no pod ghost/,
  );
  assert.equal(h.resources.activeSubscriptions(), 0);
});

Deno.test("closing the connection drops subscriptions and stops the poll timer", async () => {
  await using h = await start({ era: "legacy" });
  const pod = await h.seedPod("watched");
  await h.client.subscribeResource({ uri: `runpod://pods/${pod.id}` });
  assert.equal(h.resources.activeSubscriptions(), 1);
  // Only the client goes away; the server must notice and stop polling by itself. The Deno
  // test sanitizer fails this test if the interval were left running.
  await h.client.close();
  assert.equal(h.resources.activeSubscriptions(), 0);
  h.sim.clearRequests();
  await h.resources.pollOnce();
  assert.deepEqual(h.routes(), []);
});

Deno.test("the poll interval defaults to 15 s and cannot go below 2 s", () => {
  const logger = createLogger({ write: () => {} });
  const runpod = new RunpodClient({ apiKey: TEST_KEY, logger });
  const watcher = (intervalMs?: number) =>
    new PodWatcher({ runpod, logger, intervalMs, onChange: () => Promise.resolve() });
  assert.equal(watcher().intervalMs, DEFAULT_POLL_INTERVAL_MS);
  assert.equal(DEFAULT_POLL_INTERVAL_MS, 15_000);
  assert.equal(watcher(10).intervalMs, MIN_POLL_INTERVAL_MS);
  assert.equal(MIN_POLL_INTERVAL_MS, 2_000);
  assert.equal(watcher(60_000).intervalMs, 60_000);
});

Deno.test("2026 era: a listen stream naming a pod gets resources/updated when its status changes", async () => {
  await using h = await startHarness({ era: "modern", server: { tools: [] } });
  const feed = h.app.podFeed;
  assert.ok(feed, "the app runs a pod status feed");
  const { id } = (await simRequest(h, "POST", "/v2/pods", {
    name: "watched",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
  })).json as { id: string };
  await simRequest(h, "POST", "/v2/pods", {
    name: "other",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
  });
  assert.deepEqual(h.client.getServerCapabilities()?.resources, {
    subscribe: true,
    listChanged: true,
  });
  const updates: string[] = [];
  h.client.setNotificationHandler("notifications/resources/updated", (n) => {
    updates.push(n.params.uri);
  });
  assert.equal(feed.listeners, 0, "nothing polls before anyone listens");
  const subscription = await h.client.listen({ resourceSubscriptions: [`runpod://pods/${id}`] });
  assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, [`runpod://pods/${id}`]);
  assert.equal(feed.listeners, 1);
  await feed.pollOnce(); // the starting statuses
  h.sim.clearRequests();

  // Both pods finish provisioning; only the one the stream named is reported to it.
  h.sim.advance(10 * 60_000);
  await feed.pollOnce();
  assert.deepEqual(
    h.sim.requests.filter((r) => r.method === "GET").map((r) => r.path),
    ["/v2/pods"],
    "one listing per poll, however many pods",
  );
  for (let i = 0; i < 200 && updates.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(updates, [`runpod://pods/${id}`], "only the pod the stream named");

  await subscription.close();
  assert.equal(feed.listeners, 0, "closing the stream stops the polling");
});
