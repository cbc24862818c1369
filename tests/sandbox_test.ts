// Response bodies are untyped JSON; the assertions check their shape.
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { RunpodSimulator, type SimulatorOptions } from "../src/sandbox/mod.ts";

const KEY = "rpa_TESTKEY0123456789";
const AUTH = { authorization: `Bearer ${KEY}` };
const RTX4090 = "NVIDIA GeForce RTX 4090";

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function send(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = AUTH,
  doFetch: typeof fetch = fetch,
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await doFetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // Keep the raw text.
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

async function withSim(
  fn: (sim: RunpodSimulator, url: string) => Promise<void>,
  options?: SimulatorOptions,
): Promise<void> {
  const sim = new RunpodSimulator({ seed: 7, ...options });
  const { url, close } = await sim.listen();
  try {
    await fn(sim, url);
  } finally {
    await close();
  }
}

const gpuPod = (extra: Record<string, unknown> = {}) => ({
  name: "trainer",
  image: "runpod/pytorch:2.8.0-py3.11-cuda12.8.1",
  gpu: { id: RTX4090, count: 1 },
  ports: ["8888/http", "22/tcp"],
  ...extra,
});

async function readSse(res: Response, frames: number): Promise<{ id: string; data: any }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const out: { id: string; data: any }[] = [];
  while (out.length < frames) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += value;
    let idx: number;
    while ((idx = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1] ?? "";
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data) out.push({ id, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return out;
}

// --- auth and routing ---

Deno.test("REST rejects a request without a bearer token with a 401 problem", async () => {
  await withSim(async (_sim, url) => {
    const none = await send(url, "GET", "/v2/pods", undefined, {});
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("content-type"), "application/problem+json");
    assert.deepEqual(none.body, {
      title: "Unauthorized",
      status: 401,
      detail: "missing bearer token",
    });
    assert.equal(none.headers.get("ratelimit"), null);
    const raw = await send(url, "GET", "/v2/pods", undefined, { authorization: KEY });
    assert.equal(raw.status, 401);
    const ok = await send(url, "GET", "/v2/pods");
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { pods: [] });
  });
});

Deno.test("REST accepts only the configured key when apiKey is set", async () => {
  await withSim(async (_sim, url) => {
    const bad = await send(url, "GET", "/v2/pods", undefined, {
      authorization: "Bearer rpa_OTHER",
    });
    assert.equal(bad.status, 401);
    assert.equal((await send(url, "GET", "/v2/pods")).status, 200);
  }, { apiKey: KEY });
});

Deno.test("unknown paths give 404 and wrong methods give 405 problems", async () => {
  await withSim(async (_sim, url) => {
    for (const path of ["/v2/tags", "/v2/networkvolumes", "/v2/pods/a/b/c", "/nope"]) {
      const r = await send(url, "GET", path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.detail, "The requested path was not found.");
    }
    const r = await send(url, "PUT", "/v2/pods");
    assert.equal(r.status, 405);
    assert.equal(r.body.detail, "The requested method is not allowed for this path.");
    assert.match(r.headers.get("allow") ?? "", /GET/);
  });
});

Deno.test("Instant Clusters are modelled and no v2 balance route exists", async () => {
  await withSim(async (_sim, url) => {
    const r = await send(url, "GET", "/v2/clusters");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { clusters: [] });
    assert.equal((await send(url, "GET", "/v2/billing/balance")).status, 404);
    assert.equal((await send(url, "GET", "/v2/account/limits")).status, 404);
  });
});

Deno.test("authenticated REST responses carry RateLimit headers that count down", async () => {
  await withSim(async (_sim, url) => {
    const a = await send(url, "GET", "/v2/catalog/gpus");
    const b = await send(url, "GET", "/v2/pods/missing");
    assert.equal(b.status, 404);
    assert.equal(
      a.headers.get("ratelimit-policy"),
      '"minute";q=600;w=60, "hour";q=6000;w=3600, "day";q=100000;w=86400',
    );
    assert.match(
      a.headers.get("ratelimit")!,
      /^"minute";r=599;t=\d+, "hour";r=5999;t=\d+, "day";r=99999;t=\d+$/,
    );
    assert.match(b.headers.get("ratelimit")!, /^"minute";r=598;/);
  });
});

Deno.test("the minute quota runs out and answers 429 with Retry-After", async () => {
  await withSim(async (sim, url) => {
    for (let i = 0; i < 600; i++) {
      const res = await sim.fetch(`${url}/v2/pods`, { headers: AUTH });
      await res.body?.cancel();
    }
    const r = await send(url, "GET", "/v2/pods", undefined, AUTH, sim.fetch);
    assert.equal(r.status, 429);
    assert.equal(r.body.detail, "rate limit exceeded for the minute window");
    assert.equal(r.headers.get("retry-after"), "60");
    sim.advance(60_000);
    assert.equal((await send(url, "GET", "/v2/pods")).status, 200);
  });
});

// --- catalog ---

