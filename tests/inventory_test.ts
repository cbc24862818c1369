import assert from "node:assert/strict";
import { ALL_TOOLS, TOOLSETS } from "../src/tools/mod.ts";
import { measureToolList } from "../bench/tools_list_size.ts";
import { startHarness } from "./_harness.ts";

Deno.test("every tool has a unique snake_case verb_noun name", () => {
  const names = ALL_TOOLS.map((t) => t.name);
  assert.equal(new Set(names).size, names.length, "duplicate tool names");
  for (const name of names) assert.match(name, /^[a-z]+(_[a-z0-9]+)+$/, name);
});

Deno.test("every tool has a toolset, a title and a model-sized description", () => {
  for (const tool of ALL_TOOLS) {
    assert.ok((TOOLSETS as readonly string[]).includes(tool.toolset), `${tool.name} toolset`);
    assert.ok(tool.title.length > 3, `${tool.name} title`);
    assert.ok(tool.description.length >= 80, `${tool.name} description too short`);
    assert.ok(
      tool.description.length < 1000,
      `${tool.name} description is ${tool.description.length} chars`,
    );
  }
});

Deno.test("every tool states all four annotations, consistently", () => {
  for (const tool of ALL_TOOLS) {
    const a = tool.annotations;
    for (
      const key of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const
    ) {
      assert.equal(typeof a[key], "boolean", `${tool.name}.${key}`);
    }
    if (a.readOnlyHint) {
      assert.equal(a.destructiveHint, false, `${tool.name} read-only yet destructive`);
    }
  }
});

Deno.test("tools/list schemas are flat objects with described snake_case arguments", async () => {
  await using h = await startHarness();
  const { tools } = await h.client.listTools();
  assert.equal(tools.length, ALL_TOOLS.length);
  for (const tool of tools) {
    const input = tool.inputSchema as Record<string, unknown>;
    assert.equal(input.type, "object", tool.name);
    for (const combinator of ["anyOf", "oneOf", "allOf"]) {
      assert.equal(input[combinator], undefined, `${tool.name} has top-level ${combinator}`);
    }
    const properties = (input.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [arg, schema] of Object.entries(properties)) {
      assert.match(arg, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${tool.name}.${arg}`);
      assert.ok(
        typeof schema.description === "string" && schema.description.length > 10,
        `${tool.name}.${arg} has no description`,
      );
      assert.match(
        String(schema.description),
        /e\.g\./,
        `${tool.name}.${arg} gives no example value`,
      );
      assert.ok(
        schema.type !== "object" || schema.additionalProperties !== undefined,
        `${tool.name}.${arg} is a nested object; keep arguments flat`,
      );
    }
    assert.ok(tool.outputSchema, `${tool.name} has no outputSchema`);
    assert.equal(tool.outputSchema.type, "object", tool.name);
    assert.ok(tool.title, `${tool.name} has no title`);
    // The list leaves out what repeats: the dialect, annotations.title, output descriptions.
    assert.equal(tool.annotations?.title, undefined, tool.name);
    assert.equal((tool.inputSchema as Record<string, unknown>).$schema, undefined, tool.name);
    assert.doesNotMatch(JSON.stringify(tool.outputSchema), /"description":"/, tool.name);
    // destructiveHint and idempotentHint mean something only when readOnlyHint is false.
    const hints = tool.annotations?.readOnlyHint === true
      ? ["readOnlyHint", "openWorldHint"] as const
      : ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;
    for (const hint of hints) assert.equal(typeof tool.annotations?.[hint], "boolean", tool.name);
  }
});

Deno.test("tools/list stays within its byte budget: 52 KB for names, descriptions and inputs, 89 KB in all", async () => {
  await using h = await startHarness();
  const { tools } = await h.client.listTools();
  const size = measureToolList(tools);
  assert.equal(size.tools, ALL_TOOLS.length);
  // About 0.45× the official server's 116 KB for what a model reads; see bench/tools_list_size.ts.
  assert.ok(size.modelBytes <= 52_000, `name + description + input: ${size.modelBytes} B`);
  assert.ok(size.wholeBytes <= 89_000, `whole tools/list: ${size.wholeBytes} B`);
});
