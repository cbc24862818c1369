/**
 * Template tools: list (own or public catalog), inspect, create, update and delete templates.
 *
 * @module
 */

import { z } from "zod";
import {
  createTemplate,
  type CreateTemplateBody,
  deleteTemplate,
  getTemplate,
  listPublicTemplates,
  listTemplates,
  type Template,
  TEMPLATE_CATALOG_LIMIT,
  TEMPLATE_CATEGORIES,
  TEMPLATE_SOURCES,
  updateTemplate,
  type UpdateTemplateBody,
} from "../runpod/storage.ts";
import { maskEnv } from "../secrets.ts";
import {
  checkNewEnv,
  checkPorts,
  dockerArgsArg,
  envArg,
  explainStatus,
  idArg,
  imageArg,
  keptNote,
  mountPathArg,
  nameArg,
  portsArg,
  resolveEnvWrite,
} from "./_args.ts";
import { CREATES, defineTool, DESTRUCTIVE, READ_ONLY, ToolInputError } from "./_define.ts";

const DEFAULT_MOUNT_PATH = "/workspace";

/** Compact template row for list_templates. */
const templateRowShape = {
  id: z.string(),
  name: z.string(),
  image: z.string(),
  category: z.string().describe("NVIDIA, AMD or CPU"),
  serverless: z.boolean().describe("true: for serverless endpoints; false: for pods"),
  public: z.boolean(),
  container_disk_gb: z.number(),
  ports: z.array(z.string()),
};

type TemplateRow = z.output<z.ZodObject<typeof templateRowShape>>;

/** The compact template row list_templates shows. */
export function templateRow(t: Template): TemplateRow {
  return {
    id: t.id,
    name: t.name,
    image: t.image,
    category: t.category,
    serverless: t.serverless,
    public: t.public,
    container_disk_gb: t.disk,
    ports: [...t.ports],
  };
}

/** One template in detail (get, create and update results). */
const templateDetailShape = {
  ...templateRowShape,
  env: z.record(z.string(), z.string()).describe("Env vars; secret-looking values are masked"),
  volume_gb: z.number().nullable().describe("Pod volume in GB; null when none"),
  volume_mount_path: z.string().nullable(),
  docker_args: z.string(),
  registry_id: z.string().nullable().describe("Registry credential for a private image"),
  start_ssh: z.boolean(),
  start_jupyter: z.boolean(),
  allowed_cuda_versions: z.array(z.string()).describe("Empty means any CUDA version"),
};

type TemplateDetail = z.output<z.ZodObject<typeof templateDetailShape>>;

/** One template in detail, env masked unless `showSecrets`. */
export function templateDetail(t: Template, showSecrets: boolean): TemplateDetail {
  return {
    ...templateRow(t),
    env: maskEnv(t.env, showSecrets),
    volume_gb: t.mounts.persistent?.size ?? null,
    volume_mount_path: t.mounts.persistent?.path ?? null,
    docker_args: t.args,
    registry_id: t.registry,
    start_ssh: t.startSsh,
    start_jupyter: t.startJupyter,
    allowed_cuda_versions: [...t.allowedCudaVersions],
  };
}

function describeRow(row: TemplateRow): string {
  const kind = row.serverless ? "serverless" : "pod";
  return `${row.id} "${row.name}" (${kind}, ${row.category}) ${row.image}`;
}

function notFound(id: string, action: string): string {
  return `Cannot ${action} template ${id}: no such template in this account (public catalog templates cannot be changed); list_templates shows your templates`;
}