Deno.test("GET /v2/catalog/gpus lists priced GPU types without the unknown row", async () => {
  await withSim(async (_sim, url) => {
    const r = await send(url, "GET", "/v2/catalog/gpus");
    assert.equal(r.status, 200);
    const gpus = r.body.gpus as any[];
    assert.ok(gpus.length >= 20);
    assert.ok(!gpus.some((g) => g.id === "unknown"));
    const rtx = gpus.find((g) => g.id === RTX4090);
    assert.deepEqual(rtx, {
      id: RTX4090,
      name: "RTX 4090",
      pool: "ADA_24",
      manufacturer: "NVIDIA",
      memory: 24,
      secure: true,
      community: true,
      price: { secure: 0.69, community: 0.34, serverless: 1.1 },
      maxCount: { secure: 8, community: 8 },
    });
    assert.ok(gpus.some((g) => g.manufacturer === "AMD" && g.pool === null));
    assert.ok(gpus.some((g) => g.community === false));
  });
});

Deno.test("catalog availability needs include and product, and rejects conflicting filters", async () => {
  await withSim(async (_sim, url) => {
    const cases: [string, number][] = [
      ["?include=AVAILABILITY", 400],
      ["?product=POD", 400],
      ["?count=2", 400],
      ["?cloud=SECURE", 400],
      ["?countryCodes=US", 400],
      ["?cudaVersions=12.8", 400],
      ["?minCudaVersion=12", 400],
      ["?include=AVAILABILITY&product=POD&cudaVersions=12.8&minCudaVersion=12", 400],
      ["?include=AVAILABILITY&product=POD&countryCodes=usa", 422],
      ["?include=AVAILABILITY&product=POD&cudaVersions=12", 422],
      ["?include=PRICES&product=POD", 422],
      ["?include=AVAILABILITY&product=POD&ignored=1", 200],
    ];
    for (const [q, status] of cases) {
      const r = await send(url, "GET", `/v2/catalog/gpus${q}`);
      assert.equal(r.status, status, q);
      if (status === 422) assert.ok(Array.isArray(r.body.errors), q);
    }
  });
});

Deno.test("catalog availability reflects cloud, count, countries and CUDA filters", async () => {
  await withSim(async (_sim, url) => {
    const all = await send(url, "GET", "/v2/catalog/gpus?include=AVAILABILITY&product=POD");
    const v100 = all.body.gpus.find((g: any) => g.id === "Tesla V100-SXM2-16GB");
    assert.equal(v100.availability, "NONE");
    const rtx = all.body.gpus.find((g: any) => g.id === RTX4090);
    assert.equal(rtx.availability, "HIGH");
    assert.ok(rtx.dataCenters.some((d: any) => d.id === "US-KS-2" && d.name === "US Kansas 2"));
    assert.ok(rtx.cudaVersions.every((c: any) => /^\d+\.\d+$/.test(c.version)));

    const l4 = await send(
      url,
      "GET",
      `/v2/catalog/gpus/${
        encodeURIComponent("NVIDIA L4")
      }?include=AVAILABILITY&product=POD&cloud=COMMUNITY`,
    );
    assert.equal(l4.body.availability, "NONE");

    const jp = await send(
      url,
      "GET",
      "/v2/catalog/gpus?include=AVAILABILITY&product=POD&countryCodes=JP",
    );
    const ids = jp.body.gpus.map((g: any) => g.id);
    assert.ok(ids.includes(RTX4090));
    assert.ok(!ids.includes("NVIDIA B200"));
    for (const g of jp.body.gpus) {
      for (const dc of g.dataCenters ?? []) assert.equal(dc.id, "AP-JP-1");
    }

    const b200Old = await send(
      url,
      "GET",
      `/v2/catalog/gpus/${
        encodeURIComponent("NVIDIA B200")
      }?include=AVAILABILITY&product=POD&cudaVersions=12.4`,
    );
    assert.equal(b200Old.body.availability, "NONE");
    const many = await send(
      url,
      "GET",
      `/v2/catalog/gpus/${
        encodeURIComponent("NVIDIA B200")
      }?include=AVAILABILITY&product=POD&count=4`,
    );
    assert.equal(many.body.availability, "NONE", "LOW stock serves at most 2 GPUs");
  });
});

Deno.test("GET /v2/catalog/gpus/{id} decodes the id and 404s unknown types", async () => {
  await withSim(async (_sim, url) => {
    const r = await send(
      url,
      "GET",
      `/v2/catalog/gpus/${encodeURIComponent("NVIDIA H100 80GB HBM3")}`,
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.pool, "ADA_80_PRO");
    assert.equal(r.body.availability, undefined);
    assert.equal((await send(url, "GET", "/v2/catalog/gpus/unknown")).status, 404);
    assert.equal((await send(url, "GET", "/v2/catalog/gpus/NVIDIA%20Nope")).status, 404);
  });
});

