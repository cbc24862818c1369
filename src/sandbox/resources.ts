/**
 * Templates (own and public catalog), network volumes, container registry credentials and the
 * account's SSH keys.
 *
 * @module
 */

import { CONTAINER_PROPS } from "./container.ts";
import type { Ctx, Route } from "./context.ts";
import { json, noContent, problem } from "./http.ts";
import type {
  NetworkVolumeRecord,
  RegistryRecord,
  SimulatorState,
  TemplateRecord,
} from "./state.ts";
import { arr, bool, int, obj, type Schema, str, validate } from "./validate.ts";

const CUDA = str({ pattern: /^\d+\.\d+$/ });
const persistentSchema = obj({ size: int(10), path: str() }, ["size", "path"]);
const templateProps: Record<string, Schema> = {
  ...CONTAINER_PROPS,
  name: str({ minLength: 1 }),
  allowedCudaVersions: arr(CUDA),
  category: str({ enum: ["CPU", "NVIDIA", "AMD"] }),
  mounts: obj({ persistent: persistentSchema }),
  public: bool,
  serverless: bool,
  startJupyter: bool,
  startSsh: bool,
};
const createTemplateSchema = obj(templateProps, ["name", "image"]);
const updateTemplateSchema = obj(templateProps);
const createVolumeSchema = obj({
  dataCenter: str({ minLength: 1 }),
  name: str({ minLength: 1 }),
  size: int(10, 4096),
  type: str({ enum: ["STANDARD", "HIGH_PERFORMANCE"] }),
}, ["name", "size", "dataCenter"]);
const updateVolumeSchema = obj({ name: str({ minLength: 1 }), size: int(10, 4096) });
const createRegistrySchema = obj({
  name: str({ minLength: 1 }),
  password: str({ minLength: 1 }),
  username: str({ minLength: 1 }),
}, ["name", "username", "password"]);
const sshKeysSchema = obj({
  keys: arr(str({ pattern: /^(ssh|ecdsa|sk)-[^\s]+ [^\s]+([ \t][^\n\r]*)?$/ })),
}, ["keys"]);

function checkBody(ctx: Ctx, schema: Schema): Response | undefined {
  if (ctx.bodyInvalid) return problem(400, "request body must be valid JSON");
  const errors = validate(schema, ctx.body ?? null);
  return errors.length > 0 ? problem(422, "Request validation failed.", errors) : undefined;
}

// --- templates ---

/** Public catalog templates every simulator starts with. */
export function seedTemplates(state: SimulatorState): void {
  const base = {
    args: "",
    env: {},
    registry: null,
    public: true,
    category: "NVIDIA" as const,
    allowedCudaVersions: [],
    owned: false,
  };
  const list: TemplateRecord[] = [
    {
      ...base,
      id: "runpod-torch-v280",
      name: "Runpod Pytorch 2.8.0",
      image: "runpod/pytorch:1.0.2-cu1281-torch280-ubuntu2404",
      disk: 50,
      ports: ["8888/http", "22/tcp"],
      mounts: { persistent: { size: 20, path: "/workspace" } },
      serverless: false,
      startSsh: true,
      startJupyter: true,
      source: "official",
    },
    {
      ...base,
      id: "runpod-ubuntu",
      name: "Runpod Ubuntu 24.04",
      image: "runpod/base:0.7.0-ubuntu2404",
      disk: 20,
      ports: ["22/tcp"],
      mounts: {},
      serverless: false,
      startSsh: true,
      startJupyter: false,
      source: "official",
    },
    {
      ...base,
      id: "runpod-worker-vllm",
      name: "vLLM worker",
      image: "runpod/worker-v1-vllm:v2.7.0",
      disk: 20,
      ports: [],
      mounts: {},
      serverless: true,
      startSsh: false,
      startJupyter: false,
      env: { MODEL_NAME: "Qwen/Qwen3-8B" },
      source: "official",
    },
    {
      ...base,
      id: "comfyui-v0-3",
      name: "ComfyUI",
      image: "runpod/comfyui:0.3.66",
      disk: 40,
      ports: ["8188/http", "22/tcp"],
      mounts: { persistent: { size: 40, path: "/workspace" } },
      serverless: false,
      startSsh: true,
      startJupyter: false,
      source: "verified",
    },
    {
      ...base,
      id: "ollama-openwebui",
      name: "Ollama + Open WebUI",
      image: "ollama/ollama:0.12.3",
      disk: 30,
      ports: ["8080/http", "11434/http"],
      mounts: { persistent: { size: 50, path: "/root/.ollama" } },
      serverless: false,
      startSsh: false,
      startJupyter: false,
      source: "community",
    },
  ];
  for (const t of list) state.templates.set(t.id, t);
}