/** `list_templates`: own templates or a slice of the public catalog. */
export const listTemplatesTool = defineTool({
  name: "list_templates",
  title: "List templates",
  description:
    "Lists container templates: your own (source=mine) or RunPod's public catalog (official, verified, community; at most 100, no paging). Rows show image, category, pod vs serverless, container disk in GB and ports. Use get_template for env and volume; pass template_id to create_pod.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: {
    source: z.enum(["mine", ...TEMPLATE_SOURCES]).default("mine").describe(
      "mine (your templates) or a public catalog slice: official, verified, community; e.g. official",
    ),
    name_contains: z.string().min(1).max(200).optional().describe(
      "Only templates whose name contains this text (case-insensitive), e.g. pytorch",
    ),
  },
  output: {
    templates: z.array(z.object(templateRowShape)),
    count: z.number(),
    source: z.string(),
    truncated: z.boolean().describe(
      "RunPod returned its maximum of 100 catalog templates; more exist that no call can list",
    ),
  },
  async run(args, ctx) {
    const all = args.source === "mine"
      ? await listTemplates(ctx.runpod, ctx.signal)
      : await listPublicTemplates(ctx.runpod, args.source, ctx.signal);
    const truncated = args.source !== "mine" && all.length >= TEMPLATE_CATALOG_LIMIT;
    let templates = all;
    if (args.name_contains) {
      const needle = args.name_contains.toLowerCase();
      templates = templates.filter((t) => t.name.toLowerCase().includes(needle));
    }
    const rows = templates.map(templateRow);
    const cap = truncated
      ? ` RunPod returned only its first ${TEMPLATE_CATALOG_LIMIT} ${args.source} templates (no paging); more exist.`
      : "";
    const summary = rows.length === 0
      ? `No ${args.source === "mine" ? "own" : args.source} templates match.${cap}${
        args.source === "mine" ? " Create one with create_template, or try source=official." : ""
      }`
      : `${rows.length} template(s) (${args.source}):${cap}\n${rows.map(describeRow).join("\n")}`;
    return {
      summary,
      data: { templates: rows, count: rows.length, source: args.source, truncated },
    };
  },
});

/** `get_template`: one template in detail. */
export const getTemplateTool = defineTool({
  name: "get_template",
  title: "Get template details",
  description:
    "Shows one template (yours or public): image, category, pod vs serverless, container disk and volume in GB, mount path, ports, env (secret values masked), docker args, registry credential, SSH/Jupyter start. Use the id from list_templates.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: { template_id: idArg("template id", "runpod-torch-v280") },
  output: templateDetailShape,
  async run(args, ctx) {
    let template: Template;
    try {
      template = await getTemplate(ctx.runpod, args.template_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        404:
          `Cannot find template ${args.template_id}: check the id with list_templates (source=mine or a catalog slice)`,
      });
    }
    const data = templateDetail(template, ctx.showSecrets);
    return { summary: `${describeRow(data)}.`, data };
  },
});

const common = {
  serverless: z.boolean().describe("true for a serverless endpoint template, e.g. false"),
  category: z.enum(TEMPLATE_CATEGORIES).describe(
    "Hardware family: NVIDIA, AMD or CPU, e.g. NVIDIA",
  ),
  container_disk_gb: z.number().int().min(1).max(2000).describe(
    "Ephemeral container disk in GB, e.g. 50",
  ),
  volume_gb: z.number().int().min(10).max(4000).describe(
    "Pod volume in GB kept across stops (pod templates only), e.g. 20",
  ),
  volume_mount_path: mountPathArg.describe(
    "Where the pod volume is mounted, e.g. /workspace",
  ),
  ports: portsArg.describe('Ports to expose, e.g. ["8888/http", "22/tcp"]'),
  env: envArg.describe(
    'Env vars; on update "[masked]" keeps a secret\'s stored value, e.g. {"MODEL": "llama-3-8b"}',
  ),
  docker_args: dockerArgsArg.describe(
    "Arguments for the container entrypoint, e.g. python serve.py",
  ),
  registry_id: idArg("registry credential id for a private image", "cm1x2y3z4"),
  start_ssh: z.boolean().describe("Start sshd with the account's SSH keys, e.g. true"),
  start_jupyter: z.boolean().describe("Start JupyterLab (expose 8888/http), e.g. false"),
};