Deno.test("CPU and data-center catalogs filter and validate", async () => {
  await withSim(async (_sim, url) => {
    const cpus = await send(url, "GET", "/v2/catalog/cpus");
    assert.deepEqual(
      cpus.body.cpus.map((c: any) => c.id),
      ["cpu3c", "cpu3g", "cpu3m", "cpu5c", "cpu5g", "cpu5m"],
    );
    assert.equal((await send(url, "GET", "/v2/catalog/cpus?vcpuCount=4")).status, 400);
    const avail = await send(
      url,
      "GET",
      "/v2/catalog/cpus/cpu3m?include=AVAILABILITY&product=POD&vcpuCount=32",
    );
    assert.equal(avail.body.availability, "NONE");
    assert.equal(
      (await send(url, "GET", "/v2/catalog/cpus?include=AVAILABILITY&product=POD&vcpuCount=6"))
        .status,
      400,
    );

    const all = await send(url, "GET", "/v2/catalog/datacenters");
    assert.ok(all.body.dataCenters.length >= 12);
    const eu = await send(
      url,
      "GET",
      "/v2/catalog/datacenters?regions=EUROPE&compliance=GDPR,RENEWABLE",
    );
    assert.deepEqual(eu.body.dataCenters.map((d: any) => d.id).sort(), ["EU-SE-1", "EUR-IS-1"]);
    const gn = await send(
      url,
      "GET",
      "/v2/catalog/datacenters?globalNetwork=true&include=GPU_AVAILABILITY",
    );
    assert.ok(
      gn.body.dataCenters.every((d: any) => d.globalNetwork && Array.isArray(d.gpuAvailability)),
    );
    const hp = await send(
      url,
      "GET",
      "/v2/catalog/datacenters?networkVolumeTypes=STANDARD,HIGH_PERFORMANCE",
    );
    assert.ok(hp.body.dataCenters.every((d: any) => d.networkVolumeTypes.length === 2));
    assert.equal((await send(url, "GET", "/v2/catalog/datacenters?regions=MARS")).status, 422);
    assert.equal((await send(url, "GET", "/v2/catalog/datacenters/EU-RO-1")).body.region, "EUROPE");
  });
});

// --- pods ---

Deno.test("pod create rejects schema violations with a 422 listing each error", async () => {
  await withSim(async (_sim, url) => {
    const extra = await send(url, "POST", "/v2/pods", gpuPod({ gpuTypeId: RTX4090 }));
    assert.equal(extra.status, 422);
    assert.equal(extra.body.title, "Unprocessable Entity");
    assert.deepEqual(extra.body.errors, ["$: additional properties 'gpuTypeId' not allowed"]);
    const noName = await send(url, "POST", "/v2/pods", {
      image: "x",
      gpu: { id: RTX4090, count: 1 },
    });
    assert.deepEqual(noName.body.errors, ["$: missing property 'name'"]);
    const noImage = await send(url, "POST", "/v2/pods", {
      name: "x",
      gpu: { id: RTX4090, count: 1 },
    });
    assert.deepEqual(noImage.body.errors, ["$: missing property 'image'"]);
    const noPath = await send(
      url,
      "POST",
      "/v2/pods",
      gpuPod({ mounts: { network: [{ volumeId: "v" }] } }),
    );
    assert.equal(noPath.status, 422);
    assert.deepEqual(noPath.body.errors, ["$.mounts.network[0]: missing property 'path'"]);
    const badType = await send(url, "POST", "/v2/pods", gpuPod({ disk: "50" }));
    assert.deepEqual(badType.body.errors, ["$.disk: got string, want integer"]);
    assert.equal((await send(url, "POST", "/v2/pods", "{not json")).status, 400);
  });
});

Deno.test("pod create enforces RunPod's cross-field rules with 400s", async () => {
  await withSim(async (sim, url) => {
    sim.state.networkVolumes.set("vol_ro", {
      id: "vol_ro",
      name: "data",
      size: 50,
      dataCenter: "EU-RO-1",
      type: "STANDARD",
      createdAt: sim.now(),
    });
    const cases: [string, Record<string, unknown>, number, RegExp?][] = [
      ["gpu and cpu", gpuPod({ cpu: { id: "cpu3c", vcpuCount: 2 } }), 400, /exactly one/],
      ["neither", { name: "x", image: "y" }, 400, /exactly one/],
      ["count missing", gpuPod({ gpu: { id: RTX4090 } }), 400, /no longer any instances/],
      [
        "cuda both",
        gpuPod({
          gpu: { id: RTX4090, count: 1, allowedCudaVersions: ["12.8"], minCudaVersion: "12.4" },
        }),
        400,
        /mutually exclusive/,
      ],
      [
        "persistent and network",
        gpuPod({
          mounts: {
            persistent: { size: 20, path: "/workspace" },
            network: [{ volumeId: "vol_ro", path: "/data" }],
          },
        }),
        400,
      ],
      ["missing volume", gpuPod({ mounts: { network: [{ volumeId: "nope", path: "/d" }] } }), 404],
      [
        "volume elsewhere",
        gpuPod({
          dataCenterIds: ["US-KS-2"],
          mounts: { network: [{ volumeId: "vol_ro", path: "/d" }] },
        }),
        400,
        /EU-RO-1/,
      ],
      ["unknown gpu", gpuPod({ gpu: { id: "NVIDIA GTX 9999", count: 1 } }), 404],
      ["too many", gpuPod({ gpu: { id: RTX4090, count: 9 } }), 400, /maximum of 8/],
      [
        "community on secure-only",
        gpuPod({ cloud: "COMMUNITY", gpu: { id: "NVIDIA H200", count: 1 } }),
        400,
        /COMMUNITY/,
      ],
      [
        "bad vcpu",
        { name: "c", image: "ubuntu", cpu: { id: "cpu3c", vcpuCount: 6 } },
        400,
        /power of two/,
      ],
      ["bad port", gpuPod({ ports: ["8888"] }), 400, /invalid port/],
    ];
    for (const [label, body, status, detail] of cases) {
      const r = await send(url, "POST", "/v2/pods", body);
      assert.equal(r.status, status, label);
      assert.equal(r.headers.get("content-type"), "application/problem+json", label);
      if (detail) assert.match(r.body.detail, detail, label);
    }
    assert.equal(sim.state.pods.size, 0);
  });
});

