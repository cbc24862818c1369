/**
 * The generated reference, `docs/reference.md`: every tool, resource and prompt as a real SDK
 * client lists them from the server (built against the simulator), with what only the registries
 * know added alongside: each tool's toolset and sandbox note (`src/tools/mod.ts`), the RunPod
 * writes its guard checks (`src/policy/writes.ts`) and what each prompt argument completes from
 * (`src/prompts/mod.ts`).
 *
 * @module
 */

import { WRITE_RULES, type WriteRule } from "../src/policy/writes.ts";
import type { Completers } from "../src/prompts/_complete.ts";
import { ALL_PROMPTS } from "../src/prompts/mod.ts";
import { ALL_TOOLS, TOOLSETS } from "../src/tools/mod.ts";
import { type Harness, seedPod, simRequest, startHarness } from "./_harness.ts";
import { where } from "./_safety_table.ts";

/** Where the reference lives. */
export const REFERENCE = new URL("../docs/reference.md", import.meta.url);

/** How to regenerate it, for staleness messages. */
export const REGENERATE =
  "run `deno task snapshots` (or `UPDATE_SNAPSHOTS=1 deno test -A tests/reference_test.ts`)";

type Schema = Record<string, unknown>;

/** One tool as `tools/list` shows it. */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Schema;
  outputSchema?: Schema;
  annotations?: Record<string, unknown>;
}

/** One static resource as `resources/list` shows it. */
export interface ListedResource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/** One resource template as `resources/templates/list` shows it, with its completable variables. */
export interface ListedTemplate {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  completes: string[];
}

/** One prompt as `prompts/list` shows it. */
export interface ListedPrompt {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
}

/** Everything the server lists. */
export interface Surface {
  tools: ListedTool[];
  resources: ListedResource[];
  templates: ListedTemplate[];
  prompts: ListedPrompt[];
}

/** Seeds one pod, endpoint and template, so a variable's completion has something to offer. */
async function seedForCompletion(h: Harness): Promise<void> {
  const image = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
  await seedPod(h, { name: "p", image, gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 } });
  const seeds: [string, Schema][] = [
    ["/v2/serverless", {
      name: "ep",
      type: "QUEUE",
      image,
      gpu: { pools: ["ADA_24"] },
      workers: { min: 0, max: 1 },
      scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
    }],
    ["/v2/templates", { name: "t", image }],
  ];
  for (const [path, body] of seeds) {
    const { status } = await simRequest(h, "POST", path, body);
    if (status >= 300) throw new Error(`Cannot seed ${path} for completions: ${status}`);
  }
}