/** `create_template`: a reusable pod or serverless container configuration. */
export const createTemplateTool = defineTool({
  name: "create_template",
  title: "Create a template",
  description:
    "Saves a reusable container configuration (image, container disk and pod volume in GB, ports, env, args, registry credential) for pods (create_pod template_id) or serverless endpoints (serverless=true; no volume). Costs nothing by itself. Names are unique per account. For a private image, create_registry first and pass registry_id.",
  toolset: "storage",
  annotations: CREATES,
  input: {
    name: nameArg().describe("Template name, e.g. llama-server"),
    image: imageArg().describe(
      "Container image, e.g. runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
    ),
    serverless: common.serverless.default(false),
    category: common.category.default("NVIDIA"),
    container_disk_gb: common.container_disk_gb.optional(),
    volume_gb: common.volume_gb.optional(),
    volume_mount_path: common.volume_mount_path.optional(),
    ports: common.ports.optional(),
    env: common.env.optional(),
    docker_args: common.docker_args.optional(),
    registry_id: common.registry_id.optional(),
    start_ssh: common.start_ssh.optional(),
    start_jupyter: common.start_jupyter.optional(),
  },
  output: { template: z.object(templateDetailShape), next: z.string() },
  async run(args, ctx) {
    const action = `create template "${args.name}"`;
    if (args.serverless && (args.volume_gb !== undefined || args.volume_mount_path)) {
      throw new ToolInputError(
        `Cannot ${action}: serverless templates have no pod volume; drop volume_gb and volume_mount_path (attach a network volume to the endpoint instead)`,
      );
    }
    if (args.volume_mount_path !== undefined && args.volume_gb === undefined) {
      throw new ToolInputError(`Cannot ${action}: volume_mount_path needs volume_gb too`);
    }
    checkPorts(args.ports, action);
    checkNewEnv(args.env, action);
    const body: CreateTemplateBody = {
      name: args.name,
      image: args.image,
      serverless: args.serverless,
      category: args.category,
    };
    if (args.container_disk_gb !== undefined) body.disk = args.container_disk_gb;
    if (args.volume_gb !== undefined) {
      body.mounts = {
        persistent: { size: args.volume_gb, path: args.volume_mount_path ?? DEFAULT_MOUNT_PATH },
      };
    }
    if (args.ports?.length) body.ports = args.ports;
    if (args.env && Object.keys(args.env).length > 0) body.env = args.env;
    if (args.docker_args !== undefined) body.args = args.docker_args;
    if (args.registry_id !== undefined) body.registry = args.registry_id;
    if (args.start_ssh !== undefined) body.startSsh = args.start_ssh;
    if (args.start_jupyter !== undefined) body.startJupyter = args.start_jupyter;

    let template: Template;
    try {
      template = await createTemplate(ctx.runpod, body, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        400:
          `Cannot ${action}: RunPod refused it; template names must be unique in the account (list_templates), otherwise fix the arguments`,
        404:
          `Cannot ${action}: registry credential ${args.registry_id} does not exist; list_registries shows the ones you have`,
      });
    }
    const next = template.serverless
      ? `use template_id=${template.id} when creating a serverless endpoint`
      : `create_pod with template_id=${template.id}`;
    return {
      summary: `Created template ${template.id} "${template.name}" (${
        template.serverless ? "serverless" : "pod"
      }). Next: ${next}.`,
      data: { template: templateDetail(template, ctx.showSecrets), next },
    };
  },
});

