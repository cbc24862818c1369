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
 * @module
 */

import { z } from "zod";
import type { Tool } from "../deps.ts";

/** One registered tool, as the registry describes it. */
export interface ListedTool {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  annotations: Record<string, boolean>;
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

function renderTool(tool: ListedTool): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.input, "input") as Tool["inputSchema"],
    outputSchema: withoutDescriptions(jsonSchema(tool.output, "output")) as Tool["outputSchema"],
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