/** The variables of a URI template whose completion offers values for the seeded account. */
async function completedVariables(h: Harness, uriTemplate: string): Promise<string[]> {
  const names = [...uriTemplate.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const completed: string[] = [];
  for (const name of names) {
    const { completion } = await h.client.complete({
      ref: { type: "ref/resource", uri: uriTemplate },
      argument: { name, value: "" },
    });
    if (completion.values.length > 0) completed.push(name);
  }
  return completed;
}

/** Lists the whole surface through a real SDK client connected to the server. */
export async function listSurface(): Promise<Surface> {
  await using h = await startHarness();
  const { tools } = await h.client.listTools();
  // Listed before seeding: afterwards the templates' own listings would add the seeded items.
  const { resources } = await h.client.listResources();
  const { resourceTemplates } = await h.client.listResourceTemplates();
  const { prompts } = await h.client.listPrompts();
  await seedForCompletion(h);
  const templates: ListedTemplate[] = [];
  for (const t of resourceTemplates) {
    templates.push({ ...t, completes: await completedVariables(h, t.uriTemplate) });
  }
  return {
    tools: tools as ListedTool[],
    resources: resources.filter((r) =>
      !resourceTemplates.some((t) => sameShape(t.uriTemplate, r.uri))
    ),
    templates,
    prompts,
  };
}

/** Whether `uri` is an instance of `uriTemplate` (a template's own listing, not a static one). */
function sameShape(uriTemplate: string, uri: string): boolean {
  const pattern = uriTemplate.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+");
  return new RegExp(`^${pattern}$`).test(uri);
}

/** Markdown-safe prose: characters that would start emphasis, HTML or a table cell are escaped. */
function prose(text: string | undefined): string {
  return (text ?? "").replace(/([\\*<>|])/g, "\\$1").replace(/\s+/g, " ").trim();
}

/** A value as inline code, with enough backticks around it to hold any it contains. */
function code(value: string): string {
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = value.startsWith("`") || value.endsWith("`") ? " " : "";
  return `${fence}${pad}${value}${pad}${fence}`;
}

/** A JSON Schema's type in words: `integer`, `string or null`, `array of string`, `any`. */
export function typeOf(schema: Schema): string {
  const type = schema.type;
  const names = Array.isArray(type) ? type.map(String) : typeof type === "string" ? [type] : [];
  if (names.length === 0) return "any";
  return names.map((name) => {
    if (name === "array" && isSchema(schema.items)) return `array of ${typeOf(schema.items)}`;
    if (name === "object" && isSchema(schema.additionalProperties)) {
      return `object of ${typeOf(schema.additionalProperties)}`;
    }
    return name;
  }).join(" or ");
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function json(value: unknown): string {
  return code(JSON.stringify(value));
}

/** `n` with its unit, singular for 1: `1 character`, `20 items`, `16`. */
function count(n: unknown, unit: string): string {
  return unit === "" ? String(n) : `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** Bounds of numbers, lengths and item counts, in words. */
function bounds(schema: Schema): string[] {
  const out: string[] = [];
  const pairs: [string, string, string][] = [
    ["minimum", "maximum", ""],
    ["minLength", "maxLength", "character"],
    ["minItems", "maxItems", "item"],
  ];
  for (const [lo, hi, unit] of pairs) {
    const min = schema[lo];
    const max = schema[hi];
    if (min !== undefined && max !== undefined) out.push(`${min}–${count(max, unit)}`);
    else if (min === 1 && unit === "character") out.push("non-empty");
    else if (min !== undefined) out.push(`at least ${count(min, unit)}`);
    else if (max !== undefined) out.push(`at most ${count(max, unit)}`);
  }
  if (schema.exclusiveMinimum !== undefined) out.push(`more than ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined) out.push(`less than ${schema.exclusiveMaximum}`);
  return out;
}

/** An argument's constraints: enum, bounds, patterns (its own, its items', its keys'), default. */
export function constraintsOf(schema: Schema): string[] {
  const out: string[] = [];
  if (Array.isArray(schema.enum)) out.push(`one of ${schema.enum.map(json).join(", ")}`);
  out.push(...bounds(schema));
  if (typeof schema.pattern === "string") out.push(`pattern ${code(schema.pattern)}`);
  if (isSchema(schema.items)) {
    const items = schema.items;
    if (Array.isArray(items.enum)) out.push(`items one of ${items.enum.map(json).join(", ")}`);
    const itemBounds = bounds(items);
    if (itemBounds.length > 0) out.push(`each item ${itemBounds.join(", ")}`);
    if (typeof items.pattern === "string") out.push(`items match ${code(items.pattern)}`);
  }
  const keys = schema.propertyNames;
  if (isSchema(keys) && typeof keys.pattern === "string") {
    out.push(`keys match ${code(keys.pattern)}`);
  }
  if ("default" in schema) out.push(`default ${json(schema.default)}`);
  return out;
}

/** One argument as a list item. */
function argumentLine(name: string, schema: Schema, required: boolean): string {
  const facts = [typeOf(schema), required ? "required" : "optional", ...constraintsOf(schema)];
  const description = prose(typeof schema.description === "string" ? schema.description : "");
  return `- ${code(name)} (${facts.join("; ")})${description ? `: ${description}` : ""}`;
}

function propertiesOf(schema: Schema | undefined): [string, Schema][] {
  const properties = schema?.properties;
  return isSchema(properties)
    ? Object.entries(properties).map(([name, s]) => [name, isSchema(s) ? s : {}])
    : [];
}

function requiredOf(schema: Schema | undefined): Set<string> {
  return new Set(Array.isArray(schema?.required) ? schema.required.map(String) : []);
}

const CONFIRMED: Record<WriteRule["kind"], string> = {
  billable: "confirmed and held to the cost caps",
  "billable-if-raised": "confirmed and capped when it adds spend",
  destructive: "confirmed, also under `--confirm destructive`",
  plain: "refused only in read-only mode",
};

/** The guard's view of a tool: the writes it may send, each with its kind, from one table. */
export function guardLines(toolName: string): string[] {
  const rows = WRITE_RULES.filter((rule) => rule.tools.includes(toolName));
  if (rows.length === 0) return ["- Guard: none; the tool only reads"];
  return [
    "- Guard:",
    ...rows.map((rule) =>
      `  - **${rule.kind}** ${code(where(rule))}: ${prose(rule.effect)}; ${CONFIRMED[rule.kind]}`
    ),
  ];
}

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"];

/** The hints as listed; a read-only tool's list leaves out the two that mean nothing for it. */
function annotationLine(tool: ListedTool): string {
  const listed = HINTS.filter((hint) => tool.annotations?.[hint] !== undefined);
  const missing = HINTS.filter((hint) => !listed.includes(hint));
  const shown = listed.map((hint) => `${hint} ${code(String(tool.annotations?.[hint]))}`);
  const note = missing.length === 0
    ? ""
    : `; ${missing.join(" and ")} not listed${
      tool.annotations?.readOnlyHint === true ? " (they mean nothing for a read-only tool)" : ""
    }`;
  return `- Annotations: ${shown.join(", ")}${note}`;
}

/** One tool's section. */
function renderTool(tool: ListedTool): string[] {
  const spec = ALL_TOOLS.find((t) => t.name === tool.name);
  const lines = [
    `#### ${tool.name}`,
    "",
    `**${prose(tool.title)}**. ${prose(tool.description)}`,
    "",
    `- Toolset: ${code(spec?.toolset ?? "none")}`,
    annotationLine(tool),
    ...guardLines(tool.name),
  ];
  if (spec?.sandboxNote) {
    lines.push(`- In the sandbox the description adds: ${prose(spec.sandboxNote)}`);
  }
  lines.push("", "Arguments:", "");
  const required = requiredOf(tool.inputSchema);
  const args = propertiesOf(tool.inputSchema);
  lines.push(
    ...(args.length === 0
      ? ["- none"]
      : args.map(([name, s]) => argumentLine(name, s, required.has(name)))),
  );
  const output = propertiesOf(tool.outputSchema);
  const always = requiredOf(tool.outputSchema);
  lines.push("", "Output (`structuredContent`):", "");
  lines.push(
    ...(output.length === 0
      ? ["- none"]
      : output.map(([name, s]) =>
        `- ${code(name)}: ${typeOf(s)}${always.has(name) ? "" : ", optional"}`
      )),
  );
  return [...lines, ""];
}

function byToolset(tools: readonly ListedTool[]): [string, ListedTool[]][] {
  const toolsetOf = (name: string) => ALL_TOOLS.find((t) => t.name === name)?.toolset ?? "none";
  const sets: string[] = [...TOOLSETS, ...new Set(tools.map((t) => toolsetOf(t.name)))];
  return [...new Set(sets)]
    .map((set): [string, ListedTool[]] => [set, tools.filter((t) => toolsetOf(t.name) === set)])
    .filter(([, listed]) => listed.length > 0);
}

/** The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped. */
export function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function toolsetHeading(set: string): string {
  return `Toolset ${set}`;
}

function promptHeading(name: string): string {
  return `Prompt ${name}`;
}

/** The table of contents: toolsets with their tools, resources, prompts. */
function renderContents(surface: Surface): string[] {
  const link = (text: string, heading: string) => `[${text}](#${anchorOf(heading)})`;
  const lines = ["## Contents", "", `- ${link("Tools", "Tools")}`];
  for (const [set, tools] of byToolset(surface.tools)) {
    lines.push(
      `  - ${link(set, toolsetHeading(set))}: ${
        tools.map((t) => link(code(t.name), t.name)).join(", ")
      }`,
    );
  }
  lines.push(`- ${link("Resources", "Resources")}`);
  lines.push(
    `- ${link("Prompts", "Prompts")}: ${
      surface.prompts.map((p) => link(code(p.name), promptHeading(p.name))).join(", ")
    }`,
  );
  return [...lines, ""];
}

function renderTools(surface: Surface): string[] {
  const lines = [
    "## Tools",
    "",
    "Each tool lists its MCP annotations, the RunPod writes the guard checks before it sends them (from the one table of writes, `src/policy/writes.ts`; the README's Safety table explains kinds and caps), its arguments from the input schema and the top-level fields of its `structuredContent` from the output schema. Guarded tools also take the guard's own `dry_run` and `confirmation_token` arguments, which never reach the tool.",
    "",
  ];
  for (const [set, tools] of byToolset(surface.tools)) {
    lines.push(`### ${toolsetHeading(set)}`, "");
    for (const tool of tools) lines.push(...renderTool(tool));
  }
  return lines;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function resourceRow(
  r: { name: string; title?: string; description?: string },
  uri: string,
): string {
  return `| ${cell(code(uri))} | ${cell(prose(r.title ?? r.name))} | ${prose(r.description)} |`;
}

function templateRow(t: ListedTemplate): string {
  const completes = t.completes.length > 0 ? t.completes.map((v) => code(v)).join(", ") : "–";
  return `${resourceRow(t, t.uriTemplate)} ${completes} |`;
}

function renderResources(surface: Surface): string[] {
  return [
    "## Resources",
    "",
    `Every resource is JSON (${code("application/json")}), read with ${code("resources/read")}. ${
      code("runpod://pods/{pod_id}")
    } also sends updates when the pod's status changes.`,
    "",
    "### Static resources",
    "",
    "| URI | Title | What it holds |",
    "| --- | --- | --- |",
    ...surface.resources.map((r) => resourceRow(r, r.uri)),
    "",
    "### Resource templates",
    "",
    "Variables marked as completing offer the account's values through `completion/complete`.",
    "",
    "| URI template | Title | What it holds | Completes |",
    "| --- | --- | --- | --- |",
    ...surface.templates.map(templateRow),
    "",
  ];
}

/**
 * What each argument of a prompt completes from, found by handing the prompt's argument builder
 * completers that name themselves and asking every completable argument for a value.
 */
export async function promptCompletions(promptName: string): Promise<Record<string, string>> {
  const spec = ALL_PROMPTS.find((p) => p.name === promptName);
  if (!spec) return {};
  const kinds: Record<keyof Completers, string> = {
    podIds: "the account's pod ids",
    endpointIds: "the account's endpoint ids",
    networkVolumeIds: "the account's network volume ids",
    gpuTypes: "RunPod's GPU types",
    dataCenterIds: "RunPod's data center ids",
    gpuCatalog: "RunPod's GPU catalog",
  };
  const probe = Object.fromEntries(
    Object.entries(kinds).map(([key, kind]) => [key, () => Promise.resolve([kind])]),
  ) as unknown as Completers;
  const found: Record<string, string> = {};
  for (const [name, schema] of Object.entries(spec.args(probe))) {
    const complete = completerOf(schema);
    if (complete) found[name] = String((await complete(""))[0] ?? "");
  }
  return found;
}

type Complete = (value: string) => Promise<unknown[]> | unknown[];

/** The SDK's completion callback of an argument schema, looking under an outer optional. */
function completerOf(schema: unknown): Complete | undefined {
  const key = Symbol.for("mcp.completable");
  for (let s = schema; isSchema(s);) {
    const meta = (s as Record<symbol, unknown>)[key];
    if (isSchema(meta) && typeof meta.complete === "function") return meta.complete as Complete;
    const unwrap = (s as { unwrap?: () => unknown }).unwrap;
    s = typeof unwrap === "function" ? unwrap.call(s) : undefined;
  }
  return undefined;
}

async function renderPrompt(prompt: ListedPrompt): Promise<string[]> {
  const completions = await promptCompletions(prompt.name);
  const args = prompt.arguments ?? [];
  return [
    `### ${promptHeading(prompt.name)}`,
    "",
    `**${prose(prompt.title ?? prompt.name)}**. ${prose(prompt.description)}`,
    "",
    "Arguments:",
    "",
    ...(args.length === 0 ? ["- none"] : args.map((arg) => {
      const facts = [arg.required ? "required" : "optional"];
      if (completions[arg.name]) facts.push(`completes from ${completions[arg.name]}`);
      const description = prose(arg.description);
      return `- ${code(arg.name)} (${facts.join("; ")})${description ? `: ${description}` : ""}`;
    })),
    "",
  ];
}

async function renderPrompts(surface: Surface): Promise<string[]> {
  const lines = [
    "## Prompts",
    "",
    "Each prompt is a numbered plan naming the tools to call. A prompt is offered only when the tools that do its job are (see `--read-only` and `--toolsets`).",
    "",
  ];
  for (const prompt of surface.prompts) lines.push(...await renderPrompt(prompt));
  return lines;
}

/** Renders the reference for a listed surface, before `deno fmt`. */
export async function renderReference(surface: Surface): Promise<string> {
  const lines = [
    "# runpod-mcp reference",
    "",
    "<!-- Generated from the server's registry by `deno task snapshots`; do not edit by hand. -->",
    "",
    `${surface.tools.length} tools in ${
      byToolset(surface.tools).length
    } toolsets, ${surface.resources.length} resources, ${surface.templates.length} resource templates and ${surface.prompts.length} prompts, as a client lists them from a server with every tool selected.`,
    "",
    ...renderContents(surface),
    ...renderTools(surface),
    ...renderResources(surface),
    ...await renderPrompts(surface),
  ];
  return lines.join("\n").replace(/\n+$/, "\n");
}

/** Formats Markdown with `deno fmt` and the project's settings (needs `--allow-run`). */
export async function formatMarkdown(markdown: string): Promise<string> {
  const config = new URL("../deno.json", import.meta.url);
  const command = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--config", config.pathname, "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) {
    throw new Error(`Cannot format the reference: ${new TextDecoder().decode(stderr).trim()}`);
  }
  return new TextDecoder().decode(stdout);
}

/** The reference as it should be committed: listed, rendered and formatted. */
export async function generateReference(): Promise<{ surface: Surface; markdown: string }> {
  const surface = await listSurface();
  return { surface, markdown: await formatMarkdown(await renderReference(surface)) };
}

/** The text of `url`, or undefined when there is no such file (a snapshot not written yet). */
export async function readOrUndefined(url: URL): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