Deno.test("pod create gives the capacity 400 when the GPU has no stock where asked", async () => {
  await withSim(async (sim, url) => {
    sim.setGpuStock(RTX4090, "NONE");
    const r = await send(url, "POST", "/v2/pods", gpuPod());
    assert.equal(r.status, 400);
    assert.match(r.body.detail, /no longer any instances available/);
    sim.setGpuStock(RTX4090, "HIGH", "EU-SE-1");
    const ks = await send(url, "POST", "/v2/pods", gpuPod({ dataCenterIds: ["US-KS-2"] }));
    assert.equal(ks.status, 400);
    const any = await send(url, "POST", "/v2/pods", gpuPod());
    assert.equal(any.status, 201);
    assert.equal(any.body.dataCenterId, "EU-SE-1");
  });
});

Deno.test("pod create honours dataCenterIds order and CUDA constraints", async () => {
  await withSim(async (_sim, url) => {
    const r = await send(
      url,
      "POST",
      "/v2/pods",
      gpuPod({ dataCenterIds: ["AP-JP-1", "US-KS-2"] }),
    );
    assert.equal(r.body.dataCenterId, "AP-JP-1");
    const cuda = await send(
      url,
      "POST",
      "/v2/pods",
      gpuPod({ gpu: { id: RTX4090, count: 1, minCudaVersion: "13.0" } }),
    );
    assert.equal(cuda.status, 201);
    assert.equal(cuda.body.dataCenterId, "EU-NL-1");
    assert.equal(cuda.body.cudaVersion, "13.0");
    const allowed = await send(
      url,
      "POST",
      "/v2/pods",
      gpuPod({ gpu: { id: RTX4090, count: 1, allowedCudaVersions: ["12.4"] } }),
    );
    assert.equal(allowed.body.cudaVersion, "12.4");
  });
});

Deno.test("pod create refuses with 402 when the balance is used up", async () => {
  await withSim(async (sim, url) => {
    sim.setBalance(0);
    const r = await send(url, "POST", "/v2/pods", gpuPod());
    assert.equal(r.status, 402);
    assert.equal(r.body.title, "Payment Required");
  });
});

Deno.test("a pod boots PROVISIONING → STARTING → RUNNING as the clock advances", async () => {
  await withSim(async (sim, url) => {
    const created = await send(url, "POST", "/v2/pods", gpuPod({ env: { A: "1" } }));
    assert.equal(created.status, 201);
    const pod = created.body;
    assert.equal(pod.status, "PROVISIONING");
    assert.deepEqual(pod.actions, ["stop", "terminate"]);
    assert.equal(pod.template, null);
    assert.equal(pod.runtime, null);
    assert.deepEqual(pod.ssh, { proxy: null, direct: null });
    assert.deepEqual(pod.env, { A: "1" });
    assert.deepEqual(pod.mounts, {});
    assert.equal(pod.cost, 0.69);
    assert.equal(pod.startedAt, null);
    assert.match(pod.id, /^[a-z0-9]{14}$/);

    sim.advance(19_999);
    assert.equal((await send(url, "GET", `/v2/pods/${pod.id}`)).body.status, "PROVISIONING");
    sim.advance(1);
    assert.equal((await send(url, "GET", `/v2/pods/${pod.id}`)).body.status, "STARTING");
    sim.advance(30_000);
    const running = (await send(url, "GET", `/v2/pods/${pod.id}`)).body;
    assert.equal(running.status, "RUNNING");
    assert.deepEqual(running.actions, ["stop", "restart", "terminate"]);
    assert.equal(running.startedAt, new Date(sim.now()).toISOString());
    assert.equal(running.runtime.uptime, 0);
    assert.equal(running.runtime.gpus.length, 1);
    const ssh = running.runtime.ports.find((p: any) => p.private === 22);
    assert.equal(ssh.type, "tcp");
    assert.equal(running.ssh.direct.port, ssh.public);
    assert.equal(running.ssh.direct.host, ssh.ip);
    assert.match(running.ssh.proxy.username, new RegExp(`^${pod.id}-[0-9a-f]{8}$`));
    assert.ok(running.runtime.ports.some((p: any) => p.private === 8888 && p.type === "http"));

    sim.advance(3_600_000);
    const later = (await send(url, "GET", `/v2/pods/${pod.id}`)).body;
    assert.equal(later.runtime.uptime, 3600);
    assert.ok(Math.abs(sim.state.balance - (100 - 0.69)) < 1e-9);
    const list = await send(url, "GET", "/v2/pods?desiredStatus=EXITED");
    assert.equal(list.body.pods.length, 1);
  });
});