/** `update_template`: changes some fields of an own template. */
export const updateTemplateTool = defineTool({
  name: "update_template",
  title: "Update a template",
  description:
    "Changes fields of one of your templates; only the given fields change. env and ports REPLACE the whole list. Running pods keep their old settings; new pods and endpoint workers use the new ones. volume_gb/volume_mount_path apply to pod templates only. Public catalog templates cannot be changed.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: {
    template_id: idArg("template id", "k3v9x0d2qa"),
    name: nameArg().optional().describe("New name, e.g. llama-server-v2"),
    image: imageArg().optional().describe(
      "New image, e.g. vllm/vllm-openai:v0.11.0",
    ),
    serverless: common.serverless.optional(),
    category: common.category.optional(),
    container_disk_gb: common.container_disk_gb.optional(),
    volume_gb: common.volume_gb.optional(),
    volume_mount_path: common.volume_mount_path.optional(),
    ports: common.ports.optional(),
    env: common.env.optional(),
    docker_args: common.docker_args.optional(),
    registry_id: common.registry_id.optional(),
    start_ssh: common.start_ssh.optional(),
    start_jupyter: common.start_jupyter.optional(),
  },
  output: { template: z.object(templateDetailShape), changed: z.array(z.string()) },
  async run(args, ctx) {
    const action = "update template";
    const changed = Object.entries(args)
      .filter(([key, value]) => key !== "template_id" && value !== undefined)
      .map(([key]) => key);
    if (changed.length === 0) {
      throw new ToolInputError(
        `Cannot ${action} ${args.template_id}: give at least one field to change, e.g. image or env`,
      );
    }
    checkPorts(args.ports, `${action} ${args.template_id}`);
    const body: UpdateTemplateBody = {};
    let fetched: Template | undefined;
    const current = async (): Promise<Template> => {
      try {
        fetched ??= await getTemplate(ctx.runpod, args.template_id, ctx.signal);
        return fetched;
      } catch (error) {
        throw explainStatus(error, { 404: notFound(args.template_id, "update") });
      }
    };
    let kept: string[] = [];
    if (args.env !== undefined) {
      const safe = await resolveEnvWrite(
        args.env,
        `${action} ${args.template_id}`,
        async () => (await current()).env,
      );
      body.env = safe.env;
      kept = safe.kept;
    }
    if (args.volume_gb !== undefined || args.volume_mount_path !== undefined) {
      // A persistent mount is sent whole (size and path), and only pod templates may have one.
      const { mounts, serverless } = await current();
      if (args.serverless ?? serverless) {
        throw new ToolInputError(
          `Cannot ${action} ${args.template_id}: it is a serverless template, which has no pod volume; drop volume_gb and volume_mount_path`,
        );
      }
      const size = args.volume_gb ?? mounts.persistent?.size;
      if (size === undefined) {
        throw new ToolInputError(
          `Cannot ${action} ${args.template_id}: it has no pod volume yet; give volume_gb too`,
        );
      }
      body.mounts = {
        persistent: {
          size,
          path: args.volume_mount_path ?? mounts.persistent?.path ?? DEFAULT_MOUNT_PATH,
        },
      };
    }
    if (args.name !== undefined) body.name = args.name;
    if (args.image !== undefined) body.image = args.image;
    if (args.serverless !== undefined) body.serverless = args.serverless;
    if (args.category !== undefined) body.category = args.category;
    if (args.container_disk_gb !== undefined) body.disk = args.container_disk_gb;
    if (args.ports !== undefined) body.ports = args.ports;
    if (args.docker_args !== undefined) body.args = args.docker_args;
    if (args.registry_id !== undefined) body.registry = args.registry_id;
    if (args.start_ssh !== undefined) body.startSsh = args.start_ssh;
    if (args.start_jupyter !== undefined) body.startJupyter = args.start_jupyter;

    let template: Template;
    try {
      template = await updateTemplate(ctx.runpod, args.template_id, body, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        404: args.registry_id !== undefined
          ? `Cannot ${action} ${args.template_id}: the template or registry credential ${args.registry_id} does not exist; check list_templates and list_registries`
          : notFound(args.template_id, "update"),
      });
    }
    return {
      summary: `Updated template ${template.id} "${template.name}": ${changed.join(", ")}.${
        keptNote(kept)
      }`,
      data: { template: templateDetail(template, ctx.showSecrets), changed },
    };
  },
});

/** `delete_template`: removes an own template. */
export const deleteTemplateTool = defineTool({
  name: "delete_template",
  title: "Delete a template",
  description:
    "Deletes one of your templates for good. RunPod refuses while a pod or serverless endpoint uses it: terminate the pod or delete the endpoint (or move it to another template) first. Pods already created from it are not affected otherwise.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: { template_id: idArg("template id", "k3v9x0d2qa") },
  output: { template_id: z.string(), deleted: z.boolean() },
  async run(args, ctx) {
    try {
      await deleteTemplate(ctx.runpod, args.template_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        400:
          `Cannot delete template ${args.template_id}: a pod or serverless endpoint still uses it; terminate that pod or delete/repoint that endpoint first, then retry`,
        404: notFound(args.template_id, "delete"),
      });
    }
    return {
      summary: `Deleted template ${args.template_id}.`,
      data: { template_id: args.template_id, deleted: true },
    };
  },
});
