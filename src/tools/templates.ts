/**
 * Template tools: list (own or public catalog), inspect, create, update and delete templates.
 *
 * @module
 */

import { withMarker } from "../policy/protect.ts";
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
  category: z.string(),
  serverless: z.boolean(),
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
    container_disk_gb: t.disk,
    ports: [...t.ports],
  };
}

/**
 * One template in detail (get_template and the template resource). What is often empty is left
 * out when empty; allowed CUDA versions (which no tool here sets) are in the text summary only.
 */
const templateDetailShape = {
  ...templateRowShape,
  public: z.boolean().describe("Shared in the public catalog"),
  env: z.record(z.string(), z.string()).describe("Env vars; secret-looking values are masked"),
  volume_gb: z.number().optional().describe("Pod volume in GB; absent when none"),
  volume_mount_path: z.string().optional(),
  docker_args: z.string().optional().describe("Absent when empty"),
  registry_id: z.string().optional().describe("Registry credential for a private image"),
  start_ssh: z.boolean(),
  start_jupyter: z.boolean(),
};

type TemplateDetail = z.output<z.ZodObject<typeof templateDetailShape>>;

/** One template in detail, env masked unless `showSecrets`. */
export function templateDetail(t: Template, showSecrets: boolean): TemplateDetail {
  const volume = t.mounts.persistent;
  return {
    ...templateRow(t),
    public: t.public,
    env: maskEnv(t.env, showSecrets),
    ...(volume ? { volume_gb: volume.size, volume_mount_path: volume.path } : {}),
    ...(t.args ? { docker_args: t.args } : {}),
    ...(t.registry ? { registry_id: t.registry } : {}),
    start_ssh: t.startSsh,
    start_jupyter: t.startJupyter,
  };
}

function describeRow(row: TemplateRow): string {
  const kind = row.serverless ? "serverless" : "pod";
  return `${row.id} "${row.name}" (${kind}, ${row.category}) ${row.image}`;
}

/** The one-line summary of a template in detail, with what the structured result leaves out. */
function describeDetail(t: Template, detail: TemplateDetail): string {
  const parts = [`${detail.container_disk_gb} GB container disk`];
  if (detail.volume_gb !== undefined) {
    parts.push(`${detail.volume_gb} GB volume at ${detail.volume_mount_path}`);
  }
  if (detail.ports.length) parts.push(`ports ${detail.ports.join(", ")}`);
  const env = Object.keys(detail.env);
  if (env.length) parts.push(`env ${env.join(", ")}`);
  if (detail.registry_id) parts.push(`registry ${detail.registry_id}`);
  if (t.allowedCudaVersions.length) parts.push(`CUDA ${t.allowedCudaVersions.join(", ")} only`);
  return `${describeRow(detail)}; ${parts.join("; ")}.`;
}

function notFound(id: string, action: string): string {
  return `Cannot ${action} template ${id}: no such template in this account (public catalog templates cannot be changed); list_templates shows your templates`;
}

/** `list_templates`: own templates or a slice of the public catalog. */
export const listTemplatesTool = defineTool({
  name: "list_templates",
  title: "List templates",
  description:
    "Lists your templates or a public catalog slice (first 100 only); disk in GB. get_template shows env and volume; pass template_id to create_pod.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: {
    source: z.enum(["mine", ...TEMPLATE_SOURCES]).default("mine").describe(
      "mine or a catalog slice, e.g. official",
    ),
    name_contains: z.string().min(1).max(200).optional().describe(
      "Name filter, e.g. pytorch",
    ),
  },
  output: {
    templates: z.array(z.object(templateRowShape)),
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
      data: { templates: rows, truncated },
    };
  },
});

/** `get_template`: one template in detail. */
export const getTemplateTool = defineTool({
  name: "get_template",
  title: "Get template details",
  description:
    "Shows one template (yours or public): disk and volume in GB, ports, env (secrets masked), start command, registry.",
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
    return { summary: describeDetail(template, data), data };
  },
});