function templateView(t: TemplateRecord): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    image: t.image,
    args: t.args,
    disk: t.disk,
    ports: [...t.ports],
    env: { ...t.env },
    registry: t.owned ? t.registry : null,
    mounts: structuredClone(t.mounts),
    serverless: t.serverless,
    public: t.public,
    category: t.category,
    startSsh: t.startSsh,
    startJupyter: t.startJupyter,
    allowedCudaVersions: [...t.allowedCudaVersions],
  };
}

function ownTemplate(ctx: Ctx): TemplateRecord | Response {
  const t = ctx.state.templates.get(ctx.params.id ?? "");
  if (!t || !t.owned) return problem(404, `template '${ctx.params.id}' not found`);
  return t;
}

type TemplateBody = Partial<Omit<TemplateRecord, "id" | "owned" | "source">>;

const templateRoutes: Route[] = [
  {
    method: "GET",
    path: "/v2/templates",
    handler: (ctx) =>
      json({
        templates: [...ctx.state.templates.values()].filter((t) => t.owned).map(templateView),
      }),
  },
  {
    method: "POST",
    path: "/v2/templates",
    handler: (ctx) => {
      const bad = checkBody(ctx, createTemplateSchema);
      if (bad) return bad;
      const b = ctx.body as TemplateBody & { name: string; image: string };
      if ([...ctx.state.templates.values()].some((t) => t.owned && t.name === b.name)) {
        return problem(400, `a template named '${b.name}' already exists`);
      }
      if (b.registry && !ctx.state.registries.has(b.registry)) {
        return problem(404, `container registry credential '${b.registry}' not found`);
      }
      const t: TemplateRecord = {
        id: ctx.ids.shortId(),
        name: b.name,
        image: b.image,
        args: b.args ?? "",
        disk: b.disk ?? 50,
        ports: [...(b.ports ?? [])],
        env: { ...(b.env ?? {}) },
        registry: b.registry ?? null,
        mounts: b.mounts ? structuredClone(b.mounts) : {},
        serverless: b.serverless ?? false,
        public: b.public ?? false,
        category: b.category ?? "NVIDIA",
        startSsh: b.startSsh ?? true,
        startJupyter: b.startJupyter ?? true,
        allowedCudaVersions: [...(b.allowedCudaVersions ?? [])],
        owned: true,
      };
      ctx.state.templates.set(t.id, t);
      return json(templateView(t), 201);
    },
  },
  {
    method: "GET",
    path: "/v2/templates/:id",
    handler: (ctx) => {
      const t = ctx.state.templates.get(ctx.params.id ?? "");
      return t ? json(templateView(t)) : problem(404, `template '${ctx.params.id}' not found`);
    },
  },
  {
    method: "PATCH",
    path: "/v2/templates/:id",
    handler: (ctx) => {
      const t = ownTemplate(ctx);
      if (t instanceof Response) return t;
      const bad = checkBody(ctx, updateTemplateSchema);
      if (bad) return bad;
      const b = ctx.body as TemplateBody;
      if (b.registry && !ctx.state.registries.has(b.registry)) {
        return problem(404, `container registry credential '${b.registry}' not found`);
      }
      for (const [k, v] of Object.entries(b)) {
        (t as unknown as Record<string, unknown>)[k] = structuredClone(v);
      }
      return json(templateView(t));
    },
  },
  {
    method: "DELETE",
    path: "/v2/templates/:id",
    handler: (ctx) => {
      const t = ownTemplate(ctx);
      if (t instanceof Response) return t;
      const pod = [...ctx.state.pods.values()].find((p) => p.templateId === t.id);
      if (pod) return problem(400, `template '${t.id}' is in use by pod '${pod.id}'`);
      const ep = [...ctx.state.endpoints.values()].find((e) => e.templateId === t.id);
      if (ep) return problem(400, `template '${t.id}' is bound to endpoint '${ep.id}'`);
      ctx.state.templates.delete(t.id);
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/v2/catalog/templates",
    handler: (ctx) => {
      const source = ctx.query.source ?? "official";
      if (!["official", "verified", "community"].includes(source)) {
        return problem(422, "Request validation failed.", [
          "source: value must be one of 'official', 'verified', 'community'",
        ]);
      }
      const templates = [...ctx.state.templates.values()]
        .filter((t) => !t.owned && t.source === source)
        .slice(0, 100)
        .map(templateView);
      return json({ templates });
    },
  },
];

// --- network volumes ---

function volumeView(v: NetworkVolumeRecord): Record<string, unknown> {
  return { id: v.id, name: v.name, size: v.size, dataCenter: v.dataCenter, type: v.type };
}

function findVolume(ctx: Ctx): NetworkVolumeRecord | Response {
  const v = ctx.state.networkVolumes.get(ctx.params.id ?? "");
  return v ?? problem(404, `network volume '${ctx.params.id}' not found`);
}

const volumeRoutes: Route[] = [
  {
    method: "GET",
    path: "/v2/network-volumes",
    handler: (ctx) =>
      json({ networkVolumes: [...ctx.state.networkVolumes.values()].map(volumeView) }),
  },
  {
    method: "POST",
    path: "/v2/network-volumes",
    handler: (ctx) => {
      const bad = checkBody(ctx, createVolumeSchema);
      if (bad) return bad;
      const b = ctx.body as {
        name: string;
        size: number;
        dataCenter: string;
        type?: NetworkVolumeRecord["type"];
      };
      const type = b.type ?? "STANDARD";
      const dc = ctx.state.dataCenters.get(b.dataCenter);
      if (!dc || !dc.networkVolumeTypes.includes(type)) {
        const supported = [...ctx.state.dataCenters.values()]
          .filter((d) => d.networkVolumeTypes.includes(type))
          .map((d) => d.id);
        return problem(
          400,
          `data center '${b.dataCenter}' does not support ${type} network volumes; supported: ${
            supported.join(", ")
          }`,
        );
      }
      const v: NetworkVolumeRecord = {
        id: ctx.ids.shortId(),
        name: b.name,
        size: b.size,
        dataCenter: b.dataCenter,
        type,
        createdAt: ctx.now,
      };
      ctx.state.networkVolumes.set(v.id, v);
      return json(volumeView(v), 201);
    },
  },
  {
    method: "GET",
    path: "/v2/network-volumes/:id",
    handler: (ctx) => {
      const v = findVolume(ctx);
      return v instanceof Response ? v : json(volumeView(v));
    },
  },
  {
    method: "PATCH",
    path: "/v2/network-volumes/:id",
    handler: (ctx) => {
      const v = findVolume(ctx);
      if (v instanceof Response) return v;
      const bad = checkBody(ctx, updateVolumeSchema);
      if (bad) return bad;
      const b = ctx.body as { name?: string; size?: number };
      if (Object.keys(b).length === 0) {
        return problem(422, "Request validation failed.", ["$: minProperties: got 0, want 1"]);
      }
      if (b.size !== undefined && b.size < v.size) {
        return problem(400, `network volumes can only grow: current size is ${v.size} GB`);
      }
      if (b.name !== undefined) v.name = b.name;
      if (b.size !== undefined) v.size = b.size;
      return json(volumeView(v));
    },
  },
  {
    method: "DELETE",
    path: "/v2/network-volumes/:id",
    handler: (ctx) => {
      const v = findVolume(ctx);
      if (v instanceof Response) return v;
      const pod = [...ctx.state.pods.values()].find((p) =>
        p.mounts.network?.some((m) => m.volumeId === v.id)
      );
      if (pod) return problem(400, `network volume '${v.id}' is attached to pod '${pod.id}'`);
      const ep = [...ctx.state.endpoints.values()].find((e) => e.networkVolumes.includes(v.id));
      if (ep) return problem(400, `network volume '${v.id}' is attached to endpoint '${ep.id}'`);
      ctx.state.networkVolumes.delete(v.id);
      return noContent();
    },
  },
];

// --- registries ---

function registryView(r: RegistryRecord): Record<string, unknown> {
  return { id: r.id, name: r.name };
}

function findRegistry(ctx: Ctx): RegistryRecord | Response {
  const r = ctx.state.registries.get(ctx.params.id ?? "");
  return r ?? problem(404, `container registry credential '${ctx.params.id}' not found`);
}

const registryRoutes: Route[] = [
  {
    method: "GET",
    path: "/v2/registries",
    handler: (ctx) => json({ registries: [...ctx.state.registries.values()].map(registryView) }),
  },
  {
    method: "POST",
    path: "/v2/registries",
    handler: (ctx) => {
      const bad = checkBody(ctx, createRegistrySchema);
      if (bad) return bad;
      const b = ctx.body as { name: string; username: string; password: string };
      if ([...ctx.state.registries.values()].some((r) => r.name === b.name)) {
        return problem(400, `a registry credential named '${b.name}' already exists`);
      }
      const r: RegistryRecord = { id: ctx.ids.cuid(), ...b };
      ctx.state.registries.set(r.id, r);
      return json(registryView(r), 201);
    },
  },
  {
    method: "GET",
    path: "/v2/registries/:id",
    handler: (ctx) => {
      const r = findRegistry(ctx);
      return r instanceof Response ? r : json(registryView(r));
    },
  },
  {
    method: "DELETE",
    path: "/v2/registries/:id",
    handler: (ctx) => {
      const r = findRegistry(ctx);
      if (r instanceof Response) return r;
      const pod = [...ctx.state.pods.values()].find((p) => p.registry === r.id);
      if (pod) return problem(400, `registry credential '${r.id}' is in use by pod '${pod.id}'`);
      for (const t of ctx.state.templates.values()) if (t.registry === r.id) t.registry = null;
      for (const e of ctx.state.endpoints.values()) if (e.registry === r.id) e.registry = null;
      ctx.state.registries.delete(r.id);
      return noContent();
    },
  },
];

// --- account ---

const accountRoutes: Route[] = [
  {
    method: "GET",
    path: "/v2/account/ssh-keys",
    handler: (ctx) => json({ keys: [...ctx.state.sshKeys] }),
  },
  {
    method: "PUT",
    path: "/v2/account/ssh-keys",
    handler: (ctx) => {
      const bad = checkBody(ctx, sshKeysSchema);
      if (bad) return bad;
      ctx.state.sshKeys = [...(ctx.body as { keys: string[] }).keys];
      return json({ keys: [...ctx.state.sshKeys] });
    },
  },
];

/** Routes for templates, network volumes, registries and account SSH keys. */
export const resourceRoutes: readonly Route[] = [
  ...templateRoutes,
  ...volumeRoutes,
  ...registryRoutes,
  ...accountRoutes,
];