Deno.test("pod actions follow the state table and answer 409 otherwise", async () => {
  await withSim(async (sim, url) => {
    const { id } = (await send(url, "POST", "/v2/pods", gpuPod())).body;
    const act = (action: unknown) => send(url, "POST", `/v2/pods/${id}/action`, { action });
    const early = await act("restart");
    assert.equal(early.status, 409);
    assert.match(early.body.detail, /PROVISIONING/);
    assert.equal((await act("start")).status, 409);
    assert.equal((await act("reset")).status, 422);
    sim.advance(50_000);
    const stopped = await act("stop");
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.status, "EXITED");
    assert.equal(stopped.body.cost, 0);
    assert.equal(stopped.body.runtime, null);
    assert.deepEqual(stopped.body.actions, ["start", "terminate"]);
    const balance = sim.state.balance;
    sim.advance(3_600_000);
    assert.equal(sim.state.balance, balance, "a stopped pod costs nothing");
    assert.equal((await act("stop")).status, 409);
    const started = await act("start");
    assert.equal(started.body.status, "PROVISIONING");
    sim.advance(50_000);
    const restarted = await act("restart");
    assert.equal(restarted.body.status, "STARTING");
    const term = await act("terminate");
    assert.equal(term.status, 204);
    assert.equal(term.body, undefined);
    assert.equal((await send(url, "GET", `/v2/pods/${id}`)).status, 404);
    assert.equal((await act("start")).status, 404);
  });
});

Deno.test("DELETE /v2/pods/{id} answers 204 and the pod is gone", async () => {
  await withSim(async (_sim, url) => {
    const { id } = (await send(url, "POST", "/v2/pods", gpuPod())).body;
    assert.equal((await send(url, "DELETE", `/v2/pods/${id}`)).status, 204);
    assert.equal((await send(url, "DELETE", `/v2/pods/${id}`)).status, 404);
    assert.deepEqual((await send(url, "GET", "/v2/pods")).body, { pods: [] });
  });
});

Deno.test("PATCH /v2/pods/{id} updates fields and enforces the mount rules", async () => {
  await withSim(async (sim, url) => {
    sim.state.networkVolumes.set("vol_a", {
      id: "vol_a",
      name: "a",
      size: 20,
      dataCenter: "US-KS-2",
      type: "STANDARD",
      createdAt: 0,
    });
    const { id } = (await send(
      url,
      "POST",
      "/v2/pods",
      gpuPod({ mounts: { network: [{ volumeId: "vol_a", path: "/workspace" }] } }),
    )).body;
    const renamed = await send(url, "PATCH", `/v2/pods/${id}`, { name: "renamed", mounts: {} });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, "renamed");
    assert.equal(renamed.body.dataCenterId, "US-KS-2");
    assert.deepEqual(renamed.body.mounts, { network: [{ volumeId: "vol_a", path: "/workspace" }] });
    const patch = (body: unknown) => send(url, "PATCH", `/v2/pods/${id}`, body);
    assert.equal((await patch({ mounts: { network: [] } })).status, 400);
    assert.equal(
      (await patch({ mounts: { network: [{ volumeId: "other", path: "/w" }] } })).status,
      400,
    );
    assert.equal((await patch({ mounts: { persistent: { size: 20, path: "/p" } } })).status, 400);
    assert.equal((await patch({ mounts: { network: [{ volumeId: "vol_a" }] } })).status, 422);
    assert.equal((await patch({ cloud: "SECURE" })).status, 422);
    const moved = await patch({ mounts: { network: [{ volumeId: "vol_a", path: "/data" }] } });
    assert.equal(moved.body.mounts.network[0].path, "/data");
  });
});