// Shared by create_template and update_template: every word here is in tools/list twice.
const common = {
  serverless: z.boolean().describe("Endpoint, not pod, e.g. false"),
  category: z.enum(TEMPLATE_CATEGORIES).describe("Hardware, e.g. NVIDIA"),
  container_disk_gb: z.number().int().min(1).max(2000).describe(
    "Wiped on stop, e.g. 50",
  ),
  volume_gb: z.number().int().min(10).max(4000).describe("Pod only, e.g. 20"),
  volume_mount_path: mountPathArg.describe("e.g. /workspace"),
  ports: portsArg.describe('e.g. ["8888/http","22/tcp"]'),
  env: envArg.describe('e.g. {"MODEL":"qwen"}'),
  docker_args: dockerArgsArg.describe("Command, e.g. python serve.py"),
  registry_id: idArg("registry credential id", "cm1x2y3z4"),
  start_ssh: z.boolean().describe("Start sshd, e.g. true"),
  start_jupyter: z.boolean().describe("Start Jupyter, e.g. false"),
};

/** `create_template`: a reusable pod or serverless container configuration. */
export const createTemplateTool = defineTool({
  name: "create_template",
  title: "Create a template",
  description:
    "Saves a free, reusable container config (sizes in GB) for create_pod template_id or, with serverless=true (no volume), for endpoints. Private image: create_registry first.",
  toolset: "storage",
  annotations: CREATES,
  input: {
    name: nameArg().describe("e.g. llama-server"),
    image: imageArg().describe("e.g. vllm/vllm-openai:v0.11"),
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
  output: { template_id: z.string() },
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
    await checkNewEnv(args.env, action, ctx);
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
    body.env = withMarker(args.env);
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
      summary: `Created template ${
        describeDetail(template, templateDetail(template, ctx.showSecrets))
      } Next: ${next}.`,
      data: { template_id: template.id },
    };
  },
});

/** `update_template`: changes some fields of an own template. */
export const updateTemplateTool = defineTool({
  name: "update_template",
  title: "Update a template",
  description:
    "Changes the given fields of your template; env and ports REPLACE the whole list. Running pods keep old settings; new pods and workers get the new.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: {
    template_id: idArg("template id", "k3v9x0d2qa"),
    name: nameArg().optional().describe("e.g. llama-server"),
    image: imageArg().optional().describe("e.g. vllm/vllm-openai:v0.11"),
    serverless: common.serverless.optional(),
    category: common.category.optional(),
    container_disk_gb: common.container_disk_gb.optional(),
    volume_gb: common.volume_gb.optional(),
    volume_mount_path: common.volume_mount_path.optional(),
    ports: common.ports.optional(),
    env: common.env.optional().describe(
      '"[masked]" keeps a stored value, e.g. {"MODEL":"qwen"}',
    ),
    docker_args: common.docker_args.optional(),
    registry_id: common.registry_id.optional(),
    start_ssh: common.start_ssh.optional(),
    start_jupyter: common.start_jupyter.optional(),
  },
  output: { template_id: z.string(), changed: z.array(z.string()) },
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
        ctx,
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
      summary: `Updated ${changed.join(", ")} of template ${
        describeDetail(template, templateDetail(template, ctx.showSecrets))
      }${keptNote(kept)}`,
      data: { template_id: template.id, changed },
    };
  },
});

/** `delete_template`: removes an own template. */
export const deleteTemplateTool = defineTool({
  name: "delete_template",
  title: "Delete a template",
  description:
    "Deletes your template for good. Refused while a pod or endpoint uses it: terminate the pod or repoint the endpoint first.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: { template_id: idArg("template id", "k3v9x0d2qa") },
  output: { template_id: z.string() },
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
      data: { template_id: args.template_id },
    };
  },
});
