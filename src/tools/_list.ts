/**
 * The `tools/list` answer, built once per server and kept: every byte of it is context a model
 * pays for on every turn, and the SDK would otherwise derive every JSON Schema again on each call.
 *
 * What is left out of the SDK's default rendering, and why:
 * - `$schema`: JSON Schema 2020-12 is MCP's default dialect, so saying it 120 times adds nothing;
 * - descriptions inside output schemas: field names say what they hold, the text result explains
 *   the rest, and the input descriptions (which the model needs to call the tool) stay;
 * - `annotations.title`, a copy of the tool's `title`, and `execution` (no task support: the
 *   default);
 * - `destructiveHint` and `idempotentHint` on read-only tools: the spec gives them meaning only
 *   when `readOnlyHint` is false (and a client that reads a missing one as false is right too).
 *
 * The JSON Schemas of the built-in tools are rendered ahead of time into `_schemas.json`:
 * `z.toJSONSchema` over every tool cost about 56 ms of the first `tools/list`, on the critical
 * path of every cold start. `tests/prerendered_test.ts` renders them again from the zod schemas
 * and fails on any difference (`deno task snapshots` rewrites the file); a tool without an entry
 * (one a test defines) is rendered at run time as before.
 *
 * @module
 */

import { z } from "zod";
import type { StandardSchemaWithJSON, Tool } from "../deps.ts";

/** One registered tool, as the registry describes it. */
export interface ListedTool {
  name: string;
  title: string;
  description: string;
  /** The strict zod input schema, built on first use. */
  input: () => z.ZodObject;
  /** The zod output schema, built on first use. */
  output: () => z.ZodObject;
  annotations: Record<string, boolean>;
  /** The JSON Schemas `tools/list` shows: rendered ahead of time, or from zod on first use. */
  schemas: () => RenderedSchemas;
}

/** A tool's input and output JSON Schemas as `tools/list` shows them. */
export interface RenderedSchemas {
  inputSchema: Tool["inputSchema"];
  outputSchema: Tool["outputSchema"];
}

function jsonSchema(schema: z.ZodObject, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
  }) as Record<string, unknown>;
  return rest;
}

function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      // `properties` maps field names to schemas: a field may itself be called "description".
      if (key === "description" && typeof child === "string") continue;
      out[key] = withoutDescriptions(child);
    }
    return out;
  }
  return value;
}

/** Renders a tool's input and output schemas from zod, as `tools/list` shows them. */
export function renderSchemas(input: z.ZodObject, output: z.ZodObject): RenderedSchemas {
  return {
    inputSchema: jsonSchema(input, "input") as Tool["inputSchema"],
    outputSchema: withoutDescriptions(jsonSchema(output, "output")) as Tool["outputSchema"],
  };
}

/** Memoizes a function of no arguments. */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * What the SDK is given for a tool's input or output schema: a Standard Schema that validates
 * with the tool's zod schema, built on the first call of that tool, and gives the JSON Schema
 * `tools/list` shows. A server that starts builds no zod object for a tool nobody calls, and the
 * SDK never converts a schema with `z.toJSONSchema` (it would per server: once per HTTP request).
 */
export function lazySchema(
  build: () => z.ZodObject,
  json: () => Record<string, unknown>,
): StandardSchemaWithJSON<Record<string, unknown>, Record<string, unknown>> {
  const zod = once(build);
  return {
    "~standard": {
      version: 1,
      vendor: "runpod-mcp",
      validate: (value: unknown) =>
        zod()["~standard"].validate(value) as ReturnType<
          StandardSchemaWithJSON<Record<string, unknown>>["~standard"]["validate"]
        >,
      // The SDK asks for "input" of an input schema and "output" of an output schema.
      jsonSchema: { input: json, output: json },
    },
  };
}

function renderTool(tool: ListedTool): Tool {
  const { inputSchema, outputSchema } = tool.schemas();
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema,
    outputSchema,
    annotations: tool.annotations.readOnlyHint
      ? { readOnlyHint: true, openWorldHint: tool.annotations.openWorldHint }
      : tool.annotations,
  };
}

/** Returns a function that renders `tools` on its first call and the same list afterwards. */
export function cachedToolList(tools: readonly ListedTool[]): () => { tools: Tool[] } {
  let rendered: { tools: Tool[] } | undefined;
  return () => (rendered ??= { tools: tools.map(renderTool) });
}