Deno.test("pod logs stream an SSE backlog honouring tail and source", async () => {
  await withSim(async (sim, url) => {
    const { id } = (await send(url, "POST", "/v2/pods", gpuPod())).body;
    sim.advance(50_000);
    for (let i = 0; i < 5; i++) sim.addPodLog(id, `step ${i}`);
    const res = await fetch(`${url}/v2/pods/${id}/logs?tail=3&source=container`, { headers: AUTH });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const frames = await readSse(res, 3);
    assert.deepEqual(frames.map((f) => f.data.line), ["step 2", "step 3", "step 4"]);
    for (const f of frames) {
      assert.equal(f.data.source, "container");
      assert.equal(f.id, f.data.ts);
      assert.match(f.id, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    }
    const sys = await fetch(`${url}/v2/pods/${id}/logs?source=system`, { headers: AUTH });
    const sysFrames = await readSse(sys, 2);
    assert.ok(sysFrames.every((f) => f.data.source === "system"));
    assert.match(sysFrames[0]!.data.line, /created/);
    assert.equal((await send(url, "GET", `/v2/pods/${id}/logs?tail=6000`)).status, 422);
    assert.equal((await send(url, "GET", "/v2/pods/nope/logs")).status, 404);
  });
});

Deno.test("pod logs stay open, deliver live lines, and end when the caller aborts", async () => {
  const sim = new RunpodSimulator({ seed: 3 });
  const base = "http://sandbox.invalid";
  const created = await send(base, "POST", "/v2/pods", gpuPod(), AUTH, sim.fetch);
  const controller = new AbortController();
  const res = await sim.fetch(`${base}/v2/pods/${created.body.id}/logs?tail=0`, {
    headers: AUTH,
    signal: controller.signal,
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  sim.advance(20_000);
  const first = await reader.read();
  assert.match(first.value ?? "", /pulled/);
  controller.abort(new Error("caller is done"));
  await assert.rejects(async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  }, /caller is done/);
});

Deno.test("pod logs resume after Last-Event-ID", async () => {
  await withSim(async (sim, url) => {
    const { id } = (await send(url, "POST", "/v2/pods", gpuPod())).body;
    sim.addPodLog(id, "one");
    sim.addPodLog(id, "two");
    const all = await readSse(
      await fetch(`${url}/v2/pods/${id}/logs?source=container`, { headers: AUTH }),
      2,
    );
    const rest = await readSse(
      await fetch(`${url}/v2/pods/${id}/logs?source=container`, {
        headers: { ...AUTH, "last-event-id": all[0]!.id },
      }),
      1,
    );
    assert.deepEqual(rest.map((f) => f.data.line), ["two"]);
  });
});

Deno.test("a pod stops on its own when the prepaid balance runs out", async () => {
  await withSim(async (sim, url) => {
    sim.setBalance(1);
    const { id } =
      (await send(url, "POST", "/v2/pods", gpuPod({ gpu: { id: "NVIDIA H200", count: 1 } }))).body;
    sim.advance(50_000 + 3_600_000);
    const pod = (await send(url, "GET", `/v2/pods/${id}`)).body;
    assert.equal(pod.status, "EXITED");
    assert.ok(sim.state.balance <= 0);
  });
});

Deno.test("CPU pods get cpu memory and a vCPU price", async () => {
  await withSim(async (_sim, url) => {
    const r = await send(url, "POST", "/v2/pods", {
      name: "c",
      image: "ubuntu",
      cpu: { id: "cpu3c", vcpuCount: 4 },
    });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.cpu, { id: "cpu3c", vcpuCount: 4, memory: 8 });
    assert.equal(r.body.gpu, undefined);
    assert.equal(r.body.cudaVersion, null);
    assert.equal(r.body.cost, 0.12);
  });
});

// --- billing ---

Deno.test("pod billing reports accrued spend in buckets", async () => {
  await withSim(async (sim, url) => {
    const { id } =
      (await send(url, "POST", "/v2/pods", gpuPod({ gpu: { id: RTX4090, count: 2 } }))).body;
    sim.advance(50_000);
    sim.advance(2 * 3_600_000);
    const r = await send(url, "GET", `/v2/billing/pods?podId=${id}&bucketSize=day`);
    assert.equal(r.status, 200);
    assert.equal(r.body.records.length, 1);
    assert.equal(r.body.records[0].podId, id);
    assert.ok(Math.abs(r.body.records[0].totalAmount - 2.76) < 1e-6);
    assert.equal(r.body.metadata.uniquePodCount, 1);
    assert.equal(r.body.metadata.query.bucketSize, "day");
    const agg = await send(url, "GET", "/v2/billing?lastN=2&bucketSize=hour");
    assert.equal(agg.body.metadata.query.bucketSize, "hour");
    assert.ok(agg.body.records.every((rec: any) => typeof rec.storageStandardAmount === "number"));
    assert.equal(
      (await send(url, "GET", "/v2/billing?lastN=2&startTime=2026-11-01T00:00:00Z")).status,
      400,
    );
    const nv = await send(url, "GET", "/v2/billing/network-volumes");
    assert.deepEqual(nv.body.records, []);
  });
});

// --- GraphQL ---

Deno.test("GraphQL myself needs a credential; catalog queries do not", async () => {
  await withSim(async (sim, url) => {
    const q = { query: "query { myself { id clientBalance currentSpendPerHr spendLimit } }" };
    const anon = await send(url, "POST", "/graphql", q, {});
    assert.equal(anon.status, 200);
    assert.deepEqual(anon.body, { data: { myself: null } });
    const viaQuery = await send(url, "POST", `/graphql?api_key=${KEY}`, q, {});
    assert.equal(viaQuery.body.data.myself.clientBalance, 100);
    assert.equal(sim.requests.at(-1)!.query.api_key, "[REDACTED]");
    const bad = await send(url, "POST", "/graphql", q, { authorization: "Bearer rpa_WRONG" });
    assert.equal(bad.status, 401);
    const gpus = await send(
      url,
      "POST",
      "/graphql",
      { query: "{ gpuTypes { id displayName } }" },
      {},
    );
    assert.ok(gpus.body.data.gpuTypes.some((g: any) => g.id === "unknown"));
    assert.deepEqual(Object.keys(gpus.body.data.gpuTypes[0]), ["id", "displayName"]);
  }, { apiKey: KEY });
});

Deno.test("GraphQL myself reports balance and spend of running pods", async () => {
  await withSim(async (sim, url) => {
    await send(url, "POST", "/v2/pods", gpuPod());
    sim.advance(50_000);
    const r = await send(url, "POST", "/graphql", {
      query: "query Me { me: myself { id email clientBalance currentSpendPerHr spendLimit } }",
    });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body.data), ["me"]);
    assert.equal(r.body.data.me.currentSpendPerHr, 0.69);
    assert.equal(r.body.data.me.clientBalance, 100);
  });
});

Deno.test("GraphQL lowestPrice needs gpuCount and errors per row without it", async () => {
  await withSim(async (_sim, url) => {
    const query = `query ($lp: GpuLowestPriceInput) {
      gpuTypes(input: { ids: ["NVIDIA GeForce RTX 4090", "NVIDIA H200"] }) {
        id securePrice lowestPrice(input: $lp) { stockStatus uninterruptablePrice }
      }
    }`;
    const ok = await send(url, "POST", "/graphql", { query, variables: { lp: { gpuCount: 1 } } });
    assert.equal(ok.body.errors, undefined);
    const [rtx, h200] = ok.body.data.gpuTypes;
    assert.equal(rtx.lowestPrice.stockStatus, "High");
    assert.equal(rtx.lowestPrice.uninterruptablePrice, 0.34);
    assert.equal(h200.securePrice, 3.59);
    const missing = await send(url, "POST", "/graphql", { query, variables: {} });
    assert.equal(missing.status, 200);
    assert.equal(missing.body.errors.length, 2);
    assert.deepEqual(missing.body.errors[0].path, ["gpuTypes", 0, "lowestPrice"]);
    assert.equal(missing.body.data.gpuTypes[0].lowestPrice, null);
  });
});

Deno.test("GraphQL answers unknown fields with an HTTP-200 errors body", async () => {
  await withSim(async (_sim, url) => {
    const r = await send(url, "POST", "/graphql", { query: "{ podsEverywhere { id } }" });
    assert.equal(r.status, 200);
    assert.match(r.body.errors[0].message, /Cannot query field "podsEverywhere" on type "Query"/);
    assert.equal(r.body.data, undefined);
    const syntax = await send(url, "POST", "/graphql", { query: "{ myself { id " });
    assert.equal(syntax.status, 400);
    const spot = await send(url, "POST", "/graphql", {
      query: 'mutation { podRentInterruptable(input: { gpuTypeId: "x" }) { id } }',
    });
    assert.match(spot.body.errors[0].message, /Spot pods are no longer offered/);
  });
});

// --- faults ---

Deno.test("a status fault answers 429 with Retry-After and a problem body, then clears", async () => {
  await withSim(async (sim, url) => {
    sim.injectFault({ kind: "status", status: 429, retryAfter: 7, match: { path: "/v2/pods" } });
    const other = await send(url, "GET", "/v2/catalog/cpus");
    assert.equal(other.status, 200);
    const r = await send(url, "GET", "/v2/pods");
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "7");
    assert.match(r.headers.get("ratelimit")!, /^"minute";r=0;t=7/);
    assert.deepEqual(r.body, {
      title: "Too Many Requests",
      status: 429,
      detail: "rate limit exceeded for the minute window",
    });
    assert.equal((await send(url, "GET", "/v2/pods")).status, 200);
  });
});

Deno.test("a status fault repeats `times` times and matches method and regex paths", async () => {
  await withSim(async (sim, url) => {
    sim.injectFault({
      kind: "status",
      status: 503,
      times: 2,
      match: { method: "post", path: /^\/v2\/pods/ },
    });
    assert.equal((await send(url, "GET", "/v2/pods")).status, 200);
    assert.equal((await send(url, "POST", "/v2/pods", gpuPod())).status, 503);
    assert.equal((await send(url, "POST", "/v2/pods", gpuPod())).status, 503);
    assert.equal((await send(url, "POST", "/v2/pods", gpuPod())).status, 201);
    sim.injectFault({ kind: "status", status: 502, body: "<html>Bad gateway</html>" });
    const html = await send(url, "GET", "/v2/pods");
    assert.equal(html.status, 502);
    assert.equal(html.body, "<html>Bad gateway</html>");
    sim.injectFault({ kind: "status", status: 500 });
    sim.clearFaults();
    assert.equal((await send(url, "GET", "/v2/pods")).status, 200);
  });
});

Deno.test("a malformed-json fault returns a truncated JSON body", async () => {
  await withSim(async (sim, url) => {
    sim.injectFault({ kind: "malformed-json" });
    const res = await fetch(`${url}/v2/pods`, { headers: AUTH });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    await assert.rejects(() => res.json(), SyntaxError);
  });
});

Deno.test("a reset fault rejects in-process fetch with a TypeError", async () => {
  const sim = new RunpodSimulator();
  sim.injectFault({ kind: "reset" });
  await assert.rejects(() => sim.fetch("http://x/v2/pods", { headers: AUTH }), TypeError);
  assert.equal(sim.requests[0]!.status, 0);
  const ok = await sim.fetch("http://x/v2/pods", { headers: AUTH });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("a reset fault breaks the response over a socket", async () => {
  await withSim(async (sim, url) => {
    sim.injectFault({ kind: "reset" });
    await assert.rejects(async () => {
      const res = await fetch(`${url}/v2/pods`, { headers: AUTH });
      await res.text();
    });
  });
});

Deno.test("a delay fault waits real time and ends early when the request aborts", async () => {
  const sim = new RunpodSimulator();
  sim.injectFault({ kind: "delay", ms: 5 });
  const t0 = performance.now();
  const res = await sim.fetch("http://x/v2/pods", { headers: AUTH });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.ok(performance.now() - t0 >= 4);

  sim.injectFault({ kind: "delay", ms: 60_000 });
  const controller = new AbortController();
  const pending = sim.fetch("http://x/v2/pods", { headers: AUTH, signal: controller.signal });
  setTimeout(() => controller.abort(new Error("gave up")), 5);
  await assert.rejects(pending, /gave up/);
  await assert.rejects(
    () => sim.fetch("http://x/v2/pods", { headers: AUTH, signal: AbortSignal.abort() }),
  );
});

Deno.test("a delay fault over a socket lets the client abort its fetch", async () => {
  await withSim(async (sim, url) => {
    sim.injectFault({ kind: "delay", ms: 60_000 });
    const controller = new AbortController();
    const pending = fetch(`${url}/v2/pods`, { headers: AUTH, signal: controller.signal });
    while (sim.requests.length === 0) await new Promise((r) => setTimeout(r, 1));
    controller.abort();
    await assert.rejects(pending);
    assert.equal((await send(url, "GET", "/v2/pods")).status, 200);
  });
});

Deno.test("closing the server ends a pending delay fault", async () => {
  const sim = new RunpodSimulator();
  const { url, close } = await sim.listen();
  sim.injectFault({ kind: "delay", ms: 60_000 });
  const controller = new AbortController();
  const pending = fetch(`${url}/v2/pods`, { headers: AUTH, signal: controller.signal });
  // Wait until the simulator has the request, then give up on it and close.
  while (sim.requests.length === 0) await new Promise((r) => setTimeout(r, 1));
  controller.abort();
  await assert.rejects(pending);
  await close();
});

// --- request log, in-process use, clock ---

Deno.test("the request log records each request with the authorization redacted", async () => {
  await withSim(async (sim, url) => {
    await send(url, "POST", "/v2/pods?x=1", gpuPod());
    await send(url, "GET", "/v2/abc123/health", undefined, { authorization: KEY });
    await send(url, "POST", "/graphql", { query: "{ myself { id } }" });
    const [create, health, gql] = sim.requests;
    assert.equal(create!.method, "POST");
    assert.equal(create!.path, "/v2/pods");
    assert.deepEqual(create!.query, { x: "1" });
    assert.equal(create!.api, "rest");
    assert.equal(create!.status, 201);
    assert.equal(create!.headers.authorization, "Bearer [REDACTED]");
    assert.equal((create!.body as any).name, "trainer");
    assert.equal(create!.at, sim.now());
    assert.equal(health!.api, "jobs");
    assert.equal(health!.headers.authorization, "[REDACTED]");
    assert.equal(gql!.api, "graphql");
    assert.ok(!JSON.stringify(sim.requests).includes(KEY));
    sim.clearRequests();
    assert.equal(sim.requests.length, 0);
  });
});

Deno.test("sim.fetch serves the API in-process without a socket", async () => {
  const sim = new RunpodSimulator({ seed: 11 });
  const base = "https://rest.runpod.example";
  const created = await send(base, "POST", "/v2/pods", gpuPod(), AUTH, sim.fetch);
  assert.equal(created.status, 201);
  sim.advance(50_000);
  const got = await send(base, "GET", `/v2/pods/${created.body.id}`, undefined, AUTH, sim.fetch);
  assert.equal(got.body.status, "RUNNING");
  const direct = await sim.handle(new Request(`${base}/v2/pods`, { headers: AUTH }));
  assert.equal((await direct.json()).pods.length, 1);
});

Deno.test("the same seed gives the same ids", async () => {
  const ids = async () => {
    const sim = new RunpodSimulator({ seed: 42 });
    const r = await send("http://x", "POST", "/v2/pods", gpuPod(), AUTH, sim.fetch);
    return r.body.id;
  };
  assert.equal(await ids(), await ids());
});

Deno.test("advance() throws on a real clock and the real clock runs at speed", () => {
  const sim = new RunpodSimulator({ clock: { mode: "real", speed: 1000 } });
  assert.throws(() => sim.advance(1), /real time/);
  const manual = new RunpodSimulator();
  assert.equal(manual.now(), Date.UTC(2026, 10, 24, 12));
  assert.throws(() => manual.advance(-1));
});

Deno.test("setGpuStock rejects unknown ids", () => {
  const sim = new RunpodSimulator();
  assert.throws(() => sim.setGpuStock("NVIDIA Nope", "HIGH"), /unknown GPU type/);
  assert.throws(() => sim.setGpuStock(RTX4090, "HIGH", "XX-1"), /unknown data center/);
  sim.setGpuStock(RTX4090, "LOW", "OC-AU-1");
  assert.equal(sim.state.gpuTypes.get(RTX4090)!.stock["OC-AU-1"], "LOW");
});
